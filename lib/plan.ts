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
    try {
      steps = stepsFor(play, host, notYetGathered, options);
    } catch (err) {
      if (!(err instanceof FactsNeeded)) throw err;
    }
    return { host, steps, handlers: play.handlers?.(host) ?? {} };
  });
}

/** The host's steps, tag-filtered. */
export function stepsFor(play: Play, host: ResolvedHost, facts: HostFacts, options: PlanOptions): Step[] {
  return play.tasks(host, facts).filter((s) => s.kind === 'flush handlers' || tagged(s, options));
}

/** `--tags`: tasks with any of the tags (and `always`); `--skip-tags`: never those. */
function tagged(task: Task, options: PlanOptions): boolean {
  const tags = task.options.tags ?? [];
  if (options.skipTags?.some((t) => tags.includes(t))) return false;
  if (!options.tags || options.tags.length === 0) return true;
  return tags.includes('always') || options.tags.some((t) => tags.includes(t));
}
