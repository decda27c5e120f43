import { type Static, Type } from '../../lib/schema';
import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Decision } from '../../lib/types';
import { ServiceName } from '../params';
import { BOOT_RUNLEVELS, type BootState, bootStateFact, describeLinks, hasAnyLink, startLevels } from './facts';

export const RcParams = Type.Object(
  {
    /** The init script (/etc/init.d/NAME) or systemd unit name. */
    service: ServiceName,
  },
  { additionalProperties: false },
);
export type RcParams = Static<typeof RcParams>;

/** What apply does: one command (`update-rc.d corosync defaults`), or the refusal it reports (a masked unit). */
export type BootPlan = { action: 'run'; command: string } | { action: 'refuse'; reason: string };

/** States in which systemd starts the unit at boot, or which `systemctl enable` cannot improve on. */
const SYSTEMD_ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient']);
const SYSTEMD_ENABLED_AT_BOOT = new Set(['enabled', 'enabled-runtime', 'alias', 'generated']);

/** The pure decide step of rcEnable (enable) and rcDisable. */
export function decideBoot(enable: boolean, service: string, state: BootState): Decision<BootPlan> {
  const verb = enable ? 'enable' : 'disable';
  const field = `boot start of ${service}`;
  const okText = enable ? `${service} starts at boot` : `${service} does not start at boot`;
  if (state.init === 'sysvinit') {
    const now = describeLinks(state.links);
    const started = startLevels(state.links).length;
    const done = enable ? started === BOOT_RUNLEVELS.length : started === 0;
    if (done) return { changes: [], ok: enable ? okText : `${okText} (${now})` };
    const unlinked = !hasAnyLink(state.links);
    // `enable` needs existing links to flip (it aborts with "no runlevel symlinks to modify");
    // `defaults` creates them from the script's LSB header but leaves existing ones alone.
    const command = enable && unlinked ? sh`update-rc.d ${service} defaults` : sh`update-rc.d ${service} ${verb}`;
    return {
      changes: [{ field, from: now, to: enable ? 'enabled' : 'disabled' }],
      ok: okText,
      plan: { action: 'run', command },
      // The package that brings the init script (an earlier aptInstall) also creates its links.
      dependsOn: state.script ? undefined : `${service} has no init script yet`,
    };
  }
  const done = enable ? SYSTEMD_ENABLED.has(state.enabled) : !SYSTEMD_ENABLED_AT_BOOT.has(state.enabled);
  if (done) return { changes: [], ok: `${okText} (${state.enabled})` };
  const plan: BootPlan =
    state.enabled === 'masked'
      ? { action: 'refuse', reason: `${service} is masked: unmask it first (systemctl unmask ${service})` }
      : { action: 'run', command: sh`systemctl ${verb} ${service}` };
  return {
    changes: [{ field, from: state.enabled, to: enable ? 'enabled' : 'disabled' }],
    ok: okText,
    plan,
    dependsOn: state.enabled === 'not-found' ? `unit ${service} is not installed yet` : undefined,
  };
}

function bootTask(enable: boolean) {
  const verb = enable ? 'enable' : 'disable';
  const module = enable ? 'rcEnable' : 'rcDisable';
  return defineTask({
    module,
    params: RcParams,
    title: (p) => `${module} ${p.service}`,
    facts: (p) => ({ boot: bootStateFact(p.service) }),
    decide: (p, { boot }) => decideBoot(enable, p.service, boot),
    async apply(ctx, plan, p) {
      if (plan.action === 'refuse') throw new KeelError(plan.reason);
      const r = await ctx.run(plan.command, { what: `${verb} ${p.service} at boot` });
      return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
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
export const rcEnable = bootTask(true);

/**
 * A service not started at boot: no S link in /etc/rc2.d..rc5.d (`update-rc.d NAME disable`),
 * or on systemd not enabled (`systemctl disable`). Packages create `S01corosync` links on
 * install; a cluster whose nodes should not rejoin by themselves disables them.
 *
 * @example rcDisable({ service: 'corosync' })
 */
export const rcDisable = bootTask(false);
