import { randomBytes } from 'node:crypto';
import { quote } from './quote';
import type { ExecResult } from './types';

/** One read-only command of a batch, and how long the host lets it run. */
export interface BatchEntry {
  command: string;
  timeoutSeconds: number;
}

/** A batched command's result; `timedOut` when the host killed it at its deadline. */
export interface BatchResult extends ExecResult {
  timedOut: boolean;
}

/** The exit code a read killed at its deadline reports: 128 + SIGKILL, as `timeout -s KILL` exits. */
const KILLED_CODE = 137;

/** What GNU timeout --verbose prints when it kills a command: how a kill is told from an exit 137. */
const KILLED = /^timeout: sending signal KILL to command/m;

/**
 * Many read-only commands in one round trip. Each runs concurrently in its own background
 * subshell (`eval`: no new shell to start), its output captured to a temporary directory. Reads
 * that share a deadline run together under one `timeout -s KILL` (where the host has `timeout`),
 * which kills the whole process group when the deadline passes: a read still running then was
 * past its own deadline (they all started together), and has written no exit code. Then, behind
 * a random marker, come every exit code (`k` for killed; read with shell builtins), every
 * output's size (one `wc -c`), a second marker, and all outputs back to back (one `cat`): the
 * trusted header comes before any command's output, so no output can be mistaken for a
 * boundary. The host starts a few processes per batch besides the reads' own, instead of a
 * `timeout` and a shell per read (what matters when one machine serves many hosts).
 */
export function batchScript(entries: readonly BatchEntry[]): { script: string; marker: string } {
  const marker = 'keel-' + randomBytes(8).toString('hex');
  const byDeadline = new Map<number, number[]>();
  entries.forEach(({ timeoutSeconds }, i) => {
    const seconds = Math.max(1, Math.ceil(timeoutSeconds));
    byDeadline.set(seconds, [...(byDeadline.get(seconds) ?? []), i]);
  });
  const ids = entries.map((_, i) => i).join(' ');
  const files = entries.map((_, i) => `${i}.o ${i}.e`).join(' ');
  const lines = [
    'keel_d=$(mktemp -d) || exit 97',
    "trap 'rm -rf \"$keel_d\"' EXIT",
    'export keel_d',
    // `k` is set where the host has `timeout`; each group is then `timeout -s KILL N sh -c …`, run
    // straight from this shell (a function would cost one more process per group).
    'k=; command -v timeout >/dev/null 2>&1 && k=1',
    // Every output file exists even for a read killed before it opened its own.
    `for i in ${ids}; do : >"$keel_d/$i.o"; : >"$keel_d/$i.e"; done`,
  ];
  for (const [seconds, group] of byDeadline) {
    // `( eval … )`: a read that says `exit` ends its own subshell, and its code is still written.
    const reads = group.map((i) => `{ (eval ${quote(entries[i].command)}) >"$keel_d/${i}.o" 2>"$keel_d/${i}.e" </dev/null; echo $? >"$keel_d/${i}.c"; } &`);
    lines.push(`\${k:+timeout -s KILL ${seconds}} sh -c ${quote([...reads, 'wait'].join('\n'))} &`);
  }
  lines.push('wait');
  lines.push(`echo ${marker}`);
  // A kill between the code file's creation and its write leaves it empty: that read was killed too.
  lines.push(`for i in ${ids}; do c=; [ -e "$keel_d/$i.c" ] && read c <"$keel_d/$i.c"; printf '%s ' "\${c:-k}"; done; echo`);
  lines.push('cd "$keel_d" || exit 97');
  lines.push(`wc -c ${files}`);
  lines.push(`echo ${marker}`);
  lines.push(`cat ${files}`);
  return { script: lines.join('\n') + '\n', marker };
}

/** Splits a batch's output back into one result per command, in order. */
export function parseBatch(output: Buffer, marker: string, count: number): BatchResult[] {
  const head = Buffer.from(marker + '\n');
  const first = output.indexOf(head);
  const second = first < 0 ? -1 : output.indexOf(head, first + head.length);
  if (first < 0 || second < 0) throw new Error(`read batch output ended early (0 of ${count} results)`);
  const header = output.subarray(first + head.length, second).toString().split('\n');
  // `k`: killed at its deadline (no exit code written), reported as timeout's 128 + SIGKILL.
  const tokens = header[0].trim().split(/\s+/).filter(Boolean);
  const codes = tokens.map((c) => (c === 'k' ? KILLED_CODE : Number(c)));
  const sizes = new Map<string, number>();
  for (const line of header.slice(1)) {
    const m = /^\s*(\d+)\s+(\d+\.[oe])$/.exec(line);
    if (m) sizes.set(m[2], Number(m[1]));
  }
  const results: BatchResult[] = new Array(count);
  let pos = second + head.length;
  for (let i = 0; i < count; i++) {
    const o = sizes.get(`${i}.o`);
    const e = sizes.get(`${i}.e`);
    if (codes[i] === undefined || Number.isNaN(codes[i]) || o === undefined || e === undefined || pos + o + e > output.length) {
      throw new Error(`read batch output ended early (${i} of ${count} results)`);
    }
    const stderr = output.subarray(pos + o, pos + o + e).toString();
    results[i] = {
      code: codes[i],
      stdout: output.subarray(pos, pos + o).toString(),
      stderr,
      timedOut: tokens[i] === 'k',
    };
    pos += o + e;
  }
  return results;
}

/** Whether a single command run under `withRemoteDeadline` was killed by the host at its deadline. */
export function killedAtDeadline(r: ExecResult): boolean {
  return r.code === 137 && KILLED.test(r.stderr);
}
