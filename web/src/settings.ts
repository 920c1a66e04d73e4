// The rules and request bodies of the settings screens (API.md "Settings and schedules"): the schedule
// form, the retention rules and the notifications form. Checked before sending so that a person sees
// what to fix beside the field; the server checks the same and its validation_errors are shown too.
import { ApiError, BackupType, NotificationSettings, RetentionSettings, Schedule } from './api';

const NAME = /^[A-Za-z0-9 _-]+$/;

// ---- schedules ----
export interface ScheduleForm {
  name: string;
  schedule: string;
  type: BackupType;
  enabled: boolean;
  projects: string[];
  compression_level: number;
}

export function emptySchedule(): ScheduleForm {
  return { name: '', schedule: '0 3 * * *', type: 'full', enabled: true, projects: [], compression_level: 3 };
}

export function scheduleToForm(s: Schedule): ScheduleForm {
  const projects = Array.isArray(s.filters?.projects) ? (s.filters!.projects as string[]) : [];
  const level = Number(s.options?.compression_level ?? 3);
  return { name: s.name ?? '', schedule: s.schedule ?? '', type: s.type ?? 'full', enabled: s.enabled !== false, projects,
    compression_level: Number.isInteger(level) ? level : 3 };
}

export function validateSchedule(f: ScheduleForm): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = f.name.trim();
  if (name.length < 3 || name.length > 100) errors.name = 'The name needs 3 to 100 characters.';
  else if (!NAME.test(name)) errors.name = 'Use letters, digits, spaces, "-" and "_" only.';
  if (!f.schedule.trim()) errors.schedule = 'A cron expression is needed, such as "0 3 * * 1-5".';
  if (f.type === 'selective' && f.projects.length === 0) errors.projects = 'A selective schedule needs at least one project.';
  if (!Number.isInteger(f.compression_level) || f.compression_level < 1 || f.compression_level > 9)
    errors.compression_level = 'A level from 1 to 9.';
  return errors;
}

/// The API fields of a stored schedule, to send back unchanged in a list that replaces the stored one.
function keep(s: Schedule): Partial<Schedule> {
  const { _id, name, enabled, schedule, type, filters, options } = s;
  return { _id, name, enabled, schedule, type, filters: filters ?? {}, options: options ?? {} };
}

function fromForm(f: ScheduleForm): Partial<Schedule> {
  const filters: Record<string, unknown> = {};
  if (f.type === 'selective' || f.projects.length) filters.projects = f.projects;
  return { name: f.name.trim(), enabled: f.enabled, schedule: f.schedule.trim(), type: f.type, filters,
    options: { compress: true, compression_level: f.compression_level } };
}

/// `scheduling.schedules` after adding (id null) or replacing one schedule: the list replaces the
/// stored one, so every other schedule is sent back as it is.
export function schedulesWith(all: Schedule[], id: string | null, f: ScheduleForm): Partial<Schedule>[] {
  const list = all.map((s) => (s._id === id ? { _id: s._id, ...fromForm(f) } : keep(s)));
  if (id === null) list.push(fromForm(f));
  return list;
}
export function schedulesWithout(all: Schedule[], id: string): Partial<Schedule>[] {
  return all.filter((s) => s._id !== id).map(keep);
}
export function schedulesToggled(all: Schedule[], id: string): Partial<Schedule>[] {
  return all.map((s) => (s._id === id ? { ...keep(s), enabled: !s.enabled } : keep(s)));
}

// ---- retention ----
export const RETENTION_NUMBERS = ['max_backups', 'max_age_days', 'max_total_size_gb', 'keep_daily', 'keep_weekly', 'keep_monthly'] as const;
export type RetentionNumber = (typeof RETENTION_NUMBERS)[number];
export type RetentionForm = Record<RetentionNumber, string> & { enabled: boolean; auto_cleanup: boolean; cleanup_schedule: string };

export function retentionToForm(r: RetentionSettings | undefined): RetentionForm {
  const text = (v: unknown) => (v === null || v === undefined || v === 0 ? '' : String(v));
  return {
    enabled: r?.enabled === true, auto_cleanup: r?.auto_cleanup === true, cleanup_schedule: r?.cleanup_schedule ?? '',
    max_backups: text(r?.max_backups), max_age_days: text(r?.max_age_days), max_total_size_gb: text(r?.max_total_size_gb),
    keep_daily: text(r?.keep_daily), keep_weekly: text(r?.keep_weekly), keep_monthly: text(r?.keep_monthly),
  };
}

/// Allowed range of each rule (as PUT /settings/backup checks it); an empty field is "off".
const RANGES: Record<RetentionNumber, [number, number, boolean]> = {
  max_backups: [1, 1_000_000, true], max_age_days: [1, 36_500, true], max_total_size_gb: [0.001, 1_000_000, false],
  keep_daily: [0, 10_000, true], keep_weekly: [0, 10_000, true], keep_monthly: [0, 10_000, true],
};

