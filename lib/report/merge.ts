/**
 * `keel report merge`: the reports of one run's shards (`--shard I/N`) joined into the report one
 * unsharded run would have written: every host once, in the run's order, every play's results in
 * task order, one recap, and the exit code of one run. Reports that do not fit together (shards of
 * different runs or counts, a shard twice, a host in two shards, a shard missing) are refused
 * rather than joined into a report that looks whole and is not.
 */
import { ConfigError } from '../errors';
import { ExitCode } from '../exit-codes';
import { exitCodeFor } from '../recap';
import type { HostRecap } from '../reporter';
import { shardOf } from '../shard';
import type { RecordedPlay, RecordedResult } from './record';
import type { JsonReport, ShardReport } from './shard-report';

export interface ShardInput {
  /** Where the report came from, for messages. */
  file: string;
  report: ShardReport;
}

/** The merged report: a --json report of the whole run, saying which shards it joined. */
export interface MergedReport extends Omit<JsonReport, 'shard'> {
  merged: {
    count: number;
    /** The shards joined, ascending. */
    shards: number[];
    /** Shards with no report (only with allowPartial): their hosts are in no part of this report. */
    missing: number[];
    /** Hosts of the run in a missing shard. */
    missingHosts: string[];
  };
}

/**
 * A run's exit codes, worst first: the order of lib/recap.ts exitCodeFor (interrupted, a failed
 * task, a lost host, drift), with a refused plan (5) under a failed or lost host, as a plan's
 * verification pass that fails or loses a host exits 1 or 3 and not 5.
 */
const WORST_FIRST: readonly number[] = [ExitCode.interrupted, ExitCode.failed, ExitCode.unreachable, ExitCode.planRefused, ExitCode.drift, ExitCode.ok];

export function worstExitCode(codes: readonly number[]): number {
  return WORST_FIRST.find((c) => codes.includes(c)) ?? ExitCode.ok;
}

export function mergeShardReports(inputs: readonly ShardInput[], options: { allowPartial?: boolean } = {}): MergedReport {
  if (inputs.length === 0) throw new ConfigError('no shard reports to merge');
  checkSameRun(inputs);
  const [first] = inputs;
  const { count, runHosts } = first.report.shard;
  const position = new Map(runHosts.map((h, i) => [h, i]));
  checkHosts(inputs, position);

  const given = new Set(inputs.map((i) => i.report.shard.index));
  const missing = [...Array(count).keys()].filter((i) => !given.has(i));
  const missingHosts = runHosts.filter((h) => !given.has(shardOf(h, count)));
  if (missing.length > 0 && !options.allowPartial) {
    const list = inputs.map((i) => `${i.file} is shard ${i.report.shard.index}`).join(', ');
    throw new ConfigError(
      `missing ${missing.length === 1 ? 'shard' : 'shards'} ${missing.join(', ')} of ${count}: ${missingHosts.length} ` +
        `${missingHosts.length === 1 ? 'host' : 'hosts'} of the run ${missingHosts.length === 1 ? 'has' : 'have'} no report (${list}); ` +
        'give every shard\'s report, or --allow-partial for a report of these shards alone',
    );
  }
  if (missing.length === 0) {
    const ran = new Set(inputs.flatMap((i) => Object.keys(i.report.recap)));
    const lost = runHosts.filter((h) => !ran.has(h));
    if (lost.length > 0) throw new ConfigError(`the reports do not cover every host of the run: no report has ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', ...' : ''}`);
  }

  const byPosition = (a: string, b: string) => position.get(a)! - position.get(b)!;
  const plays = mergePlays(inputs, byPosition, position);
  const recap = orderedRecap(inputs, plays, byPosition);
  const unreachable: Record<string, string> = {};
  for (const host of Object.keys(recap)) {
    const error = inputs.find((i) => Object.hasOwn(i.report.unreachable, host))?.report.unreachable[host];
    if (error !== undefined) unreachable[host] = error;
  }
  const starts = inputs.map((i) => Date.parse(i.report.startedAt));
  const ends = inputs.map((i, k) => starts[k] + i.report.durationMs);
  const interrupted = inputs.some((i) => i.report.interrupted);
  const check = first.report.check;
  return {
    keel: 1,
    playbook: first.report.playbook,
    inventory: first.report.inventory,
    limit: first.report.limit,
    check,
    startedAt: new Date(Math.min(...starts)).toISOString(),
    // The wall time from the first shard's start to the last one's end.
    durationMs: Math.max(...ends) - Math.min(...starts),
    // Computed from the joined recap as a run computes it, and never better than a shard's own
    // (a refused plan leaves no trace in the recap).
    exitCode: worstExitCode([exitCodeFor(recap, check, interrupted), ...inputs.map((i) => i.report.exitCode)]),
    interrupted,
    recap,
    unreachable,
    plays,
    merged: { count, shards: [...given].sort((a, b) => a - b), missing, missingHosts },
  };
}

