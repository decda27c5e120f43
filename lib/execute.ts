import { describeError, TimeoutError, UnreachableError } from './errors';
import type { HostSession } from './host-session';
import { REDACTED } from './secrets';
import type { Change, Decision, Task, TaskContext, TaskResult } from './types';

export const DEFAULT_TASK_TIMEOUT_SECONDS = 300;

/**
 * One task on one host: probe, decide, and (unless in check mode) apply.
 * Check mode runs only the read-only steps, so it predicts exactly what an apply would do.
 */
export async function executeTask(task: Task, session: HostSession, check: boolean): Promise<TaskResult> {
  const { definition: def, options } = task;
  const name = options.name ?? def.name;
  const started = Date.now();
  const result = (partial: Omit<TaskResult, 'host' | 'task' | 'module' | 'durationMs'>): TaskResult => ({
    host: session.host.name,
    task: name,
    module: def.module,
    durationMs: Date.now() - started,
    ...partial,
  });

  if (options.when && !options.when(session.host, session.registered)) {
    return result({ status: 'skipped', changes: [], message: 'condition is false' });
  }

  const timeoutSeconds = options.timeoutSeconds ?? def.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
  session.deadline = started + timeoutSeconds * 1000;
  try {
    const facts = await session.facts();
    const ctx: TaskContext = {
      host: session.host,
      facts,
      conn: session.conn,
      check,
      probe: (cmd) => session.probe(cmd),
      run: (cmd, opts) => session.run(cmd, opts),
      registered: session.registered,
      log: () => {},
    };
    const work = async (): Promise<TaskResult> => {
      const state = await def.probe(ctx);
      const decision = hideSecrets(def.decide(state, ctx), def.secret);
      if (decision.changes.length === 0) {
        return result({ status: 'ok', changes: [], message: decision.ok });
      }
      // Read-only tasks (waitFor) have already looked once; in check mode that look is the answer.
      if (check) {
        return result({ status: 'would change', changes: decision.changes, diff: decision.diff });
      }
      let outcome;
      try {
        outcome = (await def.apply(ctx, state, decision)) ?? {};
      } finally {
        if (!def.readOnly) session.invalidate();
      }
      const changed = !def.readOnly && outcome.changed !== false;
      return result({
        status: changed ? 'changed' : 'ok',
        changes: changed ? decision.changes : [],
        diff: changed ? decision.diff : undefined,
        message: changed ? undefined : decision.ok,
        output: outcome.output,
      });
    };
    return await withTimeout(work(), session.deadline - Date.now(), `timed out after ${timeoutSeconds}s`);
  } catch (err) {
    const unreachable = err instanceof UnreachableError || undefined;
    return result({ status: 'failed', changes: [], error: describeError(err), unreachable });
  } finally {
    session.deadline = Infinity;
  }
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
