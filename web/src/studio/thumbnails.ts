// SPDX-License-Identifier: Apache-2.0
/// Small pictures of a project and of its versions. The hub keeps no thumbnails (no endpoint for
/// one), so they come from what exists: the project's renders (`GET …/renders`, each with the
/// version it was made from) and the viewport frames this browser saw (localStorage).

import type { RenderFile } from '../api/projects';

export type StillKind = 'image' | 'video';

export interface Still {
  url: string;
  kind: StillKind;
  name: string;
}

export function still_kind(name: string): StillKind | undefined {
  const extension = name.toLowerCase().split('.').pop() ?? '';
  if (['png', 'jpg', 'jpeg', 'webp', 'gif'].includes(extension)) return 'image';
  if (['mp4', 'webm', 'mov', 'm4v'].includes(extension)) return 'video';
  return undefined;
}

function time(file: RenderFile): number {
  return file.modified ? Date.parse(file.modified) || 0 : 0;
}

/// The newest render that can be shown as a picture (a video shows its first frame); of two of
/// the same age, the image. `version`: only renders made from that version.
export function newest_still(files: RenderFile[], version?: string): Still | undefined {
  const candidates = files
    .filter((file) => file.kind !== 'export' && still_kind(file.name) && (version === undefined || file.version === version))
    .sort((a, b) => time(b) - time(a) || (still_kind(a.name) === 'image' ? -1 : 1));
  const best = candidates[0];
  return best ? { url: best.url, kind: still_kind(best.name)!, name: best.name } : undefined;
}

/// Pictures of versions this browser saw (the viewport's frame just after a version was made).
const key = (project_id: string) => `atelier.version_thumbnails.${project_id}`;
const pending_key = (project_id: string) => `atelier.version_thumbnail_pending.${project_id}`;
/// Each picture is a small JPEG data URL (~5–10 KB); the newest few dozen are enough for the list.
const KEEP = 40;

export function load_version_thumbnails(project_id: string): Record<string, string> {
  try {
    const raw = JSON.parse(window.localStorage.getItem(key(project_id)) ?? '{}') as unknown;
    return raw && typeof raw === 'object' ? (raw as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/// A version was just made: the next viewport frame saved as the project's thumbnail shows it.
export function expect_version_thumbnail(project_id: string, rev: string): void {
  try {
    window.localStorage.setItem(pending_key(project_id), rev);
  } catch {
    // Storage disabled: versions show no picture.
  }
}

/// Called with every viewport thumbnail: it becomes the picture of the version waiting for one.
export function take_version_thumbnail(project_id: string, data_url: string): void {
  try {
    const rev = window.localStorage.getItem(pending_key(project_id));
    if (!rev) return;
    window.localStorage.removeItem(pending_key(project_id));
    const entries = Object.entries({ ...load_version_thumbnails(project_id), [rev]: data_url }).slice(-KEEP);
    window.localStorage.setItem(key(project_id), JSON.stringify(Object.fromEntries(entries)));
    window.dispatchEvent(new CustomEvent(VERSION_THUMBNAIL_EVENT, { detail: { project_id, rev } }));
  } catch {
    // Quota exceeded: a nicety.
  }
}

/// Sent on `window` when a version got its picture (the versions list shows it).
export const VERSION_THUMBNAIL_EVENT = 'atelier:version-thumbnail';
