import { type Static, Type } from '@sinclair/typebox';
import { raw, sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change } from '../../lib/types';
import { aptListsFact, dpkgStatusFact, isPackageInstalled } from './facts';

/** A Debian package name: no version, no architecture qualifier, nothing a shell would read. */
export const PackageName = Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$' });

export const AptInstallParams = Type.Object(
  {
    /** Debian package names (no version, no architecture qualifier). */
    packages: Type.Array(PackageName, { minItems: 1, uniqueItems: true }),
    /** Run `apt-get update` before installing (only when something is missing). */
    update: Type.Optional(Type.Boolean()),
    /** Install recommended packages too: apt's own default (true). `false` adds `--no-install-recommends`. */
    installRecommends: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AptInstallParams = Static<typeof AptInstallParams>;

/** What apply does: refresh the lists first or not, then install exactly these packages. */
export interface AptInstallPlan {
  update: boolean;
  install: string[];
  installRecommends: boolean;
}

/** The apt-get command line that installs these packages, non-interactive and waiting for the dpkg lock. */
export function aptGetInstallCommand(packages: readonly string[], installRecommends = true): string {
  const base =
    'DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 ' +
    '-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install';
  return installRecommends ? sh`${raw(base)} ${packages}` : sh`${raw(base)} --no-install-recommends ${packages}`;
}

export const APT_GET_UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update';

/**
 * Debian packages installed (dpkg's status `installed` with flag `ok`, held packages included);
 * only the missing ones are installed, with one non-interactive `apt-get install` that waits up
 * to 300 s for the dpkg lock. Lists are refreshed first when `update` is set or when the host has
 * none yet; never when nothing is missing. Existing configuration files are kept (`--force-confold`).
 *
 * @example aptInstall({ packages: ['pacemaker', 'corosync', 'crmsh', 'psmisc'], update: true })
 */
export const aptInstall = defineTask({
  module: 'aptInstall',
  params: AptInstallParams,
  title: (p) => `aptInstall ${p.packages.join(' ')}`,
  facts: (p) => ({ dpkg: dpkgStatusFact(p.packages), lists: aptListsFact() }),
  decide(p, { dpkg, lists }) {
    const ok = p.packages.length === 1 ? `package ${p.packages[0]} is installed` : `packages ${p.packages.join(', ')} are installed`;
    const missing = p.packages.filter((name) => !isPackageInstalled(dpkg[name]));
    if (missing.length === 0) return { changes: [], ok };
    const changes: Change[] = missing.map((name) => ({
      field: `package ${name}`,
      from: dpkg[name]?.status ?? 'absent',
      to: 'installed',
    }));
    // With no list at all, apt-get install would find nothing: update first even if not asked.
    if (!p.update && !lists) changes.unshift({ field: 'apt lists', from: 'empty', to: 'updated' });
    const plan: AptInstallPlan = { update: p.update === true || !lists, install: missing, installRecommends: p.installRecommends ?? true };
    return { changes, ok, plan };
  },
  async apply(ctx, plan) {
    if (plan.update) await ctx.run(APT_GET_UPDATE, { what: 'apt-get update' });
    const r = await ctx.run(aptGetInstallCommand(plan.install, plan.installRecommends), {
      what: `apt-get install ${plan.install.join(' ')}`,
    });
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});
