// Asks for the API key once per browser session and checks it against the server before keeping it.
import { FormEvent, ReactNode, useState } from 'react';
import { ApiError, describe, request } from '../api';

export function KeyPrompt({ onAccepted, themeButton }: { onAccepted: (key: string) => void; themeButton: ReactNode }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const key = value.trim();
    if (!key) {
      setError('Enter the API key that `claudelens serve` printed (or one from `claudelens keys create`).');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await request('GET', '/backups?size=1', undefined, key);
      onAccepted(key);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('This API key is wrong: the server does not know it.');
      else setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="key-prompt" id="main">
      <div className="topright">{themeButton}</div>
      <form className="card narrow" onSubmit={submit} noValidate>
        <h1>ClaudeLens backups</h1>
        <p>Enter your API key. It is kept only for this browser tab's session.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={value} autoFocus
          aria-invalid={error ? true : undefined} aria-describedby={error ? 'api-key-error' : undefined}
          onChange={(e) => setValue(e.target.value)} />
        {error && <p className="field-error" id="api-key-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Continue'}</button>
      </form>
    </main>
  );
}
