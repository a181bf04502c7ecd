import type { ReactNode } from 'react';
import type { SessionReadyPayload, ViewportCameraPayload } from '../protocol/messages';
import type { ProtocolClient } from '../protocol/protocol_client';
import { Viewport } from './viewport';

interface Props {
  project_id: string;
  client: ProtocolClient;
  preview: SessionReadyPayload['preview'];
  scene_summary?: string | undefined;
  on_camera: (payload: ViewportCameraPayload) => void;
  /// The session's state (session:status), for what the empty viewport says.
  state?: string | undefined;
  session_id?: string | undefined;
  /// Shown over the picture (the session banner), so it never shifts the layout.
  children?: ReactNode;
}

/// The live picture: streamed frames (Blender), or the engine's own preview page when the session
/// announces a preview URL (the Remotion player).
export function ViewportPanel({ project_id, client, preview, scene_summary, on_camera, state, session_id, children }: Props) {
  return (
    <section className="panel viewport-panel" aria-label="Viewport">
      {children}
      <div className="viewport">
        {preview?.url ? (
          <iframe src={preview.url} title="Preview" />
        ) : (
          <Viewport project_id={project_id} client={client} on_camera={on_camera} placeholder={placeholder_for(state)} session_id={session_id} />
        )}
      </div>
      {/* Always there, so the picture does not jump when the first summary arrives. */}
      <div className="scene-summary" title={scene_summary}>
        {scene_summary ?? <span aria-hidden="true">&nbsp;</span>}
      </div>
    </section>
  );
}

function placeholder_for(state: string | undefined): string {
  if (state === 'lost' || state === 'ended') return 'No engine is running';
  if (state === 'ready' || state === 'busy') return 'Waiting for the first frame…';
  return 'The engine is starting…';
}
