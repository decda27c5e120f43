import { taskTimeoutSeconds } from './execute';
import type { BatchEntry } from './probe-batch';
import type { HostPlan } from './plan';
import type { HostFacts, HostView, Task, TaskResult } from './types';

/** Thrown by any use of the host facts before they are gathered. */
class NeedsHostFacts extends Error {}

/** Host facts that throw when read: a fact command built from them depends on them. */
const NOT_GATHERED = new Proxy({} as HostFacts, {
  get() {
    throw new NeedsHostFacts();
  },
  has() {
    throw new NeedsHostFacts();
  },
  ownKeys() {
    throw new NeedsHostFacts();
  },
});

/**
 * The fact commands these tasks will read, each under its task's deadline: on a host with these
 * facts, or, without facts, only the commands that do not depend on them (read in the same round
 * trip as the host facts themselves).
 */
export function readsOf(tasks: readonly Task[], facts?: HostFacts): BatchEntry[] {
  const entries: BatchEntry[] = [];
  for (const task of tasks) {
    const timeoutSeconds = taskTimeoutSeconds(task);
    for (const fact of Object.values(task.definition.facts)) {
      try {
        entries.push({ command: fact.command(facts ?? NOT_GATHERED), timeoutSeconds, sharesShell: fact.sharesShell, merge: fact.merge });
      } catch {
        // Needs the host facts (read after them), or cannot be read on this host (its task says why).
      }
    }
  }
  return entries;
}

/**
 * Whether a task would run on this host: a run-once task runs on the first host of the play still
 * up, so only that host reads its facts ahead. A wrong guess (that host lost later) costs the task
 * one read of its own, never a wrong result.
 */
export function runsHere(p: HostPlan, alive: readonly HostPlan[]): (t: Task) => boolean {
  return (t) => !t.options.runOnce || alive[0] === p;
}

/**
 * Whether a task's condition (`when`) lets it run, as far as can be told now, with what is
 * registered on the host so far: a task whose condition is false now is not read ahead. Should it
 * run after all (an earlier task registered what makes it true), it reads its facts itself: one
 * read more, never a wrong result. A condition that cannot be told yet (it needs the host facts
 * before they are in, or throws) keeps the task's reads. (ha-asterisk's "stop the service the
 * fresh package started" runs only when the packages were just installed: on a converged node its
 * status was read for nothing, ~50 ms of the node's time.)
 */
export function mayRun(host: HostView, registered: Readonly<Record<string, TaskResult>>, facts?: HostFacts): (t: Task) => boolean {
  return (t) => {
    if (!t.options.when) return true;
    try {
      return t.options.when(host, registered, facts ?? NOT_GATHERED) !== false;
    } catch {
      return true;
    }
  };
}
