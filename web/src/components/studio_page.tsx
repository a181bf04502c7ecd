// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useMemo, useState, type DragEvent } from 'react';
import { ApiError } from '../api/http';
import { hub, type Health, type Project } from '../api/projects';
import { navigate } from '../lib/router';
import { history_action, history_tools } from '../studio/history';
import { presence_label } from '../studio/session_state';
import { use_studio } from '../studio/use_studio';
import { asset_folder, use_uploads } from '../studio/use_uploads';
import { ChatPanel } from './chat_panel';
import { ErrorNotice } from './error_notice';
import { SessionBanner } from './session_banner';
import { SidePanel, type Tab } from './side_panel';
import { TopBar } from './top_bar';
import { ViewportPanel } from './viewport_panel';

interface Props {
  project_id: string;
  health?: Health | undefined;
  on_unauthorized: () => void;
  on_sign_out?: () => void;
}

export function StudioPage({ project_id, health, on_unauthorized, on_sign_out }: Props) {
  const studio = use_studio(project_id);
  const [project, set_project] = useState<Project | null>(null);
  const [load_error, set_load_error] = useState<unknown>(null);

  useEffect(() => {
    hub
      .get_project(project_id)
      .then(set_project)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.unauthorized) on_unauthorized();
        else set_load_error(error);
      });
  }, [project_id, on_unauthorized]);

  useEffect(() => {
    document.title = project ? `${project.name} — atelier` : 'atelier';
    return () => {
      document.title = 'atelier';
    };
  }, [project]);

  // Uploads: the Files panel's button, or files dropped anywhere on the studio.
  const [files_tick, set_files_tick] = useState(0);
  const bump_files = useCallback(() => set_files_tick((tick) => tick + 1), []);
  const uploads = use_uploads(project_id, bump_files);
  const [tab_request, set_tab_request] = useState<{ tab: Tab; n: number } | undefined>(undefined);
  const [dragging, set_dragging] = useState(false);
  const folder = asset_folder(project?.kind);
  const carries_files = (event: DragEvent) => [...event.dataTransfer.types].includes('Files');
  const on_drag_enter = (event: DragEvent) => {
    if (!carries_files(event)) return;
    event.preventDefault();
    set_dragging(true);
  };
  const on_drop = (event: DragEvent) => {
    event.preventDefault();
    set_dragging(false);
    const dropped = [...event.dataTransfer.files];
    if (dropped.length === 0) return;
    uploads.add(dropped, folder);
    set_tab_request((old) => ({ tab: 'files', n: (old?.n ?? 0) + 1 }));
  };

  // A file dropped beside the overlay must not replace the studio with the file.
  useEffect(() => {
    const keep = (event: globalThis.DragEvent) => {
      if (event.dataTransfer && [...event.dataTransfer.types].includes('Files')) event.preventDefault();
    };
    window.addEventListener('dragover', keep);
    window.addEventListener('drop', keep);
    return () => {
      window.removeEventListener('dragover', keep);
      window.removeEventListener('drop', keep);
    };
  }, []);

  const { view } = studio;
  const history = useMemo(() => history_tools(view.tools), [view.tools]);
  const live = view.status.state === 'ready' || view.status.state === 'busy';
  const run_command = studio.run_command;
  const undo = history.undo && live ? () => run_command(history.undo!, {}) : undefined;
  const redo = history.redo && live ? () => run_command(history.redo!, {}) : undefined;

  // Ctrl+Z / Ctrl+Shift+Z anywhere in the studio except while typing (the text's own undo).
  useEffect(() => {
    if (!history.undo && !history.redo) return;
    const on_key_down = (event: KeyboardEvent) => {
      const action = history_action(event);
      const tool = action ? history[action] : undefined;
      if (!tool || !live) return;
      event.preventDefault();
      run_command(tool, {});
    };
    window.addEventListener('keydown', on_key_down);
    return () => window.removeEventListener('keydown', on_key_down);
  }, [history, live, run_command]);

  return (
    <div className="app">
      <TopBar health={health} down={view.connection.kind === 'waiting'} on_sign_out={on_sign_out}>
        <span className="crumb">
          <span aria-hidden="true">/</span>
          <span className="crumb-name" title={project?.name}>
            {project?.name ?? '…'}
          </span>
          {project && <span className={`badge ${project.kind}`}>{project.kind}</span>}
          {view.engine && <span className="faint" style={{ fontSize: 12 }}>{view.engine}</span>}
          {presence_label(view.clients) && (
            <span
              className="presence faint"
              style={{ fontSize: 12 }}
              aria-label="In this session"
              title={(view.clients ?? []).map((client) => [client.kind, client.name, client.version].filter(Boolean).join(' ')).join('\n')}
            >
              {presence_label(view.clients)}
            </span>
          )}
        </span>
        {load_error === null && (
          <button
            className="ghost small"
            title="Stop the engine now instead of after the grace period"
            onClick={() => {
              studio.end_session();
              navigate({ name: 'projects' });
            }}
          >
            End session
          </button>
        )}
      </TopBar>
      {load_error !== null ? (
        <main className="center-page">
          <div style={{ display: 'flex', flexDirection: 'column', gap: 12, alignItems: 'flex-start' }}>
            <ErrorNotice error={load_error} action="Opening the project failed" />
            <button onClick={() => navigate({ name: 'projects' })}>Back to projects</button>
          </div>
        </main>
      ) : (
        <main className="studio" onDragEnter={on_drag_enter}>
          {dragging && (
            <div
              className="drop-overlay"
              data-testid="drop-overlay"
              onDragOver={(event) => {
                event.preventDefault();
                event.dataTransfer.dropEffect = 'copy';
              }}
              onDragLeave={(event) => {
                if (event.target === event.currentTarget) set_dragging(false);
              }}
              onDrop={on_drop}
            >
              <div className="drop-card">
                <strong>Drop to add to {folder}/</strong>
                <span className="faint">Each file is saved as a version of this project.</span>
              </div>
            </div>
          )}
          <ChatPanel chat={studio.chat} on_send={studio.send_message} on_cancel={studio.cancel_turn} model={health?.model} kind={project?.kind} />
          <ViewportPanel
            project_id={project_id}
            client={studio.client}
            preview={view.preview}
            kind={project?.kind}
            preview_tick={view.preview_tick}
            on_preview_error={studio.report_preview_error}
            engine_preview_error={view.engine_preview_error}
            project_tick={view.project_tick}
            scene_summary={view.scene_summary}
            on_camera={studio.send_camera}
            state={String(view.status.state)}
            session_id={view.session_id}
            call_tool={studio.call_tool}
            scene={view.scene}
            on_undo={undo}
            on_redo={redo}
          >
            <SessionBanner view={view} on_retry={studio.retry} />
          </ViewportPanel>
          <SidePanel
            project_id={project_id}
            kind={project?.kind}
            studio={studio}
            uploads={uploads}
            upload_folder={folder}
            files_tick={files_tick}
            on_files_changed={bump_files}
            tab_request={tab_request}
          />
        </main>
      )}
    </div>
  );
}
