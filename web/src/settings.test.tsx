// Component tests of the settings screens against a stand-in fetch: the schedule form (its own
// validation messages, the debounced next-runs preview, the server's cron message, what PUT carries),
// pause, the retention plan query and apply, the notifications form's write-only secret, a server
// refusal ("unsupported") shown in words, and the backups list's dependents on delete.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { Reply, useFakeFetch } from './test-fetch';
import { ReactNode } from 'react';
import { ScheduleEditor, SchedulesPage } from './pages/Schedules';
import { RetentionEditor } from './pages/Retention';
import { NotificationsEditor } from './pages/Notifications';
import { BackupsPage } from './pages/Backups';
import { notificationsBody, notificationsToForm, retentionBody, retentionQuery, retentionToForm, schedulesWith, validateRetention } from './settings';
import { Schedule } from './api';

const fake = useFakeFetch({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such route' } } });

function wrap(ui: ReactNode, path = '/') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="*" element={ui} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const nightly: Schedule = { _id: 's1', name: 'nightly', enabled: false, schedule: '0 3 * * *', type: 'full', filters: {}, options: { compression_level: 3 }, last_run: null, next_run: null };
const weekly: Schedule = { _id: 's2', name: 'weekly', enabled: true, schedule: '@weekly', type: 'incremental', filters: {}, options: {} };

/// GET /schedules/next as the server answers it (a fixed description per expression).
function nextRuns(url: string): Reply {
  const u = new URL(url, 'http://x');
  const cron = u.searchParams.get('cron') ?? '';
  if (/^61 /.test(cron))
    return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: `cron: minute field '61': 61 is outside 0-59` },
      validation_errors: [{ field: 'cron', message: "minute field '61': 61 is outside 0-59", code: 'format' }] } };
  return { status: 200, body: { cron, runs: ['2026-11-30T03:00:00Z', '2026-12-01T03:00:00Z'], description: `described ${cron}` } };
}
const nextCalls = () => fake.calls.filter((c) => c.url.startsWith('/api/v1/schedules/next')).map((c) => new URL(c.url, 'http://x').searchParams.get('cron'));

