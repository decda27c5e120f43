import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import type { Fact } from '../../lib/types';

/**
 * One package as dpkg knows it: `status` is dpkg's whole Status field (`install ok installed`,
 * `hold ok installed`, `deinstall ok config-files`...), or `absent` when dpkg has never heard of it.
 */
export interface PackageState {
  status: string;
  version?: string;
}

/** Where apt keeps its package lists. */
export const APT_LISTS_DIR = '/var/lib/apt/lists';

/**
 * Whether dpkg counts a package as installed. The Status field is three words: the selection
 * (what is wanted: install, hold, deinstall, purge), the error flag (ok or reinstreq) and the
 * package state. Only the last two say what is on disk: `installed` with `ok`, whatever the
 * selection. A held package (`hold ok installed`, `apt-mark hold`) is installed.
 */
export function isPackageInstalled(state: PackageState | undefined): boolean {
  if (state === undefined) return false;
  const [, flag, word] = state.status.split(/\s+/);
  return flag === 'ok' && word === 'installed';
}

/** `dpkg-query` for these packages: one line per known package, `name<TAB>status<TAB>version`. */
export function dpkgQueryCommand(packages: readonly string[]): string {
  return sh`dpkg-query -W -f=${'${Package}\\t${Status}\\t${Version}\\n'} ${packages}`;
}

/**
 * The dpkg status of these packages, from one dpkg-query. It exits 1 when some package is unknown
 * (and names it on stderr), but still prints the known ones: that exit is not an error here.
 */
export function dpkgStatusFact(packages: readonly string[]): Fact<Record<string, PackageState>> {
  return {
    name: `dpkg status of ${packages.join(', ')}`,
    command: () => dpkgQueryCommand(packages),
    parse(r) {
      // Exit 1 with "no packages found matching" is normal; anything else (no dpkg-query) is not.
      if (r.code !== 0 && !(r.code === 1 && /no packages found matching/.test(r.stderr))) {
        throw new KeelError(`dpkg-query failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
      }
      return parseDpkgQuery(r.stdout, packages);
    },
  };
}

/** Parses dpkg-query's output. Packages not printed are `absent`. */
export function parseDpkgQuery(stdout: string, packages: readonly string[]): Record<string, PackageState> {
  const out: Record<string, PackageState> = {};
  for (const name of packages) out[name] = { status: 'absent' };
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const [name, status = '', version = ''] = line.split('\t');
    if (!(name in out)) continue;
    // A multi-arch package may print twice (amd64 and i386): installed wins.
    if (isPackageInstalled(out[name])) continue;
    const known = status.trim();
    // "unknown ok not-installed" / "deinstall ok not-installed": purged, dpkg only remembers the name.
    out[name] = /\bnot-installed$/.test(known) ? { status: 'absent' } : { status: known, version: version.trim() || undefined };
  }
  return out;
}

/**
 * Whether apt has any package list in `dir` (true: present). Lists are stored compressed on some
 * hosts (`..._Packages.lz4`), so the name is matched as a part; `lock` and `partial/` alone are no
 * list, and neither is a missing directory. The same command for every aptInstall task: the
 * engine reads it once per host.
 */
export function aptListsFact(dir: string = APT_LISTS_DIR): Fact<boolean> {
  return {
    name: `apt lists in ${dir}`,
    command: () => sh`if ls ${dir + '/'} 2>/dev/null | grep -q _Packages; then echo present; else echo empty; fi`,
    parse(r) {
      const word = r.stdout.trim();
      if (r.code !== 0 || (word !== 'present' && word !== 'empty')) {
        throw new KeelError(`cannot tell whether ${dir} holds apt lists (exit ${r.code}): ${r.stderr.trim() || word}`);
      }
      return word === 'present';
    },
  };
}
