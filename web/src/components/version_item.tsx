// SPDX-License-Identifier: Apache-2.0
import { useState } from 'react';
import { file_url, type Version } from '../api/projects';
import { relative_time, short_rev } from '../lib/format';
import type { Still } from '../studio/thumbnails';
import { readable_message } from '../studio/version_labels';

interface Props {
  project_id: string;
  kind?: string | undefined;
  version: Version;
  current: boolean;
  on_restore: () => void;
  /// What this tab recorded that the version did (version_labels.ts).
  label?: string | undefined;
  /// The hub's picture of the viewport at this version (it may have none: then `still`).
  picture?: string | undefined;
  /// A render made from this version (thumbnails.ts), when one exists.
  still?: Still | undefined;
  on_diff: () => void;
}

/// The project's main files by kind, offered for download at every version.
const MAIN_FILES: Record<string, string[]> = {
  blender: ['scene.blend', 'scene.glb'],
};

export function VersionItem({ project_id, kind, version, current, on_restore, label, picture, still, on_diff }: Props) {
  const main = MAIN_FILES[kind ?? ''] ?? [];
  // The hub's picture until it fails to load (the version has none), then the render, if any.
  const [picture_failed, set_picture_failed] = useState(false);
  const shown: Still | undefined = picture && !picture_failed ? { url: picture, kind: 'image', name: version.rev } : still;
  const changed = version.files.filter((file) => !main.includes(file.path));
  return (
    <li className={`version${current ? ' current' : ''}${shown ? ' with-still' : ''}`}>
      <div className="version-head">
        {shown && (
          <div className="version-still" aria-hidden="true">
            {shown.kind === 'image' ? (
              <img src={shown.url} alt="" loading="lazy" onError={shown.url === picture ? () => set_picture_failed(true) : undefined} />
            ) : (
              <video src={`${shown.url}#t=0.1`} preload="metadata" muted playsInline />
            )}
          </div>
        )}
        <div className="version-text">
          <div className="version-msg" title={version.message}>
            {label ?? (version.message ? readable_message(version.message) : <span className="faint">(no message)</span>)}
          </div>
          <div className="version-sub">
            <code title={version.rev}>{short_rev(version.rev)}</code>
            {version.author && <span>{version.author}</span>}
            <span title={version.time}>{relative_time(version.time)}</span>
          </div>
        </div>
      </div>
      {(main.length > 0 || changed.length > 0) && (
        <div className="version-files">
          {main.map((path) => (
            <a key={path} href={file_url(project_id, path, version.rev)} download>
              ↓ {path}
            </a>
          ))}
          {changed.slice(0, 8).map((file) => (
            <a key={file.path} href={file_url(project_id, file.path, version.rev)} download title={file.status ? `${file.status}: ${file.path}` : file.path}>
              {file.status === 'deleted' || file.status === 'D' ? '− ' : '↓ '}
              {file.path}
            </a>
          ))}
          {changed.length > 8 && <span className="faint">+{changed.length - 8} more</span>}
        </div>
      )}
      <div className="version-actions">
        <button className="small" onClick={on_diff} aria-label={`Changes in ${label ?? (readable_message(version.message) || short_rev(version.rev))}`}>
          Changes
        </button>
        {!current && (
          <button className="small" onClick={on_restore}>
            Restore
          </button>
        )}
      </div>
    </li>
  );
}