describe('schedule form', () => {
  it('asks for next runs once typing pauses, and shows the description and runs', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/schedules/next') ? nextRuns(url) : undefined);
    wrap(<ScheduleEditor schedules={[]} existing={null} />);
    await screen.findByText(/described 0 3 \* \* \*/);
    const input = screen.getByLabelText('Cron expression');
    for (const partial of ['0', '0 4', '0 4 *', '0 4 * *', '0 4 * * 1-5']) fireEvent.change(input, { target: { value: partial } });
    await screen.findByText(/described 0 4 \* \* 1-5/);
    // debounced: the partial expressions typed in between were never sent
    expect(nextCalls()).toEqual(['0 3 * * *', '0 4 * * 1-5']);
    expect(within(screen.getByTestId('s-cron-preview')).getAllByRole('listitem')).toHaveLength(2);
  });

  it('shows the server’s message naming what is wrong in the cron', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/schedules/next') ? nextRuns(url) : undefined);
    wrap(<ScheduleEditor schedules={[]} existing={null} />);
    fireEvent.change(screen.getByLabelText('Cron expression'), { target: { value: '61 * * * *' } });
    expect(await screen.findByText("The server says this is not valid: minute field '61': 61 is outside 0-59")).toBeTruthy();
    expect(screen.getByLabelText('Cron expression').getAttribute('aria-invalid')).toBe('true');
  });

  it('shows its own validation messages and sends nothing', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/schedules/next') ? nextRuns(url) : url.startsWith('/api/v1/projects') ? { status: 200, body: { items: [], pagination: {} } } : undefined);
    wrap(<ScheduleEditor schedules={[]} existing={null} />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'x!' } });
    fireEvent.change(screen.getByLabelText('Cron expression'), { target: { value: '  ' } });
    fireEvent.click(screen.getByLabelText(/^Selective/));
    fireEvent.click(screen.getByRole('button', { name: 'Add schedule' }));
    expect(await screen.findByText('The name needs 3 to 100 characters.')).toBeTruthy();
    expect(screen.getByText('A cron expression is needed, such as "0 3 * * 1-5".')).toBeTruthy();
    expect(screen.getByText('A selective schedule needs at least one project.')).toBeTruthy();
    expect(screen.getByText('Please fix the 3 fields marked above.')).toBeTruthy();
    expect(fake.calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('edits one schedule and sends the others back unchanged; a refusal is shown in words', async () => {
    fake.routes = (m, url) => {
      if (url.startsWith('/api/v1/schedules/next')) return nextRuns(url);
      if (m === 'PUT') return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'scheduling.schedules[1].enabled: schedules do not run yet', request_id: 'req-7' },
        validation_errors: [{ field: 'scheduling.schedules[1].enabled', message: 'schedules do not run yet; store it with enabled: false', code: 'unsupported' }] } };
      return undefined;
    };
    wrap(<ScheduleEditor schedules={[weekly, nightly]} existing={nightly} />);
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('nightly');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'nightly full' } });
    fireEvent.click(screen.getByLabelText(/^Active/));
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('The server refused to save it')).toBeTruthy();
    expect(screen.getAllByText(/schedules do not run yet; store it with enabled: false/).length).toBeGreaterThan(0);
    expect(screen.getByText(/this server does not support it yet/)).toBeTruthy();
    expect(screen.getByText('req-7')).toBeTruthy();
    const put = fake.calls.find((c) => c.method === 'PUT')!;
    expect(put.body.scheduling.schedules).toEqual([
      { _id: 's2', name: 'weekly', enabled: true, schedule: '@weekly', type: 'incremental', filters: {}, options: {} },
      { _id: 's1', name: 'nightly full', enabled: true, schedule: '0 3 * * *', type: 'full', filters: {}, options: { compress: true, compression_level: 3 } },
    ]);
  });

  it('a new schedule has no _id', () => {
    const list = schedulesWith([nightly], null, { name: 'hourly', schedule: '@hourly', type: 'selective', enabled: false, projects: ['p1'], compression_level: 5 });
    expect(list).toHaveLength(2);
    expect(list[1]).toEqual({ name: 'hourly', schedule: '@hourly', type: 'selective', enabled: false, filters: { projects: ['p1'] }, options: { compress: true, compression_level: 5 } });
    expect(list[0]._id).toBe('s1');
  });
});

describe('schedules list', () => {
  it('shows each schedule in words with its next runs, and pauses one', async () => {
    let stored = [weekly, nightly];
    fake.routes = (m, url, body) => {
      if (url.startsWith('/api/v1/schedules/next')) return nextRuns(url);
      if (url === '/api/v1/settings/backup' && m === 'GET') return { status: 200, body: { scheduling: { enabled: false, schedules: stored } } };
      if (url === '/api/v1/settings/backup' && m === 'PUT') {
        stored = body.scheduling.schedules;
        return { status: 200, body: { message: 'settings updated', updated_fields: ['scheduling.schedules'], settings: { scheduling: { enabled: false, schedules: stored } }, validation_warnings: [] } };
      }
      return undefined;
    };
    wrap(<SchedulesPage />);
    expect(await screen.findByText('described @weekly')).toBeTruthy();
    expect(await screen.findByText('described 0 3 * * *')).toBeTruthy();
    expect(screen.getAllByTestId('next-runs')).toHaveLength(2);
    expect(screen.getByText('Off: no schedule starts a backup until it is turned on.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Pause weekly' }));
    expect(await screen.findByText('“weekly” is paused.')).toBeTruthy();
    expect(fake.calls.find((c) => c.method === 'PUT')!.body.scheduling.schedules.map((s: Schedule) => [s._id, s.enabled])).toEqual([['s2', false], ['s1', false]]);
    expect(screen.getByRole('button', { name: 'Resume weekly' })).toBeTruthy();
  });

  it('says in words when the server refuses to turn the scheduler on', async () => {
    fake.routes = (m, url) => {
      if (url === '/api/v1/settings/backup' && m === 'GET') return { status: 200, body: { scheduling: { enabled: false, schedules: [] } } };
      if (m === 'PUT') return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'scheduling.enabled: the scheduler does not run yet' },
        validation_errors: [{ field: 'scheduling.enabled', message: 'the scheduler does not run yet', code: 'unsupported' }] } };
      return undefined;
    };
    wrap(<SchedulesPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Turn the scheduler on' }));
    expect(await screen.findByText('The server refused the change')).toBeTruthy();
    expect(screen.getByText(/this server does not support it yet — the scheduler does not run yet/)).toBeTruthy();
  });
});

