/** The one fact every crm task reads: the whole CIB, from `cibadmin --query`. */
import { KeelError, lastLines } from '../../lib/errors';
import type { ExecResult, Fact } from '../../lib/types';
import { emptyCib, parseCib, type Cib } from './cib';

/** The read of every crm task: the same command, so the engine runs it once per host and shares it. */
export const CIB_QUERY = 'cibadmin --query';

/**
 * What the crm tasks read. `unavailable` says why there is no CIB yet (pacemaker is not installed
 * or not running); `cib` is then the empty CIB that the install will create, so that a dry run of a
 * fresh host still plans every object.
 */
export interface CibState {
  cib: Cib;
  /** `cibadmin --query exited 127: sh: 1: cibadmin: not found` */
  unavailable?: string;
}

/** Exit codes of a cibadmin that cannot reach a running cluster, or is not installed. */
const UNAVAILABLE_CODES = new Set([126, 127, 69, 102, 107, 111]);

function cibUnavailable(r: ExecResult): boolean {
  return UNAVAILABLE_CODES.has(r.code) || /not found|not connected|connection refused|could not connect|no such file/i.test(r.stderr);
}

/** `cibadmin --query exited 102: Could not connect to the CIB: ...` */
function exited(r: ExecResult): string {
  const said = lastLines(r.stderr || r.stdout);
  return `${CIB_QUERY} exited ${r.code}${said ? `: ${said}` : ''}`;
}

/** The message of a task that needs the CIB and cannot read it. */
export function cannotReadCib(reason: string): string {
  return (
    `cannot read the CIB: ${reason}\n` +
    'Are pacemaker and corosync installed and running on this host? Start the cluster first (check mode works without it).'
  );
}

/** The last CIB parsed: every crm task of a run reads the same one (a read is kept by command). Read-only. */
let lastCib: { xml: string; cib: Cib } | undefined;

function parsedCib(xml: string): Cib {
  // Frozen: tasks share it, and one that changed it would change what the next one decides on.
  if (lastCib?.xml !== xml) lastCib = { xml, cib: deepFreeze(parseCib(xml)) };
  return lastCib.cib;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The CIB. Pacemaker not installed or not running is a value (`unavailable`), not an error: the
 * task decides against the empty CIB and its apply refuses. Any other failure (a permission
 * problem, output that is not XML) throws.
 */
export const cibFact: Fact<CibState> = {
  name: 'the CIB (cibadmin --query)',
  command: () => CIB_QUERY,
  // One command, nothing of the shell's changed: no subshell of its own in a read batch.
  sharesShell: true,
  parse(r) {
    if (r.code === 0) {
      try {
        return { cib: parsedCib(r.stdout) };
      } catch (err) {
        throw new KeelError(`cannot read the CIB: ${CIB_QUERY} printed something that is not a CIB: ${(err as Error).message}`);
      }
    }
    if (cibUnavailable(r)) return { cib: emptyCib(), unavailable: exited(r) };
    throw new KeelError(cannotReadCib(exited(r)));
  },
  fingerprint: cibFingerprint,
};

/**
 * What a plan compares of the CIB: its epochs and its configuration section. The rest of
 * `cibadmin --query` moves on a live cluster with no configuration change (num_updates,
 * cib-last-written, the status section with every monitor result), and would refuse every plan.
 * A hand edit (`crm configure ...`, `cibadmin --replace`) changes the configuration and raises
 * the epoch. When the output is not a CIB, the whole result is compared.
 */
export function cibFingerprint(r: ExecResult): string {
  const open = /<cib\b[^>]*>/.exec(r.stdout);
  const start = r.stdout.indexOf('<configuration');
  const end = r.stdout.indexOf('</configuration>');
  if (r.code !== 0 || !open || start < 0 || end < start) return JSON.stringify([r.code, r.stdout, r.stderr]);
  const epoch = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(open[0])?.[1] ?? '';
  return JSON.stringify({
    admin_epoch: epoch('admin_epoch'),
    epoch: epoch('epoch'),
    configuration: r.stdout.slice(start, end + '</configuration>'.length),
  });
}
