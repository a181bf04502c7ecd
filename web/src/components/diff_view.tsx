// SPDX-License-Identifier: Apache-2.0
import { useEffect, useMemo, useRef, useState } from 'react';
import { version_diff, type DiffFile, type SceneDiff, type VersionDiff } from '../api/files';
import type { Version } from '../api/projects';
import { short_rev } from '../lib/format';
import { load_version_labels, readable_message } from '../studio/version_labels';
import { ErrorNotice } from './error_notice';

interface Props {
  project_id: string;
  version: Version;
  /// Every version, newest first (the "compare with" choices).
  versions: Version[];
  label?: string | undefined;
  on_close: () => void;
}

export type DiffLineKind = 'add' | 'del' | 'hunk' | 'meta' | 'ctx';

export function diff_line_kind(line: string): DiffLineKind {
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ') || line.startsWith('index ')) return 'meta';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'ctx';
}

/// The patch without git's header lines (the file's head above says the same).
export function patch_lines(patch: string): string[] {
  const lines = patch.replace(/\n$/, '').split('\n');
  const first_hunk = lines.findIndex((line) => line.startsWith('@@'));
  return first_hunk > 0 ? lines.slice(first_hunk) : lines;
}

const STATUS_MARK: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R' };

/// What a version changed, against its parent or any other version: the files with their status,
/// text files as coloured unified diffs, `scene.glb` as objects added, removed, moved and
/// re-materialed (from the hub's reading of the glTF JSON).
export function DiffView({ project_id, version, versions, label, on_close }: Props) {
  const [against, set_against] = useState<string>('');
  const [diff, set_diff] = useState<VersionDiff | null>(null);
  const [error, set_error] = useState<unknown>(null);
  const close = useRef<HTMLButtonElement>(null);
  const labels = useMemo(() => load_version_labels(project_id), [project_id]);

  useEffect(() => {
    let cancelled = false;
    set_diff(null);
    set_error(null);
    version_diff(project_id, version.rev, against || undefined)
      .then((result) => !cancelled && set_diff(result))
      .catch((failure: unknown) => !cancelled && set_error(failure));
    return () => {
      cancelled = true;
    };
  }, [project_id, version.rev, against]);

  useEffect(() => {
    close.current?.focus();
    const on_key = (event: KeyboardEvent) => {
      if (event.key === 'Escape') on_close();
    };
    window.addEventListener('keydown', on_key);
    return () => window.removeEventListener('keydown', on_key);
  }, [on_close]);

  const title = label ?? (readable_message(version.message) || short_rev(version.rev));
  return (
    <div className="media-viewer" role="dialog" aria-modal="true" aria-label={`Changes in ${title}`} onClick={(event) => event.target === event.currentTarget && on_close()}>
      <div className="media-viewer-box diff-box">
        <div className="media-viewer-head">
          <span className="render-file-name">
            Changes in “{title}” <code className="faint">{short_rev(version.rev)}</code>
          </span>
          <span className="spacer" />
          <label className="row diff-against">
            <span className="faint">compared with</span>
            <select aria-label="Compare with" value={against} onChange={(event) => set_against(event.target.value)}>
              <option value="">its parent</option>
              {versions
                .filter((other) => other.rev !== version.rev)
                .map((other) => (
                  <option key={other.rev} value={other.rev}>
                    {short_rev(other.rev)} · {labels[other.rev] ?? (readable_message(other.message) || '(no message)')}
                  </option>
                ))}
            </select>
          </label>
          <button ref={close} className="small" onClick={on_close}>
            Close
          </button>
        </div>
        <div className="diff-body">
          {error !== null && <ErrorNotice error={error} action="Comparing the versions failed" />}
          {diff === null && error === null && <div className="panel-empty">Comparing…</div>}
          {diff && diff.files.length === 0 && <div className="panel-empty">No file differs.</div>}
          {diff && diff.files.length > 0 && (
            <>
              <ul className="diff-files" aria-label="Changed files">
                {diff.files.map((file) => (
                  <li key={`${file.status}:${file.path}`}>
                    <a href={`#diff-${encodeURIComponent(file.path)}`} className={`diff-status ${file.status}`}>
                      <span className="diff-mark" aria-hidden="true">
                        {STATUS_MARK[file.status] ?? '?'}
                      </span>
                      {file.old_path ? `${file.old_path} → ${file.path}` : file.path}
                      <span className="sr-only"> {file.status}</span>
                    </a>
                  </li>
                ))}
              </ul>
              {diff.files.map((file) => (
                <DiffFileView key={`${file.status}:${file.path}`} file={file} />
              ))}
            </>
          )}
        </div>
      </div>
    </div>
  );
}

function DiffFileView({ file }: { file: DiffFile }) {
  return (
    <section className="diff-file" id={`diff-${encodeURIComponent(file.path)}`} aria-label={`${file.path} ${file.status}`}>
      <div className="diff-file-head">
        <span className={`badge diff-badge ${file.status}`}>{file.status}</span>
        <span className="mono">{file.old_path ? `${file.old_path} → ${file.path}` : file.path}</span>
        <span className="spacer" />
        {!file.binary && (file.additions !== undefined || file.deletions !== undefined) && (
          <span className="diff-counts mono">
            <span className="diff-plus">+{file.additions ?? 0}</span> <span className="diff-minus">−{file.deletions ?? 0}</span>
          </span>
        )}
      </div>
      {file.objects && <SceneDiffView scene={file.objects} />}
      {file.diff && (
        <pre className="diff-text">
          {patch_lines(file.diff).map((line, index) => (
            <span key={index} className={`diff-line ${diff_line_kind(line)}`}>
              {line}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
      {file.truncated && <div className="faint diff-note">The rest of this diff is cut here (too long to show); download both versions to compare them in full.</div>}
      {!file.diff && !file.objects && <div className="faint diff-note">{file.binary ? 'A binary file: its bytes differ.' : file.status === 'deleted' ? 'Deleted.' : 'No text difference to show.'}</div>}
    </section>
  );
}

function SceneDiffView({ scene }: { scene: SceneDiff }) {
  const groups: [string, 'added' | 'removed' | 'moved' | 'rematerialed'][] = [
    ['Objects added', 'added'],
    ['Objects removed', 'removed'],
    ['Moved', 'moved'],
    ['New material', 'rematerialed'],
  ];
  if (scene.error) return <div className="faint diff-note">The scene's objects could not be read: {scene.error}</div>;
  const any = groups.some(([, key]) => scene[key].length > 0);
  if (!any) return <div className="faint diff-note">The scene's objects are the same (their data changed).</div>;
  return (
    <dl className="scene-diff">
      {groups
        .filter(([, key]) => scene[key].length > 0)
        .map(([title, key]) => (
          <div key={key} className={`scene-diff-${key}`}>
            <dt>{title}</dt>
            <dd>
              {scene[key].map((change) => (
                <span key={change.name} className="tag" title={change.detail}>
                  {change.name}
                  {change.detail && <span className="faint"> {change.detail}</span>}
                </span>
              ))}
            </dd>
          </div>
        ))}
    </dl>
  );
}
