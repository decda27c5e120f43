import { type Static, Type } from '../../lib/schema';
import { KeelError, lastLines } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { ApplyContext, Change, Decision } from '../../lib/types';
import { ServiceName } from '../params';
import { type KnownInitSystem, knownInitSystem, parseStatus, serviceCommand, type ServiceStatus, serviceStatusFact } from './facts';

export const ServiceParams = Type.Object(
  {
    /** The init script (/etc/init.d/NAME) or systemd unit name. */
    name: ServiceName,
    state: Type.Union([Type.Literal('started'), Type.Literal('stopped'), Type.Literal('restarted'), Type.Literal('reloaded')]),
    /** After start/restart, how long to wait for the status to say running before failing. Default 10. */
    verifySeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
  },
  { additionalProperties: false },
);
export type ServiceParams = Static<typeof ServiceParams>;

/** What apply does: one command, then (after start/restart) the status polled until it says running. */
export interface ServicePlan {
  action: 'start' | 'stop' | 'restart' | 'reload';
  init: KnownInitSystem;
  /** The command that acts: `service corosync start`, `systemctl start corosync`. */
  command: string;
  /** After start/restart: the status command polled (never from the fact cache), for up to `seconds`. */
  verify?: { command: string; seconds: number };
}

const ACTIONS = { started: 'start', stopped: 'stop', restarted: 'restart', reloaded: 'reload' } as const;

const DEFAULT_VERIFY_SECONDS = 10;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the status command (never from the fact cache) until it says running or `seconds`
 * pass. Init scripts exit 0 from `start` even when the daemon dies at once (corosync), so a
 * start is only trusted once the status confirms it.
 */
export async function waitUntilRunning(
  ctx: Pick<ApplyContext, 'poll'>,
  init: KnownInitSystem,
  statusCommand: string,
  seconds: number,
): Promise<ServiceStatus> {
  const deadline = Date.now() + seconds * 1000;
  let delay = 250;
  for (;;) {
    const s = parseStatus(init, await ctx.poll(statusCommand));
    if (s.running || Date.now() >= deadline) return s;
    await sleep(Math.min(delay, Math.max(deadline - Date.now(), 0)));
    delay = Math.min(delay * 2, 2000);
  }
}

/**
 * A service running or stopped now (started/stopped act only when needed), or restarted/reloaded
 * (always: meant for handlers). Works through `service` on sysvinit and `systemctl` on systemd.
 * A start or restart is verified: the status must say running within `verifySeconds`, else the
 * task fails with the init script's own output. Note that kamailio's script answers status 0 until
 * /etc/default/kamailio has RUN_KAMAILIO=yes: set that first (lineInFile).
 *
 * @example service({ name: 'corosync', state: 'started' })
 */
export const service = defineTask({
  module: 'service',
  params: ServiceParams,
  title: (p) => `service ${p.name} ${p.state}`,
  facts: (p) => ({ status: serviceStatusFact(p.name) }),
  decide(p, { status }, env): Decision<ServicePlan> {
    const field = `service ${p.name}`;
    const action = ACTIONS[p.state];
    let changes: Change[];
    let ok: string;
    switch (p.state) {
      case 'started':
        changes = status.running ? [] : [{ field, from: status.meaning, to: 'started' }];
        ok = `${field} is running`;
        break;
      case 'stopped':
        changes = status.running ? [{ field, from: 'running', to: 'stopped' }] : [];
        ok = status.running ? `${field} is not running` : `${field} is not running (${status.meaning})`;
        break;
      default:
        changes = [{ field, to: p.state }];
        ok = `${field} is ${p.state}`;
    }
    if (changes.length === 0) return { changes, ok };
    const init = knownInitSystem(env.facts, `${action} service ${p.name}`);
    const verify =
      action === 'start' || action === 'restart'
        ? { command: serviceCommand(init, p.name, 'status'), seconds: p.verifySeconds ?? DEFAULT_VERIFY_SECONDS }
        : undefined;
    return {
      changes,
      ok,
      plan: { action, init, command: serviceCommand(init, p.name, action), verify },
      // A package installed by an earlier task may bring the init script or unit.
      dependsOn: status.installed ? undefined : `service ${p.name} is not installed yet`,
    };
  },
  async apply(ctx, plan, p) {
    const r = await ctx.run(plan.command, { what: `${plan.action} ${p.name}` });
    const output = { code: r.code, stdout: r.stdout, stderr: r.stderr };
    if (plan.verify) {
      const { seconds } = plan.verify;
      const s = await waitUntilRunning(ctx, plan.init, plan.verify.command, seconds);
      if (!s.running) {
        const said = lastLines(r.stdout + r.stderr);
        throw new KeelError(
          `${plan.action} ${p.name} exited 0 but the service is not running after ${seconds}s (status: ${s.meaning}, exit ${s.code})` +
            (said ? `\n${plan.action} said: ${said}` : '') +
            (s.output ? `\nstatus said: ${lastLines(s.output)}` : ''),
        );
      }
    }
    return { output };
  },
});
