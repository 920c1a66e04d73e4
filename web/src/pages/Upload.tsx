// Upload a backup file (drag-and-drop or browse) with progress, show the server's validation, then go
// on to restore it.
import { DragEvent, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { upload } from '../api';
import { bytes, count } from '../format';
import { ErrorBox, ProgressBar } from '../components/common';

interface UploadResult {
  upload_id: string;
  backup_id: string;
  status: string;
  file_info?: { filename: string; size_bytes: number; checksum?: string };
  validation?: { format_valid: boolean; version?: string; compatibility?: string; contents_summary?: any; errors?: string[]; warnings?: string[] };
}

export function UploadPage() {
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [result, setResult] = useState<UploadResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  function pick(f: File | undefined | null) {
    setResult(null);
    setError(null);
    setSent(null);
    setFile(f ?? null);
  }
  function drop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    pick(e.dataTransfer.files?.[0]);
  }
  async function send() {
    if (!file) return;
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('auto_restore', 'false');
    try {
      setResult(await upload<UploadResult>('/restore/upload', form, (loaded, total) => setSent({ loaded, total })));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const v = result?.validation;
  return (
    <>
      <div className="page-head"><h1>Upload a backup</h1></div>
      <div className={`dropzone ${over ? 'over' : ''}`} onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={drop}>
        <p>Drop a <code>.claudelens</code> file here, or</p>
        <button type="button" className="secondary" onClick={() => input.current?.click()}>Browse…</button>
        <input ref={input} id="upload-file" type="file" className="sr-only" accept=".claudelens,application/octet-stream" aria-label="Backup file"
          onChange={(e) => pick(e.target.files?.[0])} />
        {file && <p data-testid="picked-file"><strong>{file.name}</strong> · {bytes(file.size)}</p>}
      </div>
      <div className="actions">
        <button type="button" disabled={!file || busy} onClick={send}>{busy ? 'Uploading…' : 'Upload and check'}</button>
      </div>
      {sent && (
        <div>
          <ProgressBar value={sent.total ? (100 * sent.loaded) / sent.total : 0} label="Upload progress" />
          <p className="muted small">{bytes(sent.loaded)} of {bytes(sent.total)} sent{busy && sent.loaded === sent.total ? ' · the server is checking the file…' : ''}</p>
        </div>
      )}
      <ErrorBox error={error} title="The upload was refused" />
      {result && (
        <section className="card" aria-labelledby="h-valid" data-upload-status={result.status}>
          <h2 id="h-valid">{v?.format_valid ? '✔ A valid backup' : '✖ Not a valid backup'}</h2>
          <dl className="facts">
            <dt>File</dt><dd>{result.file_info?.filename} ({bytes(result.file_info?.size_bytes)})</dd>
            <dt>Format version</dt><dd>{v?.version ?? '—'} ({v?.compatibility ?? '—'})</dd>
            {v?.contents_summary && (
              <>
                <dt>Contents</dt>
                <dd>{count(v.contents_summary.projects_count)} projects · {count(v.contents_summary.sessions_count)} sessions · {count(v.contents_summary.messages_count)} messages</dd>
              </>
            )}
            <dt>SHA-256</dt><dd className="mono break">{result.file_info?.checksum ?? '—'}</dd>
          </dl>
          {(v?.errors ?? []).map((e, i) => <p key={i} className="field-error">{e}</p>)}
          {(v?.warnings ?? []).map((w, i) => <p key={i} className="muted">{w}</p>)}
          {result.backup_id && result.status !== 'failed' && (
            <div className="actions left">
              <Link className="button" to={`/backups/${encodeURIComponent(result.backup_id)}/restore`}>Restore it…</Link>
              <Link className="button secondary" to={`/backups/${encodeURIComponent(result.backup_id)}`}>Details</Link>
            </div>
          )}
        </section>
      )}
    </>
  );
}
