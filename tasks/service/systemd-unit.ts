import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { KeelError, lastLines } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision, Fact, HostFacts } from '../../lib/types';
import { atomicWriteScript, attributeScript } from '../files/atomic-write';
import { fileFact, type FileState, sha } from '../files/facts';
import { type BootPlan, decideBoot } from './boot';
import { parseIsEnabled, parseStatus, serviceCommand, type ServiceStatus } from './facts';
import { waitUntilRunning } from './service';

/** Where units written by the administrator live (systemd.unit(5)). */
export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';

/** A unit name with its type suffix, nothing a shell or a path would read: `kamailio.service`, `backup.timer`. */
export const UnitName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.@:+-]*\\.(service|socket|timer|target|path|mount|automount|swap|slice)$',
});

export const SystemdUnitParams = Type.Object(
  {
    /** The unit's file name: `kamailio.service`. */
    name: UnitName,
    /** The whole unit file. */
    content: Type.String({ minLength: 1 }),
    /** Started at boot (`systemctl enable`) or not (`disable`). Unset: left as it is. */
    enabled: Type.Optional(Type.Boolean()),
    /**
     * `started`: running; restarted when its unit file changed (unless `restartOnChange` is false).
     * `stopped`: not running. `restarted`: restarted on every run (for handlers). Unset: left as it is.
     */
    state: Type.Optional(Type.Union([Type.Literal('started'), Type.Literal('stopped'), Type.Literal('restarted')])),
    /** With state started: restart a running unit whose definition changed. Default true. */
    restartOnChange: Type.Optional(Type.Boolean()),
    /** After a start or restart, how long `systemctl is-active` may take to say active. Default 10. */
    verifySeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })),
    /** Default /etc/systemd/system (another directory for tests). */
    unitDir: Type.Optional(Type.String({ pattern: '^/[^\\n\\x00]*$' })),
  },
  { additionalProperties: false },
);
export type SystemdUnitParams = Static<typeof SystemdUnitParams>;

/** What apply does, in this order: write the file (or fix its mode), daemon-reload, enable/disable, act, verify. */
export interface SystemdUnitPlan {
  path: string;
  write?: { content: string };
  chmod?: boolean;
  reload: boolean;
  boot?: BootPlan;
  action?: { verb: 'start' | 'stop' | 'restart'; command: string; verify?: { command: string; seconds: number } };
}

const MODE = '644';
const DEFAULT_VERIFY_SECONDS = 10;

/** The clear error for a host whose init system is not systemd. */
export function notSystemd(name: string, host: HostFacts): KeelError {
  return new KeelError(
    `systemdUnit ${name} needs systemd, but this host's init system is ${host.initSystem} ` +
      '(systemd is found by /run/systemd/system; on sysvinit use an init script with service and rcEnable)',
  );
}

/**
 * The unit's reads run systemctl on any host (elsewhere it fails harmlessly: no such command, or
 * "not booted with systemd"), so they need no host facts and go out with them, in the same round
 * trip; their parse, and decide, refuse a host whose facts do not say systemd.
 */
function requireSystemd(name: string, host: HostFacts): void {
  if (host.initSystem !== 'systemd') throw notSystemd(name, host);
}

/** `systemctl is-enabled NAME`: one word (enabled, disabled, static, masked...), `not-found` for no such unit. */
export function unitEnabledFact(name: string): Fact<string> {
  return {
    name: `boot state of unit ${name}`,
    command: () => sh`systemctl is-enabled ${name}`,
    parse: (r, host) => {
      requireSystemd(name, host);
      return parseIsEnabled(r.stdout, r.stderr);
    },
  };
}

/** `systemctl is-active NAME`: running or not, with the state it prints. */
export function unitActiveFact(name: string): Fact<ServiceStatus> {
  return {
    name: `status of unit ${name}`,
    command: () => serviceCommand('systemd', name, 'status'),
    parse: (r, host) => {
      requireSystemd(name, host);
      // Without a running systemd (a container, a chroot) systemctl says so and exits 1.
      if (/has not been booted with systemd|Failed to connect to bus/.test(r.stderr)) {
        throw new KeelError(`cannot read the status of ${name}: ${lastLines(r.stderr)}`);
      }
      return parseStatus('systemd', r);
    },
  };
}

