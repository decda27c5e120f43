import pLimit from 'p-limit';
import { UnreachableError, describeError } from './errors';
import { executeTask, taskName } from './execute';
import { Notifications } from './handlers';
import type { HostSession } from './host-session';
import { stepsFor, type HostPlan } from './plan';
import type { Run } from './runner';
import { mayRun, readsOf, runsHere } from './task-reads';
import type { HostFacts, Play, Step, Task, TaskResult } from './types';

export interface PlayReport {
  name: string;
  hosts: string[];
  results: TaskResult[];
}

/** How many tasks' facts are read together once a host has had a change. */
const READ_AHEAD_AFTER_CHANGE = 4;

/**
 * One play, Ansible's linear strategy: hosts move through the step list together, each step on
 * up to `forks` hosts at once; a host that fails or is lost leaves the run while the others go
 * on. A runOnce task runs on the first host still up; notified handlers run at a flush step and
 * at the end of the play.
 */
export async function runPlay(play: Play, plans: readonly HostPlan[], run: Run): Promise<PlayReport> {
  const { reporter, options } = run;
  const report: PlayReport = { name: play.name, hosts: plans.map((p) => p.host.name), results: [] };
  const unplanned = await planWithFacts(play, plans, run);
  reporter.playStart(
    play.name,
    new Map(plans.map((p) => [p.host.name, { tasks: stepsOf(p).filter(isTask).map(taskName), handlers: Object.keys(p.handlers) }])),
  );
  const limit = pLimit(options.forks);
  const notifications = new Notifications();
  const aborted = () => options.signal?.aborted ?? false;
  const alive = (p: HostPlan) => run.alive(p.host.name);

  const record = (r: TaskResult, index: number) => {
    report.results.push(r);
    run.count(r);
    reporter.taskEnd(r, index);
  };

  const runOn = async (p: HostPlan, task: Task, index: number, upcoming: readonly Task[], handler = false): Promise<void> => {
    const session = await run.sessionFor(p.host);
    if (!session || !alive(p)) return;
    const facts = await hostFacts(session, p, index);
    if (!facts) return;
    reporter.taskStart(p.host.name, taskName(task), index);
    const runnable = mayRun(p.host, session.registered, facts);
    if (!session.hasRead(readsOf([task].filter(runnable), facts))) {
      // The first task whose reads are not cached reads ahead for the rest of the play (a
      // converged host has read them all when it connected: those that need no host facts with
      // them, the rest as soon as they were in). Once a host is being changed, each change empties the cache,
      // and re-reading every remaining task after each one would cost the host work in the
      // square of the task count: read a few tasks ahead instead, again when the reads run out.
      // A task that runs once is read only on the host expected to run it (the first one still
      // up); were that another, the task reads its facts itself.
      const ahead = session.changesApplied === 0 ? upcoming.length : READ_AHEAD_AFTER_CHANGE;
      session.prefetch(readsOf(upcoming.slice(0, ahead).filter(runsHere(p, plans.filter(alive))).filter(runnable), facts));
    }
    const hooks = options.hooks?.({ play, host: p.host.name, index, task, handler });
    const r = await executeTask(task, session, options.check, hooks);
    if (task.options.register) session.registered[task.options.register] = r;
    if ((r.status === 'changed' || r.status === 'would change') && task.options.notify) {
      notifications.notify(p.host.name, task.options.notify);
    }
    if (r.status === 'failed' && r.unreachable) {
      run.markUnreachable(p.host.name, r.error ?? 'connection lost');
      r.message = 'host became unreachable';
    } else if (r.status === 'failed' && task.options.ignoreErrors) {
      r.ignored = true;
    } else if (r.status === 'failed') {
      run.markFailed(p.host.name);
    }
    record(r, index);
  };

  /** The host facts, gathered when the host was connected; a host that cannot give them leaves the run. */
  const hostFacts = async (session: HostSession, p: HostPlan, index: number): Promise<HostFacts | undefined> => {
    try {
      return await session.gatherFacts();
    } catch (err) {
      const unreachable = err instanceof UnreachableError || undefined;
      const error = describeError(err);
      if (unreachable) run.markUnreachable(p.host.name, error);
      else run.markFailed(p.host.name);
      record({ host: p.host.name, task: 'gather facts', module: 'facts', status: 'failed', changes: [], error, unreachable, durationMs: 0 }, index);
      return undefined;
    }
  };

  for (const r of unplanned) record(r, 0);

  const flush = async (p: HostPlan, index: number): Promise<void> => {
    for (const handler of notifications.take(p.host.name, p.handlers)) {
      if (!alive(p) || aborted()) return;
      await runOn(p, handler, index, [handler], true);
    }
  };

  const steps = Math.max(0, ...plans.map((p) => stepsOf(p).length));
  for (let i = 0; i < steps && !aborted(); i++) {
    const here = plans.filter((p) => alive(p) && stepsOf(p)[i]);
    // A cluster-wide step runs on the first host that is still up; the others record where it ran.
    let onceHost: HostPlan | undefined;
    for (const p of here) {
      const step = stepsOf(p)[i];
      if (isTask(step) && step.options.runOnce && (await run.sessionFor(p.host))) {
        onceHost = p;
        break;
      }
    }
    await Promise.all(
      here.map((p) =>
        limit(async () => {
          const step = stepsOf(p)[i];
          if (aborted()) return;
          if (!isTask(step)) return flush(p, i);
          if (step.options.runOnce && p !== onceHost) {
            if (!(await run.sessionFor(p.host))) return;
            const where = onceHost ? `runs once, on ${onceHost.host.name}` : 'runs once';
            record({ host: p.host.name, task: taskName(step), module: step.definition.module, status: 'skipped', changes: [], message: where, durationMs: 0 }, i);
            return;
          }
          await runOn(p, step, i, stepsOf(p).slice(i).filter(isTask));
        }),
      ),
    );
  }
  if (!aborted()) await Promise.all(plans.filter(alive).map((p) => limit(() => flush(p, steps))));
  await reporter.playEnd(play.name);
  return report;
}

export function isTask(step: Step): step is Task {
  return step.kind === 'task';
}

function stepsOf(p: HostPlan): Step[] {
  return p.steps ?? [];
}

/**
 * Builds the steps of the hosts whose task list reads their facts, once those are gathered.
 * A host that cannot give its facts, or whose task list then fails (bad parameters), leaves the
 * run; its failure is returned to be reported in the play.
 */
async function planWithFacts(play: Play, plans: readonly HostPlan[], run: Run): Promise<TaskResult[]> {
  const failures: TaskResult[] = [];
  await Promise.all(
    plans
      .filter((p) => p.steps === undefined)
      .map(async (p) => {
        p.steps = [];
        const session = await run.sessionFor(p.host);
        if (!session || !run.alive(p.host.name)) return;
        let task = 'gather facts';
        try {
          const facts = await session.gatherFacts();
          task = 'build the task list';
          p.steps = stepsFor(play, p.host, facts, run.options);
        } catch (err) {
          const unreachable = err instanceof UnreachableError || undefined;
          const error = describeError(err);
          if (unreachable) run.markUnreachable(p.host.name, error);
          else run.markFailed(p.host.name);
          failures.push({ host: p.host.name, task, module: 'play', status: 'failed', changes: [], error, unreachable, durationMs: 0 });
        }
      }),
  );
  return failures;
}
