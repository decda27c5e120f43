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
    // One command, nothing of the shell's changed: no subshell of its own in a read batch.
    sharesShell: true,
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
    // A glob, not `ls | grep`: the shell lists the directory itself, and the host starts no process.
    command: () => sh`set -- ${dir}/*_Packages*; if [ -e "$1" ]; then echo present; else echo empty; fi`,
    parse(r) {
      const word = r.stdout.trim();
      if (r.code !== 0 || (word !== 'present' && word !== 'empty')) {
        throw new KeelError(`cannot tell whether ${dir} holds apt lists (exit ${r.code}): ${r.stderr.trim() || word}`);
      }
      return word === 'present';
    },
  };
}

/** What `apt-cache policy` says of one package apt knows: versions as apt prints them, `(none)` when there is none. */
export interface PackagePolicy {
  installed: string;
  candidate: string;
}

/** `apt-cache policy` for these packages, in the C locale (its headings are translated otherwise). */
export function aptPolicyCommand(packages: readonly string[]): string {
  return sh`LC_ALL=C apt-cache policy ${packages}`;
}

/**
 * The installed and candidate versions of these packages, from one `apt-cache policy` for all
 * of them. A package apt has never heard of is left out (apt prints nothing for it).
 */
export function aptPolicyFact(packages: readonly string[]): Fact<Record<string, PackagePolicy>> {
  return {
    name: `apt policy of ${packages.join(', ')}`,
    command: () => aptPolicyCommand(packages),
    // One command, nothing of the shell's changed: no subshell of its own in a read batch.
    sharesShell: true,
    parse(r) {
      if (r.code !== 0) throw new KeelError(`apt-cache policy failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
      return parseAptPolicy(r.stdout, packages);
    },
  };
}

/** Parses `apt-cache policy` output: a `name:` heading, then indented `Installed:` and `Candidate:` lines. */
export function parseAptPolicy(stdout: string, packages: readonly string[]): Record<string, PackagePolicy> {
  const out: Record<string, PackagePolicy> = {};
  let current: Partial<PackagePolicy> & { name?: string } = {};
  const flush = () => {
    if (current.name && packages.includes(current.name) && current.installed !== undefined && current.candidate !== undefined) {
      out[current.name] = { installed: current.installed, candidate: current.candidate };
    }
  };
  for (const line of stdout.split('\n')) {
    const heading = /^(\S+?)(?::[a-z0-9-]+)?:$/.exec(line);
    if (heading) {
      flush();
      current = { name: heading[1] };
      continue;
    }
    const field = /^\s+(Installed|Candidate):\s*(\S+)\s*$/.exec(line);
    if (field) current[field[1] === 'Installed' ? 'installed' : 'candidate'] = field[2];
  }
  flush();
  return out;
}

/**
 * When apt's lists were last refreshed and when its sources last changed, in the host's clock
 * (seconds since the epoch, with fractions). `lastUpdate` is the mtime of the lists' `partial/`
 * directory, which every `apt-get update` touches even when nothing changed (the list files keep
 * the server's dates); `newestSource` the newest of sources.list, sources.list.d/*.list and
 * *.sources and the keyrings in /etc/apt/keyrings.
 */
export interface AptListsAge {
  now: number;
  lastUpdate?: number;
  newestSource?: number;
}

/**
 * The lists' age, read with the paths apt itself is configured with (`apt-config shell`, so an
 * APT_CONFIG of the host counts). The same command for every task: read once per host.
 */
export function aptListsAgeFact(): Fact<AptListsAge> {
  return {
    name: 'age of the apt lists',
    command: () =>
      [
        'eval "$(apt-config shell L Dir::State::Lists/d S Dir::Etc::SourceList/f P Dir::Etc::SourceParts/d E Dir::Etc/d)"',
        'date +%s.%N',
        'stat -c %.9Y "${L}partial" 2>/dev/null || echo none',
        'echo "$(stat -c %.9Y "$S" "$P"*.list "$P"*.sources "${E}keyrings/"* 2>/dev/null | sort -n | tail -n 1)"',
        'echo end',
      ].join('; '),
    parse(r) {
      const lines = r.stdout.split('\n');
      const [now, last, newest, end] = lines;
      const num = (s: string | undefined) => (s !== undefined && /^\d+(\.\d+)?$/.test(s.trim()) ? Number(s.trim()) : undefined);
      if (end?.trim() !== 'end' || num(now) === undefined || (last?.trim() !== 'none' && num(last) === undefined)) {
        throw new KeelError(`cannot tell the age of the apt lists (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim() || 'no output'}`);
      }
      return { now: num(now)!, lastUpdate: num(last), newestSource: num(newest) };
    },
  };
}
