import { describe, expect, it } from 'vitest';
import { defaultName, emptyForm, toRequest, validateBackup } from './validate';

const now = new Date('2026-03-10T12:00:00Z');

describe('create-backup validation', () => {
  it('accepts the default form, whose generated name follows the rules', () => {
    const f = emptyForm(now);
    expect(validateBackup(f, now)).toEqual({});
    expect(defaultName(now)).toMatch(/^Backup 2026-03-10 \d\d-\d\d$/);
  });

  it('names: 3 to 100 characters of letters, digits, spaces, - and _', () => {
    const f = emptyForm(now);
    expect(validateBackup({ ...f, name: 'ab' }, now).name).toBe('The name needs 3 to 100 characters.');
    expect(validateBackup({ ...f, name: 'x'.repeat(101) }, now).name).toBe('The name needs 3 to 100 characters.');
    expect(validateBackup({ ...f, name: 'nightly/1' }, now).name).toBe('Use letters, digits, spaces, "-" and "_" only.');
    expect(validateBackup({ ...f, name: 'nightly_1 - ok' }, now).name).toBeUndefined();
  });

  it('a selective backup needs a filter', () => {
    const f = { ...emptyForm(now), type: 'selective' as const };
    expect(validateBackup(f, now).filters).toBe('A selective backup needs at least one filter.');
    expect(validateBackup({ ...f, projects: ['p1'] }, now).filters).toBeUndefined();
    expect(validateBackup({ ...f, include_patterns: '  \n ' }, now).filters).toBeDefined();
    expect(validateBackup({ ...f, include_patterns: 'auth' }, now).filters).toBeUndefined();
  });

  it('message counts are whole numbers 1–10000 with min ≤ max', () => {
    const f = emptyForm(now);
    expect(validateBackup({ ...f, min_message_count: '0' }, now).min_message_count).toBe('A whole number from 1 to 10000.');
    expect(validateBackup({ ...f, max_message_count: '2.5' }, now).max_message_count).toBe('A whole number from 1 to 10000.');
    expect(validateBackup({ ...f, min_message_count: '10', max_message_count: '5' }, now).max_message_count).toBe('The maximum is below the minimum.');
  });

  it('dates: start before end, end not in the future', () => {
    const f = emptyForm(now);
    expect(validateBackup({ ...f, start: '2026-03-01', end: '2026-03-01' }, now).end).toBe('The end must be after the start.');
    expect(validateBackup({ ...f, end: '2026-03-11' }, now).end).toBe('The end cannot be in the future.');
    expect(validateBackup({ ...f, start: '2026-02-01', end: '2026-03-01' }, now)).toEqual({});
  });

  it('builds the POST /backups body of API.md', () => {
    const body = toRequest({
      ...emptyForm(now), name: ' weekly ', type: 'incremental', projects: ['p1'], start: '2026-01-01',
      include_patterns: 'a, b\nc', min_message_count: '3', compression_level: 7, parent_backup_id: 'b0',
    });
    expect(body).toEqual({
      name: 'weekly', type: 'incremental',
      filters: { projects: ['p1'], date_range: { start: '2026-01-01T00:00:00Z' }, include_patterns: ['a', 'b', 'c'], min_message_count: 3 },
      options: { compress: true, compression_level: 7, include_analytics: false, parent_backup_id: 'b0' },
    });
  });
});
