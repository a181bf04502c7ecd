import { file_url } from '../api/projects';
import type { RenderJob } from '../studio/session_state';

interface Props {
  project_id: string;
  jobs: RenderJob[];
}

export function RendersPanel({ project_id, jobs }: Props) {
  if (jobs.length === 0) {
    return <div className="panel-empty">No renders in this session. Ask for one in the chat or run a render tool.</div>;
  }
  return (
    <div>
      {jobs.map((job) => {
        const percent = Math.round(job.progress * 100);
        // renders/ is kept out of the project's commits (DESIGN §7), so the files API cannot serve
        // it; until the hub serves a session's renders, name the file instead of a dead link.
        // TODO(#8): link renders/ outputs once the hub has a route for them.
        const served = job.output !== undefined && !job.output.startsWith('renders/');
        const link = job.url ?? (served ? file_url(project_id, job.output!, job.rev) : undefined);
        return (
          <div className="render-job" key={job.job_id}>
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
                  ↓ {job.output ?? 'output'}
                </a>
              )}
              {job.state === 'done' && !link && job.output && (
                <span className="mono" title="in the session's working tree; the hub does not serve renders/ for download yet">
                  {job.output}
                </span>
              )}
            </div>
            {job.message && <div className={job.state === 'failed' ? 'tool-error' : 'faint'} style={{ fontSize: 12 }}>{job.message}</div>}
          </div>
        );
      })}
    </div>
  );
}
