// The create-backup form: type, name (a generated default), description, filters with project and
// session pickers fed by the API, options, an estimate of what will be backed up, then the job's live
// progress until it completes or fails.
import { FormEvent, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { ApiError, Backup, BackupList, get, Paged, post, Project, query, Session } from '../api';
import { bytes, count, duration } from '../format';
import { BackupForm, emptyForm, toRequest, validateBackup } from '../validate';
import { ErrorBox, Field, invalid } from '../components/common';
import { JobProgressView, useJob } from '../components/JobProgress';

interface Started {
  job_id: string;
  backup_id: string;
  estimated_size_bytes?: number;
  estimated_duration_seconds?: number;
  message?: string;
}

const TYPE_HELP: Record<BackupForm['type'], string> = {
  full: 'Everything you can see: all projects, sessions, messages, prompts and settings.',
  selective: 'Only what the filters below pick.',
  incremental: 'Only what changed since a parent backup (the newest completed one unless you pick another).',
};

export function CreateBackupPage() {
  const [form, setForm] = useState<BackupForm>(() => emptyForm());
  const [touched, setTouched] = useState(false);
  const [started, setStarted] = useState<Started | null>(null);
  const set = <K extends keyof BackupForm>(k: K, v: BackupForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const errors = validateBackup(form);
  const shown = touched ? errors : {};

  const create = useMutation({
    mutationFn: (f: BackupForm) => post<Started>('/backups', toRequest(f)),
    onSuccess: (r) => setStarted(r),
  });
  // Server-side field errors, keyed like ours ("filters.min_message_count" → "min_message_count").
  const serverErrors: Record<string, string> = {};
  if (create.error instanceof ApiError)
    for (const v of create.error.validationErrors) serverErrors[v.field.replace(/^(filters|options)\.(date_range\.)?/, '')] = v.message;
  const err = (k: string) => shown[k] ?? serverErrors[k];

  function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length) {
      const first = document.querySelector<HTMLElement>('[aria-invalid="true"]');
      first?.focus();
      return;
    }
    create.mutate(form);
  }

  if (started) return <Running started={started} name={form.name} onAgain={() => { setStarted(null); create.reset(); setForm(emptyForm()); setTouched(false); }} />;

  return (
    <>
      <div className="page-head"><h1>Create a backup</h1></div>
      <form className="form" onSubmit={submit} noValidate aria-describedby="form-errors">
        <fieldset>
          <legend>Type</legend>
          {(['full', 'selective', 'incremental'] as const).map((t) => (
            <label key={t} className="choice">
              <input type="radio" name="type" value={t} checked={form.type === t} onChange={() => set('type', t)} />
              <span><strong>{t[0].toUpperCase() + t.slice(1)}</strong> — {TYPE_HELP[t]}</span>
            </label>
          ))}
        </fieldset>

        <Field id="name" label="Name" error={err('name')}>
          <input id="name" value={form.name} maxLength={120} onChange={(e) => set('name', e.target.value)} {...invalid('name', err('name'))} />
        </Field>
        <Field id="description" label="Description (optional)" error={err('description')}>
          <textarea id="description" rows={2} value={form.description} onChange={(e) => set('description', e.target.value)} {...invalid('description', err('description'))} />
        </Field>

        <fieldset>
          <legend>Filters {form.type !== 'selective' && <span className="muted small">(optional)</span>}</legend>
          {err('filters') && <p className="field-error" role="alert" id="filters-error">{err('filters')}</p>}
          <ProjectPicker selected={form.projects} onChange={(v) => set('projects', v)} />
          <SessionPicker projects={form.projects} selected={form.sessions} onChange={(v) => set('sessions', v)} />
          <div className="row">
            <Field id="start" label="Messages from" error={err('start')}>
              <input id="start" type="date" value={form.start} onChange={(e) => set('start', e.target.value)} {...invalid('start', err('start'))} />
            </Field>
            <Field id="end" label="until" error={err('end')}>
              <input id="end" type="date" value={form.end} onChange={(e) => set('end', e.target.value)} {...invalid('end', err('end'))} />
            </Field>
          </div>
          <div className="row">
            <Field id="include_patterns" label="Include patterns (one per line)" error={err('include_patterns')}>
              <textarea id="include_patterns" rows={2} value={form.include_patterns} onChange={(e) => set('include_patterns', e.target.value)} />
            </Field>
            <Field id="exclude_patterns" label="Exclude patterns" error={err('exclude_patterns')}>
              <textarea id="exclude_patterns" rows={2} value={form.exclude_patterns} onChange={(e) => set('exclude_patterns', e.target.value)} />
            </Field>
          </div>
          <div className="row">
            <Field id="min_message_count" label="Sessions with at least … messages" error={err('min_message_count')}>
              <input id="min_message_count" inputMode="numeric" value={form.min_message_count}
                onChange={(e) => set('min_message_count', e.target.value)} {...invalid('min_message_count', err('min_message_count'))} />
            </Field>
            <Field id="max_message_count" label="at most … messages" error={err('max_message_count')}>
              <input id="max_message_count" inputMode="numeric" value={form.max_message_count}
                onChange={(e) => set('max_message_count', e.target.value)} {...invalid('max_message_count', err('max_message_count'))} />
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Options</legend>
          <Field id="compression_level" label={`Compression level: ${form.compression_level} (1 fastest, 9 smallest)`} error={err('compression_level')}>
            <input id="compression_level" type="range" min={1} max={9} value={form.compression_level}
              onChange={(e) => set('compression_level', Number(e.target.value))} />
          </Field>
          <label className="choice">
            <input type="checkbox" checked={form.include_analytics} onChange={(e) => set('include_analytics', e.target.checked)} />
            <span>Include analytics</span>
          </label>
          <label className="choice">
            <input type="checkbox" checked={form.encrypt} onChange={(e) => set('encrypt', e.target.checked)} />
            <span>Encrypt (AES-256-GCM; the server must have an encryption key configured)</span>
          </label>
          {form.type === 'incremental' && <ParentPicker value={form.parent_backup_id} onChange={(v) => set('parent_backup_id', v)} />}
        </fieldset>

        <Estimate form={form} />

        <div id="form-errors">
          {touched && Object.keys(errors).length > 0 && (
            <p className="field-error" role="alert">Please fix {Object.keys(errors).length === 1 ? 'the field' : `the ${Object.keys(errors).length} fields`} marked above.</p>
          )}
          <ErrorBox error={create.error} title="The server refused the backup" />
        </div>
        <div className="actions">
          <Link to="/" className="button secondary">Cancel</Link>
          <button type="submit" disabled={create.isPending}>{create.isPending ? 'Starting…' : 'Start backup'}</button>
        </div>
      </form>
    </>
  );
}

