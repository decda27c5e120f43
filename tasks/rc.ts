import { KeelError } from '../lib/errors';
import { sh } from '../lib/quote';
import { defineModule } from '../lib/task';
import type { Decision, DecideEnv, InitSystem, TaskDefinition } from '../lib/types';
import { SERVICE_NAME_PATTERN, unknownInitSystem } from './service';

export interface RcParams {
  /** The init script (/etc/init.d/NAME) or systemd unit name. */
  readonly service: string;
}

/** The runlevels a Debian host boots into: enabled means an S link in every one of them. */
export const BOOT_RUNLEVELS = ['2', '3', '4', '5'] as const;

/**
 * Every rc directory in one read-only listing: the same command for every service, so one probe
 * per host answers all rcEnable/rcDisable tasks. rc0, rc1 and rc6 tell "no links at all" (the
 * script was never registered: `update-rc.d NAME defaults`) from "disabled" (K links).
 */
export const RC_LINKS_PROBE = 'ls -1 /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d';

export function systemdEnabledProbe(service: string): string {
  return sh`systemctl is-enabled ${service}`;
}

/** This service's links: runlevel → link names (`S01corosync`, `K01corosync`). */
export type RcLinks = Record<string, string[]>;

export type RcState =
  | { init: 'sysvinit'; links: RcLinks }
  | { init: 'systemd'; enabled: string };

/** Parses `ls -1 DIR...` output (sections headed `/etc/rcN.d:`) into this service's links per runlevel. */
export function parseRcListing(stdout: string, service: string): RcLinks {
  const links: RcLinks = {};
  const mine = new RegExp(`^[SK][0-9]{2}${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  let level: string | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const header = /^\/etc\/rc([0-6S])\.d:$/.exec(line);
    if (header) {
      level = header[1];
      links[level] = [];
      continue;
    }
    if (level && mine.test(line)) links[level].push(line);
  }
  return links;
}

/**
 * `systemctl is-enabled` prints one word (enabled, disabled, static, masked, alias, indirect,
 * generated...); for a unit that does not exist older systemd prints only an error on stderr.
 */
export function parseIsEnabled(stdout: string, stderr: string): string {
  const word = stdout.trim().split('\n')[0]?.trim();
  if (word) return word;
  if (/No such file|not found|does not exist/i.test(stderr)) return 'not-found';
  return `unknown (${stderr.trim() || 'no output'})`;
}

/** States in which systemd starts the unit at boot, or which `systemctl enable` cannot improve on. */
const SYSTEMD_ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient']);
const SYSTEMD_ENABLED_AT_BOOT = new Set(['enabled', 'enabled-runtime', 'alias', 'generated']);

function startLevels(links: RcLinks): string[] {
  return BOOT_RUNLEVELS.filter((l) => (links[l] ?? []).some((n) => n.startsWith('S')));
}

function hasAnyLink(links: RcLinks): boolean {
  return Object.values(links).some((names) => names.length > 0);
}

function describeLinks(links: RcLinks): string {
  if (!hasAnyLink(links)) return 'no boot links';
  const s = startLevels(links);
  if (s.length === 0) return 'disabled';
  if (s.length === BOOT_RUNLEVELS.length) return 'enabled';
  return `enabled in rc${s.join(', rc')} only`;
}

function rcModule(enable: boolean) {
  const verb = enable ? 'enable' : 'disable';
  return defineModule<RcParams, RcState>({
    module: enable ? 'rcEnable' : 'rcDisable',
    schema: {
      type: 'object',
      required: ['service'],
      additionalProperties: false,
      properties: { service: { type: 'string', pattern: SERVICE_NAME_PATTERN } },
    },
    title: (p) => `${enable ? 'rcEnable' : 'rcDisable'} ${p.service}`,
    build(p): Omit<TaskDefinition<RcState>, 'module' | 'name'> {
      const field = `boot start of ${p.service}`;
      const isEnabled = systemdEnabledProbe(p.service);
      return {
        // The init system is known from the facts only later: both probes are declared (each is
        // read-only and cheap), so either one is answered from the batched round trip.
        probes: [RC_LINKS_PROBE, isEnabled],
        async probe(ctx): Promise<RcState> {
          const init: InitSystem = ctx.facts.initSystem;
          if (init === 'sysvinit') {
            const r = await ctx.probe(RC_LINKS_PROBE);
            // ls exits 2 when some directory is missing but still lists the others.
            if (r.code !== 0 && !r.stdout.trim()) throw new KeelError(`cannot list /etc/rc?.d: ${r.stderr.trim()}`);
            return { init, links: parseRcListing(r.stdout, p.service) };
          }
          if (init === 'systemd') {
            const r = await ctx.probe(isEnabled);
            return { init, enabled: parseIsEnabled(r.stdout, r.stderr) };
          }
          throw unknownInitSystem(`${verb} ${p.service} at boot`, init);
        },
        decide(state: RcState, _env: DecideEnv): Decision {
          const okText = enable ? `${p.service} starts at boot` : `${p.service} does not start at boot`;
          if (state.init === 'sysvinit') {
            const now = describeLinks(state.links);
            const started = startLevels(state.links).length;
            const done = enable ? started === BOOT_RUNLEVELS.length : started === 0;
            if (done) return { changes: [], ok: enable ? okText : `${okText} (${now})` };
            return { changes: [{ field, from: now, to: enable ? 'enabled' : 'disabled' }], ok: okText };
          }
          const done = enable ? SYSTEMD_ENABLED.has(state.enabled) : !SYSTEMD_ENABLED_AT_BOOT.has(state.enabled);
          if (done) return { changes: [], ok: `${okText} (${state.enabled})` };
          return { changes: [{ field, from: state.enabled, to: enable ? 'enabled' : 'disabled' }], ok: okText };
        },
        async apply(ctx, state) {
          let cmd: string;
          if (state.init === 'sysvinit') {
            // `enable` needs existing links to flip (it aborts with "no runlevel symlinks to modify");
            // `defaults` creates them from the script's LSB header but leaves existing ones alone.
            cmd = enable && !hasAnyLink(state.links) ? sh`update-rc.d ${p.service} defaults` : sh`update-rc.d ${p.service} ${verb}`;
          } else {
            if (state.enabled === 'masked') throw new KeelError(`${p.service} is masked: unmask it first (systemctl unmask ${p.service})`);
            cmd = sh`systemctl ${verb} ${p.service}`;
          }
          const r = await ctx.run(cmd, { what: `${verb} ${p.service} at boot` });
          return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
        },
      };
    },
  });
}

/**
 * A service started at boot: on sysvinit an S link in each of /etc/rc2.d..rc5.d (`update-rc.d
 * NAME defaults` when it has no links at all, else `update-rc.d NAME enable`), on systemd
 * `systemctl enable` unless is-enabled already says enabled (or static, alias, indirect, generated).
 *
 * @example rcEnable({ service: 'pacemaker' })
 */
export const rcEnable = rcModule(true);

/**
 * A service not started at boot: no S link in /etc/rc2.d..rc5.d (`update-rc.d NAME disable`),
 * or on systemd not enabled (`systemctl disable`). Packages create `S01corosync` links on
 * install; a cluster whose nodes should not rejoin by themselves disables them.
 *
 * @example rcDisable({ service: 'corosync' })
 */
export const rcDisable = rcModule(false);
