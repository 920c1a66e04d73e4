// The restore wizard: the preview as a selection tree, mode and conflict strategy (one line each), a dry
// run showing per collection what would happen, confirmation (twice for a full restore, which deletes),
// live progress, and the report with id mappings.
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useMutation, useQuery } from '@tanstack/react-query';
import { ApiError, BackupDetails, get, post } from '../api';
import { count, duration, bytes } from '../format';
import { ConfirmDialog, ErrorBox } from '../components/common';
import { SelectionTree } from '../components/SelectionTree';
import { JobProgressView, useJob } from '../components/JobProgress';
import { countSelected, selectAll, toSelections, TreeProject } from '../tree';

type Mode = 'full' | 'selective' | 'merge';
type Strategy = 'skip' | 'overwrite' | 'rename' | 'merge';
const MODES: Record<Mode, string> = {
  full: 'Makes the store match the backup: what the store holds and the backup lacks is deleted.',
  selective: 'Restores only the projects and sessions you tick below; nothing else is touched.',
  merge: 'Restores everything in the backup beside what exists; nothing is deleted.',
};
const STRATEGIES: Record<Strategy, string> = {
  skip: 'Keep what exists as it is; only its missing messages are added.',
  overwrite: 'Replace what exists with the backup’s copy.',
  rename: 'Leave what exists untouched and restore the backup’s copy beside it under a new id.',
  merge: 'Combine both; where both have the same item, the newer one wins.',
};

export function toTree(preview: any): TreeProject[] {
  return (preview?.contents?.projects ?? []).map((p: any) => ({
    id: p._id,
    label: p.name || p._id,
    exists: !!p.exists_in_system,
    sessions: (p.sessions ?? []).map((s: any) => ({
      id: s._id,
      label: s.summary || s._id,
      messages: s.message_count ?? 0,
      exists: !!s.exists_in_system,
    })),
  }));
}

