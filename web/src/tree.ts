// The restore selection tree's logic (projects → sessions), kept apart from React so that it is
// tested on its own: which sessions are selected, each project's tri-state, toggling, search, and
// the `selections` of POST /restore that a selection means.
export interface TreeSession {
  id: string;
  label: string;
  messages: number;
  exists: boolean;
}
export interface TreeProject {
  id: string;
  label: string;
  sessions: TreeSession[];
  exists: boolean;
}
export type CheckState = 'checked' | 'unchecked' | 'mixed';

/// The selection is the set of selected session ids; a project with no sessions is selected through
/// its own id (kept in the same set).
export type Selection = ReadonlySet<string>;

export function projectState(p: TreeProject, sel: Selection): CheckState {
  if (p.sessions.length === 0) return sel.has(p.id) ? 'checked' : 'unchecked';
  let n = 0;
  for (const s of p.sessions) if (sel.has(s.id)) n++;
  return n === 0 ? 'unchecked' : n === p.sessions.length ? 'checked' : 'mixed';
}

/// Clicking a project: a checked one becomes unchecked; an unchecked or mixed one becomes checked
/// (all its sessions, or only those `visible` when a search filters them).
export function toggleProject(p: TreeProject, sel: Selection, visible?: (s: TreeSession) => boolean): Set<string> {
  const next = new Set(sel);
  const targets = p.sessions.filter((s) => !visible || visible(s));
  if (p.sessions.length === 0) {
    if (next.has(p.id)) next.delete(p.id);
    else next.add(p.id);
    return next;
  }
  const allOn = targets.length > 0 && targets.every((s) => next.has(s.id));
  for (const s of targets) {
    if (allOn) next.delete(s.id);
    else next.add(s.id);
  }
  return next;
}

export function toggleSession(id: string, sel: Selection): Set<string> {
  const next = new Set(sel);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

export function selectAll(projects: TreeProject[]): Set<string> {
  const s = new Set<string>();
  for (const p of projects) {
    if (p.sessions.length === 0) s.add(p.id);
    for (const x of p.sessions) s.add(x.id);
  }
  return s;
}

/// Projects and sessions matching `text` (case-insensitive, in a project's or session's label or id):
/// a matching project keeps all its sessions; otherwise only its matching sessions are kept.
export function filterTree(projects: TreeProject[], text: string): TreeProject[] {
  const q = text.trim().toLowerCase();
  if (!q) return projects;
  const hit = (s: string) => s.toLowerCase().includes(q);
  const out: TreeProject[] = [];
  for (const p of projects) {
    if (hit(p.label) || hit(p.id)) out.push(p);
    else {
      const sessions = p.sessions.filter((s) => hit(s.label) || hit(s.id));
      if (sessions.length) out.push({ ...p, sessions });
    }
  }
  return out;
}

/// The `selections` for POST /restore: whole projects by id when all their sessions are selected,
/// otherwise the selected sessions one by one.
export function toSelections(projects: TreeProject[], sel: Selection): { projects: string[]; sessions: string[] } {
  const out = { projects: [] as string[], sessions: [] as string[] };
  for (const p of projects) {
    const st = projectState(p, sel);
    if (st === 'checked') out.projects.push(p.id);
    else if (st === 'mixed') for (const s of p.sessions) if (sel.has(s.id)) out.sessions.push(s.id);
  }
  return out;
}

export function countSelected(projects: TreeProject[], sel: Selection): { sessions: number; messages: number } {
  let sessions = 0;
  let messages = 0;
  for (const p of projects)
    for (const s of p.sessions)
      if (sel.has(s.id)) {
        sessions++;
        messages += s.messages;
      }
  return { sessions, messages };
}
