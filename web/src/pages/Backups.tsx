// The backups list: summary cards, filters (type, status, date), search, sorting by column, pages, and
// per row download / restore / verify / delete (with a confirmation naming what depends on it).
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, Backup, BackupList, BackupSettings, del, describe, get, getKey, query } from '../api';
import { bytes, count, when } from '../format';
import { Card, ConfirmDialog, ErrorBox, StatusBadge } from '../components/common';
import { VerifyDialog } from '../components/VerifyDialog';

type SortField = 'created_at' | 'name' | 'size_bytes';

export function BackupsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const page = Number(params.get('page') ?? '1') || 1;
  const sort = params.get('sort') ?? 'created_at,desc';
  const [sortField, sortDir] = sort.split(',') as [SortField, 'asc' | 'desc'];
  const filters = {
    type: params.get('type') ?? '',
    status: params.get('status') ?? '',
    created_after: params.get('created_after') ?? '',
    created_before: params.get('created_before') ?? '',
    search: params.get('search') ?? '',
  };
  const [searchText, setSearchText] = useState(filters.search);

  function update(changes: Record<string, string>) {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) if (v) next.set(k, v); else next.delete(k);
    if (!('page' in changes)) next.delete('page');
    setParams(next, { replace: true });
  }

  const list = useQuery({
    queryKey: ['backups', page, sort, filters],
    queryFn: () =>
      get<BackupList>('/backups' + query({
        page, size: 20, sort, type: filters.type, status: filters.status, search: filters.search,
        created_after: filters.created_after ? `${filters.created_after}T00:00:00Z` : '',
        created_before: filters.created_before ? `${filters.created_before}T23:59:59Z` : '',
      })),
    placeholderData: keepPreviousData,
    // Refresh while something runs, so that a backup started elsewhere (CLI, schedule) shows its end.
    refetchInterval: (q) => (q.state.data?.items.some((b) => b.status === 'pending' || b.status === 'in_progress' || b.status === 'deleting') ? 2000 : 15000),
  });

  const [toDelete, setToDelete] = useState<Backup | null>(null);
  const [toVerify, setToVerify] = useState<Backup | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // What is built on the backup to delete: every incremental backup the caller can see naming it as
  // parent (asked when the dialog opens); the server's 409 BACKUP_HAS_DEPENDENTS is the final word.
  const children = useQuery({
    queryKey: ['backups', 'dependents', toDelete?._id],
    queryFn: () => dependentsOf(toDelete!._id),
    enabled: toDelete !== null,
  });
  const remove = useMutation({
    mutationFn: async ({ b, force, dependents }: { b: Backup; force: boolean; dependents: Dependent[] }) => {
      const r = await del<{ freed_bytes: number }>(`/backups/${encodeURIComponent(b._id)}${force ? '?force=true' : ''}`);
      // After a forced delete, which dependents went with it and which remain without their parent.
      const gone: Dependent[] = [];
      const left: Dependent[] = [];
      for (const d of force ? dependents : []) {
        try {
          await get(`/backups/${encodeURIComponent(d._id)}`);
          left.push(d);
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) gone.push(d);
          else left.push(d);
        }
      }
      return { freed: r?.freed_bytes, gone, left };
    },
    onSuccess: (r, { b }) => {
      setToDelete(null);
      let text = `Deleted “${b.name}” (freed ${bytes(r.freed)}).`;
      if (r.gone.length) text += ` Deleted with it: ${r.gone.map((d) => d.name).join(', ')}.`;
      if (r.left.length) text += ` Left without their parent (they cannot be restored fully): ${r.left.map((d) => d.name).join(', ')}.`;
      setNotice(text);
      client.invalidateQueries({ queryKey: ['backups'] });
      client.invalidateQueries({ queryKey: ['statistics'] });
      client.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  const refused = remove.error instanceof ApiError && remove.error.code === 'BACKUP_HAS_DEPENDENTS' ? remove.error : null;
  // The dependents by name: the server's list (ids) named from what we found, else what we found.
  const known = children.data ?? [];
  const dependents: Dependent[] = refused && Array.isArray((refused.details as any)?.dependents)
    ? ((refused.details as any).dependents as unknown[]).map((d) => {
      const id = typeof d === 'string' ? d : String((d as any)?._id ?? '');
      return known.find((k) => k._id === id) ?? { _id: id, name: (d as any)?.name ?? id };
    })
    : known;

  const data = list.data;
  const summary = data?.summary;

  function sortHeader(field: SortField, label: string) {
    const active = sortField === field;
    const nextDir = active && sortDir === 'desc' ? 'asc' : 'desc';
    return (
      <th scope="col" aria-sort={active ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="sort" onClick={() => update({ sort: `${field},${nextDir}` })}>
          {label} {active ? (sortDir === 'asc' ? '▲' : '▼') : ''}
        </button>
      </th>
    );
  }

  return (
    <>
      <div className="page-head">
        <h1>Backups</h1>
        <div className="actions">
          <Link className="button secondary" to="/upload">Upload a backup</Link>
          <Link className="button" to="/backups/new">Create backup</Link>
        </div>
      </div>

      <section className="cards" aria-label="Summary">
        <Card label="Backups" value={count(summary?.total_backups)}
          hint={summary ? Object.entries(summary.backups_by_type).filter(([, n]) => n).map(([t, n]) => `${n} ${t}`).join(' · ') : ''} />
        <Card label="Data backed up" value={bytes(summary?.total_size_bytes)} hint="before compression" />
        <LastSuccessCard newest={summary?.newest_backup} />
        <StorageCard />
      </section>

      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); update({ search: searchText.trim() }); }}>
        <div className="field">
          <label htmlFor="f-search">Search</label>
          <input id="f-search" type="search" placeholder="name or description" value={searchText}
            onChange={(e) => setSearchText(e.target.value)} onBlur={() => searchText.trim() !== filters.search && update({ search: searchText.trim() })} />
        </div>
        <div className="field">
          <label htmlFor="f-type">Type</label>
          <select id="f-type" value={filters.type} onChange={(e) => update({ type: e.target.value })}>
            <option value="">All types</option>
            <option value="full">Full</option>
            <option value="selective">Selective</option>
            <option value="incremental">Incremental</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={filters.status} onChange={(e) => update({ status: e.target.value })}>
            <option value="">All statuses</option>
            {['pending', 'in_progress', 'completed', 'failed', 'corrupted', 'deleting'].map((s) => (
              <option key={s} value={s}>{s.replace('_', ' ')}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-after">Created from</label>
          <input id="f-after" type="date" value={filters.created_after} onChange={(e) => update({ created_after: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="f-before">to</label>
          <input id="f-before" type="date" value={filters.created_before} onChange={(e) => update({ created_before: e.target.value })} />
        </div>
        <button type="submit" className="secondary">Search</button>
      </form>

      {notice && <p className="notice" role="status">{notice}</p>}
      <ErrorBox error={list.error} title="Could not load the backups" />

      <div className="table-wrap">
        <table className="backups">
          <caption className="sr-only">Backups, {sortField.replace('_', ' ')} {sortDir === 'asc' ? 'ascending' : 'descending'}</caption>
          <thead>
            <tr>
              {sortHeader('name', 'Name')}
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              {sortHeader('created_at', 'Created')}
              {sortHeader('size_bytes', 'Size')}
              <th scope="col">Contents</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((b) => (
              <tr key={b._id} data-backup-id={b._id}>
                <td data-label="Name"><Link to={`/backups/${encodeURIComponent(b._id)}`}>{b.name}</Link></td>
                <td data-label="Type">{b.type}</td>
                <td data-label="Status"><StatusBadge status={b.status} /></td>
                <td data-label="Created">{when(b.created_at)}</td>
                <td data-label="Size">{bytes(b.compressed_size_bytes || b.size_bytes)}</td>
                <td data-label="Contents">
                  {b.contents ? `${count(b.contents.sessions_count)} sessions · ${count(b.contents.messages_count)} messages` : '—'}
                </td>
                <td className="row-actions">
                  {b.status === 'completed' && (
                    <>
                      <a className="button small secondary" href={`/api/v1/backups/${encodeURIComponent(b._id)}/download`}
                        onClick={(e) => { e.preventDefault(); download(b).catch((err) => setNotice(describe(err))); }}
                        aria-label={`Download ${b.name}`}>Download</a>
                      <button type="button" className="small secondary" disabled={b.can_restore === false}
                        onClick={() => navigate(`/backups/${encodeURIComponent(b._id)}/restore`)} aria-label={`Restore ${b.name}`}>Restore</button>
                      <button type="button" className="small secondary" onClick={() => setToVerify(b)} aria-label={`Verify ${b.name}`}
                        title="Download and compare its SHA-256 with the recorded checksum; check that it opens">Verify</button>
                    </>
                  )}
                  <button type="button" className="small danger-outline" onClick={() => { remove.reset(); setNotice(null); setToDelete(b); }}
                    aria-label={`Delete ${b.name}`}>Delete</button>
                </td>
              </tr>
            ))}
            {data && data.items.length === 0 && (
              <tr><td colSpan={7} className="empty">No backups match. <Link to="/backups/new">Create one</Link>.</td></tr>
            )}
            {list.isLoading && <tr><td colSpan={7}>Loading…</td></tr>}
          </tbody>
        </table>
      </div>

      {data && (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="secondary" disabled={!data.pagination.has_previous} onClick={() => update({ page: String(page - 1) })}>
            Previous
          </button>
          <span>Page {data.pagination.current_page} of {Math.max(1, data.pagination.total_pages)} · {count(data.pagination.total_items)} backups</span>
          <button type="button" className="secondary" disabled={!data.pagination.has_next} onClick={() => update({ page: String(page + 1) })}>
            Next
          </button>
        </nav>
      )}

      <ConfirmDialog open={toDelete !== null} title={`Delete “${toDelete?.name ?? ''}”?`} danger busy={remove.isPending || children.isLoading}
        confirmLabel={refused ? 'Delete it anyway' : 'Delete backup'}
        onCancel={() => { setToDelete(null); remove.reset(); }}
        onConfirm={() => toDelete && remove.mutate({ b: toDelete, force: refused !== null, dependents })}>
        <p>The file ({bytes(toDelete?.compressed_size_bytes)}) and its record are removed. This cannot be undone.</p>
        {toDelete?.type === 'incremental' && <p>It is an incremental backup; its parent stays.</p>}
        {children.isLoading && <p className="muted">Looking for backups built on it…</p>}
        {dependents.length > 0 && (
          <div className="field-error" data-testid="dependents">
            <p>{dependents.length === 1 ? 'One backup is' : `${dependents.length} backups are`} built on it and cannot be restored without it:</p>
            <ul>{dependents.map((d) => <li key={d._id}>{d.name}{d.name !== d._id && <span className="muted small"> ({d._id})</span>}</li>)}</ul>
          </div>
        )}
        {refused && (
          <>
            <ErrorBox error={refused} title="The server refused: other backups depend on this one" />
            <p><strong>Delete it anyway</strong> forces the delete; afterwards this page says which of the backups above went with it
              and which remain without their parent.</p>
          </>
        )}
        {remove.error != null && !refused && <ErrorBox error={remove.error} title="Could not delete" />}
      </ConfirmDialog>
      <VerifyDialog backup={toVerify} onClose={() => setToVerify(null)} />
    </>
  );
}

/// The newest completed backup over everything the caller can see (not just this page).
function LastSuccessCard({ newest }: { newest?: string | null }) {
  const last = useQuery({
    queryKey: ['backups', 'last-success'],
    queryFn: () => get<BackupList>('/backups' + query({ status: 'completed', sort: 'created_at,desc', size: 1 })),
    refetchInterval: 15000,
  });
  const b = last.data?.items[0];
  return (
    <Card label="Last success" value={last.isError ? '?' : b ? when(b.created_at) : last.data ? 'none yet' : '—'}
      hint={last.isError ? describe(last.error) : [b ? b.name : null, newest && newest !== b?.created_at ? `newest of any status: ${when(newest)}` : null].filter(Boolean).join(' · ') || undefined} />
  );
}

const GIB = 1024 ** 3;

/// Storage used of the quota: `storage.filesystem` of GET /settings/backup (current_usage_gb of
/// max_size_gb); without a quota, the free space from the statistics.
function StorageCard() {
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => get<BackupSettings>('/settings/backup'), staleTime: 10000 });
  const stats = useQuery({ queryKey: ['statistics'], queryFn: () => get<any>('/backups/statistics'), staleTime: 10000 });
  const fsys = settings.data?.storage?.filesystem;
  const used = fsys?.current_usage_gb ?? null;
  const quota = fsys?.max_size_gb ?? null;
  const u = stats.data?.storage_usage;
  const usedBytes = used !== null ? used * GIB : u?.used_bytes;
  let hint: string | undefined;
  if (quota) hint = `${Math.round(((used ?? 0) / quota) * 100)}% of the ${bytes(quota * GIB)} quota`;
  else if (settings.data) hint = `no quota set${u?.available_bytes != null ? ` · ${bytes(u.available_bytes)} free on disk` : ''}`;
  return <Card label="Storage used" value={bytes(usedBytes)} hint={hint} />;
}

interface Dependent {
  _id: string;
  name: string;
}

/// Incremental backups naming `id` as their parent (all pages, up to 1000 backups).
async function dependentsOf(id: string): Promise<Dependent[]> {
  const out: Dependent[] = [];
  for (let page = 1; page <= 10; page++) {
    const r = await get<BackupList>('/backups' + query({ type: 'incremental', size: 100, page }));
    for (const b of r.items) if (b.parent_backup_id === id) out.push({ _id: b._id, name: b.name });
    if (!r.pagination.has_next) break;
  }
  return out;
}

/// Downloads through fetch (the key travels as a header, never in the URL) and hands the file to the
/// browser under the server's file name.
export async function download(b: Backup): Promise<void> {
  const res = await fetch(`/api/v1/backups/${encodeURIComponent(b._id)}/download`, { headers: { 'X-API-Key': getKey() ?? '' } });
  if (!res.ok) {
    let body: any = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText, body?.error?.request_id ?? null);
  }
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(cd)?.[1] ?? b.filename ?? `${b._id}.claudelens`;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
