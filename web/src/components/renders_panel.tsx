// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/http';
import { file_url, hub, render_url, type RenderFile } from '../api/projects';
import { relative_time } from '../lib/format';
import { SendToProjectDialog, SentToast, type Sent } from './send_to_project';
import type { RenderJob } from '../studio/session_state';

interface Props {
  project_id: string;
  jobs: RenderJob[];
  /// Changes whenever a render may have finished; the list of files reloads.
  tick: number;
  /// Cancels the command running a job (`command:cancel`).
  on_cancel?: ((command_id: string) => void) | undefined;
  /// This project's kind: a Blender project's renders can be sent to a video (Remotion) project.
  kind?: string | undefined;
}

type MediaKind = 'image' | 'video' | 'other';

export function media_kind(name: string): MediaKind {
  const extension = name.toLowerCase().split('.').pop() ?? '';
  if (['png', 'jpg', 'jpeg', 'webp', 'gif', 'bmp', 'exr'].includes(extension)) return extension === 'exr' ? 'other' : 'image';
  if (['mp4', 'webm', 'mov', 'm4v', 'ogv'].includes(extension)) return 'video';
  return 'other';
}

/// "1.4 MB"
export function format_size(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/// Where a finished job's output downloads from: the hub's URL, else the renders route for an
/// output under `renders/` (kept in the session's working tree, not in the commits).
export function job_link(project_id: string, job: RenderJob): string | undefined {
  if (job.url) return job.url;
  if (!job.output) return undefined;
  if (job.output.startsWith('renders/')) return render_url(project_id, job.output.slice('renders/'.length));
  // Exports download through the files route (the hub serves `exports/` from the session or its keep).
  if (job.output.startsWith('exports/')) return file_url(project_id, job.output);
  return undefined;
}

/// Render jobs of this session with their progress, then every finished render of the project
/// (`GET /api/projects/{id}/renders`), reloaded when a job finishes.
export function RendersPanel({ project_id, jobs, tick, on_cancel, kind: project_kind }: Props) {
  const [files, set_files] = useState<RenderFile[] | null>(null);
  const [sending, set_sending] = useState<RenderFile | null>(null);
  const [sent, set_sent] = useState<Sent | null>(null);
  const [open, set_open] = useState<RenderFile | null>(null);
  const [unavailable, set_unavailable] = useState(false);

  useEffect(() => {
    let cancelled = false;
    hub
      .list_renders(project_id)
      .then((list) => {
        if (cancelled) return;
        set_files(list);
        set_unavailable(false);
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        // 404 for the route itself (an older hub): no list, the jobs still link their outputs.
        set_unavailable(!(error instanceof ApiError) || error.status !== 401);
        set_files([]);
      });
    return () => {
      cancelled = true;
    };
  }, [project_id, tick]);

  const renders = (files ?? []).filter((file) => file.kind !== 'export');
  const exports = (files ?? []).filter((file) => file.kind === 'export');
  if (jobs.length === 0 && (files?.length ?? 0) === 0) {
    return (
      <div className="panel-empty">
        {files === null ? 'Loading renders…' : 'No renders yet. Ask for one in the chat or run a render tool.'}
      </div>
    );
  }
  return (
    <div>
      {jobs.map((job) => (
        <RenderJobView key={job.job_id} project_id={project_id} job={job} on_cancel={on_cancel} />
      ))}
      {renders.length > 0 && (
        <section aria-label="Render files">
          <div className="section-label">Gallery</div>
          <ul className="render-gallery render-files">
            {renders.map((file) => {
              const kind = media_kind(file.name);
              return (
                <li key={file.name}>
                  <button type="button" className="render-thumb" onClick={() => (kind === 'other' ? window.open(file.url, '_blank') : set_open(file))} aria-label={`Open ${file.name}`} title={`Open ${file.name}`}>
                    {kind === 'image' && <img src={file.url} alt="" loading="lazy" />}
                    {kind === 'video' && <video src={`${file.url}#t=0.1`} preload="metadata" muted playsInline aria-hidden="true" />}
                    {kind === 'other' && <span className="render-thumb-ext">{file.name.split('.').pop()}</span>}
                    {kind === 'video' && <span className="render-thumb-play" aria-hidden="true">▶</span>}
                  </button>
                  <div className="render-file-row">
                    <span className="render-file-name" title={file.name}>
                      {file.name}
                    </span>
                    {project_kind !== 'remotion' && kind !== 'other' && (
                      <button type="button" className="ghost small icon render-send" onClick={() => set_sending(file)} title={`Send ${file.name} to a video project…`} aria-label={`Send ${file.name} to a video project`}>
                        ↗
                      </button>
                    )}
                    <a href={file.url} download={file.name} title={`Download ${file.name}`}>
                      ↓<span className="sr-only"> Download {file.name}</span>
                    </a>
                  </div>
                  <div className="faint render-file-meta">
                    {format_size(file.size)}
                    {file.modified ? ` · ${relative_time(file.modified)}` : ''}
                  </div>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {exports.length > 0 && (
        <section aria-label="Exports">
          <div className="section-label">Exports</div>
          <ul className="export-list">
            {exports.map((file) => (
              <li key={file.name} className="export-row">
                <span className="export-ext" aria-hidden="true">
                  {file.name.split('.').pop()}
                </span>
                <span className="render-file-name" title={file.name}>
                  {file.name}
                </span>
                <span className="faint export-meta">
                  {format_size(file.size)}
                  {file.modified ? ` · ${relative_time(file.modified)}` : ''}
                </span>
                <a className="button small" href={file.url} download={file.name} aria-label={`Download ${file.name}`}>
                  ↓ Download
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {open && <MediaViewer file={open} on_close={() => set_open(null)} on_send={project_kind !== 'remotion' ? () => set_sending(open) : undefined} />}
      {sending && <SendToProjectDialog project_id={project_id} file={sending} on_close={() => set_sending(null)} on_sent={set_sent} />}
      {sent && <SentToast sent={sent} on_close={() => set_sent(null)} />}
      {unavailable && jobs.length > 0 && <div className="panel-empty faint">This hub does not list render files.</div>}
    </div>
  );
}

/// A render shown large: the image, or the video with its controls. Esc or the backdrop closes it.
function MediaViewer({ file, on_close, on_send }: { file: RenderFile; on_close: () => void; on_send?: (() => void) | undefined }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const on_key = (event: KeyboardEvent) => {
      if (event.key === 'Escape') on_close();
    };
    window.addEventListener('keydown', on_key);
    return () => window.removeEventListener('keydown', on_key);
  }, [on_close]);
  const kind = media_kind(file.name);
  return (
    <div className="media-viewer" role="dialog" aria-modal="true" aria-label={file.name} onClick={(event) => event.target === event.currentTarget && on_close()}>
      <div className="media-viewer-box">
        <div className="media-viewer-head">
          <span className="render-file-name">{file.name}</span>
          <span className="faint">{format_size(file.size)}</span>
          <span className="spacer" />
          {on_send && (
            <button className="small" onClick={on_send}>
              Send to video project…
            </button>
          )}
          <a className="button small" href={file.url} download={file.name}>
            Download
          </a>
          <button ref={close} className="small" onClick={on_close}>
            Close
          </button>
        </div>
        {kind === 'image' ? <img src={file.url} alt={file.name} /> : <video src={file.url} controls autoPlay loop aria-label={`${file.name} player`} />}
      </div>
    </div>
  );
}

function RenderJobView({ project_id, job, on_cancel }: { project_id: string; job: RenderJob; on_cancel?: ((command_id: string) => void) | undefined }) {
  const percent = Math.round(job.progress * 100);
  const link = job_link(project_id, job);
  const running = !['done', 'failed', 'cancelled'].includes(job.state);
  return (
    <div className="render-job">
      <div className="row">
        <strong style={{ fontWeight: 500 }}>{job.label}</strong>
        <span className="spacer" />
        <span className={`badge ${job.state === 'done' ? 'ok' : job.state === 'failed' ? 'error' : ''}`}>{job.state}</span>
        {running && job.command_id && on_cancel && (
          <button className="small danger" onClick={() => on_cancel(job.command_id!)} aria-label={`Cancel ${job.label}`}>
            Cancel
          </button>
        )}
      </div>
      <div
        className={`progress ${job.state}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-label={`${job.label} progress`}
      >
        <div style={{ width: `${percent}%` }} />
      </div>
      <div className="row faint" style={{ fontSize: 12 }}>
        <span>
          {percent}%{job.frame !== undefined && job.total_frames ? ` · frame ${job.frame} of ${job.total_frames}` : ''}
        </span>
        <span className="spacer" />
        {job.state === 'done' && link && (
          <a href={link} download>
            ↓ {job.output?.split('/').pop() ?? 'output'}
          </a>
        )}
        {job.state === 'done' && !link && job.output && <span className="mono">{job.output}</span>}
      </div>
      {job.message && (
        <div className={job.state === 'failed' ? 'tool-error render-message' : 'faint render-message'} style={{ fontSize: 12 }}>
          {job.message}
        </div>
      )}
    </div>
  );
}
