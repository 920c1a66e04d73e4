// Scheduled backups: the list (cron in words and the next runs from GET /schedules/next, paused or
// active, last run), add and edit (the cron's preview as you type), pause/resume and delete, and the
// scheduler's own switch. All of it is `scheduling` of GET/PUT /settings/backup: the list sent
// replaces the stored one, a schedule without `_id` is new.
import { useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { BackupSettings, get, put, Schedule, SettingsUpdated } from '../api';
import { when, whenUtc } from '../format';
import {
  emptySchedule, fieldErrors, ScheduleForm, scheduleToForm, schedulesToggled, schedulesWith, schedulesWithout, validateSchedule,
} from '../settings';
import { ConfirmDialog, ErrorBox, Field, FixFields, invalid, submitter } from '../components/common';
import { CronField, useNextRuns } from '../components/CronField';
import { ProjectPicker } from './CreateBackup';

export function useSettings() {
  return useQuery({ queryKey: ['settings'], queryFn: () => get<BackupSettings>('/settings/backup') });
}

/// PUT /settings/backup with a subset; the answer's settings become the cached ones.
export function useSaveSettings(onSaved?: (r: SettingsUpdated) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (patch: BackupSettings | Record<string, unknown>) => put<SettingsUpdated>('/settings/backup', patch),
    onSuccess: (r) => {
      client.setQueryData(['settings'], r.settings);
      onSaved?.(r);
    },
  });
}

