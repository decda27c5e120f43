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

/** What GNU timeout --verbose prints when it kills a command: how a kill is told from an exit 137. */
const KILLED = /^timeout: sending signal KILL to command/m;

/**
 * Many read-only commands in one round trip. Each runs concurrently in its own subshell under
 * its own deadline (`timeout -s KILL`, where the host has `timeout`), with its output captured
 * to a temporary directory. Then, behind a random marker, come every exit code (read with
 * shell builtins), every output's size (one `wc -c`), a second marker, and all outputs back to
 * back (one `cat`): the trusted header comes before any command's output, so no output can be
 * mistaken for a boundary, and the host starts two processes to report n results instead of 5n
 * (what matters when one machine serves many hosts).
 */
export function batchScript(entries: readonly BatchEntry[]): { script: string; marker: string } {
  const marker = 'keel-' + randomBytes(8).toString('hex');
  const lines = [
    'd=$(mktemp -d) || exit 97',
    "trap 'rm -rf \"$d\"' EXIT",
    // Killed with its whole process group: a probe's own children (sleep) die with it.
    'if command -v timeout >/dev/null 2>&1; then k() { timeout -s KILL --verbose "$1" sh -c "$2"; }; else k() { sh -c "$2"; }; fi',
  ];
  entries.forEach(({ command, timeoutSeconds }, i) => {
    lines.push(`{ k ${Math.max(1, Math.ceil(timeoutSeconds))} ${quote(command)} >"$d/${i}.o" 2>"$d/${i}.e" </dev/null; echo $? >"$d/${i}.c"; } &`);
  });
  const ids = entries.map((_, i) => i).join(' ');
  const files = entries.map((_, i) => `${i}.o ${i}.e`).join(' ');
  lines.push('wait');
  lines.push(`echo ${marker}`);
  lines.push(`for i in ${ids}; do c=; read c <"$d/$i.c"; printf '%s ' "$c"; done; echo`);
  lines.push(`cd "$d" || exit 97`);
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
  const codes = header[0].trim().split(/\s+/).filter(Boolean).map(Number);
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
      timedOut: codes[i] === 137 && KILLED.test(stderr),
    };
    pos += o + e;
  }
  return results;
}

/** Whether a single command run under `withRemoteDeadline` was killed by the host at its deadline. */
export function killedAtDeadline(r: ExecResult): boolean {
  return r.code === 137 && KILLED.test(r.stderr);
}
