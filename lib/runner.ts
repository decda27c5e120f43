import pLimit from 'p-limit';
import { openConnection } from './connect';
import { describeError } from './errors';
import type { ExitCode } from './exit-codes';
import type { TaskHooks } from './hooks';
import { HostSession } from './host-session';
import type { Inventory, ResolvedHost } from './inventory';
import { planPlay, type HostPlan } from './plan';
import { isTask, runPlay, type PlayReport } from './play';
import { countResult, exitCodeFor } from './recap';
import { emptyRecap, type HostRecap, type Reporter } from './reporter';
import type { BatchEntry } from './probe-batch';
import { mayRun, readsOf, runsHere } from './task-reads';
import type { Connection, HostFacts, Play, TaskResult } from './types';

export type { PlayReport } from './play';

export interface RunOptions {
  check: boolean;
  forks: number;
  limit?: string;
  tags?: readonly string[];
  skipTags?: readonly string[];
  acceptNewHostKeys?: boolean;
  reporter: Reporter;
  verbose?: (host: string, line: string) => void;
  /** Aborted on SIGINT: no new task starts. */
  signal?: AbortSignal;
  /** Observers of each task (plans: fingerprints and the apply gate); none by default. */
  hooks?: TaskHooks;
  /** Opens a host's connection: the command line passes a prepared lib/connect.ts Connector, tests a fake. */
  connect?: (host: ResolvedHost) => Promise<Connection>;
}

export interface RunReport {
  check: boolean;
  startedAt: string;
  durationMs: number;
  exitCode: ExitCode;
  interrupted: boolean;
  recap: Record<string, HostRecap>;
  unreachable: Record<string, string>;
  plays: PlayReport[];
}

/**
 * The state of one run across its plays: a session per host (connected, and its facts gathered,
 * once), which hosts have failed or been lost, and the recap.
 */
export class Run {
  readonly recap: Record<string, HostRecap> = {};
  readonly unreachable: Record<string, string> = {};
  private failed = new Set<string>();
  private sessions = new Map<string, Promise<HostSession | undefined>>();
  private connectLimit: ReturnType<typeof pLimit>;
  /** Tasks that acted on any host, and how many had when reads were last known good for every host. */
  private actions = 0;
  private actionsAtPlayStart = 0;

  /**
   * @param readsFor what a host will read: without facts, what needs none (asked for in the round
   *   trip that gathers them); with them, the rest (asked for as soon as they are in).
   */
  constructor(
    readonly options: RunOptions,
    private readonly readsFor: (host: ResolvedHost, facts?: HostFacts) => BatchEntry[] = () => [],
  ) {
    this.connectLimit = pLimit(options.forks);
  }

  get reporter(): Reporter {
    return this.options.reporter;
  }

  /** The host's session; connecting (and gathering its facts) starts on first ask. Undefined when unreachable. */
  sessionFor(host: ResolvedHost): Promise<HostSession | undefined> {
    let s = this.sessions.get(host.name);
    if (!s) {
      s = this.connectLimit(async () => {
        try {
          const conn = await (this.options.connect ?? ((h) => openConnection(h, this.options)))(host);
          const verbose = this.options.verbose;
          const session = new HostSession(host, conn, verbose ? (l) => verbose(host.name, l) : undefined);
          session.onAct = () => this.actions++;
          // Gathered within this host's connect slot, so at most `forks` hosts connect or gather at
          // once (64 hosts gathering together on one machine timed out); a failure is reported by
          // the host's first task.
          const facts = await session.gatherFacts(this.readsFor(host)).catch(() => undefined);
          // The reads built from the facts go out as soon as the facts are in, not when a play
          // reaches them: a host waiting there for a slower one to finish a task would idle.
          if (facts) session.prefetch(this.readsFor(host, facts));
          return session;
        } catch (err) {
          this.markUnreachable(host.name, describeError(err));
          return undefined;
        }
      });
      this.sessions.set(host.name, s);
    }
    return s;
  }

  /**
   * At a play's start: if a task acted anywhere since the last play began, every host's reads
   * are dropped, not only that host's. Hosts share state (a cluster's configuration, a file one
   * exports and another reads), and what the run read ahead (later plays' reads come with the
   * host facts) must not outlive a change it may not see.
   */
  startPlay(): void {
    if (this.actions === this.actionsAtPlayStart) return;
    this.actionsAtPlayStart = this.actions;
    // Not awaited: a host still connecting holds up no play. What it has read by the time it is
    // connected is dropped then, before any task's turn (tasks wait on the same promise).
    for (const s of this.sessions.values()) void s.then((session) => session?.forgetReads());
  }

  alive(host: string): boolean {
    return !this.failed.has(host) && !this.unreachable[host];
  }

  markFailed(host: string): void {
    this.failed.add(host);
  }

  markUnreachable(host: string, error: string): void {
    if (this.unreachable[host]) return;
    this.unreachable[host] = error;
    this.recap[host].unreachable = 1;
    this.reporter.hostUnreachable(host, error);
  }

  count(r: TaskResult): void {
    countResult(this.recap, r);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.sessions.values()].map(async (s) => {
        const session = await s;
        await session?.conn.close().catch(() => {});
      }),
    );
  }
}

/**
 * Plans every play for every host before contacting any (so bad task parameters fail first),
 * then runs plays in order. Every host of the run starts connecting at once.
 */
export async function runPlaybook(plays: readonly Play[], inventory: Inventory, options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const planned = plays.map((play) => ({ play, plans: planPlay(play, inventory, options) }));
  const run = new Run(options, (host, facts) => readsAhead(planned, host, facts));
  for (const { plans } of planned) for (const p of plans) run.recap[p.host.name] ??= emptyRecap();
  for (const { plans } of planned) for (const p of plans) void run.sessionFor(p.host);

  const reports: PlayReport[] = [];
  try {
    for (const { play, plans } of planned) {
      if (options.signal?.aborted) break;
      run.startPlay();
      reports.push(await runPlay(play, plans, run));
    }
  } finally {
    await run.close();
  }

  const interrupted = options.signal?.aborted ?? false;
  options.reporter.recap(run.recap, options.check);
  return {
    check: options.check,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    exitCode: exitCodeFor(run.recap, options.check, interrupted),
    interrupted,
    recap: run.recap,
    unreachable: run.unreachable,
    plays: reports,
  };
}

/**
 * What a host reads in every play it is in: without its facts, the reads that need none (a
 * converged host answers them in the round trip that gathers its facts); with them, all. A later
 * play's reads are read ahead: Run.startPlay drops them if anything acted before that play
 * (another host's change may show in them: a file one host exports and another reads). None
 * where a play's task list is itself built from the facts.
 */
function readsAhead(planned: readonly { plans: readonly HostPlan[] }[], host: ResolvedHost, facts?: HostFacts): BatchEntry[] {
  return planned.flatMap(({ plans }) => {
    const p = plans.find((q) => q.host.name === host.name);
    // Nothing is registered before a host's first task: a condition on an earlier task's result is false now.
    return p?.steps ? readsOf(p.steps.filter(isTask).filter(runsHere(p, plans)).filter(mayRun(host, {}, facts)), facts) : [];
  });
}
