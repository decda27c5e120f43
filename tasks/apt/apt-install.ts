import { type Static, Type } from '../../lib/schema';
import { ValidationError } from '../../lib/errors';
import { raw, sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import {
  type AptListsAge,
  aptListsAgeFact,
  aptListsFact,
  aptPolicyFact,
  dpkgStatusFact,
  isPackageInstalled,
  type PackagePolicy,
  type PackageState,
} from './facts';

/** A Debian package name: no version, no architecture qualifier, nothing a shell would read. */
export const PackageName = Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$' });

export const AptInstallParams = Type.Object(
  {
    /** Debian package names (no version, no architecture qualifier). */
    packages: Type.Array(PackageName, { minItems: 1, uniqueItems: true }),
    /**
     * `present` (the default): installed, any version. `latest`: installed at apt's candidate
     * version (`apt-cache policy`). `absent`: not installed (`apt-get remove`, or `purge`).
     */
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('latest'), Type.Literal('absent')])),
    /** With state absent: `apt-get purge` (configuration files too, also of packages already removed). */
    purge: Type.Optional(Type.Boolean()),
    /** Run `apt-get update` before installing (only when something is to be installed or upgraded). */
    update: Type.Optional(Type.Boolean()),
    /**
     * Refresh the lists first when they are older than this many seconds, or older than a sources
     * file or keyring in /etc/apt (an aptRepository earlier in the play), and there is something to
     * install; with state latest, whenever they are stale (newer versions may have appeared).
     */
    updateCacheMaxAgeSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Install recommended packages too: apt's own default (true). `false` adds `--no-install-recommends`. */
    installRecommends: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AptInstallParams = Static<typeof AptInstallParams>;

/**
 * What apply does: refresh the lists first or not, then install (or upgrade) exactly these
 * packages; or, for state absent, remove or purge exactly these.
 */
export type AptInstallPlan = { update: boolean; install: string[]; installRecommends: boolean } | { remove: string[]; purge: boolean };

const APT_GET = 'DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300';

/** The apt-get command line that installs these packages, non-interactive and waiting for the dpkg lock. */
export function aptGetInstallCommand(packages: readonly string[], installRecommends = true): string {
  const base = `${APT_GET} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install`;
  return installRecommends ? sh`${raw(base)} ${packages}` : sh`${raw(base)} --no-install-recommends ${packages}`;
}

/** `apt-get remove` (or `purge`) of these packages, non-interactive and waiting for the dpkg lock. */
export function aptGetRemoveCommand(packages: readonly string[], purge: boolean): string {
  return sh`${raw(APT_GET)} ${purge ? 'purge' : 'remove'} ${packages}`;
}

export const APT_GET_UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update';

/** The word dpkg's status ends in: `installed`, `config-files`, `half-configured`...; `absent` when dpkg knows nothing. */
function stateWord(state: PackageState | undefined): string {
  return state === undefined || state.status === 'absent' ? 'absent' : (state.status.split(/\s+/)[2] ?? state.status);
}

/**
 * Why the lists are stale under `maxAge`, or undefined when they are fresh: never refreshed,
 * older than a sources file or keyring, or older than `maxAge` seconds (all in the host's clock).
 * The reason is worded the same on every run, so that check mode and apply report one change.
 */
export function listsStaleness(age: AptListsAge, maxAge: number): string | undefined {
  if (age.lastUpdate === undefined) return 'never updated';
  if (age.newestSource !== undefined && age.newestSource > age.lastUpdate) return 'older than the apt sources';
  if (age.now - age.lastUpdate > maxAge) return `older than ${maxAge}s`;
  return undefined;
}

const plural = (names: readonly string[], one: string, many: string) =>
  names.length === 1 ? `package ${names[0]} ${one}` : `packages ${names.join(', ')} ${many}`;

interface AptFacts {
  dpkg: Record<string, PackageState>;
  lists: boolean;
  policy?: Record<string, PackagePolicy>;
  age?: AptListsAge;
}

/** state absent: remove what dpkg has installed (or half-installed); purge also what left configuration files. */
function decideAbsent(p: AptInstallParams, dpkg: Record<string, PackageState>): Decision<AptInstallPlan> {
  const purge = p.purge === true;
  const ok = plural(p.packages, purge ? 'is purged' : 'is not installed', purge ? 'are purged' : 'are not installed');
  const go = p.packages.filter((name) => {
    const word = stateWord(dpkg[name]);
    return word !== 'absent' && (purge || word !== 'config-files');
  });
  if (go.length === 0) return { changes: [], ok };
  const changes = go.map((name): Change => ({ field: `package ${name}`, from: dpkg[name].status, to: purge ? 'purged' : 'removed' }));
  return { changes, ok, plan: { remove: go, purge } };
}