describe('retention', () => {
  const plan = {
    delete: [{ _id: 'b1', name: 'old one', created_at: '2026-01-01T00:00:00Z', size_bytes: 2048, reason: 'no_rule_keeps_it' }],
    keep: [{ _id: 'b2', name: 'new one', kept_by: ['max_backups', 'newest_completed'] }],
    freed_bytes: 2048,
  };
  it('asks the plan for the rules on screen (empty = 0), debounced, and shows delete and keep', async () => {
    fake.routes = (_m, url) => (url.startsWith('/api/v1/backups/retention/plan') ? { status: 200, body: plan } : undefined);
    wrap(<RetentionEditor stored={{ max_backups: 5, keep_daily: 7 }} />);
    expect(await screen.findByText('old one')).toBeTruthy();
    expect(screen.getByText('one of the newest 5')).toBeTruthy();
    expect(screen.getByText('the newest completed backup')).toBeTruthy();
    expect(screen.getByText(/Delete \(1, frees 2.0 KB\)/)).toBeTruthy();
    const planUrls = () => fake.calls.filter((c) => c.url.startsWith('/api/v1/backups/retention/plan')).map((c) => new URL(c.url, 'http://x').searchParams);
    expect(planUrls()[0].get('max_backups')).toBe('5');
    expect(planUrls()[0].get('keep_daily')).toBe('7');
    expect(planUrls()[0].get('max_age_days')).toBe('0');
    const input = screen.getByLabelText('Keep the newest … backups');
    for (const v of ['', '1', '12']) fireEvent.change(input, { target: { value: v } });
    await waitFor(() => expect(planUrls().at(-1)!.get('max_backups')).toBe('12'));
    expect(planUrls().map((p) => p.get('max_backups'))).toEqual(['5', '12']);
    // an invalid rule is named and not sent
    fireEvent.change(input, { target: { value: '-3' } });
    expect(await screen.findByText('A whole number from 1 to 1,000,000, or empty for off.')).toBeTruthy();
  });

  it('applies after a confirmation naming what goes', async () => {
    fake.routes = (m, url) => {
      if (url.startsWith('/api/v1/backups/retention/plan')) return { status: 200, body: plan };
      if (m === 'POST' && url.startsWith('/api/v1/backups/retention/apply')) return { status: 200, body: plan };
      return undefined;
    };
    wrap(<RetentionEditor stored={{ max_backups: 1 }} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete 1 now…' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('old one')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete them' }));
    expect(await screen.findByText('Deleted 1 backup, freed 2.0 KB.')).toBeTruthy();
    const post = fake.calls.find((c) => c.method === 'POST')!;
    expect(new URL(post.url, 'http://x').searchParams.get('max_backups')).toBe('1');
  });

  it('bodies: empty rules are null when saved and 0 in the plan query', () => {
    const f = retentionToForm({ max_backups: 3, max_total_size_gb: 1.5, cleanup_schedule: null });
    expect(retentionBody(f)).toMatchObject({ max_backups: 3, max_total_size_gb: 1.5, keep_daily: null, cleanup_schedule: null });
    expect(retentionQuery(f)).toMatchObject({ max_backups: '3', max_total_size_gb: '1.5', keep_daily: '0' });
    expect(validateRetention({ ...f, max_total_size_gb: 'lots' }).max_total_size_gb).toMatch(/number of GiB/);
    expect(validateRetention({ ...f, auto_cleanup: true }).cleanup_schedule).toBe('Automatic clean-up needs a cron expression.');
  });
});

