import { taskName } from '../execute';
import type { Inventory } from '../inventory';
import { planPlay, type HostPlan, type PlanOptions } from '../plan';
import type { Play, Task } from '../types';

/** What --list-hosts, --list-tasks and --list-tags print: plans only, nothing is contacted. */
export interface ListOptions {
  hosts: boolean;
  tasks: boolean;
  tags: boolean;
}

/**
 * Each play's hosts, tasks and tags as `ansible-playbook --list-*` prints them. Tasks are built per
 * host (a task's name may hold the host's vars): hosts whose lists are the same are listed together.
 */
export function listPlaybook(name: string, plays: readonly Play[], inventory: Inventory, plan: PlanOptions, options: ListOptions): string {
  const out = [`playbook: ${name}`];
  plays.forEach((play, i) => {
    const plans = planPlay(play, inventory, plan);
    out.push('', `  play #${i + 1} (${play.hosts}): ${play.name}`);
    if (options.hosts) {
      out.push(`    hosts (${plans.length}):`);
      for (const p of plans) out.push(`      ${p.host.name}`);
    }
    if (options.tasks) {
      const lines = (p: HostPlan) =>
        p.steps === undefined
          ? ['(built from the host\'s facts once it is contacted)']
          : tasksOf(p).map((t) => `${taskName(t)}\tTAGS: [${(t.options.tags ?? []).join(', ')}]`);
      for (const [hosts, lines_] of sameLists(plans, lines)) {
        out.push(plans.length > 1 && hosts.length < plans.length ? `    tasks (${hosts.join(', ')}):` : '    tasks:');
        out.push(...lines_.map((l) => `      ${l}`));
      }
    }
    if (options.tags) {
      const tags = new Set(plans.flatMap((p) => tasksOf(p).flatMap((t) => t.options.tags ?? [])));
      out.push(`      TASK TAGS: [${[...tags].sort().join(', ')}]`);
    }
  });
  return out.join('\n');
}

/** A host's tasks; none yet for a play whose task list reads the host's facts. */
function tasksOf(p: HostPlan): Task[] {
  return (p.steps ?? []).filter((s): s is Task => s.kind === 'task');
}

/** Hosts grouped by an identical list, in inventory order. */
function sameLists(plans: readonly HostPlan[], of: (p: HostPlan) => string[]): [string[], string[]][] {
  const groups = new Map<string, [string[], string[]]>();
  for (const p of plans) {
    const lines = of(p);
    const key = lines.join('\n');
    const g = groups.get(key) ?? [[], lines];
    g[0].push(p.host.name);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/**
 * --start-at-task: the plays from the first one that has a task of this name on some host, that
 * play's steps from that task on (hosts without it run nothing in it), every later play whole.
 */
export function startAtTask(plays: readonly Play[], inventory: Inventory, options: PlanOptions, name: string): Play[] | undefined {
  const at = (steps: ReturnType<Play['tasks']>) => steps.findIndex((s) => s.kind === 'task' && taskName(s) === name);
  for (let i = 0; i < plays.length; i++) {
    const play = plays[i];
    // A task list built from host facts is not known yet: such a play may hold the task.
    const found = planPlay(play, inventory, options).some((p) => p.steps === undefined || at(p.steps) >= 0);
    if (!found) continue;
    const first: Play = {
      ...play,
      tasks: (host, facts) => {
        const steps = play.tasks(host, facts);
        const index = at(steps);
        return index >= 0 ? steps.slice(index) : [];
      },
    };
    return [first, ...plays.slice(i + 1)];
  }
  return undefined;
}
