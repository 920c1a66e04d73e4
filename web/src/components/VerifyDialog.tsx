// "Verify" a backup with what API.md offers (it has no verify endpoint): download the file
// (GET /backups/{id}/download, which counts against the download limit) and hash it here, comparing
// the SHA-256 with the checksum recorded when the backup was made; then ask the restore preview
// (GET /restore/preview/{id}?check_conflicts=false) whether the archive opens and what it holds.
import { useEffect, useState } from 'react';
import { ApiError, Backup, get, getKey } from '../api';
import { bytes, count } from '../format';
import { sha256OfStream } from '../sha256';
import { ConfirmDialog, ErrorBox } from './common';

export interface VerifyResult {
  sha256: string;
  recorded: string | null;
  size: number;
  preview?: { projects: number; sessions: number; messages: number };
  previewError?: unknown;
}

async function apiError(res: Response): Promise<ApiError> {
  let body: any = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const e = body?.error ?? {};
  return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, e.request_id ?? res.headers.get('X-Request-Id'));
}

export async function verifyBackup(b: Backup, onBytes: (n: number) => void): Promise<VerifyResult> {
  const id = encodeURIComponent(b._id);
  const res = await fetch(`/api/v1/backups/${id}/download`, { headers: { 'X-API-Key': getKey() ?? '' } });
  if (!res.ok || !res.body) throw await apiError(res);
  const recorded = b.checksum ?? res.headers.get('X-Checksum');
  let size = 0;
  const sha256 = await sha256OfStream(res.body, (n) => { size = n; onBytes(n); });
  const out: VerifyResult = { sha256, recorded, size };
  try {
    const p = await get<any>(`/restore/preview/${id}?check_conflicts=false`);
    out.preview = {
      projects: p?.contents?.projects?.length ?? 0,
      sessions: p?.contents?.sessions_summary?.total ?? 0,
      messages: p?.contents?.messages_summary?.total ?? 0,
    };
  } catch (e) {
    out.previewError = e;
  }
  return out;
}

export function VerifyDialog({ backup, onClose }: { backup: Backup | null; onClose: () => void }) {
  const [read, setRead] = useState(0);
  const [result, setResult] = useState<VerifyResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!backup) return;
    let live = true;
    setRead(0); setResult(null); setError(null);
    verifyBackup(backup, (n) => live && setRead(n)).then((r) => live && setResult(r), (e) => live && setError(e));
    return () => { live = false; };
  }, [backup]);
  const total = backup?.compressed_size_bytes || 0;
  const intact = result && result.recorded !== null && result.sha256 === result.recorded;
  return (
    <ConfirmDialog open={backup !== null} title={`Verify “${backup?.name ?? ''}”`} onCancel={onClose}>
      <p className="muted small">Downloads the file, hashes it in the browser and compares the SHA-256 with the checksum recorded when the
        backup was made; then checks that the archive opens (the restore preview). Nothing is changed.</p>
      <div role="status" aria-live="polite" data-verify={result ? (intact ? 'intact' : 'mismatch') : error ? 'error' : 'running'}>
        {!result && !error && <p>Reading the file… {bytes(read)}{total ? ` of ${bytes(total)}` : ''}</p>}
        {result && intact && <p><strong className="ok">The file is intact:</strong> its SHA-256 matches the recorded checksum ({bytes(result.size)} read).</p>}
        {result && !intact && (
          <p className="field-error">
            {result.recorded ? 'The file does NOT match the recorded checksum: it changed or is damaged.' : 'No checksum was recorded for this backup, so the file cannot be compared.'}
          </p>
        )}
        {result && (
          <dl className="facts small">
            <dt>SHA-256 of the file</dt><dd><code className="break" data-testid="verify-sha">{result.sha256}</code></dd>
            <dt>Recorded checksum</dt><dd><code className="break">{result.recorded ?? '—'}</code></dd>
          </dl>
        )}
        {result?.preview && (
          <p>The archive opens: {count(result.preview.projects)} projects, {count(result.preview.sessions)} sessions, {count(result.preview.messages)} messages.</p>
        )}
        {result?.previewError != null && <ErrorBox error={result.previewError} title="The archive could not be opened for a restore" />}
        {error != null && <ErrorBox error={error} title="Could not verify" />}
      </div>
    </ConfirmDialog>
  );
}
