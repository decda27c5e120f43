import { randomBytes } from 'node:crypto';
import type { ExecResult } from './types';

/**
 * Many read-only probe commands in one round trip. Each runs concurrently in its own
 * subshell with its output captured to a temporary directory; the results come back
 * length-prefixed behind a random marker, so no output can be mistaken for a boundary.
 */
export function batchScript(commands: readonly string[]): { script: string; marker: string } {
  const marker = 'keel-' + randomBytes(8).toString('hex');
  const lines = ['d=$(mktemp -d) || exit 97', "trap 'rm -rf \"$d\"' EXIT"];
  commands.forEach((cmd, i) => {
    lines.push(`{ ( ${cmd}\n) >"$d/${i}.o" 2>"$d/${i}.e" </dev/null; echo $? >"$d/${i}.c"; } &`);
  });
  lines.push('wait');
  lines.push(`for i in ${commands.map((_, i) => i).join(' ')}; do`);
  lines.push(
    `  printf '%s %s %s %s %s\\n' ${marker} "$i" "$(cat "$d/$i.c")" "$(wc -c <"$d/$i.o")" "$(wc -c <"$d/$i.e")"`,
  );
  lines.push('  cat "$d/$i.o" "$d/$i.e"');
  lines.push('done');
  return { script: lines.join('\n') + '\n', marker };
}

/** Splits a batch's output back into one ExecResult per command, in order. */
export function parseBatch(output: Buffer, marker: string, count: number): ExecResult[] {
  const results: ExecResult[] = new Array(count);
  let pos = 0;
  const header = Buffer.from(marker + ' ');
  for (let n = 0; n < count; n++) {
    const at = output.indexOf(header, pos);
    if (at < 0) throw new Error(`probe batch output ended early (${n} of ${count} results)`);
    const eol = output.indexOf(0x0a, at);
    const [, idx, code, outLen, errLen] = output.subarray(at, eol).toString().trim().split(/\s+/);
    const o = Number(outLen);
    const e = Number(errLen);
    const start = eol + 1;
    results[Number(idx)] = {
      code: Number(code),
      stdout: output.subarray(start, start + o).toString(),
      stderr: output.subarray(start + o, start + o + e).toString(),
    };
    pos = start + o + e;
  }
  return results;
}