/** Shards of one run: one count, each index once, the same playbook, inventory, --limit, mode and hosts. */
function checkSameRun(inputs: readonly ShardInput[]): void {
  const [first] = inputs;
  const a = first.report;
  const seen = new Map<number, string>();
  for (const { file, report: b } of inputs) {
    if (b.shard.count !== a.shard.count) {
      throw new ConfigError(`reports of different shard counts: ${first.file} is shard ${a.shard.index} of ${a.shard.count}, ${file} shard ${b.shard.index} of ${b.shard.count}`);
    }
    const twice = seen.get(b.shard.index);
    if (twice !== undefined) {
      throw new ConfigError(`${twice} and ${file} are both shard ${b.shard.index} of ${b.shard.count}: each shard's report goes in once`);
    }
    seen.set(b.shard.index, file);
    const not = `${first.file} and ${file} are not shards of one run`;
    if (b.playbook !== a.playbook) throw new ConfigError(`${not}: playbook "${a.playbook}" and "${b.playbook}"`);
    if (b.check !== a.check) throw new ConfigError(`${not}: one is a check run and the other is not`);
    if (b.inventory !== a.inventory) throw new ConfigError(`${not}: inventory ${a.inventory} and ${b.inventory}`);
    if (b.limit !== a.limit) throw new ConfigError(`${not}: --limit ${a.limit ?? '(none)'} and ${b.limit ?? '(none)'}`);
    if (b.shard.runHosts.join('\n') !== a.shard.runHosts.join('\n')) {
      throw new ConfigError(`${not}: they list different hosts for the whole run (${a.shard.runHosts.length} and ${b.shard.runHosts.length}): the inventory or the playbook changed between them`);
    }
  }
}

/** Each host in one report only, in the shard its name hashes to, and a host of the run. */
function checkHosts(inputs: readonly ShardInput[], position: ReadonlyMap<string, number>): void {
  const owner = new Map<string, string>();
  for (const { file, report } of inputs) {
    const { index, count } = report.shard;
    const hosts = new Set([...Object.keys(report.recap), ...report.plays.flatMap((p) => [...p.hosts, ...p.results.map((r) => r.host)])]);
    for (const host of hosts) {
      const other = owner.get(host);
      if (other !== undefined) throw new ConfigError(`host ${host} is in both ${other} and ${file}: a host runs in one shard only`);
      owner.set(host, file);
      if (!position.has(host)) throw new ConfigError(`${file} has host ${host}, which is not a host of the run`);
      const its = shardOf(host, count);
      if (its !== index) throw new ConfigError(`${file} (shard ${index} of ${count}) has host ${host}, whose shard is ${its}`);
    }
  }
}

/**
 * Each play once, its hosts in the run's order and its results in task order: by step, then by
 * host. A shard's results carry their step (lib/report/record.ts); handlers notified in the play
 * run after its last task, at a step number that depends on the shard's own hosts' task lists,
 * so they are put after every shard's tasks, in step order.
 */
function mergePlays(inputs: readonly ShardInput[], byPosition: (a: string, b: string) => number, position: ReadonlyMap<string, number>): RecordedPlay[] {
  const length = Math.max(...inputs.map((i) => i.report.plays.length));
  const plays: RecordedPlay[] = [];
  for (let p = 0; p < length; p++) {
    const parts = inputs.filter((i) => i.report.plays[p]).map((i) => ({ file: i.file, play: i.report.plays[p] }));
    const name = parts[0].play.name;
    const odd = parts.find((x) => x.play.name !== name);
    if (odd) throw new ConfigError(`play ${p + 1} is "${name}" in ${parts[0].file} and "${odd.play.name}" in ${odd.file}: not the same playbook`);
    const keyed = parts.flatMap(({ play }) => resultKeys(play.results, position));
    keyed.sort((a, b) => a.phase - b.phase || a.step - b.step || a.seq - b.seq || a.host - b.host);
    plays.push({ name, hosts: parts.flatMap((x) => x.play.hosts).sort(byPosition), results: keyed.map((k) => k.result) });
  }
  return plays;
}

/** Sort keys of one shard's results in one play. */
function resultKeys(results: readonly RecordedResult[], position: ReadonlyMap<string, number>) {
  const lastTaskStep = Math.max(-1, ...results.filter((r) => !r.handler).map((r) => r.step));
  const seen = new Map<string, number>();
  return results.map((result) => {
    // Past every task of this shard: the handlers at the end of the play.
    const phase = result.handler && result.step > lastTaskStep ? 1 : 0;
    // A host's several results at one step (handlers at a flush) keep their order.
    const at = `${phase}\u0000${result.step}\u0000${result.host}`;
    const seq = seen.get(at) ?? 0;
    seen.set(at, seq + 1);
    return { result, phase, step: result.step, seq, host: position.get(result.host)! };
  });
}

/**
 * The recap in the order a run builds it: the hosts of its first play, then the hosts each later
 * play adds, each in inventory order; hosts of plays no shard reached (an interrupted run) last.
 */
function orderedRecap(inputs: readonly ShardInput[], plays: readonly RecordedPlay[], byPosition: (a: string, b: string) => number): Record<string, HostRecap> {
  const all = new Map<string, HostRecap>();
  for (const i of inputs) for (const [host, r] of Object.entries(i.report.recap)) all.set(host, r);
  const recap: Record<string, HostRecap> = {};
  for (const play of plays) for (const host of play.hosts) if (all.has(host)) recap[host] ??= all.get(host)!;
  for (const host of [...all.keys()].sort(byPosition)) recap[host] ??= all.get(host)!;
  return recap;
}
