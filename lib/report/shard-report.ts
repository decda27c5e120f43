/**
 * The --json report of a sharded run (`--shard I/N`), and reading one back for `keel report
 * merge`. It is the run's usual report with two additions: `shard` (which shard, and every host
 * of the whole run, so that merge can check the shards fit together and order hosts as one run
 * would), and each result's play and step (as lib/report/record.ts records them), by which merge
 * puts the shards' results back in task order.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import type { HostRecap } from '../reporter';
import type { Shard } from '../shard';
import type { RecordedPlay, RunRecord } from './record';

export interface ShardInfo extends Shard {
  /**
   * Every host of the unsharded run (its plays' hosts within --limit), in inventory order; this
   * shard ran those whose shard (lib/shard.ts shardOf) is `index`.
   */
  runHosts: string[];
}

/**
 * A --json report as lib/commands/run.ts writes it: the run record's fields but what only a
 * recorded run keeps (format, commit, plan, refused); `shard` only in a sharded run's.
 */
export type JsonReport = Omit<RunRecord, 'format' | 'commit' | 'plan' | 'refused'> & { keel: 1; shard?: ShardInfo };

export type ShardReport = JsonReport & { shard: ShardInfo };

/** What a sharded run adds to its --json report (and the recorded plays it writes instead of the plain ones). */
export function shardFields(shard: Shard, runHosts: readonly string[], record: RunRecord): { shard: ShardInfo; plays: RecordedPlay[] } {
  return { shard: { index: shard.index, count: shard.count, runHosts: [...runHosts] }, plays: record.plays };
}

/** The exit codes a run's report can hold (a usage error writes no report). */
const REPORT_EXIT_CODES = new Set([0, 1, 3, 4, 5, 130]);

/** Reads one shard's --json report; anything else (unreadable, not JSON, not a shard's keel report) is a ConfigError. */
export function readShardReport(file: string): ShardReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not a keel report: not JSON (${(err as Error).message})`);
  }
  const problem = shardReportProblem(value);
  if (problem) throw new ConfigError(`${file}: ${problem}`);
  return value as ShardReport;
}

/** Why `value` is not a shard's report, or undefined when it is one. */
export function shardReportProblem(value: unknown): string | undefined {
  const notKeel = 'not a keel report (the file `keel run --json FILE` writes)';
  if (!isObject(value) || value.keel !== 1) return notKeel;
  if (isObject(value.merged)) return 'a merged report already: merge the shards\' own reports';
  if (value.shard === undefined || value.shard === null) {
    return 'the report of a run without --shard: keel report merge joins the reports of one run\'s shards (--shard I/N)';
  }
  const s = value.shard;
  if (!isObject(s) || !isCount(s.count) || !Number.isSafeInteger(s.index) || s.index < 0 || s.index >= s.count || !isStrings(s.runHosts)) {
    return `${notKeel}: its "shard" is not {index, count, runHosts}`;
  }
  for (const key of ['playbook', 'inventory', 'startedAt'] as const) if (typeof value[key] !== 'string') return `${notKeel}: no "${key}"`;
  if (value.limit !== null && typeof value.limit !== 'string') return `${notKeel}: "limit" is not a pattern or null`;
  if (typeof value.check !== 'boolean' || typeof value.interrupted !== 'boolean') return `${notKeel}: no "check" or "interrupted"`;
  if (typeof value.durationMs !== 'number' || Number.isNaN(Date.parse(value.startedAt as string))) return `${notKeel}: no start time and duration`;
  if (!REPORT_EXIT_CODES.has(value.exitCode as number)) return `${notKeel}: "exitCode" ${JSON.stringify(value.exitCode)} is not a run's exit code`;
  if (!isObject(value.recap) || !Object.values(value.recap).every(isRecap)) return `${notKeel}: "recap" is not a recap per host`;
  if (!isObject(value.unreachable) || !Object.values(value.unreachable).every((e) => typeof e === 'string')) return `${notKeel}: "unreachable" is not an error per host`;
  if (!Array.isArray(value.plays)) return `${notKeel}: no "plays"`;
  for (const [i, play] of value.plays.entries()) {
    if (!isObject(play) || typeof play.name !== 'string' || !isStrings(play.hosts) || !Array.isArray(play.results)) return `${notKeel}: play ${i + 1} is not {name, hosts, results}`;
    for (const r of play.results) {
      if (!isObject(r) || typeof r.host !== 'string' || typeof r.task !== 'string' || typeof r.status !== 'string') return `${notKeel}: a result of play ${i + 1} has no host, task or status`;
      if (!Number.isInteger(r.step) || typeof r.handler !== 'boolean') return `${notKeel}: a result of play ${i + 1} has no step (was it written by an older keel?)`;
    }
  }
  return undefined;
}

const RECAP_KEYS = ['ok', 'changed', 'wouldChange', 'failed', 'skipped', 'unreachable', 'ignored'] as const;

function isRecap(v: unknown): v is HostRecap {
  return isObject(v) && RECAP_KEYS.every((k) => Number.isInteger(v[k]) && (v[k] as number) >= 0);
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 1;
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
