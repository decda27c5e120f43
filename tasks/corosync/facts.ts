import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import type { Fact, HostFacts } from '../../lib/types';
import { parentDir } from '../files/facts';

/** What one read of a host says about corosync.conf and the corosync installed. */
export interface CorosyncState {
  /** `corosync -v` output; empty when corosync is not installed. */
  versionOutput: string;
  /** Whether the config's directory exists (not before the corosync package is installed). */
  parentExists: boolean;
  /** Current content; undefined when the file does not exist. */
  content?: string;
  /** Octal permission bits (`644`). */
  mode?: string;
}

const MARKER = '@@keel-corosync-conf@@';

/**
 * `corosync -v`, and the config file's mode and content, in one read-only command: version,
 * then the file's mode (or `absent`, `noparent`, `notfile`), then its content last and byte for
 * byte, so nothing in the file can be mistaken for a marker.
 */
export function corosyncFact(path: string): Fact<CorosyncState> {
  return {
    name: `corosync version and ${path}`,
    command: () =>
      sh`corosync -v 2>/dev/null; echo ${MARKER}; if [ -f ${path} ]; then stat -c %a -- ${path} && echo ${MARKER} && cat -- ${path}; ` +
      sh`elif [ -e ${path} ]; then echo notfile; echo ${MARKER}; elif [ -d ${parentDir(path)} ]; then echo absent; echo ${MARKER}; ` +
      sh`else echo noparent; echo ${MARKER}; fi`,
    // Reads and prints only (no variable, cd or exit): no subshell of its own in a read batch.
    sharesShell: true,
    parse(r) {
      if (r.code !== 0) throw new KeelError(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
      return parseCorosyncState(path, r.stdout);
    },
  };
}

export function parseCorosyncState(path: string, stdout: string): CorosyncState {
  const first = stdout.indexOf(MARKER + '\n');
  const second = first < 0 ? -1 : stdout.indexOf(MARKER + '\n', first + MARKER.length + 1);
  if (first < 0 || second < 0) throw new KeelError(`the read of ${path} is missing its markers`);
  const versionOutput = stdout.slice(0, first).trim();
  const mode = stdout.slice(first + MARKER.length + 1, second).trim();
  if (mode === 'absent') return { versionOutput, parentExists: true };
  if (mode === 'noparent') return { versionOutput, parentExists: false };
  if (mode === 'notfile') throw new KeelError(`${path} exists but is not a regular file`);
  return { versionOutput, parentExists: true, mode, content: stdout.slice(second + MARKER.length + 1) };
}

/** 3 from `Corosync Cluster Engine, version '3.1.7'` (the first line of `corosync -v`). */
export function corosyncMajorFromVersionText(text: string): number {
  const m = /Corosync Cluster Engine,\s*version\s*'?(\d+)\.\d+/i.exec(text);
  if (!m) throw new KeelError(`not corosync -v output: ${JSON.stringify(text.trim().split('\n')[0] ?? '')}`);
  return Number(m[1]);
}

/** The major version from `corosync -v` ("Corosync Cluster Engine, version '3.1.7'" → 3); undefined when not installed. */
export function corosyncMajorVersion(versionOutput: string): 2 | 3 | undefined {
  try {
    return corosyncMajorFromVersionText(versionOutput) <= 2 ? 2 : 3;
  } catch {
    return undefined;
  }
}

/**
 * The corosync a distribution installs, for when it is not installed yet: Debian 10 and later and
 * Ubuntu 20.04 and later ship corosync 3; older ones 2 (Ubuntu 14.04, 16.04, 18.04; Debian 9). Else 3.
 */
export function majorVersionFromFacts(facts: Pick<HostFacts, 'os'>): 2 | 3 {
  const major = Number.parseInt(facts.os.versionId, 10);
  if (Number.isNaN(major)) return 3;
  if (facts.os.id === 'debian') return major >= 10 ? 3 : 2;
  if (facts.os.id === 'ubuntu') return major >= 20 ? 3 : 2;
  return 3;
}
