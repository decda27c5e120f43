import { KeelError, lastLines } from '../lib/errors';
import { sh } from '../lib/quote';
import { defineModule } from '../lib/task';
import type { ExecResult, InitSystem, TaskContext } from '../lib/types';

/** Init script / unit names: no shell metacharacters, no path separators. */
export const SERVICE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@:+-]*$';

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload' | 'status';

/** A clear error for a host whose init system keel does not know. */
export function unknownInitSystem(what: string, init: InitSystem): Error {
  return new KeelError(
    `cannot ${what}: init system is ${init} (keel handles systemd, found by /run/systemd/system, and sysvinit, found by /etc/init.d)`,
  );
}

/**
 * The command that performs `action` on a service with this init system: `service NAME ACTION`
 * on sysvinit (Debian's wrapper around /etc/init.d/NAME), `systemctl ACTION NAME` on systemd,
 * where status is `systemctl is-active NAME` (exit 0 when active).
 */
export function serviceCommand(init: InitSystem, name: string, action: ServiceAction): string {
  if (init === 'sysvinit') return sh`service ${name} ${action}`;
  if (init === 'systemd') return action === 'status' ? sh`systemctl is-active ${name}` : sh`systemctl ${action} ${name}`;
  throw unknownInitSystem(`${action} service ${name}`, init);
}

export interface ServiceStatus {
  running: boolean;
  /** For a person: `running`, `stopped`, `dead (pid file remains)`, `not installed`, `failed`... */
  meaning: string;
  code: number;
  output: string;
}

/**
 * Reads a status command's result. LSB (init scripts): 0 running; 1 dead but a pid file in
 * /var/run remains; 2 dead but a lock file remains; 3 not running; 4 status unknown. Debian's
 * `service` also exits 1 for a missing script ("unrecognized service"). Only 0 counts as running.
 * systemd `is-active`: 0 active, else not running, with the state it prints (inactive, failed...).
 */
export function parseStatus(init: InitSystem, r: ExecResult): ServiceStatus {
  const output = (r.stdout + r.stderr).trim();
  const base = { code: r.code, output, running: r.code === 0 };
  if (init === 'systemd') {
    const word = r.stdout.trim().split('\n')[0] || `unknown (exit ${r.code})`;
    return { ...base, meaning: r.code === 0 ? 'running' : word };
  }
  if (/unrecognized service/.test(output)) return { ...base, running: false, meaning: 'not installed' };
  const meanings: Record<number, string> = {
    0: 'running',
    1: 'dead (pid file remains)',
    2: 'dead (lock file remains)',
    3: 'stopped',
    4: 'status unknown',
  };
  return { ...base, meaning: meanings[r.code] ?? `not running (status exit ${r.code})` };
}

export interface ServiceParams {
  readonly name: string;
  readonly state: 'started' | 'stopped' | 'restarted' | 'reloaded';
  /** After start/restart, how long to wait for the status to say running before failing. Default 10. */
  readonly verifySeconds?: number;
}

export interface ServiceState {
  init: InitSystem;
  status: ServiceStatus;
}

export const serviceSchema = {
  type: 'object',
  required: ['name', 'state'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: SERVICE_NAME_PATTERN },
    state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
    verifySeconds: { type: 'number', minimum: 0, maximum: 300 },
  },
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the status command (not through the probe cache) until it says running or `seconds`
 * pass. Init scripts exit 0 from `start` even when the daemon dies at once (corosync), so a
 * start is only trusted once the status confirms it.
 */
export async function waitUntilRunning(ctx: TaskContext, init: InitSystem, name: string, seconds: number): Promise<ServiceStatus> {
  const status = serviceCommand(init, name, 'status');
  const deadline = Date.now() + seconds * 1000;
  let delay = 250;
  for (;;) {
    const s = parseStatus(init, await ctx.conn.exec(status));
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
export const service = defineModule<ServiceParams, ServiceState>({
  module: 'service',
  schema: serviceSchema,
  title: (p) => `service ${p.name} ${p.state}`,
  build(p) {
    const field = `service ${p.name}`;
    return {
      // The probe depends on the init system, which the facts tell only later: both are declared
      // (each is read-only and cheap) so either is answered from the one batched round trip.
      probes: [serviceCommand('sysvinit', p.name, 'status'), serviceCommand('systemd', p.name, 'status')],
      async probe(ctx) {
        const init = ctx.facts.initSystem;
        const r = await ctx.probe(serviceCommand(init, p.name, 'status'));
        return { init, status: parseStatus(init, r) };
      },
      decide({ status }) {
        switch (p.state) {
          case 'started':
            return status.running
              ? { changes: [], ok: `${field} is running` }
              : { changes: [{ field, from: status.meaning, to: 'started' }], ok: `${field} is running` };
          case 'stopped':
            return status.running
              ? { changes: [{ field, from: 'running', to: 'stopped' }], ok: `${field} is not running` }
              : { changes: [], ok: `${field} is not running (${status.meaning})` };
          default:
            return { changes: [{ field, to: p.state }], ok: `${field} is ${p.state}` };
        }
      },
      async apply(ctx, state) {
        const action: ServiceAction = { started: 'start', stopped: 'stop', restarted: 'restart', reloaded: 'reload' }[p.state] as ServiceAction;
        const r = await ctx.run(serviceCommand(state.init, p.name, action), { what: `${action} ${p.name}` });
        const output = { code: r.code, stdout: r.stdout, stderr: r.stderr };
        if (action === 'start' || action === 'restart') {
          const seconds = p.verifySeconds ?? 10;
          const s = await waitUntilRunning(ctx, state.init, p.name, seconds);
          if (!s.running) {
            const said = lastLines(r.stdout + r.stderr);
            throw new KeelError(
              `${action} ${p.name} exited 0 but the service is not running after ${seconds}s (status: ${s.meaning}, exit ${s.code})` +
                (said ? `\n${action} said: ${said}` : '') +
                (s.output ? `\nstatus said: ${lastLines(s.output)}` : ''),
            );
          }
        }
        return { output };
      },
    };
  },
});
