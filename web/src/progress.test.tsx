// The live progress view: events from the job's WebSocket (offered the apikey.<KEY> subprotocol) move
// the bar and end in completion or failure without a reload; the job endpoint fills in what the
// socket lacks.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { JobProgressView, useJob } from './components/JobProgress';

class FakeSocket {
  static last: FakeSocket | null = null;
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  closed = false;
  constructor(public url: string, public protocols: string[]) {
    FakeSocket.last = this;
  }
  close() {
    this.closed = true;
  }
  emit(event: object) {
    act(() => this.onmessage?.({ data: JSON.stringify(event) }));
  }
}

let job: Record<string, unknown>;
beforeEach(() => {
  sessionStorage.setItem('claudelens.apiKey', 'key_1');
  job = { job_id: 'j1', status: 'running', progress: { percentage: 5, documents_total: 200 } };
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(job), { status: 200 }));
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

function View() {
  const state = useJob('backups', 'j1');
  return <JobProgressView kind="backups" jobId="j1" state={state} />;
}

describe('live job progress', () => {
  it('follows progress events to completion', async () => {
    render(<View />);
    const ws = FakeSocket.last!;
    expect(ws.url).toMatch(/\/ws\/backups\/j1$/);
    expect(ws.protocols).toEqual(['apikey.key_1']);
    await screen.findByText('of 200', { exact: false });
    act(() => ws.onopen?.());
    ws.emit({ type: 'backup.progress', job_id: 'j1', progress: { percentage: 42.4, current_operation: 'writing sessions', documents_processed: 84, bytes_written: 2048 } });
    expect(screen.getByText('42%')).toBeTruthy();
    expect(screen.getByText(/writing sessions/)).toBeTruthy();
    expect(screen.getByText('84 of 200')).toBeTruthy();
    expect(screen.getByText('2.0 KB')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('42');
    expect(screen.getByRole('button', { name: 'Cancel backup' })).toBeTruthy();
    job = { ...job, status: 'completed' };
    ws.emit({ type: 'backup.completed', job_id: 'j1', backup_id: 'b1', size_bytes: 4096 });
    expect(screen.getByText('100%')).toBeTruthy();
    expect(screen.getByText('Completed')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel backup' })).toBeNull();
  });

  it('shows a failure with its reason', async () => {
    render(<View />);
    const ws = FakeSocket.last!;
    ws.emit({ type: 'backup.failed', job_id: 'j1', error: { code: 'INSUFFICIENT_STORAGE', message: 'the disk is full' } });
    expect(screen.getByRole('alert').textContent).toContain('the disk is full');
    expect(screen.getByText('INSUFFICIENT_STORAGE')).toBeTruthy();
    expect(screen.getByText('Failed')).toBeTruthy();
  });
});
