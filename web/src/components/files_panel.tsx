// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { all_versions, delete_file, file_size, tree_at, type TreeFile } from '../api/files';
import { file_url, type Version } from '../api/projects';
import { relative_time, short_rev } from '../lib/format';
import { tree_rows } from '../studio/code_files';
import type { Upload, Uploads } from '../studio/use_uploads';
import { load_version_labels, readable_message } from '../studio/version_labels';
import { ConfirmDialog } from './confirm_dialog';
import { ErrorNotice } from './error_notice';
import { format_size } from './renders_panel';

interface Props {
  project_id: string;
  /// Where uploads go unless the user says (`public` for Remotion, `assets` for Blender).
  folder: string;
  uploads: Uploads;
  /// Changes whenever a version may have been made (an upload, a command, a restore).
  tick: number;
  on_deleted: () => void;
}

export type PreviewKind = 'image' | 'audio' | 'video' | 'text' | 'none';

export function preview_kind(path: string): PreviewKind {
  const extension = path.toLowerCase().split('.').pop() ?? '';
  if (['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'bmp'].includes(extension)) return 'image';
  if (['mp3', 'wav', 'ogg', 'oga', 'm4a', 'aac', 'flac', 'opus'].includes(extension)) return 'audio';
  if (['mp4', 'webm', 'mov', 'm4v', 'ogv'].includes(extension)) return 'video';
  if (['txt', 'md', 'json', 'ts', 'tsx', 'js', 'jsx', 'mjs', 'css', 'html', 'py', 'toml', 'yaml', 'yml', 'csv', 'gltf', 'mtl', 'obj', 'srt', 'vtt'].includes(extension)) return 'text';
  return 'none';
}

const SIZE_LOOKUPS = 200;

/// The project's files at any version (the newest by default): sizes, a preview of images, audio,
/// video and text, download; upload (button, or drop files anywhere on the studio) and delete at
/// the newest version. Each upload and delete is a version of its own.
export function FilesPanel({ project_id, folder, uploads, tick, on_deleted }: Props) {
  const [versions, set_versions] = useState<Version[] | null>(null);
  const [rev, set_rev] = useState<string | undefined>(undefined);
  const [sizes, set_sizes] = useState<Record<string, number>>({});
  const [selected, set_selected] = useState<string | undefined>(undefined);
  const [target, set_target] = useState(folder);
  const [error, set_error] = useState<{ error: unknown; action: string } | null>(null);
  const [deleting, set_deleting] = useState<string | undefined>(undefined);
  const [busy, set_busy] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  useEffect(() => set_target(folder), [folder]);

  useEffect(() => {
    let cancelled = false;
    all_versions(project_id)
      .then((list) => {
        if (cancelled) return;
        set_versions(list);
        set_error(null);
      })
      .catch((failure: unknown) => !cancelled && set_error({ error: failure, action: 'Loading the files failed' }));
    return () => {
      cancelled = true;
    };
  }, [project_id, tick]);

  const labels = useMemo(() => load_version_labels(project_id), [project_id, versions]);
  const newest = versions?.[0]?.rev;
  const shown_rev = rev && versions?.some((version) => version.rev === rev) ? rev : newest;
  const at_newest = shown_rev === newest;
  const files = useMemo(() => (versions && shown_rev ? tree_at(versions, shown_rev) : []), [versions, shown_rev]);
  const rows = useMemo(() => tree_rows(files), [files]);
  const by_path = useMemo(() => new Map(files.map((file) => [file.path, file])), [files]);
  const size_key = (file: TreeFile) => `${file.changed_in}:${file.path}`;

  // Sizes, a few at a time (the hub answers HEAD with the length; a version's bytes never change).
  useEffect(() => {
    let cancelled = false;
    const missing = files.filter((file) => sizes[size_key(file)] === undefined).slice(0, SIZE_LOOKUPS);
    if (missing.length === 0) return;
    (async () => {
      const found: Record<string, number> = {};
      for (let i = 0; i < missing.length && !cancelled; i += 4) {
        const batch = missing.slice(i, i + 4);
        const results = await Promise.all(batch.map((file) => file_size(project_id, file).catch(() => undefined)));
        batch.forEach((file, index) => {
          if (results[index] !== undefined) found[size_key(file)] = results[index]!;
        });
      }
      if (!cancelled && Object.keys(found).length > 0) set_sizes((old) => ({ ...old, ...found }));
    })();
    return () => {
      cancelled = true;
    };
    // `sizes` is left out on purpose: a lookup per list, not per answer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [files, project_id]);

  // A file just uploaded is shown at once.
  const last_done = [...uploads.uploads].reverse().find((upload) => upload.state === 'done');
  useEffect(() => {
    if (last_done) {
      set_rev(undefined);
      set_selected(last_done.path);
    }
  }, [last_done?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const selected_file = selected ? by_path.get(selected) : undefined;

  const remove = async () => {
    if (!deleting) return;
    set_busy(true);
    try {
      await delete_file(project_id, deleting);
      if (selected === deleting) set_selected(undefined);
      set_deleting(undefined);
      on_deleted();
    } catch (failure) {
      set_deleting(undefined);
      set_error({ error: failure, action: `Deleting ${deleting} failed` });
    } finally {
      set_busy(false);
    }
  };

  const total = files.reduce((sum, file) => sum + (sizes[size_key(file)] ?? 0), 0);

  return (
    <div className="files-panel">
      <div className="files-bar">
        <select aria-label="Version" value={shown_rev ?? ''} disabled={!versions || versions.length === 0} onChange={(event) => set_rev(event.target.value)}>
          {(versions ?? []).map((version, index) => (
            <option key={version.rev} value={version.rev}>
              {index === 0 ? 'Newest · ' : ''}
              {short_rev(version.rev)} · {labels[version.rev] ?? (readable_message(version.message) || '(no message)')}
            </option>
          ))}
        </select>
      </div>
      <div className="files-bar">
        <label className="files-folder">
          <span className="faint">to</span>
          <input value={target} onChange={(event) => set_target(event.target.value)} aria-label="Upload folder" spellCheck={false} />
        </label>
        <button className="small primary" onClick={() => picker.current?.click()} title="Or drop files anywhere on the studio">
          ↑ Upload…
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          aria-label="Files to upload"
          onChange={(event) => {
            const chosen = [...(event.target.files ?? [])];
            if (chosen.length > 0) uploads.add(chosen, target);
            event.target.value = '';
          }}
        />
      </div>
      {uploads.uploads.length > 0 && (
        <ul className="upload-list" aria-label="Uploads">
          {uploads.uploads.map((upload) => (
            <UploadRow key={upload.id} upload={upload} on_dismiss={() => uploads.dismiss(upload.id)} />
          ))}
        </ul>
      )}
      {error && (
        <div style={{ padding: 12 }}>
          <ErrorNotice error={error.error} action={error.action} on_dismiss={() => set_error(null)} />
        </div>
      )}
      {versions === null && !error && <div className="panel-empty">Loading files…</div>}
      {versions && files.length === 0 && <div className="panel-empty">No files yet. Upload one, or drop files onto the studio.</div>}
      {files.length > 0 && (
        <>
          <div className="files-summary faint">
            {files.length} file{files.length === 1 ? '' : 's'}
            {total > 0 ? ` · ${format_size(total)}` : ''}
            {!at_newest && ' · an earlier version (read only)'}
          </div>
          <ul className="files-tree" aria-label="Project files">
            {rows.map((row) =>
              row.kind === 'folder' ? (
                <li key={`folder:${row.path}`} className="files-folder-row" style={{ paddingLeft: 10 + row.depth * 12 }}>
                  {row.name}/
                </li>
              ) : (
                <li key={row.path}>
                  <button
                    className={`files-file${selected === row.path ? ' open' : ''}`}
                    style={{ paddingLeft: 10 + row.depth * 12 }}
                    aria-pressed={selected === row.path}
                    onClick={() => set_selected(selected === row.path ? undefined : row.path)}
                    title={row.path}
                  >
                    <span className="files-name">{row.name}</span>
                    <span className="files-size faint">{format_size(sizes[size_key(by_path.get(row.path)!)])}</span>
                  </button>
                  {selected === row.path && selected_file && (
                    <FilePreview
                      project_id={project_id}
                      file={selected_file}
                      rev={at_newest ? undefined : shown_rev}
                      size={sizes[size_key(selected_file)]}
                      version={versions?.find((version) => version.rev === selected_file.changed_in)}
                      on_delete={at_newest ? () => set_deleting(selected_file.path) : undefined}
                    />
                  )}
                </li>
              ),
            )}
          </ul>
        </>
      )}
      {deleting && (
        <ConfirmDialog title={`Delete ${deleting.split('/').pop()}?`} confirm_label="Delete" danger busy={busy} on_confirm={remove} on_cancel={() => set_deleting(undefined)}>
          {deleting} leaves the project in a new version. Earlier versions keep it: pick one above to download it again, or restore it from Versions.
        </ConfirmDialog>
      )}
    </div>
  );
}

function UploadRow({ upload, on_dismiss }: { upload: Upload; on_dismiss: () => void }) {
  const percent = upload.size > 0 ? Math.round((upload.sent / upload.size) * 100) : upload.state === 'done' ? 100 : 0;
  return (
    <li className={`upload ${upload.state}`}>
      <div className="row">
        <span className="upload-name" title={upload.path}>
          {upload.path}
        </span>
        <span className="spacer" />
        <span className="faint upload-state">
          {upload.state === 'uploading' ? `${percent}% of ${format_size(upload.size)}` : upload.state === 'waiting' ? 'waiting' : upload.state === 'done' ? `${format_size(upload.size)} · saved` : 'failed'}
        </span>
        {(upload.state === 'done' || upload.state === 'failed') && (
          <button className="ghost small icon" onClick={on_dismiss} aria-label={`Dismiss ${upload.name}`} style={{ width: 24, height: 24 }}>
            ✕
          </button>
        )}
      </div>
      {upload.state !== 'failed' && (
        <div className={`progress ${upload.state === 'done' ? 'done' : 'running'}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-label={`${upload.name} upload`}>
          <div style={{ width: `${percent}%` }} />
        </div>
      )}
      {upload.error && (
        <div className="tool-error upload-error" role="alert">
          {upload.error}
        </div>
      )}
    </li>
  );
}

function FilePreview({ project_id, file, rev, size, version, on_delete }: { project_id: string; file: TreeFile; rev: string | undefined; size: number | undefined; version: Version | undefined; on_delete: (() => void) | undefined }) {
  const url = file_url(project_id, file.path, rev ?? file.changed_in);
  const kind = preview_kind(file.path);
  const [text, set_text] = useState<string | undefined>(undefined);
  const load_text = useCallback(async () => {
    const response = await fetch(url, { credentials: 'same-origin' });
    const body = await response.text();
    set_text(body.length > 20_000 ? `${body.slice(0, 20_000)}\n…` : body);
  }, [url]);
  useEffect(() => {
    set_text(undefined);
    if (kind === 'text' && (size === undefined || size < 2_000_000)) load_text().catch(() => set_text(undefined));
  }, [kind, size, load_text]);
  return (
    <div className="file-preview" aria-label={`Preview of ${file.path}`}>
      {kind === 'image' && <img src={url} alt={file.path} />}
      {kind === 'audio' && <audio src={url} controls preload="metadata" aria-label={`${file.path} player`} />}
      {kind === 'video' && <video src={url} controls preload="metadata" playsInline aria-label={`${file.path} player`} />}
      {kind === 'text' && text !== undefined && <pre className="file-text">{text}</pre>}
      <div className="row file-preview-bar">
        <span className="faint file-preview-meta" title={version ? `last changed by “${version.message}”` : undefined}>
          {format_size(size)}
          {version ? ` · ${relative_time(version.time)} · ${short_rev(version.rev)}` : ''}
        </span>
        <a className="button small" href={url} download={file.path.split('/').pop()}>
          ↓ Download
        </a>
        {on_delete && (
          <button className="small danger" onClick={on_delete}>
            Delete
          </button>
        )}
      </div>
    </div>
  );
}