/** state present or latest. */
function decideInstall(p: AptInstallParams, { dpkg, lists, policy, age }: AptFacts): Decision<AptInstallPlan> {
  const latest = p.state === 'latest';
  const ok = latest
    ? plural(p.packages, 'is at its candidate version', 'are at their candidate versions')
    : plural(p.packages, 'is installed', 'are installed');
  const missing = p.packages.filter((name) => !isPackageInstalled(dpkg[name]));
  const outdated = latest
    ? p.packages.filter((name) => {
        const v = policy?.[name];
        return isPackageInstalled(dpkg[name]) && v !== undefined && v.candidate !== '(none)' && v.installed !== v.candidate;
      })
    : [];
  const stale = p.updateCacheMaxAgeSeconds !== undefined && age !== undefined ? listsStaleness(age, p.updateCacheMaxAgeSeconds) : undefined;
  const work = missing.length + outdated.length > 0;
  // Stale lists matter when something is to be installed, and with latest always: they may hide a newer version.
  if (!work && !(latest && stale)) return { changes: [], ok };
  const changes: Change[] = [];
  // With no list at all, apt-get install would find nothing: update first even if not asked.
  if (!p.update && !lists) changes.push({ field: 'apt lists', from: 'empty', to: 'updated' });
  else if (!p.update && stale) changes.push({ field: 'apt lists', from: stale, to: 'updated' });
  for (const name of p.packages) {
    if (missing.includes(name)) changes.push({ field: `package ${name}`, from: dpkg[name]?.status ?? 'absent', to: 'installed' });
    else if (outdated.includes(name)) changes.push({ field: `package ${name}`, from: policy![name].installed, to: policy![name].candidate });
  }
  const update = p.update === true || !lists || stale !== undefined;
  // After a refresh the candidates may be newer than the ones read: with latest, name every package
  // and let apt upgrade what it can (it leaves those at their newest version alone).
  const install = latest && update ? [...p.packages] : p.packages.filter((n) => missing.includes(n) || outdated.includes(n));
  const unknown = latest ? missing.filter((name) => policy?.[name] === undefined || policy[name].candidate === '(none)') : [];
  return {
    changes,
    ok,
    plan: { update, install, installRecommends: p.installRecommends ?? true },
    dependsOn: unknown.length > 0 ? `apt has no candidate for ${unknown.join(', ')} yet (a repository may be added earlier)` : undefined,
  };
}

/**
 * Debian packages installed (dpkg's status `installed` with flag `ok`, held packages included);
 * only the missing ones are installed, with one non-interactive `apt-get install` that waits up
 * to 300 s for the dpkg lock. Lists are refreshed first when `update` is set, when the host has
 * none yet, or when `updateCacheMaxAgeSeconds` finds them stale; never when nothing is missing.
 * Existing configuration files are kept (`--force-confold`).
 *
 * `state: 'latest'` also upgrades installed packages whose version differs from apt's candidate
 * (one `apt-cache policy` read for all of them). `state: 'absent'` removes the installed ones
 * with `apt-get remove` (`purge: true`: `apt-get purge`, which also clears what removed packages
 * left). As with apt-get itself, removing a package also removes the packages that depend on it:
 * check mode names only the packages asked for.
 *
 * @example aptInstall({ packages: ['pacemaker', 'corosync', 'crmsh', 'psmisc'], update: true })
 * @example aptInstall({ packages: ['openssh-server'], state: 'latest', updateCacheMaxAgeSeconds: 3600 })
 */
export const aptInstall = defineTask({
  module: 'aptInstall',
  params: AptInstallParams,
  title: (p) => `aptInstall ${p.packages.join(' ')}${p.state && p.state !== 'present' ? ` (${p.state})` : ''}`,
  check(p) {
    if (p.purge !== undefined && p.state !== 'absent') {
      throw new ValidationError('aptInstall parameters', [{ path: 'purge', message: 'only goes with state absent' }]);
    }
  },
  facts: (p) => ({
    dpkg: dpkgStatusFact(p.packages),
    lists: aptListsFact(),
    ...(p.state === 'latest' ? { policy: aptPolicyFact(p.packages) } : {}),
    ...(p.updateCacheMaxAgeSeconds !== undefined && p.state !== 'absent' ? { age: aptListsAgeFact() } : {}),
  }),
  decide(p, facts) {
    const f = facts as unknown as AptFacts;
    return p.state === 'absent' ? decideAbsent(p, f.dpkg) : decideInstall(p, f);
  },
  async apply(ctx, plan) {
    if ('remove' in plan) {
      const r = await ctx.run(aptGetRemoveCommand(plan.remove, plan.purge), {
        what: `apt-get ${plan.purge ? 'purge' : 'remove'} ${plan.remove.join(' ')}`,
      });
      return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
    }
    if (plan.update) await ctx.run(APT_GET_UPDATE, { what: 'apt-get update' });
    const r = await ctx.run(aptGetInstallCommand(plan.install, plan.installRecommends), {
      what: `apt-get install ${plan.install.join(' ')}`,
    });
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});
