import { TimeoutError } from './errors';
import { FACTS_SCRIPT, parseHostFacts } from './host-facts';
import { batchScript, killedAtDeadline, parseBatch, type BatchEntry, type BatchResult } from './probe-batch';
import { mergeReads, type MergedResults } from './read-merge';
import type { Connection, ExecResult, HostFacts, HostView, Stdin, TaskResult } from './types';

/** Gathering a host's facts takes one short script; a host that cannot answer it in this long is failed. */
const FACTS_TIMEOUT_SECONDS = 60;

/** Extra time the client gives a batch beyond its deadlines, for the round trip itself. */
const BATCH_SLACK_MS = 5000;

/** A fact command's result, and the deadline it ran under. */
interface ReadResult extends BatchResult {
  timeoutSeconds: number;
}

/**
 * Everything the engine keeps for one host during a run: its connection, its gathered facts,
 * its registered results, and the results of fact commands read so far. Fact commands are read
 * in batches (one round trip for many); anything done on the host (a change, a command, a wait)
 * empties that cache, because what was read before may no longer be true. Every command runs
 * under a deadline: killed on the host and timed on the client.
 */
export class HostSession {
  readonly registered: Record<string, TaskResult> = {};
  private hostFacts?: Promise<HostFacts>;
  private reads = new Map<string, Promise<ReadResult>>();
  /** An earlier task on this host changed or would change: later predictions may rest on it. */
  changedSoFar = false;
  /** Changes applied on this host so far; a host that is changing is read a few tasks at a time. */
  changesApplied = 0;
  roundTrips = 0;

  constructor(
    readonly host: HostView,
    readonly conn: Connection,
    private readonly verbose: (line: string) => void = () => {},
  ) {}

  /**
   * The host facts, gathered on first use under their own deadline, then kept for the run. Reads
   * that need no host facts (`early`: every play's, for a converged host often most of them) come
   * back in the same round trip, as one batch with the facts script.
   */
  gatherFacts(early: readonly BatchEntry[] = []): Promise<HostFacts> {
    if (!this.hostFacts) {
      // The facts script only reads and prints (its variables named keel_*): no subshell of its own.
      const facts = { command: FACTS_SCRIPT, timeoutSeconds: FACTS_TIMEOUT_SECONDS, sharesShell: true };
      this.prefetch([facts, ...early]);
      // Not a task's read: kept as the host facts, not in the cache of reads.
      const batched = this.reads.get(FACTS_SCRIPT);
      this.reads.delete(FACTS_SCRIPT);
      const gathered = batched ?? this.exec(FACTS_SCRIPT, Date.now() + FACTS_TIMEOUT_SECONDS * 1000).then((r) => ({ ...r, timedOut: false }));
      this.hostFacts = gathered.then((r) => {
        if (r.timedOut) throw new TimeoutError(`gathering facts timed out after ${FACTS_TIMEOUT_SECONDS}s`);
        if (r.code !== 0) throw new Error(`gathering facts failed (exit ${r.code}): ${r.stderr.trim()}`);
        return parseHostFacts(r.stdout);
      });
    }
    return this.hostFacts;
  }

  /** For tests of single tasks: facts given rather than gathered. */
  useFacts(facts: HostFacts): void {
    this.hostFacts = Promise.resolve(facts);
  }

  /** Runs a command that must end by `deadline` (ms since the epoch): killed on the host, timed on the client. */
  async exec(command: string, deadline: number, options: { stdin?: Stdin; deadlinesOnHost?: boolean } = {}): Promise<ExecResult> {
    const left = deadline - Date.now();
    if (left <= 0) throw new TimeoutError('no time left before the deadline');
    this.roundTrips++;
    this.verbose(`$ ${command}`);
    const result = await this.conn.exec(command, { stdin: options.stdin, timeoutMs: left, deadlinesOnHost: options.deadlinesOnHost });
    this.verbose(`  exit ${result.code}${result.stdout ? `\n${indent(result.stdout)}` : ''}${result.stderr ? `\n${indent(result.stderr)}` : ''}`);
    if (killedAtDeadline(result)) throw new TimeoutError(`command timed out after ${Math.ceil(left / 1000)}s`);
    return result;
  }

  log(line: string): void {
    this.verbose(line);
  }

  /** A fact command's result: from the batch when it was prefetched, else read now. */
  read(command: string, timeoutSeconds: number): Promise<ReadResult> {
    let p = this.reads.get(command);
    if (!p) {
      p = this.readAlone(command, timeoutSeconds);
      this.remember(command, p);
    }
    return p;
  }

