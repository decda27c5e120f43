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

/** A host's recap in Ansible's terms: ok counts changed tasks too; in check mode changed= is what would change. */
export function ansibleCounts(r: HostRecap, check: boolean): [string, number][] {
  const changed = r.changed + (check ? r.wouldChange : 0);
  return [
    ['ok', r.ok + r.changed + r.wouldChange],
    ['changed', changed],
    ['unreachable', r.unreachable],
    ['failed', r.failed],
    ['skipped', r.skipped],
    ['rescued', 0],
    ['ignored', r.ignored],
  ];
}

/**
 * The recap as Ansible prints it, one line a host, so that CI greps written for Ansible work:
 * `node1 : ok=16 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0`.
 * `paint` colours a count (ok green, changed yellow, failed red, ...) where colour is wanted.
 */
export function recapLines(
  recap: Readonly<Record<string, HostRecap>>,
  check: boolean,
  paint: (key: string, text: string, count: number) => string = (_k, t) => t,
): string {
  const hosts = Object.keys(recap);
  const width = Math.max(0, ...hosts.map((h) => h.length));
  const head = check ? 'PLAY RECAP (check mode: nothing was changed; changed= counts what would change)' : 'PLAY RECAP';
  const rows = hosts.map(
    (h) => `${h.padEnd(width)} : ` + ansibleCounts(recap[h], check).map(([k, n]) => paint(k, `${k}=${n}`, n)).join(' '),
  );
  return redact([head, ...rows].join('\n'));
}
