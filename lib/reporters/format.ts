import type { HostRecap } from '../reporter';
import { redact } from '../secrets';
import type { Change, TaskResult } from '../types';

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** `stonith-enabled: true → false`, `package kamailio: absent → installed`. */
function formatChange(c: Change): string {
  if (c.from === undefined && c.to === undefined) return c.field;
  if (c.from === undefined) return `${c.field}: ${c.to}`;
  return `${c.field}: ${c.from} → ${c.to ?? '(absent)'}`;
}

/** The words after a task's status: why it changed, what is true, or the error. */
export function detail(r: TaskResult): string {
  if (r.status === 'failed') return r.error ?? 'failed';
  if (r.status === 'changed' || r.status === 'would change') return r.changes.map(formatChange).join('; ');
  return r.message ?? '';
}

/** Field-by-field and unified diffs for --diff, indented under their task. */
export function formatDiff(r: TaskResult): string {
  const lines: string[] = [];
  if (r.diff) lines.push(...r.diff.trimEnd().split('\n').filter((l) => !l.startsWith('=====') && !l.startsWith('Index: ')));
  else for (const c of r.changes) lines.push(formatChange(c));
  return lines.map((l) => '    ' + l).join('\n');
}

export function recapTable(recap: Readonly<Record<string, HostRecap>>, check: boolean): string {
  const hosts = Object.keys(recap);
  const width = Math.max(4, ...hosts.map((h) => h.length));
  const cols: [string, keyof HostRecap][] = [
    ['ok', 'ok'],
    [check ? 'would change' : 'changed', check ? 'wouldChange' : 'changed'],
    ['failed', 'failed'],
    ['skipped', 'skipped'],
    ['unreachable', 'unreachable'],
    ['ignored', 'ignored'],
  ];
  const head = 'host'.padEnd(width) + '  ' + cols.map(([n]) => n).join('  ');
  const rows = hosts.map(
    (h) => h.padEnd(width) + '  ' + cols.map(([n, k]) => String(recap[h][k]).padStart(n.length)).join('  '),
  );
  return redact(['RECAP' + (check ? ' (check mode: nothing was changed)' : ''), head, ...rows].join('\n'));
}
