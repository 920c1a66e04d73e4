import { describe, expect, it } from 'vitest';
import { countSelected, filterTree, projectState, selectAll, toggleProject, toggleSession, toSelections, TreeProject } from './tree';

const tree: TreeProject[] = [
  { id: 'p1', label: 'alpha', exists: true, sessions: [
    { id: 's1', label: 'fix login', messages: 10, exists: true },
    { id: 's2', label: 'write docs', messages: 5, exists: false },
  ] },
  { id: 'p2', label: 'beta', exists: false, sessions: [{ id: 's3', label: 'refactor login', messages: 7, exists: false }] },
  { id: 'p3', label: 'empty', exists: false, sessions: [] },
];

describe('selection tree', () => {
  it('derives unchecked, mixed and checked from the sessions', () => {
    expect(projectState(tree[0], new Set())).toBe('unchecked');
    expect(projectState(tree[0], new Set(['s1']))).toBe('mixed');
    expect(projectState(tree[0], new Set(['s1', 's2']))).toBe('checked');
  });

  it('toggles a mixed project to checked, then to unchecked', () => {
    let sel = toggleProject(tree[0], new Set(['s1']));
    expect([...sel].sort()).toEqual(['s1', 's2']);
    sel = toggleProject(tree[0], sel);
    expect(sel.size).toBe(0);
  });

  it('a project toggle leaves other projects alone', () => {
    const sel = toggleProject(tree[0], new Set(['s3']));
    expect(sel.has('s3')).toBe(true);
    expect(projectState(tree[1], sel)).toBe('checked');
  });

  it('toggling a project under a search only touches visible sessions', () => {
    const sel = toggleProject(tree[0], new Set(), (s) => s.label.includes('login'));
    expect([...sel]).toEqual(['s1']);
    expect(projectState(tree[0], sel)).toBe('mixed');
  });

  it('a project without sessions is selected through its own id', () => {
    const sel = toggleProject(tree[2], new Set());
    expect(projectState(tree[2], sel)).toBe('checked');
    expect(toSelections(tree, sel)).toEqual({ projects: ['p3'], sessions: [] });
  });

  it('turns a selection into whole projects plus single sessions', () => {
    const sel = toggleSession('s2', new Set(['s3']));
    expect(toSelections(tree, sel)).toEqual({ projects: ['p2'], sessions: ['s2'] });
    expect(countSelected(tree, sel)).toEqual({ sessions: 2, messages: 12 });
    expect(toSelections(tree, selectAll(tree)).projects).toEqual(['p1', 'p2', 'p3']);
  });

  it('search keeps matching projects whole and otherwise the matching sessions', () => {
    expect(filterTree(tree, 'LOGIN').map((p) => [p.id, p.sessions.map((s) => s.id)])).toEqual([
      ['p1', ['s1']],
      ['p2', ['s3']],
    ]);
    expect(filterTree(tree, 'alpha')[0].sessions.length).toBe(2);
    expect(filterTree(tree, '  ')).toBe(tree);
    expect(filterTree(tree, 'nothing')).toEqual([]);
  });
});
