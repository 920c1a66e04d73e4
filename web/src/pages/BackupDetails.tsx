// One backup: contents, compression ratio, checksum, validation, the incremental chain and restore
// history, with download / restore / delete.
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { BackupDetails, describe, get } from '../api';
import { bytes, count, when } from '../format';
import { ErrorBox, StatusBadge } from '../components/common';
import { download } from './Backups';

export function BackupDetailsPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const [note, setNote] = useState<string | null>(null);
  const q = useQuery({
    queryKey: ['backup', id],
    queryFn: () => get<BackupDetails>(`/backups/${encodeURIComponent(id)}`),
    refetchInterval: (qq) => (qq.state.data && ['pending', 'in_progress'].includes(qq.state.data.status) ? 2000 : false),
  });
  const b = q.data;
  if (q.error) return <><h1>Backup</h1><ErrorBox error={q.error} title="Could not load this backup" /><Link to="/">Back to the backups</Link></>;
  if (!b) return <p>Loading…</p>;
  const c = b.contents;
  const ratio = b.compression?.compression_ratio ?? (b.compressed_size_bytes ? b.size_bytes / b.compressed_size_bytes : null);

  return (
    <>
      <div className="page-head">
        <h1>{b.name} <StatusBadge status={b.status} /></h1>
        <div className="actions">
          {b.status === 'completed' && (
            <>
              <button type="button" className="secondary" onClick={() => download(b).catch((e) => setNote(describe(e)))}>Download</button>
              <button type="button" disabled={b.can_restore === false} onClick={() => navigate(`/backups/${encodeURIComponent(b._id)}/restore`)}>Restore…</button>
            </>
          )}
        </div>
      </div>
      {note && <p className="field-error" role="alert">{note}</p>}
      {b.description && <p>{b.description}</p>}
      {b.error_message && <div className="error-box" role="alert"><strong>Error</strong><p>{b.error_message}</p></div>}
      <div className="grid2">
        <section className="card" aria-labelledby="h-contents">
          <h2 id="h-contents">Contents</h2>
          <dl className="facts">
            <dt>Projects</dt><dd>{count(c?.projects_count)}</dd>
            <dt>Sessions</dt><dd>{count(c?.sessions_count)}</dd>
            <dt>Messages</dt><dd>{count(c?.messages_count)}</dd>
            <dt>Prompts</dt><dd>{count(c?.prompts_count)}</dd>
            <dt>AI settings</dt><dd>{count(c?.ai_settings_count)}</dd>
            <dt>Messages from</dt><dd>{when(c?.date_range?.earliest)} to {when(c?.date_range?.latest)}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="h-file">
          <h2 id="h-file">File</h2>
          <dl className="facts">
            <dt>Type</dt><dd>{b.type}</dd>
            <dt>Created</dt><dd>{when(b.created_at)}{b.created_by ? ` by ${b.created_by}` : ''}</dd>
            <dt>Size</dt><dd>{bytes(b.size_bytes)} → {bytes(b.compressed_size_bytes)} {ratio ? `(ratio ${ratio.toFixed(1)}:1)` : ''}</dd>
            <dt>Compression</dt><dd>{b.compression?.enabled ? `${b.compression.algorithm ?? 'zstd'} level ${b.compression.level ?? '—'}` : 'none'}</dd>
            <dt>Encryption</dt><dd>{b.encryption?.enabled ? b.encryption.algorithm : 'none'}</dd>
            <dt>Format</dt><dd>{b.version ?? '—'}</dd>
            <dt>File</dt><dd className="break">{b.filename ?? '—'}</dd>
            <dt>SHA-256</dt><dd className="break mono" data-testid="checksum">{b.checksum ?? '—'}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="validation">
          <h2 id="validation">Validation</h2>
          {b.validation_status?.validated_at ? (
            <>
              <p>{b.validation_status.is_valid ? '✔ Valid' : '✖ Not valid'} · checked {when(b.validation_status.validated_at)}</p>
              {(b.validation_status.errors ?? []).map((e, i) => <p key={i} className="field-error">{e}</p>)}
              {(b.validation_status.warnings ?? []).map((w, i) => <p key={i} className="muted">{w}</p>)}
            </>
          ) : (
            <p className="muted">Not validated yet.</p>
          )}
        </section>
        <section className="card" aria-labelledby="h-chain">
          <h2 id="h-chain">Incremental chain</h2>
          {b.parent_backup_id ? <Chain id={b.parent_backup_id} /> : <p className="muted">No parent: this backup stands alone.</p>}
        </section>
      </div>
      <section className="card" aria-labelledby="h-history">
        <h2 id="h-history">Restore history</h2>
        {b.restore_history && b.restore_history.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">By</th><th scope="col">Status</th><th scope="col">Documents</th><th scope="col">Error</th></tr></thead>
              <tbody>
                {b.restore_history.map((r) => (
                  <tr key={r._id}>
                    <td>{when(r.restored_at)}</td><td>{r.restored_by ?? '—'}</td><td><StatusBadge status={r.status} /></td>
                    <td>{count(r.documents_restored)}</td><td>{r.error_message ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">Never restored.</p>
        )}
      </section>
      <p><Link to="/">Back to the backups</Link></p>
    </>
  );
}

/// Walks parent_backup_id up to the first full backup.
function Chain({ id }: { id: string }) {
  const q = useQuery({ queryKey: ['backup', id], queryFn: () => get<BackupDetails>(`/backups/${encodeURIComponent(id)}`) });
  if (q.error) return <p className="muted">Parent {id}: {describe(q.error)}</p>;
  if (!q.data) return <p>…</p>;
  return (
    <>
      <p>← <Link to={`/backups/${encodeURIComponent(id)}`}>{q.data.name}</Link> ({q.data.type}, {when(q.data.created_at)})</p>
      {q.data.parent_backup_id && <Chain id={q.data.parent_backup_id} />}
    </>
  );
}
