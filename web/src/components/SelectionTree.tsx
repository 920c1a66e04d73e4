// The restore preview as a tree (projects → sessions) with tri-state checkboxes and a search; the
// logic lives in tree.ts.
import { useEffect, useRef, useState } from 'react';
import { count } from '../format';
import { CheckState, filterTree, projectState, Selection, toggleProject, toggleSession, TreeProject } from '../tree';

function TriCheckbox({ state, label, onChange }: { state: CheckState; label: string; onChange: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = state === 'mixed';
  }, [state]);
  return (
    <input ref={ref} type="checkbox" checked={state === 'checked'} aria-checked={state === 'mixed' ? 'mixed' : state === 'checked'}
      aria-label={label} onChange={onChange} />
  );
}

export function SelectionTree({ projects, selection, onChange }: { projects: TreeProject[]; selection: Selection; onChange: (s: Set<string>) => void }) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState<Set<string>>(new Set());
  const shown = filterTree(projects, text);
  const searching = text.trim() !== '';
  return (
    <div className="tree">
      <label htmlFor="tree-search">Search projects and sessions</label>
      <input id="tree-search" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="name, summary or id" />
      <ul role="tree" aria-label="Backup contents">
        {shown.map((p) => {
          const full = projects.find((x) => x.id === p.id)!;
          const expanded = searching || open.has(p.id);
          const visibleIds = new Set(p.sessions.map((s) => s.id));
          return (
            <li key={p.id} role="treeitem" aria-expanded={p.sessions.length ? expanded : undefined} aria-selected={projectState(full, selection) === 'checked'}>
              <div className="tree-row">
                {p.sessions.length > 0 ? (
                  <button type="button" className="twisty" aria-label={`${expanded ? 'Collapse' : 'Expand'} ${p.label}`}
                    onClick={() => { const n = new Set(open); if (n.has(p.id)) n.delete(p.id); else n.add(p.id); setOpen(n); }}>
                    {expanded ? '▾' : '▸'}
                  </button>
                ) : <span className="twisty" />}
                <label className="choice">
                  <TriCheckbox state={projectState(full, selection)} label={`Project ${p.label}`}
                    onChange={() => onChange(toggleProject(full, selection, searching ? (s) => visibleIds.has(s.id) : undefined))} />
                  <span>
                    <strong>{p.label}</strong> <span className="muted small">{full.sessions.length} sessions</span>
                    {p.exists && <span className="badge badge-pending">exists</span>}
                  </span>
                </label>
              </div>
              {expanded && p.sessions.length > 0 && (
                <ul role="group">
                  {p.sessions.map((s) => (
                    <li key={s.id} role="treeitem" aria-selected={selection.has(s.id)}>
                      <label className="choice">
                        <input type="checkbox" checked={selection.has(s.id)} onChange={() => onChange(toggleSession(s.id, selection))} aria-label={`Session ${s.label}`} />
                        <span>{s.label} <span className="muted small">{count(s.messages)} messages</span>{s.exists && <span className="badge badge-pending">exists</span>}</span>
                      </label>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      {shown.length === 0 && <p className="muted">Nothing matches “{text}”.</p>}
    </div>
  );
}
