// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/http';
import { hub, type Project, type ProjectKind } from '../api/projects';
import { forget_session_id, forget_thumbnail } from '../lib/session_store';
import { navigate } from '../lib/router';
import { ConfirmDialog } from './confirm_dialog';
import { CreateProjectForm } from './create_project_form';
import { ErrorNotice } from './error_notice';
import { ProjectCard } from './project_card';

interface Props {
  on_unauthorized: () => void;
}

function newest_first(a: Project, b: Project): number {
  return (b.updated_at ?? '').localeCompare(a.updated_at ?? '');
}

export function ProjectsPage({ on_unauthorized }: Props) {
  const [projects, set_projects] = useState<Project[] | null>(null);
  const [error, set_error] = useState<{ error: unknown; action: string } | null>(null);
  const [creating, set_creating] = useState(false);
  const [deleting, set_deleting] = useState<Project | null>(null);
  const [busy, set_busy] = useState(false);
  /// The engine kinds the hub can start; undefined while loading, null when this hub does not say.
  const [kinds, set_kinds] = useState<string[] | null | undefined>(undefined);

  const fail = useCallback(
    (action: string) => (failure: unknown) => {
      if (failure instanceof ApiError && failure.unauthorized) on_unauthorized();
      else set_error({ error: failure, action });
    },
    [on_unauthorized],
  );

  const load = useCallback(() => {
    hub
      .list_projects()
      .then((list) => set_projects([...list].sort(newest_first)))
      .catch(fail('Loading projects failed'));
  }, [fail]);

  useEffect(load, [load]);

  useEffect(() => {
    let cancelled = false;
    hub
      .engine_kinds()
      .then((list) => {
        if (!cancelled) set_kinds(list);
      })
      .catch(() => {
        // An older hub without `kinds`: the form offers the built-in kinds and a free field.
        if (!cancelled) set_kinds(null);
      });
    return () => {
      cancelled = true;
    };
  }, []);

  const create = async (name: string, kind: ProjectKind) => {
    set_error(null);
    try {
      const project = await hub.create_project(name, kind);
      set_creating(false);
      if (project.id) navigate({ name: 'studio', project_id: project.id });
      else load();
    } catch (failure) {
      fail('Creating the project failed')(failure);
      throw failure;
    }
  };

  const rename = async (project: Project, name: string) => {
    set_error(null);
    try {
      await hub.rename_project(project.id, name);
      set_projects((list) => list?.map((p) => (p.id === project.id ? { ...p, name } : p)) ?? list);
    } catch (failure) {
      fail(`Renaming “${project.name}” failed`)(failure);
      throw failure;
    }
  };

  const remove = async () => {
    if (!deleting) return;
    set_busy(true);
    set_error(null);
    try {
      await hub.delete_project(deleting.id);
      forget_session_id(deleting.id);
      forget_thumbnail(deleting.id);
      set_projects((list) => list?.filter((p) => p.id !== deleting.id) ?? list);
      set_deleting(null);
    } catch (failure) {
      set_deleting(null);
      fail(`Deleting “${deleting.name}” failed`)(failure);
    } finally {
      set_busy(false);
    }
  };

  return (
    <main className="projects">
      <div className="projects-inner">
        <div className="projects-head">
          <h1>Projects</h1>
          {projects && projects.length > 0 && <span className="count">{projects.length}</span>}
          <span className="spacer" />
          {!creating && (
            <button className="primary" onClick={() => set_creating(true)}>
              + New project
            </button>
          )}
        </div>
        {error && <ErrorNotice error={error.error} action={error.action} on_dismiss={() => set_error(null)} />}
        {creating && <CreateProjectForm kinds={kinds} on_create={create} on_cancel={() => set_creating(false)} />}
        {projects === null && !error && (
          <div className="project-grid" aria-busy="true" aria-label="Loading projects">
            <div className="skeleton" />
            <div className="skeleton" />
            <div className="skeleton" />
          </div>
        )}
        {projects?.length === 0 && !creating && (
          <section className="empty">
            <div className="empty-art" aria-hidden="true">
              <span />
              <span />
              <span />
            </div>
            <h2>No projects yet</h2>
            <p>
              A project is a Blender scene or a Remotion video. Create one, then describe what you want — or run the
              tools yourself.
            </p>
            <button className="primary" onClick={() => set_creating(true)}>
              Create your first project
            </button>
          </section>
        )}
        {projects && projects.length > 0 && (
          <div className="project-grid">
            {projects.map((project) => (
              <ProjectCard
                key={project.id}
                project={project}
                on_open={() => navigate({ name: 'studio', project_id: project.id })}
                on_rename={(name) => rename(project, name)}
                on_delete={() => set_deleting(project)}
              />
            ))}
          </div>
        )}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirm_label="Delete project"
          danger
          busy={busy}
          on_confirm={remove}
          on_cancel={() => set_deleting(null)}
        >
          Its files and every version are deleted from this hub. This cannot be undone.
        </ConfirmDialog>
      )}
    </main>
  );
}
