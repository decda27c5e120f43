import { Type } from '../../lib/schema';
import { lastLines, TimeoutError, ValidationError } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { ExecResult } from '../../lib/types';
import { commandResult } from '../command/facts';

export const WaitForParams = Type.Object(
  {
    /** Read-only shell code (trusted, written by the playbook author), run until it succeeds. */
    cmd: Type.String({ minLength: 1 }),
    /** A JavaScript RegExp source (flag `m`: ^ and $ match at each line) that stdout must match too. */
    until: Type.Optional(Type.String({ minLength: 1 })),
    /** Give up after this long. Default 60. */
    timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
    /** Pause between attempts. Default 2. */
    intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })),
    /** What is awaited, for a person: `nodes node1, node2 are online`. Default: the command. */
    description: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function satisfied(r: ExecResult, until: string | undefined): boolean {
  return r.code === 0 && (until === undefined || new RegExp(until, 'm').test(r.stdout));
}

/**
 * Waits until a read-only command exits 0 (and its stdout matches `until`), polling every
 * `intervalSeconds`; fails after `timeoutSeconds` with what it last saw. The first look is a
 * fact: when it already succeeds the task is ok without waiting. A wait is never drift: check
 * mode never polls, and reports a condition not met now as skipped ("depends on earlier
 * changes"), since only an apply would bring it about. After a wait, everything read from the
 * host before it is read again.
 *
 * @example waitFor({ cmd: 'corosync-cfgtool -s', until: 'status\\s*= connected', timeoutSeconds: 30 })
 */
export const waitFor = defineTask({
  module: 'waitFor',
  kind: 'wait',
  params: WaitForParams,
  title: (p) => `waitFor ${p.description ?? p.cmd}`,
  check(p) {
    if (p.until === undefined) return;
    try {
      new RegExp(p.until, 'm');
    } catch (err) {
      throw new ValidationError('waitFor parameters', [{ path: 'until', message: (err as Error).message }]);
    }
  },
  // The engine's own deadline must not cut the wait short of its better message.
  timeoutSeconds: (p) => (p.timeoutSeconds ?? 60) + 30,
  facts: (p) => ({ now: commandResult(p.cmd) }),
  decide(p, { now }) {
    const description = p.description ?? p.cmd;
    if (satisfied(now, p.until)) return { changes: [], ok: description };
    return { changes: [{ field: 'wait', from: 'not yet', to: description }], ok: description, plan: {} };
  },
  async apply(ctx, _plan, p) {
    const description = p.description ?? p.cmd;
    const timeoutSeconds = p.timeoutSeconds ?? 60;
    const deadline = Date.now() + timeoutSeconds * 1000;
    let last: ExecResult | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        last = await ctx.poll(p.cmd);
      } catch (err) {
        last = { code: -1, stdout: '', stderr: (err as Error).message };
      }
      ctx.log(`waitFor ${description}: attempt ${attempt}, exit ${last.code}`);
      if (satisfied(last, p.until)) return { output: { code: last.code, stdout: last.stdout, stderr: last.stderr } };
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min((p.intervalSeconds ?? 2) * 1000, left));
    }
    const why = last.code !== 0 ? `exit ${last.code}` : `output did not match /${p.until}/`;
    const seen = lastLines(last.stdout + (last.stderr ? `\n${last.stderr}` : ''));
    throw new TimeoutError(
      `timed out after ${timeoutSeconds}s waiting for ${description}: last attempt ${why}` + (seen ? `; last output:\n${seen}` : ', no output'),
    );
  },
});
