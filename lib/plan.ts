import { ConfigError } from './errors';
import { taskName } from './execute';
import { selectHosts, type Inventory, type ResolvedHost } from './inventory';
import type { HostFacts, Play, Step, Task } from './types';

/** What one host will go through in one play: its steps after tag filtering, and its handlers by name. */
export interface HostPlan {
  host: ResolvedHost;
  /** Undefined until the host's facts are gathered, for a play whose task list reads them. */
  steps?: Step[];
  handlers: Record<string, Task>;
}

export interface PlanOptions {
  limit?: string;
  tags?: readonly string[];
  skipTags?: readonly string[];
}

/** Thrown by the stand-in facts of planning time: this play's task list needs the real ones. */
class FactsNeeded extends Error {}

/** Facts that cannot be read: any use tells planning to wait for the host's real facts. */
const notYetGathered = new Proxy({} as HostFacts, {
  get() {
    throw new FactsNeeded();
  },
});

/**
 * A play's hosts (its pattern, narrowed by --limit) and each host's steps. Building the steps
 * validates every task's parameters: called for every play before any host is contacted. A
 * task list that reads the host facts is built later, by `stepsFor`, once they are gathered.
 */
export function planPlay(play: Play, inventory: Inventory, options: PlanOptions): HostPlan[] {
  let hosts = selectHosts(inventory, play.hosts);
  if (options.limit) {
    const allowed = new Set(selectHosts(inventory, options.limit).map((h) => h.name));
    hosts = hosts.filter((h) => allowed.has(h.name));
  }
  return hosts.map((host) => {
    let steps: Step[] | undefined;
    const handlers = play.handlers?.(host) ?? {};
    try {
      steps = stepsFor(play, host, notYetGathered, options, handlers);
    } catch (err) {
      if (!(err instanceof FactsNeeded)) throw err;
    }
    return { host, steps, handlers };
  });
}

/** The host's steps, tag-filtered; a notify naming no handler of the play is refused here. */
export function stepsFor(
  play: Play,
  host: ResolvedHost,
  facts: HostFacts,
  options: PlanOptions,
  handlers: Readonly<Record<string, Task>> = play.handlers?.(host) ?? {},
): Step[] {
  const steps = play.tasks(host, facts);
  checkNotify(play, steps, handlers);
  return steps.filter((s) => s.kind === 'flush handlers' || tagged(s, options));
}

/** A notify naming no handler of the play would be silently ignored: refuse it before any host. */
function checkNotify(play: Play, steps: readonly Step[], handlers: Readonly<Record<string, Task>>): void {
  const tasks: Task[] = [...steps.filter((s): s is Task => s.kind === 'task'), ...Object.values(handlers)];
  for (const task of tasks) {
    for (const name of task.options.notify ?? []) {
      if (Object.hasOwn(handlers, name)) continue;
      const known = Object.keys(handlers);
      throw new ConfigError(
        `play "${play.name}": task "${taskName(task)}" notifies "${name}", which is not a handler of the play ` +
          (known.length ? `(its handlers: ${known.map((k) => `"${k}"`).join(', ')})` : '(it has no handlers)'),
      );
    }
  }
}

/** `--tags`: tasks with any of the tags (and `always`); `--skip-tags`: never those. */
function tagged(task: Task, options: PlanOptions): boolean {
  const tags = task.options.tags ?? [];
  if (options.skipTags?.some((t) => tags.includes(t))) return false;
  if (!options.tags || options.tags.length === 0) return true;
  return tags.includes('always') || options.tags.some((t) => tags.includes(t));
}