export function validateRetention(f: RetentionForm): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const k of RETENTION_NUMBERS) {
    const v = f[k].trim();
    if (!v) continue;
    const n = Number(v);
    const [lo, hi, whole] = RANGES[k];
    if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < lo || n > hi)
      errors[k] = whole ? `A whole number from ${lo} to ${hi.toLocaleString('en-US')}, or empty for off.` : `A number of GiB from ${lo} to ${hi.toLocaleString('en-US')}, or empty for off.`;
  }
  if (f.auto_cleanup && !f.cleanup_schedule.trim()) errors.cleanup_schedule = 'Automatic clean-up needs a cron expression.';
  return errors;
}

/// The query of GET /backups/retention/plan (and POST …/apply) for the form: every rule is sent, an
/// empty one as 0 (off), so the plan shows exactly the rules on screen, not the stored ones.
export function retentionQuery(f: RetentionForm): Record<string, string> {
  const q: Record<string, string> = {};
  for (const k of RETENTION_NUMBERS) q[k] = f[k].trim() || '0';
  return q;
}

/// The `retention` object of PUT /settings/backup: empty rules are sent as null (off).
export function retentionBody(f: RetentionForm): RetentionSettings {
  const body: RetentionSettings = { enabled: f.enabled, auto_cleanup: f.auto_cleanup, cleanup_schedule: f.cleanup_schedule.trim() || null };
  for (const k of RETENTION_NUMBERS) body[k] = f[k].trim() ? Number(f[k]) : null;
  return body;
}

/// A kept_by code in words, with the rule's number from the form ("one of the newest 5").
export function keptBy(code: string, f: RetentionForm): string {
  const n = (k: RetentionNumber) => f[k].trim() || 'N';
  const words: Record<string, string> = {
    max_backups: `one of the newest ${n('max_backups')}`, max_age_days: `younger than ${n('max_age_days')} days`,
    keep_daily: `newest of its day (last ${n('keep_daily')})`, keep_weekly: `newest of its week (last ${n('keep_weekly')})`,
    keep_monthly: `newest of its month (last ${n('keep_monthly')})`, keep_all: 'no rule deletes anything',
    newest_completed: 'the newest completed backup', being_restored: 'being restored', needed_parent: 'parent of a kept backup',
  };
  return words[code] ?? code;
}
export const DELETE_REASON: Record<string, string> = {
  no_rule_keeps_it: 'no rule keeps it', max_total_size_gb: 'over the size limit', failed: 'failed more than a day ago',
};

// ---- notifications ----
export const WRITE_ONLY = '***';
export interface NotificationForm {
  enabled: boolean;
  recipients: string;
  smtp_url: string;
  webhook_url: string;
  /// A new secret typed by the person; '' keeps the stored one.
  webhook_secret: string;
  remove_secret: boolean;
  notify_on: string[];
}

export function notificationsToForm(n: NotificationSettings | undefined): NotificationForm {
  return {
    enabled: n?.enabled === true, recipients: (n?.email_recipients ?? []).join('\n'), smtp_url: n?.smtp_url ?? '',
    webhook_url: n?.webhook_url ?? '', webhook_secret: '', remove_secret: false, notify_on: n?.notify_on ?? [],
  };
}

export const recipientList = (s: string) => s.split(/[\n,;]/).map((x) => x.trim()).filter(Boolean);
const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;

export function validateNotifications(f: NotificationForm): Record<string, string> {
  const errors: Record<string, string> = {};
  const bad = recipientList(f.recipients).filter((r) => !EMAIL.test(r));
  if (bad.length) errors.recipients = `Not an email address: ${bad.join(', ')}.`;
  if (f.smtp_url.trim() && !/^smtps?:\/\/\S+$/.test(f.smtp_url.trim())) errors.smtp_url = 'A URL starting with smtp:// or smtps://.';
  if (f.webhook_url.trim() && !/^https?:\/\/\S+$/.test(f.webhook_url.trim())) errors.webhook_url = 'A URL starting with http:// or https://.';
  if (f.webhook_secret.length > 500) errors.webhook_secret = 'At most 500 characters.';
  if (f.enabled && !recipientList(f.recipients).length && !f.webhook_url.trim())
    errors.enabled = 'Add a recipient or a webhook URL to send notifications to.';
  return errors;
}

/// The `notifications` object of PUT /settings/backup. The secret is write-only: it is sent only when
/// a new one was typed (or null to remove it); the masked SMTP URL GET showed is not sent back.
export function notificationsBody(f: NotificationForm, stored: NotificationSettings | undefined): NotificationSettings {
  const body: NotificationSettings = {
    enabled: f.enabled, email_recipients: recipientList(f.recipients), webhook_url: f.webhook_url.trim() || null, notify_on: f.notify_on,
  };
  if (f.smtp_url.trim() !== (stored?.smtp_url ?? '')) body.smtp_url = f.smtp_url.trim() || null;
  if (f.remove_secret) body.webhook_secret = null;
  else if (f.webhook_secret) body.webhook_secret = f.webhook_secret;
  return body;
}

// ---- server field errors ----
/// The server's validation errors under `prefix` (e.g. "notifications."), keyed by the rest of the
/// field name without list indexes ("email_recipients[1]" → "email_recipients").
export function fieldErrors(error: unknown, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const v of error.validationErrors) {
    if (!v.field.startsWith(prefix)) continue;
    const key = v.field.slice(prefix.length).replace(/\[\d+\]$/, '');
    out[key] = out[key] ? `${out[key]} ${v.message}` : v.message;
  }
  return out;
}
