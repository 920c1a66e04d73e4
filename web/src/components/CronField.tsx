// A cron expression input with its live preview: as the person types (debounced), GET /schedules/next
// answers the expression in words and its next runs, or the server's message naming what is wrong.
import { useQuery } from '@tanstack/react-query';
import { ApiError, get, NextRuns, query } from '../api';
import { whenUtc } from '../format';
import { invalid, useDebounced } from './common';

/// The server's verdict on a cron expression, asked once typing pauses for `ms`.
export function useNextRuns(cron: string, count = 5, ms = 400) {
  const settled = useDebounced(cron.trim(), ms);
  const q = useQuery({
    queryKey: ['next-runs', settled, count],
    queryFn: () => get<NextRuns>('/schedules/next' + query({ cron: settled, count })),
    enabled: settled !== '',
    staleTime: 30_000,
  });
  const cronError =
    q.error instanceof ApiError ? (q.error.validationErrors.find((v) => v.field === 'cron')?.message ?? q.error.message) : undefined;
  return { settled, pending: settled !== cron.trim() || q.isFetching, data: q.isError ? undefined : q.data, cronError, error: q.error };
}

export function CronField(props: { id: string; label: string; value: string; onChange: (v: string) => void; error?: string; count?: number }) {
  const { id, value } = props;
  const next = useNextRuns(value, props.count ?? 5);
  const shownError = props.error ?? (next.cronError ? `The server says this is not valid: ${next.cronError}` : undefined);
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input id={id} className="mono" value={value} spellCheck={false} autoComplete="off" placeholder="minute hour day month weekday, e.g. 0 3 * * 1-5"
        onChange={(e) => props.onChange(e.target.value)} {...invalid(id, shownError)}
        aria-describedby={shownError ? `${id}-error ${id}-preview` : `${id}-help ${id}-preview`} />
      <p className="muted small" id={`${id}-help`}>Five fields in UTC: minute, hour, day of month, month, day of week (or @daily, @weekly…).</p>
      {shownError && <p className="field-error" id={`${id}-error`}>{shownError}</p>}
      <div id={`${id}-preview`} className="cron-preview" aria-live="polite" data-testid={`${id}-preview`}>
        {value.trim() && !next.cronError && next.data && (
          <>
            <p><strong>Runs {next.data.description}</strong> (UTC). Next:</p>
            <ol className="runs">
              {next.data.runs.map((r) => <li key={r}><time dateTime={r}>{whenUtc(r)}</time></li>)}
            </ol>
          </>
        )}
        {next.pending && value.trim() && <p className="muted small">Checking…</p>}
        {next.error != null && !next.cronError && <p className="field-error">Could not check it: {next.error instanceof Error ? next.error.message : String(next.error)}</p>}
      </div>
    </div>
  );
}
