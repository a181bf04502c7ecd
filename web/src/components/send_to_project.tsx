// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState } from 'react';
import { import_render } from '../api/files';
import { describe_error } from '../api/http';
import { hub, type Project, type RenderFile } from '../api/projects';
import { navigate, route_path } from '../lib/router';
import { ConfirmDialog } from './confirm_dialog';

export interface Sent {
  project: Project;
  path: string;
  name: string;
}

interface Props {
  project_id: string;
  file: RenderFile;
  on_close: () => void;
  on_sent: (sent: Sent) => void;
}

/// "Send to video project…": a render of this (Blender) project becomes an asset of a Remotion
/// project (`POST /api/projects/{target}/import {from_project, render}`), as a version there.
export function SendToProjectDialog({ project_id, file, on_close, on_sent }: Props) {
  const [projects, set_projects] = useState<Project[] | null>(null);
  const [target, set_target] = useState('');
  const [error, set_error] = useState<string | null>(null);
  const [busy, set_busy] = useState(false);

  useEffect(() => {
    hub
      .list_projects()
      .then((list) => {
        const videos = list.filter((project) => project.kind === 'remotion' && project.id !== project_id);
        set_projects(videos);
        set_target((old) => old || videos[0]?.id || '');
      })
      .catch((failure: unknown) => set_error(describe_error(failure)));
  }, [project_id]);

  const send = async () => {
    const project = projects?.find((candidate) => candidate.id === target);
    if (!project) return;
    set_busy(true);
    set_error(null);
    try {
      const result = await import_render(project.id, project_id, file.name);
      on_sent({ project, path: result.path, name: file.name });
      on_close();
    } catch (failure) {
      set_error(describe_error(failure));
    } finally {
      set_busy(false);
    }
  };

  return (
    <ConfirmDialog title={`Send ${file.name} to a video project`} confirm_label="Send" busy={busy || !target} on_confirm={send} on_cancel={on_close}>
      <div className="send-body">
        {projects === null && !error && <span>Loading your video projects…</span>}
        {projects?.length === 0 && <span>You have no video (Remotion) project yet. Make one on the projects page, then send the render to it.</span>}
        {projects && projects.length > 0 && (
          <label className="send-field">
            <span className="field-label">Video project</span>
            <select aria-label="Video project" value={target} onChange={(event) => set_target(event.target.value)}>
              {projects.map((project) => (
                <option key={project.id} value={project.id}>
                  {project.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="faint">It is copied into the project's public/ folder as a new version there; use it with staticFile().</span>
        {error && (
          <div className="field-error" role="alert">
            {error}
          </div>
        )}
      </div>
    </ConfirmDialog>
  );
}

/// The note after a send, with a link to the project it went to.
export function SentToast({ sent, on_close }: { sent: Sent; on_close: () => void }) {
  const path = route_path({ name: 'studio', project_id: sent.project.id });
  return (
    <div className="toast" role="status">
      <span>
        {sent.name} is now <code>{sent.path}</code> in{' '}
        <a
          href={path}
          onClick={(event) => {
            event.preventDefault();
            navigate({ name: 'studio', project_id: sent.project.id });
          }}
        >
          {sent.project.name}
        </a>
        .
      </span>
      <button className="ghost small icon" onClick={on_close} aria-label="Dismiss" style={{ width: 24, height: 24 }}>
        ✕
      </button>
    </div>
  );
}
