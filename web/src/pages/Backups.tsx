// The backups list: summary cards, filters (type, status, date), search, sorting by column, pages, and
// per row download / restore / delete (with a confirmation naming what depends on it).
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, Backup, BackupList, del, describe, get, getKey, query } from '../api';
import { bytes, count, when } from '../format';
import { Card, ConfirmDialog, ErrorBox, StatusBadge } from '../components/common';

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
  const [force, setForce] = useState(false);
  const remove = useMutation({
    mutationFn: (b: Backup) => del<{ freed_bytes: number }>(`/backups/${encodeURIComponent(b._id)}${force ? '?force=true' : ''}`),
    onSuccess: (r, b) => {
      setToDelete(null);
      setForce(false);
      setNotice(`Deleted “${b.name}” (freed ${bytes(r?.freed_bytes)}).`);
      client.invalidateQueries({ queryKey: ['backups'] });
    },
  });
  const [notice, setNotice] = useState<string | null>(null);
  const dependents = remove.error instanceof ApiError && remove.error.code === 'BACKUP_HAS_DEPENDENTS';

  const data = list.data;
  const summary = data?.summary;
  const lastSuccess = data?.items.find((b) => b.status === 'completed');

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
        <Card label="Newest backup" value={summary?.newest_backup ? when(summary.newest_backup) : '—'}
          hint={lastSuccess ? `last completed: ${lastSuccess.name}` : undefined} />
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
                    </>
                  )}
                  <button type="button" className="small danger-outline" onClick={() => { remove.reset(); setForce(false); setToDelete(b); }}
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

      <ConfirmDialog open={toDelete !== null} title={`Delete “${toDelete?.name ?? ''}”?`} danger busy={remove.isPending}
        confirmLabel={dependents ? 'Delete it and break the chain' : 'Delete backup'}
        onCancel={() => { setToDelete(null); remove.reset(); }}
        onConfirm={() => {
          if (!toDelete) return;
          if (dependents) setForce(true);
          remove.mutate(toDelete);
        }}>
        <p>The file ({bytes(toDelete?.compressed_size_bytes)}) and its record are removed. This cannot be undone.</p>
        {toDelete?.type === 'incremental' && <p>It is an incremental backup; its parent stays.</p>}
        {toDelete && (data?.items ?? []).some((b) => b.parent_backup_id === toDelete._id) && (
          <p className="field-error">
            Incremental backups built on it:{' '}
            {(data?.items ?? []).filter((b) => b.parent_backup_id === toDelete._id).map((b) => b.name).join(', ')}. They cannot be
            restored without it.
          </p>
        )}
        {dependents ? (
          <ErrorBox error={remove.error} title="Other backups depend on this one" />
        ) : (
          remove.error != null && <ErrorBox error={remove.error} title="Could not delete" />
        )}
      </ConfirmDialog>
    </>
  );
}

function StorageCard() {
  const stats = useQuery({ queryKey: ['statistics'], queryFn: () => get<any>('/backups/statistics'), staleTime: 10000 });
  const u = stats.data?.storage_usage;
  return (
    <Card label="Storage used" value={u ? bytes(u.used_bytes) : '—'}
      hint={u?.quota_bytes ? `${Math.round(u.percentage_used ?? 0)}% of ${bytes(u.quota_bytes)} quota` : u ? `${bytes(u.available_bytes)} free` : undefined} />
  );
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