/**
 * Whether systemd's loaded definition of the unit is older than its files on disk (the file
 * was written, but no daemon-reload followed: an interrupted run, a hand edit). A unit that is
 * not loaded (stopped and collected, or unknown) says `no`: it is read afresh when next used.
 */
export function unitNeedsReloadFact(name: string): Fact<boolean> {
  return {
    name: `NeedDaemonReload of unit ${name}`,
    command: () => sh`systemctl show --property=NeedDaemonReload --value ${name}`,
    parse: (r, host) => {
      requireSystemd(name, host);
      const word = r.stdout.trim();
      if (r.code !== 0 || (word !== 'yes' && word !== 'no')) {
        throw new KeelError(`cannot tell whether ${name} needs a daemon-reload (exit ${r.code}): ${lastLines(r.stderr || r.stdout) || 'no output'}`);
      }
      return word === 'yes';
    },
  };
}

/** The unit file, with a hint when it is a link to /dev/null (a masked unit) rather than a file. */
export function unitFileFact(path: string, name: string): Fact<FileState> {
  const fact = fileFact(path, true);
  return {
    ...fact,
    parse(r, host) {
      try {
        return fact.parse(r, host);
      } catch (err) {
        if (err instanceof KeelError && /is not a regular file/.test(err.message)) {
          throw new KeelError(`${err.message}: a masked unit is a link to /dev/null (systemctl unmask ${name} first)`);
        }
        throw err;
      }
    },
  };
}

export function unitPath(p: Pick<SystemdUnitParams, 'name' | 'unitDir'>): string {
  return `${(p.unitDir ?? SYSTEMD_UNIT_DIR).replace(/\/+$/, '')}/${p.name}`;
}

/** Whether a unit file has an [Install] section: without one, `systemctl enable` has nothing to do (is-enabled says static). */
export function hasInstallSection(content: string): boolean {
  return /^\[Install\]\s*$/m.test(content);
}

interface UnitFacts {
  file: FileState;
  enabled: string;
  active: ServiceStatus;
  needsReload: boolean;
}

/** The pure decide step of systemdUnit. */
export function decideUnit(p: SystemdUnitParams, f: UnitFacts, host: HostFacts): Decision<SystemdUnitPlan> {
  requireSystemd(p.name, host);
  const path = unitPath(p);
  const changes: Change[] = [];
  const plan: SystemdUnitPlan = { path, reload: false };
  const okParts: string[] = [`${path} is up to date`];

  // 1. The file.
  const fileChanged = !f.file.exists || f.file.sha256 !== sha(p.content);
  if (!f.file.exists) changes.push({ field: path, to: f.file.parentExists ? 'created' : 'created (directory missing now)' });
  else if (fileChanged) changes.push({ field: path, from: `sha256:${f.file.sha256?.slice(0, 12)}`, to: `sha256:${sha(p.content).slice(0, 12)}` });
  if (fileChanged) plan.write = { content: p.content };
  else if (f.file.mode !== MODE) {
    changes.push({ field: `${path} mode`, from: f.file.mode, to: MODE });
    plan.chmod = true;
  }

  // 2. The definition systemd has loaded.
  const definitionChanged = fileChanged || f.needsReload;
  if (definitionChanged) {
    plan.reload = true;
    changes.push({ field: `loaded ${p.name}`, from: fileChanged ? 'out of date (file changed)' : 'out of date (NeedDaemonReload=yes)', to: 'reloaded' });
  }

  // 3. Boot: rcEnable/rcDisable's own rules on the is-enabled word.
  if (p.enabled !== undefined) {
    const word = f.enabled;
    if (word === 'masked' || word === 'masked-runtime') {
      changes.push({ field: `boot start of ${p.name}`, from: word, to: p.enabled ? 'enabled' : 'disabled' });
      plan.boot = { action: 'refuse', reason: `${p.name} is ${word}: unmask it first (systemctl unmask ${p.name})` };
    } else if (p.enabled && word === 'not-found' && !hasInstallSection(p.content)) {
      okParts.push('static (no [Install] section)');
    } else {
      const boot = decideBoot(p.enabled, p.name, { init: 'systemd', enabled: word });
      changes.push(...boot.changes);
      if (boot.plan) plan.boot = boot.plan;
      else if (boot.ok) okParts.push(boot.ok);
    }
  }

  // 4. Running or not.
  const field = `service ${p.name}`;
  const running = f.active.running;
  const act = (verb: 'start' | 'stop' | 'restart', from: string) => {
    const seconds = p.verifySeconds ?? DEFAULT_VERIFY_SECONDS;
    changes.push({ field, from, to: { start: 'started', stop: 'stopped', restart: 'restarted' }[verb] });
    plan.action = {
      verb,
      command: sh`systemctl ${verb} ${p.name}`,
      verify: verb === 'stop' ? undefined : { command: serviceCommand('systemd', p.name, 'status'), seconds },
    };
  };
  if (p.state === 'restarted') act('restart', f.active.meaning);
  else if (p.state === 'started') {
    if (!running) act('start', f.active.meaning);
    else if (definitionChanged && p.restartOnChange !== false) act('restart', 'running the old definition');
    else okParts.push(`${field} is running`);
  } else if (p.state === 'stopped') {
    if (running) act('stop', 'running');
    else okParts.push(`${field} is not running (${f.active.meaning})`);
  }

  const ok = okParts.join('; ');
  if (changes.length === 0) return { changes, ok };
  const diff = fileChanged ? createTwoFilesPatch(path, path, f.file.content ?? '', p.content, f.file.exists ? 'current' : '(absent)', 'desired') : undefined;
  return { changes, ok, diff, plan, dependsOn: f.file.parentExists ? undefined : `${p.unitDir ?? SYSTEMD_UNIT_DIR} does not exist yet` };
}