export function ProjectPicker({ selected, onChange }: { selected: string[]; onChange: (v: string[]) => void }) {
  const [text, setText] = useState('');
  const projects = useQuery({ queryKey: ['projects', 'all'], queryFn: () => get<Paged<Project>>('/projects?size=100') });
  const items = (projects.data?.items ?? []).filter((p) => !text || `${p.name} ${p.path ?? ''}`.toLowerCase().includes(text.toLowerCase()));
  return (
    <div className="picker">
      <label htmlFor="project-search">Projects {selected.length > 0 && <span className="muted">({selected.length} picked)</span>}</label>
      <input id="project-search" type="search" placeholder="Search projects" value={text} onChange={(e) => setText(e.target.value)} />
      <ErrorBox error={projects.error} title="Could not load the projects" />
      <ul className="pick-list" aria-label="Projects">
        {items.map((p) => (
          <li key={p._id}>
            <label className="choice">
              <input type="checkbox" checked={selected.includes(p._id)}
                onChange={(e) => onChange(e.target.checked ? [...selected, p._id] : selected.filter((x) => x !== p._id))} />
              <span>{p.name} <span className="muted small">{count(p.sessions_count ?? p.session_count)} sessions · {count(p.message_count ?? (p as any).messages_count)} messages</span></span>
            </label>
          </li>
        ))}
        {projects.data && items.length === 0 && <li className="muted">No project matches.</li>}
      </ul>
    </div>
  );
}