export function SchedulesPage() {
  const settings = useSettings();
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>((location.state as { notice?: string } | null)?.notice ?? null);
  const [toDelete, setToDelete] = useState<Schedule | null>(null);
  const save = useSaveSettings();
  const schedules = settings.data?.scheduling?.schedules ?? [];
  const schedulerOn = settings.data?.scheduling?.enabled === true;

  function change(patch: Record<string, unknown>, done: string) {
    setNotice(null);
    save.mutate(patch, { onSuccess: () => { setNotice(done); setToDelete(null); } });
  }

  return (
    <>
      <div className="page-head">
        <h1>Schedules</h1>
        <div className="actions"><Link className="button" to="/schedules/new">Add schedule</Link></div>
      </div>
      <ErrorBox error={settings.error} title="Could not load the settings" />
      {notice && <p className="notice" role="status">{notice}</p>}
      <ErrorBox error={save.error} title="The server refused the change" />

      {settings.data && (
        <section className="card" aria-labelledby="h-scheduler">
          <h2 id="h-scheduler">Scheduler</h2>
          <p data-testid="scheduler-state">
            {schedulerOn ? 'On: active schedules start their backups at the times below.' : 'Off: no schedule starts a backup until it is turned on.'}
          </p>
          <button type="button" className="secondary" disabled={save.isPending}
            onClick={() => change({ scheduling: { enabled: !schedulerOn } }, schedulerOn ? 'The scheduler is off.' : 'The scheduler is on.')}>
            {schedulerOn ? 'Turn the scheduler off' : 'Turn the scheduler on'}
          </button>
        </section>
      )}

      {settings.data && schedules.length === 0 && (
        <p className="card empty">No schedules yet. <Link to="/schedules/new">Add one</Link> to back up on a timetable.</p>
      )}
      {schedules.length > 0 && (
        <div className="table-wrap">
          <table className="backups schedules">
            <caption className="sr-only">Schedules</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">When (UTC)</th>
                <th scope="col">Type</th>
                <th scope="col">State</th>
                <th scope="col">Last run</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => (
                <tr key={s._id} data-schedule-id={s._id}>
                  <td data-label="Name"><Link to={`/schedules/${encodeURIComponent(s._id)}`}>{s.name}</Link></td>
                  <td data-label="When"><When cron={s.schedule} /></td>
                  <td data-label="Type">{s.type}</td>
                  <td data-label="State">
                    <span className={`badge badge-${s.enabled ? 'completed' : 'pending'}`}>{s.enabled ? 'Active' : 'Paused'}</span>
                    {s.enabled && !schedulerOn && <span className="muted small"> (scheduler off)</span>}
                  </td>
                  <td data-label="Last run">{s.last_run ? when(s.last_run) : 'never'}</td>
                  <td className="row-actions">
                    <Link className="button small secondary" to={`/schedules/${encodeURIComponent(s._id)}`} aria-label={`Edit ${s.name}`}>Edit</Link>
                    <button type="button" className="small secondary" disabled={save.isPending}
                      onClick={() => change({ scheduling: { schedules: schedulesToggled(schedules, s._id) } }, `“${s.name}” is ${s.enabled ? 'paused' : 'active again'}.`)}
                      aria-label={`${s.enabled ? 'Pause' : 'Resume'} ${s.name}`}>
                      {s.enabled ? 'Pause' : 'Resume'}
                    </button>
                    <button type="button" className="small danger-outline" onClick={() => { save.reset(); setToDelete(s); }} aria-label={`Delete ${s.name}`}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <ConfirmDialog open={toDelete !== null} title={`Delete the schedule “${toDelete?.name ?? ''}”?`} danger busy={save.isPending}
        confirmLabel="Delete schedule" onCancel={() => setToDelete(null)}
        onConfirm={() => toDelete && change({ scheduling: { schedules: schedulesWithout(schedules, toDelete._id) } }, `Deleted the schedule “${toDelete.name}”.`)}>
        <p>No more backups start on its timetable. The backups it made stay.</p>
        {save.error != null && <ErrorBox error={save.error} title="Could not delete it" />}
      </ConfirmDialog>
    </>
  );
}

/// A schedule's cron in words and its next three runs, from the server.
function When({ cron }: { cron: string }) {
  const next = useNextRuns(cron, 3, 0);
  return (
    <div>
      <code>{cron}</code>
      {next.cronError && <p className="field-error small">Not valid: {next.cronError}</p>}
      {next.data && (
        <>
          <div>{next.data.description}</div>
          <div className="muted small" data-testid="next-runs">
            next:{' '}
            {next.data.runs.map((r, i) => <span key={r}>{i > 0 && ' · '}<time dateTime={r}>{whenUtc(r)}</time></span>)}
          </div>
        </>
      )}
    </div>
  );
}

export function ScheduleEditPage() {
  const { id } = useParams();
  const settings = useSettings();
  const isNew = id === undefined;
  const schedules = settings.data?.scheduling?.schedules ?? [];
  const existing = isNew ? null : schedules.find((s) => s._id === id);
  if (settings.error) return <ErrorBox error={settings.error} title="Could not load the settings" />;
  if (!settings.data) return <p>Loading…</p>;
  if (!isNew && !existing) return <p>There is no schedule with this id. <Link to="/schedules">Back to the schedules</Link></p>;
  return <ScheduleEditor key={id ?? 'new'} schedules={schedules} existing={existing ?? null} />;
}

const TYPE_HELP: Record<ScheduleForm['type'], string> = {
  full: 'everything, each time.',
  selective: 'only the projects picked below.',
  incremental: 'only what changed since the newest completed backup of the same scope.',
};

export function ScheduleEditor({ schedules, existing }: { schedules: Schedule[]; existing: Schedule | null }) {
  const navigate = useNavigate();
  const [form, setForm] = useState<ScheduleForm>(() => (existing ? scheduleToForm(existing) : emptySchedule()));
  const [touched, setTouched] = useState(false);
  const set = <K extends keyof ScheduleForm>(k: K, v: ScheduleForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const save = useSaveSettings((r) =>
    navigate('/schedules', { state: { notice: `Saved “${form.name.trim()}”.${r.validation_warnings?.length ? ` ${r.validation_warnings.join(' ')}` : ''}` } }));
  const errors = validateSchedule(form);
  const index = existing ? schedules.findIndex((s) => s._id === existing._id) : schedules.length;
  const server = fieldErrors(save.error, `scheduling.schedules[${index}].`);
  const err = (k: string) => (touched ? errors[k] : undefined) ?? server[k];

  const submit = submitter(errors, setTouched, () => save.mutate({ scheduling: { schedules: schedulesWith(schedules, existing?._id ?? null, form) } }));

  return (
    <>
      <div className="page-head"><h1>{existing ? `Edit “${existing.name}”` : 'Add a schedule'}</h1></div>
      <form className="form" onSubmit={submit} noValidate>
        <Field id="s-name" label="Name" error={err('name')}>
          <input id="s-name" value={form.name} maxLength={120} onChange={(e) => set('name', e.target.value)} {...invalid('s-name', err('name'))} />
        </Field>
        <CronField id="s-cron" label="Cron expression" value={form.schedule} onChange={(v) => set('schedule', v)} error={err('schedule')} />
        <fieldset>
          <legend>Type</legend>
          {(['full', 'selective', 'incremental'] as const).map((t) => (
            <label key={t} className="choice">
              <input type="radio" name="s-type" value={t} checked={form.type === t} onChange={() => set('type', t)} />
              <span><strong>{t[0].toUpperCase() + t.slice(1)}</strong> — {TYPE_HELP[t]}</span>
            </label>
          ))}
          {form.type === 'selective' && <ProjectPicker selected={form.projects} onChange={(v) => set('projects', v)} />}
          {err('projects') && <p className="field-error" id="s-projects-error">{err('projects')}</p>}
          {server.filters && <p className="field-error">{server.filters}</p>}
        </fieldset>
        <div className="row">
          <Field id="s-level" label="Compression level (1–9)" error={err('compression_level')}>
            <input id="s-level" type="number" min={1} max={9} value={form.compression_level}
              onChange={(e) => set('compression_level', Number(e.target.value))} {...invalid('s-level', err('compression_level'))} />
          </Field>
        </div>
        <label className="choice">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          <span><strong>Active</strong> — runs at the times above (untick to keep it paused).</span>
        </label>
        {server.enabled && <p className="field-error">{server.enabled}</p>}
        <FixFields errors={errors} touched={touched} />
        <ErrorBox error={save.error} title="The server refused to save it" />
        <div className="actions left">
          <button type="submit" disabled={save.isPending}>{existing ? 'Save changes' : 'Add schedule'}</button>
          <Link className="button secondary" to="/schedules">Cancel</Link>
        </div>
      </form>
    </>
  );
}
