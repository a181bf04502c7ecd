// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState, type FormEvent } from 'react';
import { hub, type Project } from '../api/projects';
import { newest_still, type Still } from '../studio/thumbnails';
import { relative_time } from '../lib/format';
import { load_thumbnail } from '../lib/session_store';

interface Props {
  project: Project;
  on_open: () => void;
  on_rename: (name: string) => Promise<void>;
  on_delete: () => void;
}

export function ProjectCard({ project, on_open, on_rename, on_delete }: Props) {
  const [editing, set_editing] = useState(false);
  const [name, set_name] = useState(project.name);
  const [thumb_failed, set_thumb_failed] = useState(false);
  const [rename_error, set_rename_error] = useState<string | null>(null);
  // A still of the newest state: the hub's picture of the newest version, else the last viewport
  // frame this browser saw, else the project's newest render (an image, or a video's first frame).
  const [hub_picture, set_hub_picture] = useState<string | undefined>(project.thumbnail_url);
  const thumbnail = hub_picture ?? load_thumbnail(project.id);
  const [still, set_still] = useState<Still | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    hub
      .list_thumbnails(project.id)
      .then((pictures) => {
        if (!cancelled && pictures.newest) set_hub_picture(pictures.newest);
      })
      .catch(() => {
        // No picture from the hub: this browser's frame or a render stands in.
      });
    return () => {
      cancelled = true;
    };
  }, [project.id, project.updated_at]);
  useEffect(() => {
    if (thumbnail) return;
    let cancelled = false;
    hub
      .list_renders(project.id)
      .then((files) => {
        if (!cancelled) set_still(newest_still(files));
      })
      .catch(() => {
        // No renders to show: the letter stays.
      });
    return () => {
      cancelled = true;
    };
  }, [project.id, project.updated_at, thumbnail]);
  const kind_class = project.kind === 'blender' || project.kind === 'remotion' ? project.kind : 'unknown';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      // Said, not silently dropped: the old name stays until a real one is given.
      set_rename_error('A project needs a name; Esc keeps the old one.');
      return;
    }
    set_rename_error(null);
    if (trimmed === project.name) {
      set_editing(false);
      return;
    }
    try {
      await on_rename(trimmed);
      set_editing(false);
    } catch {
      // Shown by the page; stay in edit mode.
    }
  };

  return (
    <article className="project-card">
      <button className="project-open" onClick={on_open} aria-label={`Open ${project.name}`}>
        <div className="thumb">
          {thumbnail && !thumb_failed ? (
            <img src={thumbnail} alt="" onError={() => set_thumb_failed(true)} />
          ) : still && !thumb_failed ? (
            still.kind === 'image' ? (
              <img src={still.url} alt="" loading="lazy" onError={() => set_thumb_failed(true)} />
            ) : (
              <video src={`${still.url}#t=0.1`} preload="metadata" muted playsInline aria-hidden="true" onError={() => set_thumb_failed(true)} />
            )
          ) : (
            <div className={`thumb-placeholder ${kind_class}`} aria-hidden="true">
              {project.name.slice(0, 1).toUpperCase()}
            </div>
          )}
        </div>
      </button>
      <div className="project-meta">
        {editing ? (
          <form
            className="rename-form"
            onSubmit={submit}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                set_name(project.name);
                set_rename_error(null);
                set_editing(false);
              }
            }}
          >
            <input
              value={name}
              onChange={(event) => {
                set_name(event.target.value);
                set_rename_error(null);
              }}
              aria-label="Project name"
              aria-invalid={rename_error ? true : undefined}
              aria-describedby={rename_error ? `rename-error-${project.id}` : undefined}
              autoFocus
              maxLength={200}
            />
            <button type="submit" className="small primary">
              Save
            </button>
            {rename_error && (
              <div className="field-error rename-error" id={`rename-error-${project.id}`} role="alert">
                {rename_error}
              </div>
            )}
          </form>
        ) : (
          <div className="project-name" title={project.name}>
            {project.name}
          </div>
        )}
        <div className="project-sub">
          <span className={`badge ${kind_class}`}>{project.kind}</span>
          <span title={project.updated_at}>changed {relative_time(project.updated_at)}</span>
        </div>
      </div>
      <div className="project-actions">
        <button className="small" onClick={on_open}>
          Open
        </button>
        <span className="spacer" />
        <button
          className="ghost small"
          onClick={() => {
            set_name(project.name);
            set_editing(true);
          }}
        >
          Rename
        </button>
        <button className="ghost small danger" onClick={on_delete}>
          Delete
        </button>
      </div>
    </article>
  );
}
