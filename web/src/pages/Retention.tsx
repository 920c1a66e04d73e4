// Retention: the rules form (`retention` of GET/PUT /settings/backup) beside "what would be deleted
// now": GET /backups/retention/plan with the rules on screen as its query (overriding the stored ones
// as you edit, debounced), each backup to delete with why, each one kept with the rules that keep it.
// Applying (POST /backups/retention/apply, admin) asks first and names what goes.
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post, query, RetentionPlan, RetentionSettings } from '../api';
import { bytes, when } from '../format';
import {
  DELETE_REASON, fieldErrors, keptBy, RETENTION_NUMBERS, RetentionForm, RetentionNumber, retentionBody, retentionQuery,
  retentionToForm, validateRetention,
} from '../settings';
import { ConfirmDialog, ErrorBox, Field, invalid, submitter, useDebounced } from '../components/common';
import { CronField } from '../components/CronField';
import { useSaveSettings, useSettings } from './Schedules';

const LABELS: Record<RetentionNumber, string> = {
  max_backups: 'Keep the newest … backups',
  max_age_days: 'Keep backups younger than … days',
  max_total_size_gb: 'Delete the oldest when all exceed … GiB',
  keep_daily: 'Keep the newest of each of the last … days',
  keep_weekly: 'Keep the newest of each of the last … weeks',
  keep_monthly: 'Keep the newest of each of the last … months',
};

export function RetentionPage() {
  const settings = useSettings();
  if (settings.error) return <ErrorBox error={settings.error} title="Could not load the settings" />;
  if (!settings.data) return <p>Loading…</p>;
  return <RetentionEditor stored={settings.data.retention} />;
}

