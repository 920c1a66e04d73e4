// Restore history (GET /restore/jobs, newest first) and one restore's progress and report, also for
// restores started elsewhere (CLI, another tab).
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { get, Paged } from '../api';
import { count, when } from '../format';
import { ErrorBox, StatusBadge } from '../components/common';
import { RestoreRun } from './RestoreWizard';

interface RestoreJob {
  job_id: string;
  status: string;
  mode: string;
  backup_id: string;
  started_at?: string | null;
  completed_at?: string | null;
  progress?: { documents_restored?: number; percentage?: number };
  results?: { report?: { dry_run?: boolean } } | null;
}

export function RestoresPage() {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? '1') || 1;
  const q = useQuery({
    queryKey: ['restores', page],
    queryFn: () => get<Paged<RestoreJob>>(`/restore/jobs?page=${page}&size=20`),
    placeholderData: keepPreviousData,
    refetchInterval: (qq) => (qq.state.data?.items.some((j) => j.status === 'pending' || j.status === 'running') ? 2000 : 15000),
  });
  const data = q.data;
  return (
    <>
      <div className="page-head"><h1>Restores</h1></div>
      <ErrorBox error={q.error} title="Could not load the restores" />
      <div className="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Started</th><th scope="col">Backup</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col">Documents restored</th><th scope="col"><span className="sr-only">Open</span></th></tr>
          </thead>
          <tbody>
            {data?.items.map((j) => (
              <tr key={j.job_id}>
                <td>{when(j.started_at)}</td>
                <td><Link to={`/backups/${encodeURIComponent(j.backup_id)}`}>{j.backup_id}</Link></td>
                <td>{j.mode}</td>
                <td><StatusBadge status={j.status} /></td>
                <td>{count(j.progress?.documents_restored)}</td>
                <td><Link to={`/restores/${encodeURIComponent(j.job_id)}`} aria-label={`Open restore ${j.job_id}`}>Open</Link></td>
              </tr>
            ))}
            {data && data.items.length === 0 && <tr><td colSpan={6} className="empty">No restore yet.</td></tr>}
          </tbody>
        </table>
      </div>
      {data && data.pagination.total_pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="secondary" disabled={!data.pagination.has_previous} onClick={() => setParams({ page: String(page - 1) })}>Previous</button>
          <span>Page {data.pagination.current_page} of {data.pagination.total_pages}</span>
          <button type="button" className="secondary" disabled={!data.pagination.has_next} onClick={() => setParams({ page: String(page + 1) })}>Next</button>
        </nav>
      )}
    </>
  );
}

export function RestoreJobPage() {
  const { jobId = '' } = useParams();
  return <RestoreRun jobId={jobId} backupName={jobId} />;
}
