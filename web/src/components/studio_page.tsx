import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/http';
import { hub, type Health, type Project } from '../api/projects';
import { navigate } from '../lib/router';
import { history_action, history_tools } from '../studio/history';
import { presence_label } from '../studio/session_state';
import { use_studio } from '../studio/use_studio';
import { ChatPanel } from './chat_panel';
import { ErrorNotice } from './error_notice';
import { SessionBanner } from './session_banner';
import { SidePanel } from './side_panel';
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
        <main className="studio">
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
          <SidePanel project_id={project_id} kind={project?.kind} studio={studio} />
        </main>
      )}
    </div>
  );
}
