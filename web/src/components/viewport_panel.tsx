// SPDX-License-Identifier: Apache-2.0
import { lazy, Suspense, useCallback, useRef, useState, type ReactNode } from 'react';
import type { CommandResultPayload, PreviewInfo, ViewportCameraPayload } from '../protocol/messages';
import type { ProtocolClient } from '../protocol/protocol_client';
import { load_viewport_settings, save_viewport_settings } from '../lib/session_store';
import { use_viewport_configure } from '../studio/use_viewport_configure';
import type { Shading, ViewMode } from '../studio/viewport_settings';
import { PreviewPanel, type PreviewError } from './preview_panel';
import type { SceneInfo } from '../studio/scene_info';
import { FrameTimeline } from './frame_timeline';
import { Viewport } from './viewport';
import { ViewportToolbar } from './viewport_toolbar';

interface Props {
  project_id: string;
  client: ProtocolClient;
  preview: PreviewInfo | null | undefined;
  /// The project's engine kind: `remotion` projects show the preview player and its timeline.
  kind?: string | undefined;
  /// Bumped when the preview server (re)started.
  preview_tick?: number;
  on_preview_error?: (error: PreviewError) => void;
  /// Counts the project's changes, for when a preview error is over.
  project_tick?: number;
  /// The engine's own report of a preview failure (shown over the player until the page is ready).
  engine_preview_error?: PreviewError | undefined;
  scene_summary?: string | undefined;
  on_camera: (payload: ViewportCameraPayload) => void;
  /// The session's state (session:status), for what the empty viewport says.
  state?: string | undefined;
  session_id?: string | undefined;
  /// Shown over the picture (the session banner), so it never shifts the layout.
  children?: ReactNode;
  /// Undo / Redo through the engine's history tools, when it has them.
  on_undo?: (() => void) | undefined;
  on_redo?: (() => void) | undefined;
  /// The scene's frame range and fps, for the timeline under the frames.
  scene?: SceneInfo | undefined;
  /// Runs an engine tool for the Remotion code editor and the timeline.
  call_tool?: ((tool: string, args: Record<string, unknown>) => Promise<CommandResultPayload>) | undefined;
}

/// The live picture: streamed frames (Blender), or the engine's own preview page when the session
/// announces a preview URL (the Remotion player).
export function ViewportPanel(props: Props) {
  const { kind } = props;
  if (kind === 'remotion') return <RemotionPanel {...props} />;
  return <FramesPanel {...props} />;
}

type RemotionView = 'preview' | 'code';

// CodeMirror is most of the app's weight: loaded when a Remotion project shows its code.
const CodePanel = lazy(() => import('./code_panel').then((module) => ({ default: module.CodePanel })));

/// A Remotion project: the player, or its code (file tree and editor), one at a time. The player
/// stays loaded while the code shows, so its errors keep arriving.
function RemotionPanel({ preview, preview_tick = 0, on_preview_error, engine_preview_error, state, children, project_tick = 0, call_tool }: Props) {
  const [mode, set_mode] = useState<RemotionView>('preview');
  // Once opened, the editor stays mounted (its open file and edits) while the preview shows.
  const [code_opened, set_code_opened] = useState(false);
  if (mode === 'code' && !code_opened) set_code_opened(true);
  const [shown_error, set_shown_error] = useState<PreviewError | undefined>(undefined);
  const ready = state === 'ready' || state === 'busy';
  return (
    <section className="panel viewport-panel" aria-label="Preview">
      {children}
      <div className="view-switch" role="tablist" aria-label="Preview or code">
        {(['preview', 'code'] as const).map((name) => (
          <button key={name} role="tab" aria-selected={mode === name} className={mode === name ? 'on' : ''} onClick={() => set_mode(name)}>
            {name === 'preview' ? 'Preview' : 'Code'}
            {name === 'preview' && shown_error && <span className="error-dot" aria-label="the preview failed" />}
          </button>
        ))}
      </div>
      <div className="remotion-body" hidden={mode !== 'preview'}>
        <PreviewPanel
          url={preview?.url}
          reload_key={preview_tick}
          placeholder={preview_placeholder_for(state)}
          on_error={on_preview_error ?? ignore}
          engine_error={engine_preview_error}
          project_tick={project_tick}
          on_shown_error={set_shown_error}
        />
      </div>
      {call_tool && (
        <div className="remotion-body" hidden={mode !== 'code'}>
          {mode === 'code' || code_opened ? (
            <Suspense fallback={<div className="viewport-placeholder">Loading the editor…</div>}>
              <CodePanel call_tool={call_tool} ready={ready} project_tick={project_tick} preview_error={shown_error} />
            </Suspense>
          ) : null}
        </div>
      )}
    </section>
  );
}

/// The streamed frames of an engine (Blender) under its toolbar: shading, camera view, undo, redo.
function FramesPanel({ project_id, client, preview, scene_summary, on_camera, state, session_id, children, on_undo, on_redo, scene, call_tool }: Props) {
  const area = useRef<HTMLDivElement>(null);
  const [settings, set_settings] = useState(() => load_viewport_settings(project_id));
  const live = state === 'ready' || state === 'busy';
  // While the timeline plays, the engine draws in solid shading (quick); Stop brings the choice back.
  const [playing, set_playing] = useState(false);
  const configure = use_viewport_configure(area, client, live && !preview?.url, session_id, playing ? 'solid' : settings.shading, settings.view);
  const update = (patch: Partial<{ shading: Shading; view: ViewMode }>) =>
    set_settings((old) => {
      const next = { ...old, ...patch };
      save_viewport_settings(project_id, next);
      return next;
    });
  // Orbiting or panning leaves the camera view, as in Blender; zoom keeps it.
  const view = settings.view;
  const camera = useCallback(
    (payload: ViewportCameraPayload) => {
      if (view === 'camera' && (payload.action === 'orbit' || payload.action === 'pan')) update({ view: 'free' });
      on_camera(payload);
    },
    [view, on_camera],
  );
  return (
    <section className="panel viewport-panel" aria-label="Viewport">
      {children}
      {!preview?.url && (
        <ViewportToolbar
          shading={settings.shading}
          view={settings.view}
          on_shading={(shading) => update({ shading })}
          on_view={(next) => update({ view: next })}
          error={configure.error}
          undo={on_undo}
          redo={on_redo}
          disabled={!live}
        />
      )}
      <div className="viewport" ref={area}>
        {preview?.url ? (
          <iframe src={preview.url} title="Preview" />
        ) : (
          <Viewport project_id={project_id} client={client} on_camera={camera} placeholder={placeholder_for(state)} session_id={session_id} busy={state === 'busy'} />
        )}
      </div>
      {scene?.frame_range && scene.frame_range[1] > scene.frame_range[0] && call_tool && (
        <FrameTimeline range={scene.frame_range} fps={scene.fps} disabled={!live} on_frame={(frame) => call_tool('animation__set_frame', { frame })} on_play={set_playing} />
      )}
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
