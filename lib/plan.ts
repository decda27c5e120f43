import { ConfigError } from './errors';
import { taskName } from './execute';
import { selectHosts, type Inventory, type ResolvedHost } from './inventory';
import type { Play, Step, Task } from './types';

/** What one host will go through in one play: its steps after tag filtering, and its handlers by name. */
export interface HostPlan {
  host: ResolvedHost;
  steps: Step[];
  handlers: Record<string, Task>;
}

export interface PlanOptions {
  limit?: string;
  tags?: readonly string[];
  skipTags?: readonly string[];
}

/**
 * A play's hosts (its pattern, narrowed by --limit) and each host's steps. Building the steps
 * validates every task's parameters: called for every play before any host is contacted.
 */
export function planPlay(play: Play, inventory: Inventory, options: PlanOptions): HostPlan[] {
  let hosts = selectHosts(inventory, play.hosts);
  if (options.limit) {
    const allowed = new Set(selectHosts(inventory, options.limit).map((h) => h.name));
    hosts = hosts.filter((h) => allowed.has(h.name));
  }
  return hosts.map((host) => {
    const steps = play.tasks(host);
    const handlers = play.handlers?.(host) ?? {};
    checkNotify(play, steps, handlers);
    return { host, steps: steps.filter((s) => s.kind === 'flush handlers' || tagged(s, options)), handlers };
  });
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
