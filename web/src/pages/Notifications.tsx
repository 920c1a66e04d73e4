// Notifications (`notifications` of GET/PUT /settings/backup): on/off, mail recipients and the SMTP
// URL, the webhook URL and its signing secret, and which events to send. The secret is write-only: the
// server shows a stored one as "***", the page never fills it in, and sends it only when a new one is
// typed (or null when "remove" is ticked). "Send test" sends a `test` event now with what the form
// shows, saved or not (POST /settings/backup/notifications/test, an addition to API.md:
// docs/notifications.md), and shows each channel's result in words.
import { useEffect, useRef, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { NOTIFY_EVENTS, NotificationSettings, post } from '../api';
import { fieldErrors, NotificationForm, notificationsBody, notificationsToForm, validateNotifications, WRITE_ONLY } from '../settings';
import { ErrorBox, Field, FixFields, invalid, submitter } from '../components/common';
import { useSaveSettings, useSettings } from './Schedules';

/// The answer of POST /settings/backup/notifications/test.
export interface NotificationTestResult {
  channel: string;
  ok: boolean;
  /// The webhook's HTTP status; null when it did not answer, and for mail.
  status: number | null;
  error: string | null;
  duration_ms: number;
}
export interface NotificationTestReport {
  message: string;
  results: NotificationTestResult[];
}

const CHANNEL_WORDS: Record<string, string> = { webhook: 'Webhook', email: 'Mail' };

/// One channel's result in words: "Webhook: delivered — the receiver answered HTTP 200 (12 ms)."
export function testResultWords(r: NotificationTestResult): string {
  const name = CHANNEL_WORDS[r.channel] ?? r.channel;
  const took = `(${r.duration_ms} ms)`;
  if (r.ok)
    return r.channel === 'webhook'
      ? `${name}: delivered — the receiver answered HTTP ${r.status} ${took}.`
      : `${name}: delivered — the mail server accepted it ${took}.`;
  const why = r.error ?? 'no reason given';
  const answered = r.status && !why.includes(`HTTP ${r.status}`) ? ` (the receiver answered HTTP ${r.status})` : '';
  return `${name}: not delivered — ${why}${answered} ${took}.`;
}

/// The test's outcome in one sentence.
export function testSummary(results: NotificationTestResult[]): string {
  const ok = results.filter((r) => r.ok).length;
  if (ok === results.length) return 'The test notification was delivered.';
  if (ok === 0) return 'The test notification was not delivered.';
  return 'The test notification was not delivered everywhere.';
}

const EVENT_WORDS: Record<string, string> = {
  'backup.completed': 'a backup completed', 'backup.failed': 'a backup failed', 'restore.completed': 'a restore completed',
  'restore.failed': 'a restore failed', 'retention.deleted': 'retention deleted backups', 'storage.low': 'storage is running low',
};

export function NotificationsPage() {
  const settings = useSettings();
  if (settings.error) return <ErrorBox error={settings.error} title="Could not load the settings" />;
  if (!settings.data) return <p>Loading…</p>;
  return <NotificationsEditor stored={settings.data.notifications} />;
}

export function NotificationsEditor({ stored }: { stored: NotificationSettings | undefined }) {
  const [form, setForm] = useState<NotificationForm>(() => notificationsToForm(stored));
  const [touched, setTouched] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const set = <K extends keyof NotificationForm>(k: K, v: NotificationForm[K]) => { setNotice(null); setForm((f) => ({ ...f, [k]: v })); };
  const save = useSaveSettings((r) => {
    setNotice(`Saved the notification settings (${r.updated_fields.length ? r.updated_fields.join(', ') : 'nothing changed'}).`);
    setForm(notificationsToForm(r.settings.notifications));
    setTouched(false);
  });
  const errors = validateNotifications(form);
  const server = fieldErrors(save.error, 'notifications.');
  const err = (k: string) => (touched ? errors[k] : undefined) ?? server[k === 'recipients' ? 'email_recipients' : k];
  // What the server holds now (the answer of the last save, else GET).
  const current = save.data?.settings.notifications ?? stored;
  const secretStored = current?.webhook_secret === WRITE_ONLY || (typeof current?.webhook_secret === 'string' && current.webhook_secret !== '');

  const submit = submitter(errors, setTouched, () => save.mutate({ notifications: notificationsBody(form, current) }));
  // The test uses what the form shows (not saved): the same body as a save, so a stored secret and the
  // masked SMTP password stay on the server.
  const test = useMutation({
    mutationFn: (body: { notifications: NotificationSettings }) =>
      post<NotificationTestReport>('/settings/backup/notifications/test', body),
  });
  const testButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  const sendTest = () => {
    setTouched(true);
    if (Object.keys(errors).length) {
      setTimeout(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    refocus.current = document.activeElement === testButton.current;
    test.mutate({ notifications: notificationsBody(form, current) });
  };
  // The button is disabled while the test runs, which drops the keyboard focus: give it back after.
  useEffect(() => {
    if (test.isPending || !refocus.current) return;
    refocus.current = false;
    testButton.current?.focus();
  }, [test.isPending]);

  return (
    <>
      <div className="page-head"><h1>Notifications</h1></div>
      {notice && <p className="notice" role="status">{notice}</p>}
      <form className="form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Sending</legend>
          <label className="choice">
            <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} {...invalid('n-enabled', err('enabled'))} />
            <span><strong>Send notifications</strong> — by mail and/or webhook, for the events ticked below.</span>
          </label>
          {err('enabled') && <p className="field-error" id="n-enabled-error">{err('enabled')}</p>}
        </fieldset>
        <fieldset>
          <legend>Mail</legend>
          <Field id="n-recipients" label="Recipients (one per line)" error={err('recipients')}>
            <textarea id="n-recipients" rows={3} value={form.recipients} onChange={(e) => set('recipients', e.target.value)}
              {...invalid('n-recipients', err('recipients'))} />
          </Field>
          <Field id="n-smtp" label="SMTP server URL" error={err('smtp_url')}>
            <input id="n-smtp" value={form.smtp_url} placeholder="smtp://user:password@mail.example.com:587" autoComplete="off"
              onChange={(e) => set('smtp_url', e.target.value)} {...invalid('n-smtp', err('smtp_url'))} />
          </Field>
          <p className="muted small">A password in the URL is write-only: the server shows it as {WRITE_ONLY}; leave it so to keep it.</p>
        </fieldset>
        <fieldset>
          <legend>Webhook</legend>
          <Field id="n-webhook" label="Webhook URL" error={err('webhook_url')}>
            <input id="n-webhook" type="url" value={form.webhook_url} placeholder="https://example.com/hooks/claudelens"
              onChange={(e) => set('webhook_url', e.target.value)} {...invalid('n-webhook', err('webhook_url'))} />
          </Field>
          <Field id="n-secret" label="Signing secret (HMAC-SHA256)" error={err('webhook_secret')}>
            <input id="n-secret" type="password" autoComplete="new-password" value={form.webhook_secret} disabled={form.remove_secret}
              placeholder={secretStored ? `${WRITE_ONLY} (stored; type to replace)` : 'none'} aria-describedby="n-secret-help"
              onChange={(e) => set('webhook_secret', e.target.value)} {...invalid('n-secret', err('webhook_secret'))} />
          </Field>
          <p className="muted small" id="n-secret-help" data-testid="secret-state">
            {secretStored
              ? `A secret is stored. It is never shown (the server answers ${WRITE_ONLY}); leave the field empty to keep it.`
              : 'No secret is stored: webhook calls are not signed.'}
          </p>
          {secretStored && (
            <label className="choice">
              <input type="checkbox" checked={form.remove_secret} onChange={(e) => set('remove_secret', e.target.checked)} />
              <span>Remove the stored secret</span>
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>Notify on</legend>
          {NOTIFY_EVENTS.map((ev) => (
            <label key={ev} className="choice">
              <input type="checkbox" checked={form.notify_on.includes(ev)}
                onChange={(e) => set('notify_on', e.target.checked ? [...form.notify_on, ev] : form.notify_on.filter((x) => x !== ev))} />
              <span>{EVENT_WORDS[ev]} <code className="muted small">{ev}</code></span>
            </label>
          ))}
          {server.notify_on && <p className="field-error">{server.notify_on}</p>}
        </fieldset>
        <fieldset aria-labelledby="n-test-legend">
          <legend id="n-test-legend">Test</legend>
          <p className="muted small" id="n-test-help">
            Sends a test event now to the webhook and mail settings above, as they are in this form (nothing is saved).
            Webhook receivers see <code>X-ClaudeLens-Event: test</code>, signed like every notification.
          </p>
          <div className="actions left">
            <button type="button" className="secondary" ref={testButton} onClick={sendTest} disabled={test.isPending}
              aria-describedby="n-test-help" aria-busy={test.isPending}>
              {test.isPending ? 'Sending test…' : 'Send test'}
            </button>
          </div>
          <div role="status" aria-live="polite" data-testid="test-results">
            {test.isPending && <p>Sending the test notification…</p>}
            {test.data && !test.isPending && (
              <>
                <p><strong>{testSummary(test.data.results)}</strong></p>
                <ul style={{ listStyle: 'none', paddingLeft: 0 }}>
                  {test.data.results.map((r) => (
                    <li key={r.channel} data-channel={r.channel}>
                      <span className={`badge ${r.ok ? 'badge-success' : 'badge-failed'}`}>{r.ok ? 'Delivered' : 'Failed'}</span>{' '}
                      {testResultWords(r)}
                    </li>
                  ))}
                  {Object.keys(CHANNEL_WORDS).filter((c) => !test.data.results.some((r) => r.channel === c)).map((c) => (
                    <li key={c} className="muted small" data-channel={c}>
                      {c === 'email' ? 'Mail: not tested — it needs an SMTP server URL and at least one recipient.' : 'Webhook: not tested — it needs a webhook URL.'}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
          <ErrorBox error={test.error} title="The test was not sent" />
        </fieldset>
        <FixFields errors={errors} touched={touched} />
        <ErrorBox error={save.error} title="The server refused to save it" />
        <div className="actions left">
          <button type="submit" disabled={save.isPending}>Save notifications</button>
        </div>
      </form>
    </>
  );
}
