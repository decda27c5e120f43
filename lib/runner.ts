import pLimit from 'p-limit';
import { openConnection } from './connect';
import { describeError } from './errors';
import { executeTask } from './execute';
import { ExitCode } from './exit-codes';
import { HostSession } from './host-session';
import { selectHosts, type Inventory, type ResolvedHost } from './inventory';
import { emptyRecap, type HostRecap, type Reporter } from './reporter';
import type { Connection, Play, Task, TaskResult } from './types';

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
  /** Opens a host's connection: the command line passes a prepared lib/connect.ts Connector, tests a fake. */
  connect?: (host: ResolvedHost) => Promise<Connection>;
}

export interface PlayReport {
  name: string;
  hosts: string[];
  results: TaskResult[];
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

/** A task planned for one host: the playbook's tasks after tag filtering, with handlers by name. */
interface HostPlan {
  host: ResolvedHost;
  tasks: Task[];
  handlers: Record<string, Task>;
}

/** How many tasks' probes are batched together after a host has had a change. */
const PREFETCH_AFTER_CHANGE = 4;

/** Marks the point where notified handlers run, before the end of the play. */
export const FLUSH_HANDLERS = 'flushHandlers';

/**
 * Plans every play for every host before contacting any (so bad task parameters fail
 * first), then runs plays in order. Within a play, hosts move through the task list
 * together (Ansible's linear strategy), each task on up to `forks` hosts at once; a host
 * that fails or is lost leaves the run while the others go on.
 */
export async function runPlaybook(plays: readonly Play[], inventory: Inventory, options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const planned = plays.map((play) => ({ play, plans: planPlay(play, inventory, options) }));

  const recap: Record<string, HostRecap> = {};
  const unreachable: Record<string, string> = {};
  const failedHosts = new Set<string>();
  const sessions = new Map<string, Promise<HostSession | undefined>>();
  const connectLimit = pLimit(options.forks);
  const reports: PlayReport[] = [];
  const reporter = options.reporter;

  const markUnreachable = (host: string, error: string) => {
    if (unreachable[host]) return;
    unreachable[host] = error;
    recap[host].unreachable = 1;
    reporter.hostUnreachable(host, error);
  };

  // Connection set-up overlaps across hosts: every host of the run starts connecting at once.
  const sessionFor = (host: ResolvedHost): Promise<HostSession | undefined> => {
    let s = sessions.get(host.name);
    if (!s) {
      s = connectLimit(async () => {
        try {
          const conn = await (options.connect ?? openConnection)(host, options);
          return new HostSession(host, conn, options.verbose ? (l) => options.verbose!(host.name, l) : undefined);
        } catch (err) {
          markUnreachable(host.name, describeError(err));
          return undefined;
        }
      });
      sessions.set(host.name, s);
    }
    return s;
  };
  for (const { plans } of planned) for (const p of plans) recap[p.host.name] ??= emptyRecap();
  for (const { plans } of planned) for (const p of plans) void sessionFor(p.host);

  const count = (r: TaskResult) => {
    const c = recap[r.host];
    if (r.status === 'ok') c.ok++;
    else if (r.status === 'changed') c.changed++;
    else if (r.status === 'would change') c.wouldChange++;
    else if (r.status === 'failed' && r.ignored) c.ignored++;
    else if (r.status === 'failed') c.failed += r.unreachable ? 0 : 1;
    else c.skipped++;
  };

  try {
    for (const { play, plans } of planned) {
      if (options.signal?.aborted) break;
      const report: PlayReport = { name: play.name, hosts: plans.map((p) => p.host.name), results: [] };
      reports.push(report);
      reporter.playStart(
        play.name,
        new Map(plans.map((p) => [p.host.name, { tasks: p.tasks.map(taskName), handlers: Object.keys(p.handlers) }])),
      );
      const limit = pLimit(options.forks);
      const notified = new Map<string, Set<string>>(plans.map((p) => [p.host.name, new Set()]));
      const alive = (p: HostPlan) => !failedHosts.has(p.host.name) && !unreachable[p.host.name];

      const record = (r: TaskResult, index: number) => {
        report.results.push(r);
        count(r);
        reporter.taskEnd(r, index);
      };

      const runOn = async (p: HostPlan, task: Task, index: number): Promise<TaskResult | undefined> => {
        const session = await sessionFor(p.host);
        if (!session || !alive(p)) return undefined;
        reporter.taskStart(p.host.name, taskName(task), index);
        if (session.cacheIsEmpty) {
          // A converged host is read in one round trip. Once a host is being changed, each change
          // empties the cache, and re-reading every remaining task after each one would cost the
          // host work in the square of the task count: read a few tasks ahead instead.
          const ahead = session.changesApplied === 0 ? p.tasks.length : index + PREFETCH_AFTER_CHANGE;
          session.prefetch(p.tasks.slice(index, ahead).flatMap((t) => t.definition.probes ?? []));
        }
        const r = await executeTask(task, session, options.check);
        if (task.options.register) session.registered[task.options.register] = r;
        if ((r.status === 'changed' || r.status === 'would change') && task.options.notify) {
          for (const h of task.options.notify) notified.get(p.host.name)!.add(h);
        }
        if (r.status === 'failed' && r.unreachable) {
          markUnreachable(p.host.name, r.error ?? 'connection lost');
          r.message = 'host became unreachable';
        } else if (r.status === 'failed' && task.options.ignoreErrors) {
          r.ignored = true;
        } else if (r.status === 'failed') {
          failedHosts.add(p.host.name);
        }
        record(r, index);
        return r;
      };

      const flush = async (index: number) => {
        await Promise.all(
          plans.filter(alive).map((p) =>
            limit(async () => {
              const wanted = notified.get(p.host.name)!;
              for (const [name, handler] of Object.entries(p.handlers)) {
                if (!wanted.has(name) || !alive(p) || options.signal?.aborted) continue;
                wanted.delete(name);
                // Reported under its handler name, as the play's author called it.
                await runOn(p, { ...handler, options: { name, ...handler.options } }, index);
              }
            }),
          ),
        );
      };

      const steps = Math.max(0, ...plans.map((p) => p.tasks.length));
      for (let i = 0; i < steps; i++) {
        if (options.signal?.aborted) break;
        const here = plans.filter((p) => alive(p) && p.tasks[i]);
        if (here.length === 0) continue;
        if (here[0].tasks[i].definition.module === FLUSH_HANDLERS) {
          await flush(i);
          continue;
        }
        const once = here.filter((p) => p.tasks[i].options.runOnce);
        // A cluster-wide step runs on the first host that is still up; the others record where it ran.
        let onceHost: HostPlan | undefined;
        for (const p of once) {
          if (await sessionFor(p.host)) {
            onceHost = p;
            break;
          }
        }
        await Promise.all(
          here.map((p) =>
            limit(async () => {
              const task = p.tasks[i];
              if (options.signal?.aborted) return;
              if (task.options.runOnce && p !== onceHost) {
                if (!(await sessionFor(p.host))) return;
                record(
                  {
                    host: p.host.name,
                    task: taskName(task),
                    module: task.definition.module,
                    status: 'skipped',
                    changes: [],
                    message: onceHost ? `runs once, on ${onceHost.host.name}` : 'runs once',
                    durationMs: 0,
                  },
                  i,
                );
                return;
              }
              await runOn(p, task, i);
            }),
          ),
        );
      }
      if (!options.signal?.aborted) await flush(steps);
      await reporter.playEnd(play.name);
    }
  } finally {
    await Promise.all(
      [...sessions.values()].map(async (s) => {
        const session = await s;
        await session?.conn.close().catch(() => {});
      }),
    );
  }

  const interrupted = options.signal?.aborted ?? false;
  reporter.recap(recap, options.check);
  return {
    check: options.check,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    exitCode: exitCodeFor(recap, options.check, interrupted),
    interrupted,
    recap,
    unreachable,
    plays: reports,
  };
}

function taskName(task: Task): string {
  return task.options.name ?? task.definition.name;
}

function planPlay(play: Play, inventory: Inventory, options: RunOptions): HostPlan[] {
  let hosts = selectHosts(inventory, play.hosts);
  if (options.limit) {
    const allowed = new Set(selectHosts(inventory, options.limit).map((h) => h.name));
    hosts = hosts.filter((h) => allowed.has(h.name));
  }
  return hosts.map((host) => ({
    host,
    tasks: play.tasks(host).filter((t) => tagged(t, options)),
    handlers: play.handlers?.(host) ?? {},
  }));
}

/** `--tags`: tasks with any of the tags (and `always`); `--skip-tags`: never those. */
function tagged(task: Task, options: RunOptions): boolean {
  const tags = task.options.tags ?? [];
  if (task.definition.module === FLUSH_HANDLERS) return true;
  if (options.skipTags?.some((t) => tags.includes(t))) return false;
  if (!options.tags || options.tags.length === 0) return true;
  return tags.includes('always') || options.tags.some((t) => tags.includes(t));
}

export function exitCodeFor(recap: Record<string, HostRecap>, check: boolean, interrupted: boolean): ExitCode {
  if (interrupted) return ExitCode.interrupted;
  const all = Object.values(recap);
  if (all.some((r) => r.failed > 0 && r.unreachable === 0)) return ExitCode.failed;
  if (all.some((r) => r.unreachable > 0)) return ExitCode.unreachable;
  if (check && all.some((r) => r.wouldChange > 0)) return ExitCode.drift;
  return ExitCode.ok;
}
