import { randomBytes } from 'node:crypto';
import { quote } from './quote';
import type { ExecResult, MergedRead } from './types';

/** One read-only command of a batch, and how long the host lets it run. */
export interface BatchEntry {
  command: string;
  timeoutSeconds: number;
  /** Runs in the batch's shell, not a subshell: the command says it leaves the shell as it was (Fact.sharesShell). */
  sharesShell?: boolean;
  /** A read that may run merged with others of its kind (Fact.merge; lib/read-merge.ts). */
  merge?: MergedRead;
}

/** A batched command's result; `timedOut` when the host killed it at its deadline. */
export interface BatchResult extends ExecResult {
  timedOut: boolean;
}

/** A batch script, its random marker, its reads' indexes in the order they run, and the one deadline they run under. */
export interface Batch {
  script: string;
  marker: string;
  order: number[];
  seconds: number;
  /** The client's bound, for a host without `timeout` (nothing kills the reads there): the sum of their distinct deadlines, never less than `seconds`. */
  unkilledSeconds: number;
  count: number;
}

/** The exit code a read killed at its deadline reports: 128 + SIGKILL, as `timeout -s KILL` exits. */
const KILLED_CODE = 137;

/** What GNU timeout --verbose prints when it kills a command: how a kill is told from an exit 137. */
const KILLED = /^timeout: sending signal KILL to command/m;

/**
 * Many read-only commands in one round trip, run one after another in one shell, the way a
 * person would type them: the host starts the reads' own processes, a subshell per read (`eval`,
 * so a read that says `exit` or `cd` ends or moves only itself; none for a read that declares it
 * leaves the shell as it found it, `sharesShell`), and one `timeout` and one shell, nothing else.
 * (Process creation is what a read batch costs a host: running reads concurrently, each into a
 * temporary file, took 15 processes where this takes 7; a `timeout` and a shell per distinct
 * deadline cost every host's first batch, the facts at 60 s and the reads at 300 s, two more.)
 *
 * The reads run shortest deadline first, under one `timeout -s KILL` of the shortest deadline,
 * which kills the whole process group when the time is up: the first read has exactly its own
 * deadline; a later one killed there had less than its own, and is left to be read again
 * (parseBatch). Reads take milliseconds; a deadline is a bound on a hang, which then costs the
 * reads after it one more round trip (lib/host-session.ts sends them out again together, and the
 * read cut short alone beside them). A read slower than a shorter deadline before it, but
 * healthy, is cut short and runs again.
 *
 * The script first prints a start boundary (whatever the login shell printed before it, a
 * .bashrc's greeting, is dropped); after each read, on stderr and then on stdout, a newline and a
 * random marker with the read's index (on stdout with its exit code); after the group, the
 * marker and `g` (on stdout with the group's exit status: 137 when it was killed at its
 * deadline). No output can forge a boundary: the marker is random, and each boundary's leading
 * newline is the script's own, so every read's output comes back byte for byte.
 */
export function batchScript(entries: readonly BatchEntry[]): Batch {
  const marker = 'keel-' + randomBytes(8).toString('hex');
  const seconds = (i: number) => Math.max(1, Math.ceil(entries[i].timeoutSeconds));
  const order = entries.map((_e, i) => i).sort((a, b) => seconds(a) - seconds(b) || a - b);
  const deadline = order.length ? seconds(order[0]) : 1;
  const both = (text: string) => `printf '\\n${marker} ${text}\\n'; printf '\\n${marker} ${text}\\n' >&2`;
  // stderr's boundary first: a read killed between the two is one whose stdout has no boundary,
  // and is reported killed with all of its output.
  const body = order.map(
    (i) => `${evalIn(entries[i])} </dev/null; c=$?; printf '\\n${marker} r ${i}\\n' >&2; printf '\\n${marker} r ${i} %s\\n' $c`,
  );
  const lines = [
    // `k` is set where the host has `timeout`; the group is then `timeout -s KILL N sh -c …`.
    'k=; command -v timeout >/dev/null 2>&1 && k=1',
    both('s'),
    // The shell's own "Killed", for a group it saw die, goes where the command's stderr went while
    // it ran: /dev/null (dash; bash prints it itself, into the batch's stderr). The group takes the
    // batch's stderr back from fd 3 before any read runs.
    `\${k:+timeout -s KILL ${deadline}} sh -c ${quote(['exec 2>&3 3>&-', ...body].join('\n'))} 3>&2 2>/dev/null`,
    `c=$?; printf '\\n${marker} g\\n' >&2; printf '\\n${marker} g %s\\n' $c`,
  ];
  const unkilledSeconds = [...new Set(order.map(seconds))].reduce((sum, n) => sum + n, 0);
  return { script: lines.join('\n') + '\n', marker, order, seconds: deadline, unkilledSeconds, count: entries.length };
}

