import type { ReactNode } from 'react';
import type { PreviewInfo, ViewportCameraPayload } from '../protocol/messages';
import type { ProtocolClient } from '../protocol/protocol_client';
import { PreviewPanel, type PreviewError } from './preview_panel';
import { Viewport } from './viewport';

interface Props {
  project_id: string;
  client: ProtocolClient;
  preview: PreviewInfo | null | undefined;
  /// The project's engine kind: `remotion` projects show the preview player and its timeline.
  kind?: string | undefined;
  /// Bumped when the preview server (re)started.
  preview_tick?: number;
  on_preview_error?: (error: PreviewError) => void;
  /// The engine's own report of a preview failure (shown over the player until the page is ready).
  engine_preview_error?: PreviewError | undefined;
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
export function ViewportPanel({ project_id, client, preview, kind, preview_tick = 0, on_preview_error, engine_preview_error, scene_summary, on_camera, state, session_id, children }: Props) {
  if (kind === 'remotion') {
    return (
      <section className="panel viewport-panel" aria-label="Preview">
        {children}
        <PreviewPanel
          url={preview?.url}
          reload_key={preview_tick}
          placeholder={preview_placeholder_for(state)}
          on_error={on_preview_error ?? ignore}
          engine_error={engine_preview_error}
        />
      </section>
    );
  }
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

function ignore(): void {}

function preview_placeholder_for(state: string | undefined): string {
  if (state === 'lost' || state === 'ended') return 'No engine is running';
  if (state === 'ready' || state === 'busy') return 'Waiting for the preview server…';
  return 'The engine is starting…';
}

function placeholder_for(state: string | undefined): string {
  if (state === 'lost' || state === 'ended') return 'No engine is running';
  if (state === 'ready' || state === 'busy') return 'Waiting for the first frame…';
  return 'The engine is starting…';
}
