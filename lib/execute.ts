import { CommandError, describeError, TimeoutError, UnreachableError } from './errors';
import type { ExecuteHooks, FactRead } from './hooks';
import type { HostSession } from './host-session';
import { REDACTED } from './secrets';
import type { ApplyContext, Change, Decision, DecideEnv, Task, TaskResult } from './types';

const DEFAULT_TASK_TIMEOUT_SECONDS = 300;

/** The deadline of every command of this task, its fact reads included. */
export function taskTimeoutSeconds(task: Task): number {
  return task.options.timeoutSeconds ?? task.definition.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
}

export function taskName(task: Task): string {
  return task.options.name ?? task.definition.name;
}

/** Said of a check-mode prediction that rests on what an earlier task would do. */
export const DEPENDS_ON_EARLIER = 'depends on earlier changes';

/**
 * One task on one host: read its facts, decide, and (unless in check mode) apply the plan.
 * Check mode runs only the reads and decide, so it predicts what an apply would change. A wait
 * is never drift: in check mode it is ok when its condition holds now, else skipped.
 */
export async function executeTask(task: Task, session: HostSession, check: boolean, hooks?: ExecuteHooks): Promise<TaskResult> {
  const { definition: def, options } = task;
  const started = Date.now();
  const result = (partial: Omit<TaskResult, 'host' | 'task' | 'module' | 'durationMs'>): TaskResult => ({
    host: session.host.name,
    task: taskName(task),
    module: def.module,
    durationMs: Date.now() - started,
    ...partial,
  });

  const timeoutSeconds = taskTimeoutSeconds(task);
  const deadline = started + timeoutSeconds * 1000;
  try {
    const facts = await session.gatherFacts();
    if (options.when && !options.when(session.host, session.registered, facts)) {
      return result({ status: 'skipped', changes: [], message: 'condition is false' });
    }
    const env: DecideEnv = { host: session.host, facts };
    const work = async (): Promise<TaskResult> => {
      const values: Record<string, unknown> = {};
      const reads: FactRead[] = [];
      for (const [key, fact] of Object.entries(def.facts)) {
        const command = fact.command(facts);
        const r = await session.read(command, timeoutSeconds);
        if (r.timedOut) throw new TimeoutError(`reading ${fact.name} timed out after ${r.timeoutSeconds}s`);
        reads.push({ key, name: fact.name, command, result: r, fingerprint: fact.fingerprint?.(r) });
        values[key] = fact.parse(r, facts);
      }
      hooks?.factsRead?.(reads, facts);
      const decision = hideSecrets(def.decide(values, env), def.secret);
      if (decision.changes.length === 0) return result({ status: 'ok', changes: [], message: decision.ok });

      if (def.kind === 'wait') {
        if (check) return result({ status: 'skipped', changes: [], message: `${DEPENDS_ON_EARLIER}: not yet ${decision.ok ?? ''}`.trim() });
        let waited;
        // Told before acting too: a task given up at its deadline may still be acting when the next play starts.
        session.invalidate();
        try {
          waited = (await def.apply(applyContext(session, env, deadline), decision.plan)) ?? {};
        } finally {
          session.invalidate();
        }
        return result({ status: 'ok', changes: [], message: decision.ok, output: waited.output });
      }

      if (check) {
        if (decision.dependsOn && session.changedSoFar) {
          return result({ status: 'skipped', changes: [], message: `${DEPENDS_ON_EARLIER}: ${decision.dependsOn}` });
        }
        session.changedSoFar = true;
        return result({ status: 'would change', changes: decision.changes, diff: decision.diff });
      }

      const refused = hooks?.beforeApply?.(decision);
      if (refused) return result({ status: 'failed', changes: decision.changes, diff: decision.diff, error: refused });

      let outcome;
      session.invalidate();
      try {
        outcome = (await def.apply(applyContext(session, env, deadline), decision.plan)) ?? {};
      } finally {
        session.invalidate();
      }
      const changed = outcome.changed !== false;
      if (changed) {
        session.changedSoFar = true;
        session.changesApplied++;
      }
      return result({
        status: changed ? 'changed' : 'ok',
        changes: changed ? decision.changes : [],
        diff: changed ? decision.diff : undefined,
        message: changed ? undefined : decision.ok,
        output: outcome.output,
      });
    };
    return await withTimeout(work(), deadline - Date.now(), `timed out after ${timeoutSeconds}s`);
  } catch (err) {
    const unreachable = err instanceof UnreachableError || undefined;
    return result({ status: 'failed', changes: [], error: describeError(err), unreachable });
  }
}

/** What apply may do: commands under the task's deadline, no connection of its own. */
function applyContext(session: HostSession, env: DecideEnv, deadline: number): ApplyContext {
  return {
    ...env,
    async run(command, options = {}) {
      const r = await session.exec(command, deadline, { stdin: options.stdin });
      if (r.code !== 0) throw new CommandError(session.host.name, command, r.code, r.stdout, r.stderr, options.what);
      return r;
    },
    poll: (command) => session.exec(command, deadline),
    log: (line) => session.log(line),
  };
}

function hideSecrets(decision: Decision, secret: boolean | undefined): Decision {
  if (!secret) return decision;
  const changes: Change[] = decision.changes.map((c) =>
    c.field === 'content' ? { field: 'content', from: c.from && REDACTED, to: c.to && REDACTED } : c,
  );
  return { ...decision, changes, diff: undefined };
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), Math.max(ms, 0));
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
