// The create-backup form's rules (API.md POST /backups), checked before sending so that a person sees
// what to fix next to the field; the server checks the same and its validation_errors are shown too.
export interface BackupForm {
  type: 'full' | 'selective' | 'incremental';
  name: string;
  description: string;
  projects: string[];
  sessions: string[];
  start: string; // yyyy-mm-dd or ''
  end: string;
  include_patterns: string;
  exclude_patterns: string;
  min_message_count: string;
  max_message_count: string;
  compression_level: number;
  include_analytics: boolean;
  encrypt: boolean;
  parent_backup_id: string;
}

export function defaultName(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `Backup ${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}-${p(now.getMinutes())}`;
}

export function emptyForm(now = new Date()): BackupForm {
  return {
    type: 'full', name: defaultName(now), description: '', projects: [], sessions: [], start: '', end: '',
    include_patterns: '', exclude_patterns: '', min_message_count: '', max_message_count: '',
    compression_level: 3, include_analytics: false, encrypt: false, parent_backup_id: '',
  };
}

const NAME = /^[A-Za-z0-9 _-]+$/;
const lines = (s: string) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);

function countField(value: string, field: string, errors: Record<string, string>): number | undefined {
  if (value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    errors[field] = 'A whole number from 1 to 10000.';
    return undefined;
  }
  return n;
}

/// Field → message for each broken rule (empty when the form may be sent).
export function validateBackup(f: BackupForm, now = new Date()): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = f.name.trim();
  if (name.length < 3 || name.length > 100) errors.name = 'The name needs 3 to 100 characters.';
  else if (!NAME.test(name)) errors.name = 'Use letters, digits, spaces, "-" and "_" only.';
  if (f.description.length > 500) errors.description = 'At most 500 characters.';
  const min = countField(f.min_message_count, 'min_message_count', errors);
  const max = countField(f.max_message_count, 'max_message_count', errors);
  if (min !== undefined && max !== undefined && min > max) errors.max_message_count = 'The maximum is below the minimum.';
  if (f.start && f.end && f.start >= f.end) errors.end = 'The end must be after the start.';
  const today = now.toISOString().slice(0, 10);
  if (f.end && f.end > today) errors.end = 'The end cannot be in the future.';
  if (f.compression_level < 1 || f.compression_level > 9) errors.compression_level = 'A level from 1 to 9.';
  if (f.type === 'selective') {
    const any = f.projects.length || f.sessions.length || f.start || f.end || lines(f.include_patterns).length ||
      lines(f.exclude_patterns).length || f.min_message_count || f.max_message_count;
    if (!any) errors.filters = 'A selective backup needs at least one filter.';
  }
  return errors;
}

/// The POST /backups body for a valid form.
export function toRequest(f: BackupForm): Record<string, unknown> {
  const filters: Record<string, unknown> = {};
  if (f.projects.length) filters.projects = f.projects;
  if (f.sessions.length) filters.sessions = f.sessions;
  if (f.start || f.end) {
    const range: Record<string, string> = {};
    if (f.start) range.start = `${f.start}T00:00:00Z`;
    if (f.end) range.end = `${f.end}T00:00:00Z`;
    filters.date_range = range;
  }
  if (lines(f.include_patterns).length) filters.include_patterns = lines(f.include_patterns);
  if (lines(f.exclude_patterns).length) filters.exclude_patterns = lines(f.exclude_patterns);
  if (f.min_message_count) filters.min_message_count = Number(f.min_message_count);
  if (f.max_message_count) filters.max_message_count = Number(f.max_message_count);
  const options: Record<string, unknown> = {
    compress: true,
    compression_level: f.compression_level,
    include_analytics: f.include_analytics,
  };
  if (f.encrypt) options.encrypt = true;
  if (f.type === 'incremental' && f.parent_backup_id) options.parent_backup_id = f.parent_backup_id;
  const body: Record<string, unknown> = { name: f.name.trim(), type: f.type, filters, options };
  if (f.description.trim()) body.description = f.description.trim();
  return body;
}