/**
 * A systemd unit from its whole file: written atomically (mode 644) to /etc/systemd/system/NAME,
 * `systemctl daemon-reload` only when the file changed (or systemd says its loaded definition is
 * out of date), then enabled or disabled at boot (`enabled`, rcEnable's rules: static counts as
 * enabled, a masked unit is refused), then started, stopped or restarted (`state`). With state
 * started, a running unit whose definition changed is restarted, so the process matches the
 * file; `restarted` restarts on every run, for handlers. A start or restart is verified with
 * `systemctl is-active` (a oneshot unit needs RemainAfterExit=yes to count as started).
 *
 * Reads `systemctl is-enabled`, `is-active` and `show -p NeedDaemonReload`; a host whose init
 * system is not systemd fails with a clear error before anything is run.
 *
 * @example systemdUnit({ name: 'sipp-uas.service', content: UNIT, enabled: true, state: 'started' })
 */
export const systemdUnit = defineTask({
  module: 'systemdUnit',
  params: SystemdUnitParams,
  title: (p) => `systemdUnit ${p.name}`,
  facts: (p) => ({
    file: unitFileFact(unitPath(p), p.name),
    enabled: unitEnabledFact(p.name),
    active: unitActiveFact(p.name),
    needsReload: unitNeedsReloadFact(p.name),
  }),
  decide: (p, facts, env) => decideUnit(p, facts, env.facts),
  async apply(ctx, plan, p) {
    // A masked unit is refused before anything is written.
    if (plan.boot?.action === 'refuse') throw new KeelError(plan.boot.reason);
    if (plan.write) await ctx.run(atomicWriteScript(plan.path, { mode: MODE }), { stdin: plan.write.content, what: `write ${plan.path}` });
    if (plan.chmod) await ctx.run(attributeScript(plan.path, { mode: MODE }), { what: `chmod ${plan.path}` });
    if (plan.reload) await ctx.run('systemctl daemon-reload', { what: 'systemctl daemon-reload' });
    if (plan.boot) await ctx.run(plan.boot.command, { what: `${p.enabled ? 'enable' : 'disable'} ${p.name}` });
    if (!plan.action) return;
    const { verb, command, verify } = plan.action;
    const r = await ctx.run(command, { what: `${verb} ${p.name}` });
    if (verify) {
      const s = await waitUntilRunning(ctx, 'systemd', verify.command, verify.seconds);
      if (!s.running) {
        throw new KeelError(
          `systemctl ${verb} ${p.name} exited 0 but the unit is not active after ${verify.seconds}s (is-active: ${s.meaning})` +
            (lastLines(r.stdout + r.stderr) ? `\n${verb} said: ${lastLines(r.stdout + r.stderr)}` : '') +
            `\nsee: systemctl status ${p.name}; journalctl -u ${p.name}`,
        );
      }
    }
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});
