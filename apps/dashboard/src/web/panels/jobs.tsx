import { formatClock } from '../format';
import { useSignal } from '../signal';
import { jobs, snapshot } from '../store';
import { Panel } from './panel';

export function JobsPanel() {
  const list = useSignal(jobs);
  const counts = useSignal(snapshot)?.counts ?? null;
  return (
    <Panel
      name="jobs"
      title="Jobs"
      aside={
        counts && (
          <span className="muted small">
            {counts.queued} queued · {counts.assigned} assigned · {counts.results} done ·{' '}
            {counts.dead} dead · {counts.requeues} requeues
          </span>
        )
      }
    >
      <div className="scroll-y">
        <table className="compact">
          <thead>
            <tr>
              <th>job</th>
              <th>state</th>
              <th>worker</th>
              <th>path so far</th>
              <th>at</th>
            </tr>
          </thead>
          <tbody>
            {list.map((job) => (
              <tr key={job.key} data-testid="job-row" data-job={job.key} data-state={job.state}>
                <td>
                  <code className="key">{job.key}</code>
                </td>
                <td>
                  <span className={`badge job-${job.state}`}>{job.state}</span>
                  {job.queuedTimes > 1 && (
                    <span className="small muted"> requeued ×{job.queuedTimes - 1}</span>
                  )}
                </td>
                <td>{job.worker ?? '–'}</td>
                <td className="small muted">
                  {job.steps
                    .map((step) => (step.worker ? `${step.state} (${step.worker})` : step.state))
                    .join(' → ')}
                </td>
                <td className="small">{formatClock(job.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 && (
          <p className="muted small">
            Jobs appear here as they move through the queue, /assign, /results and /dead.
          </p>
        )}
      </div>
    </Panel>
  );
}
