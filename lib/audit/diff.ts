/** What changed between two audits: new drift, drift fixed, drift that stays, and what is ok in both. */
import type { RecordedResult, RunRecord } from '../report/record';
import type { Change } from '../types';

/** A task on a host, as a person names it: play, host and task name. */
export interface AuditItem {
  play: string;
  host: string;
  task: string;
  status: string;
  detail: string;
}

export interface AuditDiff {
  /** Drifted (would change) or failing now, and not in the old audit. */
  newDrift: AuditItem[];
  /** Drifted or failing in the old audit, ok (or gone) now. */
  fixed: AuditItem[];
  /** Drifted or failing in both. */
  stillDrifted: AuditItem[];
  /** How many tasks are ok (or skipped) in both. */
  unchangedOk: number;
  /** Hosts unreachable now that were not before, and the other way round. */
  newlyUnreachable: string[];
  reachableAgain: string[];
}

/** Drift (a task would change) and failures (the state could not be checked). */
const PROBLEM = new Set(['would change', 'failed']);

function changeText(c: Change): string {
  if (c.from === undefined && c.to === undefined) return c.field;
  if (c.from === undefined) return `${c.field}: ${c.to}`;
  return `${c.field}: ${c.from} → ${c.to ?? '(absent)'}`;
}

function detailOf(r: RecordedResult): string {
  if (r.status === 'failed') return (r.error ?? 'failed').split('\n')[0];
  if (r.changes.length > 0) return r.changes.map(changeText).join('; ');
  return r.message ?? '';
}

/** Each result by play name, host, task name (and its occurrence, for a name used twice). */
function index(record: RunRecord): Map<string, AuditItem> {
  const out = new Map<string, AuditItem>();
  for (const play of record.plays) {
    const seen = new Map<string, number>();
    for (const r of play.results) {
      const base = `${play.name}\u0000${r.host}\u0000${r.task}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.set(`${base}\u0000${n}`, { play: play.name, host: r.host, task: r.task, status: r.status, detail: detailOf(r) });
    }
  }
  return out;
}

export function diffAudits(older: RunRecord, newer: RunRecord): AuditDiff {
  const a = index(older);
  const b = index(newer);
  const diff: AuditDiff = { newDrift: [], fixed: [], stillDrifted: [], unchangedOk: 0, newlyUnreachable: [], reachableAgain: [] };
  for (const [k, now] of b) {
    const was = a.get(k);
    const bad = PROBLEM.has(now.status);
    if (bad && (!was || !PROBLEM.has(was.status))) diff.newDrift.push(now);
    else if (bad) diff.stillDrifted.push(now);
    else if (was && !PROBLEM.has(was.status)) diff.unchangedOk++;
  }
  for (const [k, was] of a) {
    const now = b.get(k);
    if (PROBLEM.has(was.status) && (!now || !PROBLEM.has(now.status))) diff.fixed.push(now ?? { ...was, status: 'gone', detail: 'no longer in the audit' });
  }
  diff.newlyUnreachable = Object.keys(newer.unreachable).filter((h) => !older.unreachable[h]);
  diff.reachableAgain = Object.keys(older.unreachable).filter((h) => !newer.unreachable[h]);
  return diff;
}

export function hasNewDrift(d: AuditDiff): boolean {
  return d.newDrift.length > 0 || d.newlyUnreachable.length > 0;
}

export function formatAuditDiff(d: AuditDiff, older: { label: string; record: RunRecord }, newer: { label: string; record: RunRecord }): string {
  const lines = [`audit diff: ${older.label} (${older.record.startedAt}) → ${newer.label} (${newer.record.startedAt})`];
  const list = (title: string, items: AuditItem[]) => {
    lines.push(`${title} (${items.length}):`);
    for (const i of items) lines.push(`  ${i.host} | ${i.task} | ${i.status}${i.detail ? ` | ${i.detail.replace(/\n/g, ' ⏎ ')}` : ''}`);
  };
  list('new drift since the last audit', d.newDrift);
  if (d.newlyUnreachable.length) lines.push(`newly unreachable: ${d.newlyUnreachable.join(', ')}`);
  list('fixed since the last audit', d.fixed);
  if (d.reachableAgain.length) lines.push(`reachable again: ${d.reachableAgain.join(', ')}`);
  list('still drifted', d.stillDrifted);
  lines.push(`unchanged: ${d.unchangedOk} task${d.unchangedOk === 1 ? '' : 's'} ok in both`);
  return lines.join('\n');
}
