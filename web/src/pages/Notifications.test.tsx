// The Notifications screen's "Send test" against a stand-in fetch: it posts the form as it is (unsaved;
// the stored secret and masked SMTP URL not sent back), is disabled while the test runs, shows each
// channel's result in words, and an API refusal with its fields and request id; it is a keyboard-reachable
// button.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ReactNode } from 'react';
import { useFakeFetch } from '../test-fetch';
import { NotificationsEditor, NotificationTestReport, testResultWords, testSummary } from './Notifications';

const fake = useFakeFetch({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such route' } } });
const TEST_URL = '/api/v1/settings/backup/notifications/test';

function wrap(ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
}

const stored = {
  enabled: false, email_recipients: ['ops@example.com'], smtp_url: 'smtp://u:***@mail.example.com:25',
  webhook_url: 'https://hooks.example.com/x', webhook_secret: '***', notify_on: ['backup.failed'],
};

const report: NotificationTestReport = {
  message: 'the test notification was not delivered on email',
  results: [
    { channel: 'webhook', ok: true, status: 204, error: null, duration_ms: 35 },
    { channel: 'email', ok: false, status: null, error: 'mail through smtp://u:***@mail.example.com:25: Login denied (SMTP 535)', duration_ms: 120 },
  ],
};

describe('notifications: send test', () => {
  it('posts the unsaved form, is disabled while sending, then shows each channel in words', async () => {
    let release: (r: Response) => void = () => {};
    const sent: { url: string; body: any }[] = [];
    vi.stubGlobal('fetch', (url: string, init: RequestInit = {}) => {
      sent.push({ url, body: JSON.parse(String(init.body ?? 'null')) });
      return new Promise<Response>((resolve) => { release = resolve; });
    });
    wrap(<NotificationsEditor stored={stored} />);
    fireEvent.change(screen.getByLabelText('Webhook URL'), { target: { value: 'https://hooks.example.com/new' } });
    const button = screen.getByRole('button', { name: 'Send test' });
    fireEvent.click(button);

    const busy = await screen.findByRole('button', { name: 'Sending test…' });
    expect((busy as HTMLButtonElement).disabled).toBe(true);
    expect(busy.getAttribute('aria-busy')).toBe('true');
    fireEvent.click(busy);  // disabled: no second request
    expect(sent).toHaveLength(1);
    expect(sent[0].url).toBe(TEST_URL);
    const n = sent[0].body.notifications;
    expect(n.webhook_url).toBe('https://hooks.example.com/new');
    expect('webhook_secret' in n).toBe(false);  // the stored secret stays on the server ("***" never sent)
    expect('smtp_url' in n).toBe(false);  // nor the masked SMTP URL
    expect(n.email_recipients).toEqual(['ops@example.com']);
    expect('channels' in sent[0].body).toBe(false);  // every configured channel

    release(new Response(JSON.stringify(report), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    const results = screen.getByTestId('test-results');
    await within(results).findByText('The test notification was not delivered everywhere.');
    expect(results.getAttribute('role')).toBe('status');
    const webhook = results.querySelector('[data-channel="webhook"]')!;
    expect(webhook.textContent).toBe('Delivered Webhook: delivered — the receiver answered HTTP 204 (35 ms).');
    const mail = results.querySelector('[data-channel="email"]')!;
    expect(mail.textContent).toBe('Failed Mail: not delivered — mail through smtp://u:***@mail.example.com:25: Login denied (SMTP 535) (120 ms).');
    expect((screen.getByRole('button', { name: 'Send test' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows a refusal in words with the fields and the request id', async () => {
    fake.routes = (m, url) =>
      m === 'POST' && url === TEST_URL
        ? { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'nothing to test', request_id: 'rid-42' },
            validation_errors: [{ field: 'notifications.webhook_url', message: 'is not set: the webhook channel has nowhere to send to', code: 'required' }] } }
        : undefined;
    wrap(<NotificationsEditor stored={{ ...stored, webhook_url: null, email_recipients: [], smtp_url: null, webhook_secret: null }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Send test' }));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('The test was not sent')).toBeTruthy();
    expect(alert.textContent).toContain('Some fields need fixing.');
    expect(alert.textContent).toContain('notifications.webhook_url: is not set: the webhook channel has nowhere to send to');
    expect(alert.textContent).toContain('request id rid-42');
    expect(screen.queryByTestId('test-results')!.textContent).toBe('');
  });

  it('checks the form first: a bad address is marked and nothing is sent', async () => {
    wrap(<NotificationsEditor stored={stored} />);
    fireEvent.change(screen.getByLabelText('Recipients (one per line)'), { target: { value: 'not-an-address' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send test' }));
    expect(await screen.findByText('Not an email address: not-an-address.')).toBeTruthy();
    expect(fake.calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('is reached and pressed with the keyboard', async () => {
    fake.routes = (m, url) => (m === 'POST' && url === TEST_URL ? { status: 200, body: { message: 'ok', results: [report.results[0]] } } : undefined);
    const user = userEvent.setup();
    wrap(<NotificationsEditor stored={stored} />);
    const button = screen.getByRole('button', { name: 'Send test' });
    let guard = 0;
    while (document.activeElement !== button && guard++ < 40) await user.tab();
    expect(document.activeElement).toBe(button);
    await user.keyboard('{Enter}');
    await screen.findByText('The test notification was delivered.');
    expect(screen.getByTestId('test-results').querySelector('[data-channel="email"]')!.textContent)
      .toBe('Mail: not tested — it needs an SMTP server URL and at least one recipient.');
    await waitFor(() => expect(fake.calls.filter((c) => c.method === 'POST')).toHaveLength(1));
  });

  it('words: the outcome in one sentence', () => {
    const [ok, failed] = report.results;
    expect(testSummary([ok])).toBe('The test notification was delivered.');
    expect(testSummary([failed])).toBe('The test notification was not delivered.');
    expect(testSummary([ok, failed])).toBe('The test notification was not delivered everywhere.');
  });

  it('words: a webhook that answered 500 and one that did not answer', () => {
    expect(testResultWords({ channel: 'webhook', ok: false, status: 500, error: 'webhook https://h/x: answered HTTP 500', duration_ms: 9 }))
      .toBe('Webhook: not delivered — webhook https://h/x: answered HTTP 500 (9 ms).');
    expect(testResultWords({ channel: 'webhook', ok: false, status: 302, error: 'moved', duration_ms: 3 }))
      .toBe('Webhook: not delivered — moved (the receiver answered HTTP 302) (3 ms).');
    expect(testResultWords({ channel: 'email', ok: true, status: null, error: null, duration_ms: 41 }))
      .toBe('Mail: delivered — the mail server accepted it (41 ms).');
  });
});