describe('notifications form', () => {
  const stored = { enabled: false, email_recipients: ['ops@example.com'], smtp_url: 'smtp://u:***@mail.example.com:25', webhook_url: 'https://hooks.example.com/x', webhook_secret: '***', notify_on: ['backup.failed'] };

  it('never shows the stored secret and sends it only when a new one is typed', async () => {
    fake.routes = (m, url, body) =>
      m === 'PUT' && url === '/api/v1/settings/backup'
        ? { status: 200, body: { message: 'settings updated', updated_fields: Object.keys(body.notifications).map((k) => `notifications.${k}`), settings: { notifications: { ...stored, ...body.notifications, webhook_secret: '***' } }, validation_warnings: [] } }
        : undefined;
    wrap(<NotificationsEditor stored={stored} />);
    const secret = screen.getByLabelText('Signing secret (HMAC-SHA256)') as HTMLInputElement;
    expect(secret.value).toBe('');
    expect(secret.type).toBe('password');
    expect(secret.placeholder).toContain('***');
    expect(screen.getByTestId('secret-state').textContent).toMatch(/A secret is stored/);
    // save without touching the secret: not sent, nor the masked SMTP URL
    fireEvent.click(screen.getByLabelText(/restore failed/));
    fireEvent.click(screen.getByRole('button', { name: 'Save notifications' }));
    await screen.findByText(/Saved the notification settings/);
    let put = fake.calls.filter((c) => c.method === 'PUT').at(-1)!.body.notifications;
    expect('webhook_secret' in put).toBe(false);
    expect('smtp_url' in put).toBe(false);
    expect(put.notify_on).toEqual(['backup.failed', 'restore.failed']);
    // a new secret is sent as typed, and the field empties again afterwards
    fireEvent.change(secret, { target: { value: 'n3w-s3cret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save notifications' }));
    await waitFor(() => expect(fake.calls.filter((c) => c.method === 'PUT')).toHaveLength(2));
    put = fake.calls.filter((c) => c.method === 'PUT').at(-1)!.body.notifications;
    expect(put.webhook_secret).toBe('n3w-s3cret');
    await waitFor(() => expect((screen.getByLabelText('Signing secret (HMAC-SHA256)') as HTMLInputElement).value).toBe(''));
  });

  it('removing the secret sends null', () => {
    const f = { ...notificationsToForm(stored), remove_secret: true, webhook_secret: 'ignored' };
    expect(notificationsBody(f, stored).webhook_secret).toBeNull();
  });

  it('shows its own validation messages and the server’s refusal', async () => {
    fake.routes = (m) => (m === 'PUT' ? { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'notifications.enabled: notifications are not sent yet' },
      validation_errors: [{ field: 'notifications.enabled', message: 'notifications are not sent yet', code: 'unsupported' }] } } : undefined);
    wrap(<NotificationsEditor stored={{ ...stored, webhook_secret: null }} />);
    expect(screen.getByTestId('secret-state').textContent).toMatch(/No secret is stored/);
    fireEvent.change(screen.getByLabelText('Recipients (one per line)'), { target: { value: 'ops@example.com\nnot-an-address' } });
    fireEvent.change(screen.getByLabelText('Webhook URL'), { target: { value: 'ftp://x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save notifications' }));
    expect(await screen.findByText('Not an email address: not-an-address.')).toBeTruthy();
    expect(screen.getByText('A URL starting with http:// or https://.')).toBeTruthy();
    expect(fake.calls.some((c) => c.method === 'PUT')).toBe(false);
    fireEvent.change(screen.getByLabelText('Recipients (one per line)'), { target: { value: 'ops@example.com' } });
    fireEvent.change(screen.getByLabelText('Webhook URL'), { target: { value: '' } });
    fireEvent.click(screen.getByLabelText(/^Send notifications/));
    fireEvent.click(screen.getByRole('button', { name: 'Save notifications' }));
    expect(await screen.findByText('notifications are not sent yet')).toBeTruthy();
    expect(screen.getByText(/this server does not support it yet — notifications are not sent yet/)).toBeTruthy();
  });
});

