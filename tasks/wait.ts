import { lastLines, TimeoutError, ValidationError } from '../lib/errors';
import { defineModule } from '../lib/task';
import type { ExecResult } from '../lib/types';

export interface WaitForParams {
  /** Read-only shell code (trusted, written by the playbook author), run until it succeeds. */
  readonly cmd: string;
  /** A JavaScript RegExp source (flag `m`: ^ and $ match at each line) that stdout must match too. */
  readonly until?: string;
  /** Give up after this long. Default 60. */
  readonly timeoutSeconds?: number;
  /** Pause between attempts. Default 2. */
  readonly intervalSeconds?: number;
  /** What is awaited, for a person: `nodes node1, node2 are online`. Default: the command. */
  readonly description?: string;
}

export interface WaitState {
  /** The first attempt (a probe, so it shares the batched round trip). */
  first: ExecResult;
}

export const waitForSchema = {
  type: 'object',
  required: ['cmd'],
  additionalProperties: false,
  properties: {
    cmd: { type: 'string', minLength: 1 },
    until: { type: 'string', minLength: 1 },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
    intervalSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
    description: { type: 'string', minLength: 1 },
  },
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until a read-only command exits 0 (and its stdout matches `until`), polling every
 * `intervalSeconds`; fails after `timeoutSeconds` with what it last saw. The first attempt is a
 * probe: when it already succeeds the task is ok without waiting, in check mode too. Check mode
 * never polls: a condition not met now is reported as "would change" (a drift audit should say
 * "not all nodes are online" at once, not wait for something only an apply would bring about).
 *
 * @example waitFor({ cmd: 'corosync-cfgtool -s', until: 'status\\s*= connected', timeoutSeconds: 30 })
 */
export const waitFor = defineModule<WaitForParams, WaitState>({
  module: 'waitFor',
  schema: waitForSchema,
  title: (p) => `waitFor ${p.description ?? p.cmd}`,
  build(p) {
    let until: RegExp | undefined;
    if (p.until !== undefined) {
      try {
        until = new RegExp(p.until, 'm');
      } catch (err) {
        throw new ValidationError('waitFor parameters', [{ path: 'until', message: (err as Error).message }]);
      }
    }
    const timeoutSeconds = p.timeoutSeconds ?? 60;
    const intervalMs = (p.intervalSeconds ?? 2) * 1000;
    const description = p.description ?? p.cmd;
    const satisfied = (r: ExecResult) => r.code === 0 && (!until || until.test(r.stdout));
    return {
      readOnly: true,
      // The engine's own deadline must not cut the wait short of its better message.
      timeoutSeconds: timeoutSeconds + 30,
      probes: [p.cmd],
      async probe(ctx) {
        return { first: await ctx.probe(p.cmd) };
      },
      decide(state) {
        if (satisfied(state.first)) return { changes: [], ok: description };
        return { changes: [{ field: 'wait', from: 'not yet', to: description }], ok: description };
      },
      async apply(ctx) {
        const deadline = Date.now() + timeoutSeconds * 1000;
        let last: ExecResult | undefined;
        for (let attempt = 1; ; attempt++) {
          try {
            // Straight to the connection: probe results are cached, a poll must see the present.
            last = await ctx.conn.exec(p.cmd, { timeoutMs: Math.max(deadline - Date.now(), 1000) });
          } catch (err) {
            last = { code: -1, stdout: '', stderr: (err as Error).message };
          }
          ctx.log(`waitFor ${description}: attempt ${attempt}, exit ${last.code}`);
          if (satisfied(last)) return { output: { code: last.code, stdout: last.stdout, stderr: last.stderr } };
          const left = deadline - Date.now();
          if (left <= 0) break;
          await sleep(Math.min(intervalMs, left));
        }
        const why = last.code !== 0 ? `exit ${last.code}` : `output did not match /${p.until}/`;
        const seen = lastLines(last.stdout + (last.stderr ? `\n${last.stderr}` : ''));
        throw new TimeoutError(
          `timed out after ${timeoutSeconds}s waiting for ${description}: last attempt ${why}` + (seen ? `; last output:\n${seen}` : ', no output'),
        );
      },
    };
  },
});

/** A host or node name as pacemaker shows it (also used inside a RegExp, so escaped anyway). */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The RegExp source that matches `crm_mon -1` output once every named node is in its Online list,
 * in any order: pacemaker 2.1 prints `  * Online: [ node1 node2 ]`, 1.1 prints `Online: [ node1 node2 ]`.
 * `RemoteOnline:`/`GuestOnline:` lines do not count, and `node1` does not match `node10`.
 */
export function onlineListPattern(nodes: readonly string[]): string {
  const each = nodes.map((n) => `(?=[^\\]\\n]*\\s${escapeRegExp(n)}\\s)`).join('');
  return `^\\s*(?:\\*\\s+)?Online:\\s*\\[${each}[^\\]\\n]*\\]`;
}

/**
 * waitFor parameters for "every node is online in pacemaker", about 23 s after a cold start
 * (pacemaker's 20 s election timeout).
 *
 * @example waitFor(allNodesOnline(['ha-asterisk-1', 'ha-asterisk-2']), { runOnce: true })
 */
export function allNodesOnline(nodes: readonly string[], timeoutSeconds = 120): WaitForParams {
  const bad = nodes.filter((n) => !NODE_NAME.test(n));
  if (nodes.length === 0 || bad.length > 0) {
    throw new ValidationError('allNodesOnline parameters', [
      { path: 'nodes', message: nodes.length === 0 ? 'must name at least one node' : `not node names: ${bad.map((b) => JSON.stringify(b)).join(', ')}` },
    ]);
  }
  return {
    cmd: 'crm_mon -1',
    until: onlineListPattern(nodes),
    timeoutSeconds,
    intervalSeconds: 2,
    description: `nodes ${nodes.join(', ')} are online`,
  };
}
