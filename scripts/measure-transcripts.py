#!/usr/bin/env python3
"""Measures the real Claude Code transcripts that docs/demo-data.md models (not part of the product).

Usage: scripts/measure-transcripts.py [DIR]   (default ../shared/data/claude-transcripts)
Prints the type mix, line sizes per type, session shapes, timestamp gaps and assistant fan-out.
"""
import collections, glob, json, os, statistics, sys
from datetime import datetime

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../shared/data/claude-transcripts')
files = sorted(glob.glob(os.path.join(root, '**/*.jsonl'), recursive=True))
types = collections.Counter()
sizes = collections.defaultdict(list)
subtypes = collections.Counter()
per_file_msgs = []
gaps = []
msg_lines = collections.Counter()   # lines per assistant message.id
blocks = collections.Counter()
user_kinds = collections.Counter()
sidechain = 0
nouuid = 0
roots = 0
tur = 0
projects = collections.defaultdict(set)
total_bytes = 0
for f in files:
    n = 0
    last = None
    ids = collections.Counter()
    proj = os.path.basename(os.path.dirname(f))
    for line in open(f, 'rb'):
        line = line.rstrip(b'\n')
        if not line: continue
        total_bytes += len(line) + 1
        d = json.loads(line)
        t = d.get('type', '')
        types[t] += 1
        sizes[t].append(len(line))
        if d.get('sessionId'): projects[proj].add(d['sessionId'])
        if 'uuid' in d:
            n += 1
            if d.get('parentUuid') is None: roots += 1
        else:
            nouuid += 1
        if d.get('isSidechain'): sidechain += 1
        if 'toolUseResult' in d: tur += 1
        if t == 'system': subtypes['system/' + str(d.get('subtype'))] += 1
        if t == 'progress': subtypes['progress/' + str(d.get('data', {}).get('type'))] += 1
        if t == 'attachment': subtypes['attachment/' + str(d.get('attachment', {}).get('type'))] += 1
        m = d.get('message')
        if t == 'assistant' and isinstance(m, dict):
            ids[m.get('id')] += 1
            for b in m.get('content') or []:
                if isinstance(b, dict): blocks['assistant/' + b.get('type', '?')] += 1
        if t == 'user' and isinstance(m, dict):
            c = m.get('content')
            if isinstance(c, str): user_kinds['string'] += 1
            else:
                for b in c or []:
                    if isinstance(b, dict): user_kinds[b.get('type', '?')] += 1
        ts = d.get('timestamp')
        if ts and 'uuid' in d:
            try:
                tt = datetime.fromisoformat(ts.replace('Z', '+00:00')).timestamp()
                if last is not None: gaps.append(tt - last)
                last = tt
            except Exception: pass
    per_file_msgs.append((n, os.path.relpath(f, root)))
    for k, v in ids.items(): msg_lines[v] += 1

def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]

all_lines = sum(types.values())
print(f'files {len(files)}  lines {all_lines}  bytes {total_bytes}  mean line {total_bytes / all_lines:.0f}')
print(f'projects {len(projects)}  sessions per project {[len(s) for s in projects.values()]}')
print('\ntype mix (lines, share, bytes share, size p50/p90/p99/max):')
for t, c in types.most_common():
    s = sizes[t]
    print(f'  {t:24} {c:6} {100 * c / all_lines:5.1f}%  {100 * sum(s) / total_bytes:5.1f}%  '
          f'{pct(s, 50):7} {pct(s, 90):7} {pct(s, 99):7} {max(s):8}')
allsz = [x for s in sizes.values() for x in s]
for lo, hi in [(0, 1e3), (1e3, 4e3), (4e3, 2e4), (2e4, 1e5), (1e5, 5e5), (5e5, 2e6)]:
    sel = [x for x in allsz if lo <= x < hi]
    print(f'  lines {int(lo):>7}..{int(hi):>7}: {len(sel):6} ({100 * len(sel) / len(allsz):5.2f}%), bytes {100 * sum(sel) / total_bytes:5.1f}%')
print('\nsubtypes:', dict(subtypes.most_common()))
print('assistant blocks:', dict(blocks), '\nuser content:', dict(user_kinds))
print('lines per assistant message.id:', dict(sorted(msg_lines.items())))
print(f'sidechain lines {sidechain}  no-uuid records {nouuid}  roots {roots}  toolUseResult lines {tur}')
msgs = sorted(n for n, _ in per_file_msgs)
print('messages per file:', msgs)
print(f'gaps s: p10 {pct(gaps, 10):.2f} p50 {pct(gaps, 50):.2f} p90 {pct(gaps, 90):.2f} p99 {pct(gaps, 99):.1f} '
      f'negative {sum(1 for g in gaps if g < 0)} of {len(gaps)}')