describe('backups list', () => {
  const backup = (id: string, name: string, extra: object = {}) => ({ _id: id, name, type: 'full', status: 'completed', created_at: '2026-11-01T10:00:00Z', size_bytes: 100, compressed_size_bytes: 50, ...extra });
  const page = { items: [backup('b1', 'base')], pagination: { total_items: 1, total_pages: 1, current_page: 1, page_size: 20, has_next: false, has_previous: false },
    summary: { total_backups: 30, total_size_bytes: 1, backups_by_type: { full: 30 }, newest_backup: '2026-11-20T10:00:00Z' } };

  it('last success is over every backup (its own query), storage used is of the settings quota', async () => {
    fake.routes = (_m, url) => {
      if (url.startsWith('/api/v1/backups?') && url.includes('status=completed') && url.includes('size=1')) return { status: 200, body: { ...page, items: [backup('b9', 'from another page', { created_at: '2026-11-19T10:00:00Z' })] } };
      if (url.startsWith('/api/v1/backups?')) return { status: 200, body: page };
      if (url === '/api/v1/settings/backup') return { status: 200, body: { storage: { filesystem: { max_size_gb: 10, current_usage_gb: 2.5 } } } };
      if (url.startsWith('/api/v1/backups/statistics')) return { status: 200, body: { storage_usage: { used_bytes: 1, available_bytes: 5 } } };
      return undefined;
    };
    wrap(<BackupsPage />);
    expect(await screen.findByText(/from another page/)).toBeTruthy();
    expect(await screen.findByText('25% of the 10 GB quota')).toBeTruthy();
    expect(screen.getByText('2.5 GB')).toBeTruthy();
  });

  it('the delete confirmation names the dependents, then forces and says which went', async () => {
    let deleted = false;
    fake.routes = (m, url) => {
      if (m === 'GET' && url.startsWith('/api/v1/backups?') && url.includes('type=incremental'))
        return { status: 200, body: { ...page, items: [backup('i1', 'monday incr', { type: 'incremental', parent_backup_id: 'b1' }), backup('i2', 'other', { type: 'incremental', parent_backup_id: 'zz' })] } };
      if (m === 'GET' && url.startsWith('/api/v1/backups?')) return { status: 200, body: page };
      if (m === 'DELETE' && url === '/api/v1/backups/b1')
        return { status: 409, body: { error: { code: 'BACKUP_HAS_DEPENDENTS', message: 'backups depend on b1; delete them first, or use force=true', details: { dependents: ['i1', 'i3'] } } } };
      if (m === 'DELETE' && url === '/api/v1/backups/b1?force=true') { deleted = true; return { status: 200, body: { freed_bytes: 50 } }; }
      if (m === 'GET' && url === '/api/v1/backups/i1') return deleted ? { status: 404, body: { error: { code: 'BACKUP_NOT_FOUND', message: 'gone' } } } : undefined;
      if (m === 'GET' && url === '/api/v1/backups/i3') return { status: 200, body: backup('i3', 'i3') };
      return undefined;
    };
    wrap(<BackupsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete base' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('monday incr');
    expect(within(dialog).getByTestId('dependents').textContent).toMatch(/One backup is built on it/);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete backup' }));
    expect(await within(dialog).findByText('The server refused: other backups depend on this one')).toBeTruthy();
    expect(within(dialog).getByTestId('dependents').textContent).toMatch(/2 backups are built on it.*monday incr.*i3/);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete it anyway' }));
    expect(await screen.findByText(/Deleted “base” \(freed 50 B\)\. Deleted with it: monday incr\. Left without their parent .*: i3\./)).toBeTruthy();
    expect(fake.calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/v1/backups/b1', '/api/v1/backups/b1?force=true']);
  });
});