export function RetentionEditor({ stored }: { stored: RetentionSettings | undefined }) {
  const client = useQueryClient();
  const [form, setForm] = useState<RetentionForm>(() => retentionToForm(stored));
  const [notice, setNotice] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const set = <K extends keyof RetentionForm>(k: K, v: RetentionForm[K]) => { setNotice(null); setForm((f) => ({ ...f, [k]: v })); };
  const errors = validateRetention(form);
  const save = useSaveSettings((r) => setNotice(`Saved the retention rules (${r.updated_fields.length ? r.updated_fields.join(', ') : 'nothing changed'}).`));
  const server = fieldErrors(save.error, 'retention.');
  const err = (k: string) => errors[k] ?? server[k];

  // The plan for the rules on screen, asked once editing pauses; while a rule is invalid the last
  // valid plan stays, marked as such.
  const valid = Object.keys(validateRetention({ ...form, auto_cleanup: false })).length === 0;
  const planQuery = useDebounced(valid ? query(retentionQuery(form)) : null, 400);
  const plan = useQuery({
    queryKey: ['retention-plan', planQuery],
    queryFn: () => get<RetentionPlan>('/backups/retention/plan' + planQuery),
    enabled: planQuery !== null,
    placeholderData: keepPreviousData,
  });
  const apply = useMutation({
    mutationFn: () => post<RetentionPlan>('/backups/retention/apply' + query(retentionQuery(form))),
    onSuccess: (r) => {
      setConfirm(false);
      setNotice(`Deleted ${r.delete.length} backup${r.delete.length === 1 ? '' : 's'}, freed ${bytes(r.freed_bytes)}.`);
      client.invalidateQueries({ queryKey: ['retention-plan'] });
      client.invalidateQueries({ queryKey: ['backups'] });
      client.invalidateQueries({ queryKey: ['statistics'] });
    },
  });

  const submit = submitter(errors, () => {}, () => save.mutate({ retention: retentionBody(form) }));

  const p = plan.data;
  const planLoading = plan.isFetching || planQuery !== (valid ? query(retentionQuery(form)) : null);
  return (
    <>
      <div className="page-head"><h1>Retention</h1></div>
      {notice && <p className="notice" role="status">{notice}</p>}
      <div className="split">
        <form className="form card" onSubmit={submit} noValidate aria-labelledby="h-rules">
          <h2 id="h-rules">Rules</h2>
          <p className="muted small">A backup is kept when any rule keeps it; an empty rule is off. The newest completed backup,
            backups being restored and parents of kept backups are never deleted.</p>
          {RETENTION_NUMBERS.map((k) => (
            <Field key={k} id={`r-${k}`} label={LABELS[k]} error={err(k)}>
              <input id={`r-${k}`} inputMode={k === 'max_total_size_gb' ? 'decimal' : 'numeric'} value={form[k]} placeholder="off"
                onChange={(e) => set(k, e.target.value)} {...invalid(`r-${k}`, err(k))} />
            </Field>
          ))}
          <label className="choice">
            <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            <span><strong>Retention on</strong> — the server applies these rules by itself.</span>
          </label>
          {server.enabled && <p className="field-error">{server.enabled}</p>}
          <label className="choice">
            <input type="checkbox" checked={form.auto_cleanup} onChange={(e) => set('auto_cleanup', e.target.checked)} />
            <span><strong>Clean up automatically</strong> on the timetable below.</span>
          </label>
          {server.auto_cleanup && <p className="field-error">{server.auto_cleanup}</p>}
          {(form.auto_cleanup || form.cleanup_schedule) && (
            <CronField id="r-cleanup" label="Clean-up timetable (cron)" value={form.cleanup_schedule} count={3}
              onChange={(v) => set('cleanup_schedule', v)} error={err('cleanup_schedule')} />
          )}
          <ErrorBox error={save.error} title="The server refused to save the rules" />
          <div className="actions left">
            <button type="submit" disabled={save.isPending}>Save rules</button>
            <button type="button" className="secondary" onClick={() => { save.reset(); setForm(retentionToForm(stored)); }}>Reset to saved</button>
          </div>
        </form>

        <section className="card" aria-labelledby="h-plan" data-plan-state={planLoading ? 'loading' : 'ready'}>
          <h2 id="h-plan">What would be deleted now</h2>
          <p className="muted small">With the rules on this page{valid ? '' : ' (fix the marked rules to update this)'}; nothing is deleted until you apply it.</p>
          <ErrorBox error={plan.error} title="Could not compute the plan" />
          {p && (
            <>
              <h3 id="h-delete">Delete ({p.delete.length}{p.delete.length ? `, frees ${bytes(p.freed_bytes)}` : ''})</h3>
              {p.delete.length === 0 ? <p className="muted">Nothing: every backup is kept.</p> : (
                <ul className="plan-list" aria-labelledby="h-delete">
                  {p.delete.map((d) => (
                    <li key={d._id} data-plan="delete" data-backup-id={d._id}>
                      <Link to={`/backups/${encodeURIComponent(d._id)}`}>{d.name}</Link>{' '}
                      <span className="muted small">{when(d.created_at)} · {bytes(d.size_bytes)}{d.reason ? ` · ${DELETE_REASON[d.reason] ?? d.reason}` : ''}</span>
                    </li>
                  ))}
                </ul>
              )}
              <h3 id="h-keep">Keep ({p.keep.length})</h3>
              {p.keep.length === 0 ? <p className="muted">No backup is kept.</p> : (
                <ul className="plan-list" aria-labelledby="h-keep">
                  {p.keep.map((k) => (
                    <li key={k._id} data-plan="keep" data-backup-id={k._id}>
                      <Link to={`/backups/${encodeURIComponent(k._id)}`}>{k.name}</Link>{' '}
                      {k.kept_by.map((r) => <span key={r} className="badge" title={r}>{keptBy(r, form)}</span>)}
                    </li>
                  ))}
                </ul>
              )}
              <div className="actions left">
                <button type="button" className="danger" disabled={!valid || planLoading || p.delete.length === 0 || apply.isPending}
                  onClick={() => { apply.reset(); setConfirm(true); }}>
                  Delete {p.delete.length} now…
                </button>
              </div>
            </>
          )}
        </section>
      </div>

      <ConfirmDialog open={confirm} title={`Delete ${p?.delete.length ?? 0} backup${p?.delete.length === 1 ? '' : 's'} now?`} danger busy={apply.isPending}
        confirmLabel="Delete them" onCancel={() => setConfirm(false)} onConfirm={() => apply.mutate()}>
        <p>These backups and their files are removed ({bytes(p?.freed_bytes)}), by the rules on screen. This cannot be undone.</p>
        <ul>{p?.delete.map((d) => <li key={d._id}>{d.name}</li>)}</ul>
        {apply.error != null && <ErrorBox error={apply.error} title="Could not apply the rules" />}
      </ConfirmDialog>
    </>
  );
}
