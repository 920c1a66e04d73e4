// Live progress of a backup or restore job: the WebSocket (/ws/backups/{id} or /ws/restore/{id}, key as
// the `apikey.<KEY>` subprotocol) for events as they happen, and the job endpoint polled every two
// seconds so that totals, ETA and the final state arrive even when the socket is refused or drops.
import { useEffect, useRef, useState } from 'react';
import { describe, get, jobSocket, JobProgress as Progress, post } from '../api';
import { bytes, count, duration } from '../format';
import { ProgressBar, StatusBadge } from './common';

export type JobKind = 'backups' | 'restore';
export interface JobState {
  status: string; // pending | running | completed | failed | cancelled | cancelling
  progress: Progress;
  error: { code?: string; message?: string } | null;
  job: any; // the last GET /…/jobs/{id} answer
  live: boolean; // the socket is open
}
const FINAL = new Set(['completed', 'failed', 'cancelled']);

export function useJob(kind: JobKind, jobId: string | null): JobState {
  const [state, setState] = useState<JobState>({ status: 'pending', progress: {}, error: null, job: null, live: false });
  const finalRef = useRef(false);

  useEffect(() => {
    if (!jobId) return;
    finalRef.current = false;
    setState({ status: 'pending', progress: {}, error: null, job: null, live: false });
    const path = kind === 'backups' ? `/backups/jobs/${encodeURIComponent(jobId)}` : `/restore/jobs/${encodeURIComponent(jobId)}`;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      try {
        const job = await get<any>(path);
        if (stopped) return;
        const final = FINAL.has(job.status);
        setState((s) => {
          // A final event from the socket wins over an older poll answer.
          if (finalRef.current && !final) return { ...s, job };
          const err = job.error ?? (Array.isArray(job.errors) && job.errors.length ? { code: job.errors[0].error_code, message: job.errors[0].message } : null);
          return { ...s, job, status: job.status, progress: { ...s.progress, ...job.progress }, error: final ? err : s.error };
        });
        if (final) finalRef.current = true;
      } catch {
        /* the next poll retries */
      }
      if (!stopped && !finalRef.current) timer = setTimeout(poll, 2000);
    };
    poll();

    let ws: WebSocket | null = null;
    try {
      ws = jobSocket(kind, jobId);
      ws.onopen = () => setState((s) => ({ ...s, live: true }));
      ws.onclose = () => setState((s) => ({ ...s, live: false }));
      ws.onmessage = (m) => {
        let ev: any;
        try {
          ev = JSON.parse(m.data);
        } catch {
          return;
        }
        const type: string = ev.type ?? '';
        if (type.endsWith('.progress')) {
          setState((s) => (finalRef.current ? s : { ...s, status: 'running', progress: { ...s.progress, ...ev.progress } }));
        } else if (type.endsWith('.completed') || type.endsWith('.failed') || type.endsWith('.cancelled')) {
          const status = type.split('.')[1];
          finalRef.current = true;
          setState((s) => ({
            ...s,
            status,
            error: ev.error ?? null,
            progress: status === 'completed' ? { ...s.progress, percentage: 100 } : s.progress,
          }));
          // Fetch the final record (results, sizes) once.
          get<any>(path).then((job) => !stopped && setState((s) => ({ ...s, job })), () => undefined);
        }
      };
    } catch {
      /* no socket: polling carries on */
    }
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      ws?.close();
    };
  }, [kind, jobId]);

  return state;
}

/// " of N" when the total is known and not exceeded (the server's totals are estimates).
function ofTotal(done?: number, total?: number): string {
  return total && (done ?? 0) <= total ? ` of ${count(total)}` : '';
}

export function JobProgressView({ kind, jobId, state }: { kind: JobKind; jobId: string; state: JobState }) {
  const [cancelError, setCancelError] = useState<unknown>(null);
  const p = state.progress;
  const final = FINAL.has(state.status);
  const pct = state.status === 'completed' ? 100 : p.percentage ?? 0;
  const what = kind === 'backups' ? 'Backup' : 'Restore';

  async function cancel() {
    setCancelError(null);
    try {
      await post(`/${kind === 'backups' ? 'backups' : 'restore'}/jobs/${encodeURIComponent(jobId)}/cancel`);
    } catch (e) {
      setCancelError(e);
    }
  }

  return (
    <section className="card job" aria-labelledby="job-title" data-job-status={state.status}>
      <h2 id="job-title">
        {what} progress <StatusBadge status={state.status} />
      </h2>
      <ProgressBar value={pct} label={`${what} progress`} />
      <p className="job-line" aria-live="polite">
        <strong>{Math.round(pct)}%</strong>
        {!final && (p.current_operation || p.current_collection) && <> · {p.current_operation || p.current_collection}</>}
        {state.status === 'completed' && <> · finished</>}
      </p>
      <dl className="facts">
        {kind === 'backups' ? (
          <>
            <dt>Documents</dt>
            <dd>{count(p.documents_processed)}{ofTotal(p.documents_processed, p.documents_total)}</dd>
            <dt>Written</dt>
            <dd>{bytes(p.bytes_written)}</dd>
          </>
        ) : (
          <>
            <dt>Restored</dt>
            <dd>{count(p.documents_restored)}{ofTotal(p.documents_restored, p.documents_total)}</dd>
            <dt>Skipped</dt>
            <dd>{count(p.documents_skipped)}</dd>
          </>
        )}
        <dt>Elapsed</dt>
        <dd>{duration(p.elapsed_seconds)}</dd>
        <dt>Time left</dt>
        <dd>{final ? '—' : duration(p.estimated_remaining_seconds)}</dd>
      </dl>
      <p className="muted small">{state.live ? 'Live updates connected.' : final ? '' : 'Checking every 2 seconds.'}</p>
      {state.status === 'failed' && (
        <div className="error-box" role="alert">
          <strong>The {what.toLowerCase()} failed.</strong>
          <p>{state.error?.message ?? 'No reason was given.'} {state.error?.code && <code>{state.error.code}</code>}</p>
        </div>
      )}
      {state.status === 'cancelled' && <p role="status">The {what.toLowerCase()} was cancelled.</p>}
      {!final && (
        <button type="button" className="secondary" onClick={cancel} disabled={state.status === 'cancelling'}>
          {state.status === 'cancelling' ? 'Cancelling…' : `Cancel ${what.toLowerCase()}`}
        </button>
      )}
      {cancelError != null && <p className="field-error">{describe(cancelError)}</p>}
    </section>
  );
}
