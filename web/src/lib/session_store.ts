// SPDX-License-Identifier: Apache-2.0

/// The session id of each open project, kept in sessionStorage so that a refresh re-attaches to
/// the same engine (DESIGN §5), while a new tab starts — or joins — by the hub's rules.

const key = (project_id: string) => `atelier.session.${project_id}`;

export function load_session_id(project_id: string): string | undefined {
  try {
    return window.sessionStorage.getItem(key(project_id)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function save_session_id(project_id: string, session_id: string): void {
  try {
    window.sessionStorage.setItem(key(project_id), session_id);
  } catch {
    // Storage may be disabled; a refresh then starts a new session, which still works.
  }
}

export function forget_session_id(project_id: string): void {
  try {
    window.sessionStorage.removeItem(key(project_id));
  } catch {
    // See save_session_id.
  }
}

/// The last viewport frame of a project, small, as a thumbnail for the projects list.
const thumb_key = (project_id: string) => `atelier.thumbnail.${project_id}`;

export function load_thumbnail(project_id: string): string | undefined {
  try {
    return window.localStorage.getItem(thumb_key(project_id)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function save_thumbnail(project_id: string, data_url: string): void {
  try {
    window.localStorage.setItem(thumb_key(project_id), data_url);
  } catch {
    // Quota exceeded: thumbnails are a nicety.
  }
}

export function forget_thumbnail(project_id: string): void {
  try {
    window.localStorage.removeItem(thumb_key(project_id));
  } catch {
    // See save_thumbnail.
  }
}

/// Whether the user moved the camera in a session (a refresh must not undo their view).
const moved_key = (session_id: string) => `atelier.camera_moved.${session_id}`;

export function mark_camera_moved(session_id: string): void {
  try {
    window.sessionStorage.setItem(moved_key(session_id), '1');
  } catch {
    // See save_session_id.
  }
}

/// After "Reset view": the engine frames the scene itself again, also after a refresh.
export function forget_camera_moved(session_id: string): void {
  try {
    window.sessionStorage.removeItem(moved_key(session_id));
  } catch {
    // See save_session_id.
  }
}

export function camera_moved(session_id: string): boolean {
  try {
    return window.sessionStorage.getItem(moved_key(session_id)) === '1';
  } catch {
    return false;
  }
}

/// The viewport's shading and view of a project, kept across reloads (per browser).
const viewport_key = (project_id: string) => `atelier.viewport.${project_id}`;

export interface ViewportSettings {
  shading: 'solid' | 'material' | 'rendered';
  view: 'camera' | 'free';
}

export function load_viewport_settings(project_id: string): ViewportSettings {
  const fallback: ViewportSettings = { shading: 'solid', view: 'free' };
  try {
    const raw = JSON.parse(window.localStorage.getItem(viewport_key(project_id)) ?? 'null') as Partial<ViewportSettings> | null;
    const shading = raw?.shading === 'material' || raw?.shading === 'rendered' ? raw.shading : 'solid';
    return { shading, view: raw?.view === 'camera' ? 'camera' : 'free' };
  } catch {
    return fallback;
  }
}

export function save_viewport_settings(project_id: string, settings: ViewportSettings): void {
  try {
    window.localStorage.setItem(viewport_key(project_id), JSON.stringify(settings));
  } catch {
    // Storage may be disabled: the settings last until the page is left.
  }
}