export function RestoreWizardPage() {
  const { id = '' } = useParams();
  const backup = useQuery({ queryKey: ['backup', id], queryFn: () => get<BackupDetails>(`/backups/${encodeURIComponent(id)}`) });
  const preview = useQuery({
    queryKey: ['preview', id],
    queryFn: () => get<any>(`/restore/preview/${encodeURIComponent(id)}?detailed=true&check_conflicts=true`),
  });
  const tree = useMemo(() => toTree(preview.data), [preview.data]);
  const [selection, setSelection] = useState<Set<string> | null>(null);
  const sel = selection ?? selectAll(tree);
  const [mode, setMode] = useState<Mode>('selective');
  const [strategy, setStrategy] = useState<Strategy>('skip');
  const [dryJob, setDryJob] = useState<string | null>(null);
  const [realJob, setRealJob] = useState<string | null>(null);
  const [confirmStep, setConfirmStep] = useState(0);

  const picked = countSelected(tree, sel);
  const selections = toSelections(tree, sel);
  const nothingPicked = mode === 'selective' && selections.projects.length === 0 && selections.sessions.length === 0;

  const body = (dry: boolean) => ({
    backup_id: id,
    mode,
    options: { dry_run: dry, on_conflict: strategy, overwrite_existing: strategy === 'overwrite', skip_duplicates: true },
    ...(mode === 'selective' ? { selections } : {}),
  });
  const start = useMutation({
    mutationFn: (dry: boolean) => post<{ job_id: string }>('/restore', body(dry)),
    onSuccess: (r, dry) => (dry ? setDryJob(r.job_id) : setRealJob(r.job_id)),
  });

  if (realJob) return <RestoreRun jobId={realJob} backupName={backup.data?.name ?? id} />;

  const a = preview.data?.restore_analysis;
  return (
    <>
      <div className="page-head"><h1>Restore “{backup.data?.name ?? id}”</h1></div>
      <ErrorBox error={backup.error ?? preview.error} title="Could not read the backup" />
      {preview.data && (
        <p className="muted">
          {count(tree.length)} projects · {count(preview.data.contents?.sessions_summary?.total)} sessions ·{' '}
          {count(preview.data.contents?.messages_summary?.total)} messages · about {duration(a?.estimated_time_seconds)} ·
          needs {bytes(a?.required_space_bytes)}{a?.has_conflicts ? ` · ${count(a.conflicts_count)} conflicts with what exists` : ''}
        </p>
      )}
      {(a?.recommendations ?? []).map((r: string, i: number) => <p key={i} className="notice">{r}</p>)}

      <fieldset className="form">
        <legend>1. Mode</legend>
        {(Object.keys(MODES) as Mode[]).map((m) => (
          <label key={m} className="choice">
            <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => { setMode(m); setDryJob(null); }} />
            <span><strong>{m[0].toUpperCase() + m.slice(1)}</strong> — {MODES[m]}</span>
          </label>
        ))}
      </fieldset>

      {mode === 'selective' && (
        <section className="card" aria-labelledby="h-pick">
          <h2 id="h-pick">2. What to restore</h2>
          <p className="muted small" aria-live="polite">{count(picked.sessions)} sessions, {count(picked.messages)} messages picked.</p>
          <div className="actions left">
            <button type="button" className="small secondary" onClick={() => { setSelection(selectAll(tree)); setDryJob(null); }}>Select all</button>
            <button type="button" className="small secondary" onClick={() => { setSelection(new Set()); setDryJob(null); }}>Select none</button>
          </div>
          {preview.isLoading ? <p>Loading the backup’s contents…</p> : <SelectionTree projects={tree} selection={sel} onChange={(s) => { setSelection(s); setDryJob(null); }} />}
          {nothingPicked && <p className="field-error" role="alert">Pick at least one project or session.</p>}
        </section>
      )}

      <fieldset className="form">
        <legend>{mode === 'selective' ? '3' : '2'}. When something already exists</legend>
        {(Object.keys(STRATEGIES) as Strategy[]).map((s) => (
          <label key={s} className="choice">
            <input type="radio" name="strategy" value={s} checked={strategy === s} onChange={() => { setStrategy(s); setDryJob(null); }} />
            <span><strong>{s[0].toUpperCase() + s.slice(1)}</strong> — {STRATEGIES[s]}</span>
          </label>
        ))}
      </fieldset>

      <ErrorBox error={start.error} title="The server refused the restore" />
      <div className="actions">
        <Link to={`/backups/${encodeURIComponent(id)}`} className="button secondary">Cancel</Link>
        <button type="button" className="secondary" disabled={nothingPicked || start.isPending} onClick={() => start.mutate(true)}>Dry run</button>
        <button type="button" disabled={nothingPicked || start.isPending} onClick={() => setConfirmStep(1)}>Restore…</button>
      </div>

      {dryJob && <DryRun jobId={dryJob} />}

      <ConfirmDialog open={confirmStep === 1} title="Start the restore?" confirmLabel={mode === 'full' ? 'Continue' : 'Restore'} danger={mode === 'full'}
        onCancel={() => setConfirmStep(0)}
        onConfirm={() => { if (mode === 'full') setConfirmStep(2); else { setConfirmStep(0); start.mutate(false); } }}>
        <p>{MODES[mode]}</p>
        <p>Conflicts: {STRATEGIES[strategy]}</p>
        {mode === 'selective' && <p>{count(picked.sessions)} sessions ({count(picked.messages)} messages).</p>}
      </ConfirmDialog>
      <ConfirmDialog open={confirmStep === 2} title="Really replace everything?" confirmLabel="Yes, delete what the backup lacks" danger
        onCancel={() => setConfirmStep(0)} onConfirm={() => { setConfirmStep(0); start.mutate(false); }}>
        <p><strong>A full restore deletes</strong> every project and session that is not in this backup. Run a dry run first to see how many.</p>
      </ConfirmDialog>
    </>
  );
}