  private readAlone(command: string, timeoutSeconds: number): Promise<ReadResult> {
    return this.exec(command, Date.now() + timeoutSeconds * 1000).then((r) => ({ ...r, timedOut: false, timeoutSeconds }));
  }

  /**
   * Reads every command not yet read in one round trip. A read the batch did not answer is read
   * again: the one cut short by an earlier read's deadline alone (its parts together, when it was
   * merged), and beside it, at once, the others left over (never begun, or parts a merged read
   * could not answer) together, not one round trip each.
   */
  prefetch(entries: readonly BatchEntry[]): void {
    const wanted = new Map<string, BatchEntry>();
    for (const e of entries) if (!this.reads.has(e.command) && !wanted.has(e.command)) wanted.set(e.command, e);
    if (wanted.size < 2) return;
    const list = [...wanted.values()];
    this.readBatched(list).forEach((p, i) => this.remember(list[i].command, p));
  }

  /**
   * One promise per read: from one batch, or, for a read it left without a result, from reading
   * again as prefetch says. Each batch gives the read that runs first its whole deadline, so each
   * round ends that read (or takes a merged one apart), and a hang holds up the reads that never
   * began for one deadline: they go out again without waiting for the hung read's second try. A
   * single read goes alone: a batch of one buys nothing.
   */
  private readBatched(list: readonly BatchEntry[]): Promise<ReadResult>[] {
    if (list.length === 1) return [this.readAlone(list[0].command, list[0].timeoutSeconds)];
    const batch = this.runBatch(list).then((m) => ({ m, again: this.readLeftovers(list, m) }));
    return list.map((e, i) =>
      batch.then(({ m, again }) => {
        const r = m.results[i];
        return r ? { ...r, timeoutSeconds: e.timeoutSeconds } : again.get(i)!;
      }),
    );
  }

  /** The reads a batch left without a result, by their index in `list`: the one cut short, and the others, each group read again. */
  private readLeftovers(list: readonly BatchEntry[], { results, unanswered, cut }: MergedResults): Map<number, Promise<ReadResult>> {
    const again = new Map<number, Promise<ReadResult>>();
    const missing = list.map((_e, i) => i).filter((i) => !results[i]);
    // A read its merged read did not answer runs as its own command from now on.
    const entry = (i: number) => (unanswered.includes(i) ? { ...list[i], merge: undefined } : list[i]);
    for (const group of [missing.filter((i) => !cut.includes(i)), cut]) {
      if (group.length) this.readBatched(group.map(entry)).forEach((p, k) => again.set(group[k], p));
    }
    return again;
  }

  /** One round trip for these reads, those of a kind merged (lib/read-merge.ts). */
  private runBatch(list: readonly BatchEntry[]): Promise<MergedResults> {
    const merged = mergeReads(list);
    const plan = batchScript(merged.run);
    // The batch kills its own reads at their deadline: no `timeout` around it on the host. A host
    // without `timeout` kills nothing: there the client's bound is the sum of the reads' deadlines.
    const deadline = Date.now() + plan.unkilledSeconds * 1000 + BATCH_SLACK_MS;
    return this.exec(plan.script, deadline, { deadlinesOnHost: true }).then((r) => {
      if (r.code !== 0) throw new Error(`read batch failed (exit ${r.code}): ${r.stderr.trim()}`);
      return merged.resultsOf(parseBatch(plan, r.stdoutBytes ?? r.stdout, r.stderr));
    });
  }

  private remember(command: string, p: Promise<ReadResult>): void {
    this.reads.set(command, p);
    // A failed read is not kept: the next task asks again. (The caller still sees the failure.)
    p.catch(() => {
      if (this.reads.get(command) === p) this.reads.delete(command);
    });
  }

  /** Told each time a task acts on this host (the run drops every host's reads at the next play). */
  onAct?: () => void;

  /** After a task acted on the host: what was read may be stale. Host facts stay (hostname and addresses rarely move). */
  invalidate(): void {
    this.reads.clear();
    this.onAct?.();
  }

  /** Drops what was read without anything done here: another host acted, and hosts can share state. */
  forgetReads(): void {
    this.reads.clear();
  }

  /** Whether every one of these commands was read (or is being read) since the last change. */
  hasRead(entries: readonly BatchEntry[]): boolean {
    return entries.every((e) => this.reads.has(e.command));
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
}
