// SPDX-License-Identifier: Apache-2.0
/// Small pictures of a project and of its versions: the hub's version pictures (the viewport when
/// a version was made, docs/api.md "Thumbnails"), else the project's renders (`GET …/renders`,
/// each with the version it was made from).

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
