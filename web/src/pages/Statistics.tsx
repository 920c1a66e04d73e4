// Statistics: success rate, storage use, restores, and a timeline of backups and restores (an inline
// SVG bar chart, so nothing is fetched from elsewhere).
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { bytes, count, duration } from '../format';
import { Card, ErrorBox, ProgressBar } from '../components/common';

export function StatisticsPage() {
  const [period, setPeriod] = useState('day');
  const q = useQuery({ queryKey: ['statistics', period], queryFn: () => get<any>(`/backups/statistics?period=${period}`) });
  const s = q.data;
  const data: any[] = s?.timeline?.data ?? [];
  const max = Math.max(1, ...data.map((d) => Math.max(d.backups_created ?? 0, d.restores_performed ?? 0)));
  const w = Math.max(300, data.length * 28);
  const labelEvery = Math.max(1, Math.ceil(data.length / 12)); // labels ~5 characters wide: no overlap
  return (
    <>
      <div className="page-head">
        <h1>Statistics</h1>
        <div className="field inline">
          <label htmlFor="period">Period</label>
          <select id="period" value={period} onChange={(e) => setPeriod(e.target.value)}>
            <option value="day">By day</option><option value="week">By week</option><option value="month">By month</option><option value="year">By year</option>
          </select>
        </div>
      </div>
      <ErrorBox error={q.error} title="Could not load the statistics" />
      {s && (
        <>
          <section className="cards" aria-label="Summary">
            <Card label="Backups" value={count(s.summary?.total_backups)} hint={`${bytes(s.summary?.total_size_bytes)} in all`} />
            <Card label="Success rate" value={s.summary?.success_rate != null ? `${Math.round(s.summary.success_rate * (s.summary.success_rate <= 1 ? 100 : 1))}%` : '—'} />
            <Card label="Restores" value={count(s.restore_statistics?.total_restores)}
              hint={`${count(s.restore_statistics?.successful_restores)} ok · ${count(s.restore_statistics?.failed_restores)} failed · avg ${duration(s.restore_statistics?.average_restore_time_seconds)}`} />
            <Card label="Storage" value={bytes(s.storage_usage?.used_bytes)} hint={s.storage_usage?.quota_bytes ? `of ${bytes(s.storage_usage.quota_bytes)}` : `${bytes(s.storage_usage?.available_bytes)} free`} />
          </section>
          {s.storage_usage?.quota_bytes ? <ProgressBar value={s.storage_usage.percentage_used ?? 0} label="Storage used of quota" /> : null}
          <section className="card" aria-labelledby="h-timeline">
            <h2 id="h-timeline">Timeline</h2>
            {data.length === 0 ? <p className="muted">No activity in this period.</p> : (
              <div className="chart-wrap">
                <svg width={w} height={180} role="img" aria-label={`Backups and restores per ${period}`}>
                  {data.map((d, i) => {
                    const bh = (140 * (d.backups_created ?? 0)) / max;
                    const rh = (140 * (d.restores_performed ?? 0)) / max;
                    return (
                      <g key={d.date} transform={`translate(${i * 28 + 4},0)`}>
                        <title>{`${d.date}: ${d.backups_created} backups, ${d.restores_performed} restores, ${bytes(d.total_size_bytes)}`}</title>
                        <rect x={0} y={150 - bh} width={10} height={bh} className="bar-backup" />
                        <rect x={11} y={150 - rh} width={10} height={rh} className="bar-restore" />
                        {i % labelEvery === 0 && <text x={0} y={166} className="axis">{String(d.date).slice(5, 10)}</text>}
                      </g>
                    );
                  })}
                </svg>
                <p className="legend"><span className="swatch bar-backup" /> backups <span className="swatch bar-restore" /> restores</p>
              </div>
            )}
          </section>
          <section className="card" aria-labelledby="h-bytype">
            <h2 id="h-bytype">By type and status</h2>
            <dl className="facts">
              {Object.entries<any>(s.by_type ?? {}).map(([t, v]) => (
                <div key={t} className="contents"><dt>{t}</dt><dd>{count(v.count)} · {bytes(v.total_size_bytes)}</dd></div>
              ))}
              {Object.entries<any>(s.by_status ?? {}).map(([t, v]) => (
                <div key={t} className="contents"><dt>{t}</dt><dd>{count(v)}</dd></div>
              ))}
            </dl>
          </section>
        </>
      )}
    </>
  );
}
