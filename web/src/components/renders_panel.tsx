import { useEffect, useState } from 'react';
import { ApiError } from '../api/http';
import { hub, render_url, type RenderFile } from '../api/projects';
import { relative_time } from '../lib/format';
import type { RenderJob } from '../studio/session_state';

interface Props {
  project_id: string;
  jobs: RenderJob[];
  /// Changes whenever a render may have finished; the list of files reloads.
  tick: number;
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
  return undefined;
}

/// Render jobs of this session with their progress, then every finished render of the project
/// (`GET /api/projects/{id}/renders`), reloaded when a job finishes.
export function RendersPanel({ project_id, jobs, tick }: Props) {
  const [files, set_files] = useState<RenderFile[] | null>(null);
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
        <RenderJobView key={job.job_id} project_id={project_id} job={job} />
      ))}
      {files && files.length > 0 && (
        <section aria-label="Render files">
          <div className="section-label">Files</div>
          <ul className="render-files">
            {files.map((file) => (
              <li key={file.name}>
                <a href={file.url} download={file.name} className="render-file-name" title={`Download ${file.name}`}>
                  ↓ {file.name}
                </a>
                <span className="faint">{format_size(file.size)}</span>
                <span className="faint" title={file.modified}>
                  {file.modified ? relative_time(file.modified) : ''}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {unavailable && jobs.length > 0 && <div className="panel-empty faint">This hub does not list render files.</div>}
    </div>
  );
}

function RenderJobView({ project_id, job }: { project_id: string; job: RenderJob }) {
  const percent = Math.round(job.progress * 100);
  const link = job_link(project_id, job);
  return (
    <div className="render-job">
      <div className="row">
        <strong style={{ fontWeight: 500 }}>{job.label}</strong>
        <span className="spacer" />
        <span className={`badge ${job.state === 'done' ? 'ok' : job.state === 'failed' ? 'error' : ''}`}>{job.state}</span>
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
        <div className={job.state === 'failed' ? 'tool-error' : 'faint'} style={{ fontSize: 12 }}>
          {job.message}
        </div>
      )}
    </div>
  );
}