/** A read in a subshell of its own, or in the batch's shell when it leaves that shell as it was. */
function evalIn(entry: BatchEntry): string {
  return entry.sharesShell ? `{ eval ${quote(entry.command)}; }` : `(eval ${quote(entry.command)})`;
}

export const CUT_SHORT = 'cut short';

/**
 * What a batch says of one read: its result; `CUT_SHORT` for the read that was running when its
 * group was killed at the deadline of a read before it (it had less than its own); `undefined` for
 * a read that never began. Both of those are for the caller to read again, under a deadline of
 * their own: the one cut short may hang, the ones never begun waited for another's hang.
 */
export type BatchOutcome = BatchResult | typeof CUT_SHORT | undefined;

/**
 * Splits a batch's output back into one outcome per command, in order. A read is `timedOut` only
 * when its group was killed (exit 137) and it was the group's first (its deadline is the
 * group's); a later one running then was cut short. A read that ended its group's shell some
 * other way (a `sharesShell` read that said `exit`) reports that status as its own exit code.
 */
export function parseBatch(batch: Batch, stdout: Buffer | string, stderr: string): BatchOutcome[] {
  // Split as latin1, one character per byte, so each read's stdout keeps its exact bytes.
  const out = splitStream(typeof stdout === 'string' ? Buffer.from(stdout).toString('latin1') : stdout.toString('latin1'), batch, true);
  const err = splitStream(stderr, batch, false);
  if (!out.ended || !err.ended) {
    const done = batch.order.filter((i) => out.reads.has(i) && err.reads.has(i)).length;
    throw new Error(`read batch output ended early (no end boundary; ${done} of ${batch.count} results)`);
  }
  const first = batch.order[0];
  return Array.from({ length: batch.count }, (_, i) => {
    const o = out.reads.get(i);
    if (!o) return undefined;
    const killed = o.code === undefined;
    // Killed at the deadline: the read running then has no exit code of its own.
    if (killed && i !== first) return CUT_SHORT;
    const bytes = Buffer.from(o.text, 'latin1');
    return { code: o.code ?? KILLED_CODE, stdout: bytes.toString(), stdoutBytes: bytes, stderr: err.reads.get(i)?.text ?? '', timedOut: killed };
  });
}

/**
 * One stream's pieces, after its start boundary: the text before each `r` boundary is that
 * read's; the text before the group's `g` boundary, when the group ended early, is the output of
 * the read that was running (its exit code the group's status, unless the group was killed).
 */
function splitStream(text: string, batch: Batch, withCodes: boolean) {
  const reads = new Map<number, { text: string; code?: number }>();
  const start = `\n${batch.marker} s\n`;
  const at = text.indexOf(start);
  if (at < 0) return { reads, ended: false };
  const boundary = new RegExp(`\\n${batch.marker} (?:r (\\d+)${withCodes ? ' (\\d+)' : ''}|g${withCodes ? ' (\\d+)' : ''})\\n`, 'g');
  let pos = at + start.length;
  boundary.lastIndex = pos;
  for (let m = boundary.exec(text); m; m = boundary.exec(text)) {
    const piece = text.slice(pos, m.index);
    pos = m.index + m[0].length;
    if (m[1] !== undefined) {
      reads.set(Number(m[1]), { text: piece, code: withCodes ? Number(m[2]) : 0 });
      continue;
    }
    const running = batch.order.find((i) => !reads.has(i));
    const status = withCodes ? Number(m[3]) : KILLED_CODE;
    if (running !== undefined) reads.set(running, { text: piece, code: status === KILLED_CODE ? undefined : status });
    return { reads, ended: true };
  }
  return { reads, ended: false };
}

/** Whether a single command run under `withRemoteDeadline` was killed by the host at its deadline. */
export function killedAtDeadline(r: ExecResult): boolean {
  return r.code === 137 && KILLED.test(r.stderr);
}