/// Single sessions of the projects picked above (the API lists sessions per project).
function SessionPicker({ projects, selected, onChange }: { projects: string[]; selected: string[]; onChange: (v: string[]) => void }) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const results = useQueries({
    queries: projects.map((id) => ({
      queryKey: ['sessions', id],
      queryFn: () => get<Paged<Session>>(`/projects/${encodeURIComponent(id)}/sessions?size=100`),
      enabled: open,
    })),
  });
  const all = results.flatMap((r) => r.data?.items ?? []);
  const error = results.find((r) => r.error)?.error;
  const items = all.filter((s) => !text || `${s.summary ?? ''} ${s._id} ${s.session_id ?? ''}`.toLowerCase().includes(text.toLowerCase()));
  return (
    <div className="picker">
      <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'} Pick single sessions {selected.length > 0 && `(${selected.length} picked)`}
      </button>
      {open && projects.length === 0 && <p className="muted small">Pick one or more projects first; their sessions are listed here.</p>}
      {open && projects.length > 0 && (
        <>
          <label htmlFor="session-search" className="sr-only">Search sessions</label>
          <input id="session-search" type="search" placeholder="Search sessions" value={text} onChange={(e) => setText(e.target.value)} />
          <ErrorBox error={error} title="Could not load the sessions" />
          <ul className="pick-list" aria-label="Sessions">
            {items.map((s) => (
              <li key={s._id}>
                <label className="choice">
                  <input type="checkbox" checked={selected.includes(s._id)}
                    onChange={(e) => onChange(e.target.checked ? [...selected, s._id] : selected.filter((x) => x !== s._id))} />
                  <span>{s.summary || s.session_id || s._id} <span className="muted small">{count(s.message_count)} messages</span></span>
                </label>
              </li>
            ))}
            {results.every((r) => r.data) && items.length === 0 && <li className="muted">No session matches.</li>}
          </ul>
        </>
      )}
    </div>
  );
}

function ParentPicker({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const list = useQuery({ queryKey: ['backups', 'completed'], queryFn: () => get<BackupList>('/backups?status=completed&size=100') });
  return (
    <div className="field">
      <label htmlFor="parent">Parent backup</label>
      <select id="parent" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">The newest completed backup of the same scope</option>
        {list.data?.items.map((b: Backup) => <option key={b._id} value={b._id}>{b.name}</option>)}
      </select>
    </div>
  );
}

/// Before starting: how much the filters pick, from the projects' counts (the server's own estimate
/// of size and time arrives with the answer to POST /backups).
function Estimate({ form }: { form: BackupForm }) {
  const projects = useQuery({ queryKey: ['projects', 'all'], queryFn: () => get<Paged<Project>>('/projects?size=100') });
  const backups = useQuery({ queryKey: ['backups', 'ratio'], queryFn: () => get<BackupList>('/backups' + query({ status: 'completed', size: 20 })) });
  const est = useMemo(() => {
    const all = projects.data?.items ?? [];
    const picked = form.projects.length ? all.filter((p) => form.projects.includes(p._id)) : all;
    const messages = picked.reduce((n, p) => n + (p.message_count ?? (p as any).messages_count ?? 0), 0);
    const sessions = picked.reduce((n, p) => n + (p.sessions_count ?? p.session_count ?? 0), 0);
    // bytes per message from past full backups, when there are some
    const done = (backups.data?.items ?? []).filter((b) => b.contents?.messages_count);
    const perMessage = done.length ? done.reduce((n, b) => n + b.compressed_size_bytes / (b.contents!.messages_count || 1), 0) / done.length : null;
    return { messages, sessions, size: perMessage ? perMessage * messages : null };
  }, [projects.data, backups.data, form.projects]);
  const narrowed = form.sessions.length || form.start || form.end || form.include_patterns || form.exclude_patterns || form.min_message_count || form.max_message_count;
  return (
    <section className="card estimate" aria-label="Estimate">
      <strong>Estimate</strong>{' '}
      {projects.data ? (
        <span>
          {narrowed ? 'at most ' : ''}{count(est.sessions)} sessions, {count(est.messages)} messages
          {est.size !== null && <> · about {bytes(est.size)} compressed (from earlier backups)</>}
          {form.type === 'incremental' && <> · only what changed since the parent</>}
        </span>
      ) : (
        <span className="muted">loading…</span>
      )}
    </section>
  );
}

function Running({ started, name, onAgain }: { started: Started; name: string; onAgain: () => void }) {
  const state = useJob('backups', started.job_id);
  const done = state.status === 'completed';
  return (
    <>
      <div className="page-head"><h1>Backing up “{name}”</h1></div>
      <p className="muted">
        Estimated {bytes(started.estimated_size_bytes)}, about {duration(started.estimated_duration_seconds)}. You can leave this page: the
        backup carries on and the list shows its state.
      </p>
      <JobProgressView kind="backups" jobId={started.job_id} state={state} />
      {done && (
        <p className="notice" role="status">
          The backup is complete{state.job?.progress?.bytes_written ? ` (${bytes(state.job.progress.bytes_written)})` : ''}.{' '}
          <Link to={`/backups/${encodeURIComponent(started.backup_id)}`}>See its details</Link>
        </p>
      )}
      <div className="actions">
        <Link className="button secondary" to="/">Back to the backups</Link>
        {(done || state.status === 'failed' || state.status === 'cancelled') && <button type="button" onClick={onAgain}>Create another</button>}
      </div>
    </>
  );
}
