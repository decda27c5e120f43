import { KeelError } from '../lib/errors';
import { raw, sh } from '../lib/quote';
import { defineModule } from '../lib/task';
import type { Change } from '../lib/types';

export interface AptInstallParams {
  /** Debian package names (no version, no architecture qualifier). */
  readonly packages: readonly string[];
  /** Run `apt-get update` before installing (only when something is missing). */
  readonly update?: boolean;
  /** Install recommended packages too: apt's own default (true). `false` adds `--no-install-recommends`. */
  readonly installRecommends?: boolean;
}

/** One package as dpkg knows it; `status` is `absent` when dpkg has never heard of it. */
export interface PackageState {
  status: string;
  version?: string;
}

export interface AptState {
  packages: Record<string, PackageState>;
  /** /var/lib/apt/lists holds no package list: an install would find nothing, so update first. */
  listsEmpty: boolean;
}

export const INSTALLED = 'install ok installed';

const PACKAGE_PATTERN = '^[a-z0-9][a-z0-9+.-]+$';

export const aptInstallSchema = {
  type: 'object',
  required: ['packages'],
  additionalProperties: false,
  properties: {
    packages: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: PACKAGE_PATTERN } },
    update: { type: 'boolean' },
    installRecommends: { type: 'boolean' },
  },
} as const;

/** `dpkg-query` for these packages: one line per known package, `name<TAB>status<TAB>version`. */
export function dpkgQueryProbe(packages: readonly string[]): string {
  return sh`dpkg-query -W -f=${'${Package}\\t${Status}\\t${Version}\\n'} ${packages}`;
}

/**
 * Whether apt has any package list. Lists are stored compressed on some hosts
 * (`..._Packages.lz4`), so the name is matched as a prefix. The same command for every
 * aptInstall task: the engine probes it once per host.
 */
export const APT_LISTS_PROBE =
  "if ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; then echo present; else echo empty; fi";

/**
 * Parses dpkg-query's output. It exits 1 when some package is unknown (and names it on stderr),
 * but still prints the known ones: the exit code is not an error here. Packages not printed are
 * `absent`.
 */
export function parseDpkgQuery(stdout: string, packages: readonly string[]): Record<string, PackageState> {
  const out: Record<string, PackageState> = {};
  for (const name of packages) out[name] = { status: 'absent' };
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [name, status = '', version = ''] = line.split('\t');
    if (!(name in out)) continue;
    // A multi-arch package may print twice (amd64 and i386): installed wins.
    if (out[name].status === INSTALLED) continue;
    const known = status.trim();
    // "unknown ok not-installed" / "deinstall ok not-installed": purged, dpkg only remembers the name.
    out[name] = /\bnot-installed$/.test(known) ? { status: 'absent' } : { status: known, version: version.trim() || undefined };
  }
  return out;
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
 * Debian packages installed (`install ok installed` in dpkg); only the missing ones are installed,
 * with one non-interactive `apt-get install` that waits up to 300 s for the dpkg lock. Lists are
 * refreshed first when `update` is set or when the host has none yet; never when nothing is missing.
 * Existing configuration files are kept (`--force-confold`).
 *
 * @example aptInstall({ packages: ['pacemaker', 'corosync', 'crmsh', 'psmisc'], update: true })
 */
export const aptInstall = defineModule<AptInstallParams, AptState>({
  module: 'aptInstall',
  schema: aptInstallSchema,
  title: (p) => `aptInstall ${p.packages.join(' ')}`,
  build(p) {
    const query = dpkgQueryProbe(p.packages);
    return {
      probes: [query, APT_LISTS_PROBE],
      async probe(ctx) {
        const [q, lists] = await Promise.all([ctx.probe(query), ctx.probe(APT_LISTS_PROBE)]);
        // Exit 1 with "no packages found matching" is normal; anything else (no dpkg-query) is not.
        if (q.code !== 0 && !(q.code === 1 && /no packages found matching/.test(q.stderr))) {
          throw new KeelError(`dpkg-query failed (exit ${q.code}): ${q.stderr.trim() || q.stdout.trim()}`);
        }
        return { packages: parseDpkgQuery(q.stdout, p.packages), listsEmpty: lists.stdout.trim() === 'empty' };
      },
      decide(state) {
        const missing = p.packages.filter((name) => state.packages[name]?.status !== INSTALLED);
        const changes: Change[] = missing.map((name) => ({
          field: `package ${name}`,
          from: state.packages[name]?.status ?? 'absent',
          to: 'installed',
        }));
        if (missing.length > 0 && !p.update && state.listsEmpty) {
          changes.unshift({ field: 'apt lists', from: 'empty', to: 'updated' });
        }
        const ok =
          p.packages.length === 1 ? `package ${p.packages[0]} is installed` : `packages ${p.packages.join(', ')} are installed`;
        return { changes, ok };
      },
      async apply(ctx, state) {
        const missing = p.packages.filter((name) => state.packages[name]?.status !== INSTALLED);
        if (p.update || state.listsEmpty) await ctx.run(APT_GET_UPDATE, { what: 'apt-get update' });
        const r = await ctx.run(aptGetInstallCommand(missing, p.installRecommends ?? true), {
          what: `apt-get install ${missing.join(' ')}`,
        });
        return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
      },
    };
  },
});