function CollectionsTable({ report }: { report: any }) {
  const cols = Object.entries<any>(report?.collections ?? {});
  if (!cols.length) return <p className="muted">No collection would change.</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead><tr><th scope="col">Collection</th><th scope="col">Added</th><th scope="col">Overwritten</th><th scope="col">Skipped</th><th scope="col">Failed</th><th scope="col">Deleted</th></tr></thead>
        <tbody>
          {cols.map(([name, t]) => (
            <tr key={name} data-collection={name}>
              <th scope="row">{name}</th><td>{count(t.restored)}</td><td>{count(t.updated)}</td><td>{count(t.skipped)}</td><td>{count(t.failed)}</td><td>{count(t.deleted)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Conflicts({ report }: { report: any }) {
  const list: any[] = report?.conflicts ?? [];
  if (!list.length) return <p>No conflicts.</p>;
  return (
    <>
      <p>{count(report.conflicts_count ?? list.length)} conflicts:</p>
      <ul className="conflicts" tabIndex={0} aria-label="Conflicts">
        {list.slice(0, 50).map((c, i) => (
          <li key={i}>{c.type} “{c.backup_name || c.backup_id}” vs existing “{c.existing_name || c.existing_id}” → <strong>{c.resolution}</strong>{c.count > 1 ? ` (×${c.count})` : ''}</li>
        ))}
      </ul>
    </>
  );
}

function DryRun({ jobId }: { jobId: string }) {
  const state = useJob('restore', jobId);
  const report = state.job?.results?.report;
  return (
    <section className="card" aria-labelledby="h-dry" data-dry-run={state.status}>
      <h2 id="h-dry">Dry run {state.status === 'completed' ? '— nothing was changed' : ''}</h2>
      {state.status === 'failed' && <div className="error-box" role="alert"><p>{state.error?.message ?? 'The dry run failed.'}</p></div>}
      {state.status !== 'completed' && state.status !== 'failed' && <p role="status">Running… {Math.round(state.progress.percentage ?? 0)}%</p>}
      {state.status === 'completed' && !report && <p role="status">Reading the result…</p>}
      {report && (
        <>
          <CollectionsTable report={report} />
          <Conflicts report={report} />
          {(report.deleted_sessions?.length ?? 0) > 0 && <p className="field-error">{count(report.deleted_sessions.length)} sessions would be deleted.</p>}
        </>
      )}
    </section>
  );
}

export function RestoreRun({ jobId, backupName }: { jobId: string; backupName: string }) {
  const state = useJob('restore', jobId);
  const backupId: string | undefined = state.job?.backup_id;
  const backup = useQuery({
    queryKey: ['backup', backupId],
    queryFn: () => get<BackupDetails>(`/backups/${encodeURIComponent(backupId!)}`),
    enabled: !!backupId,
  });
  const results = state.job?.results;
  const mappings = Object.entries<string>(results?.id_mappings ?? {});
  return (
    <>
      <div className="page-head"><h1>Restore of “{backup.data?.name ?? backupName}”</h1></div>
      <JobProgressView kind="restore" jobId={jobId} state={state} />
      {state.status === 'completed' && results && (
        <section className="card" aria-labelledby="h-report" data-testid="restore-report">
          <h2 id="h-report">Report</h2>
          <dl className="facts">
            <dt>Projects</dt><dd>{count(results.projects_restored)}</dd>
            <dt>Sessions</dt><dd>{count(results.sessions_restored)}</dd>
            <dt>Messages</dt><dd>{count(results.messages_restored)}</dd>
            <dt>Prompts</dt><dd>{count(results.prompts_restored)}</dd>
            <dt>Skipped duplicates</dt><dd>{count(results.skipped_duplicates)}</dd>
            <dt>Failed</dt><dd>{count(results.failed_documents)}</dd>
          </dl>
          <CollectionsTable report={results.report} />
          <h3>Id mappings</h3>
          {mappings.length ? (
            <div className="table-wrap">
              <table>
                <thead><tr><th scope="col">Id in the backup</th><th scope="col">New id</th></tr></thead>
                <tbody>{mappings.slice(0, 200).map(([o, n]) => <tr key={o}><td className="mono">{o}</td><td className="mono">{n}</td></tr>)}</tbody>
              </table>
            </div>
          ) : <p className="muted">Every id was kept.</p>}
        </section>
      )}
      {(state.job?.errors ?? []).length > 0 && state.status === 'failed' && (
        <ErrorBox error={new ApiError(0, state.job.errors[0].error_code, state.job.errors[0].message, null)} title="The restore failed" />
      )}
      <p><Link to="/">Back to the backups</Link></p>
    </>
  );
}
