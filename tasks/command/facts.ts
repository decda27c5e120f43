import { sh } from '../../lib/quote';
import type { ExecResult, Fact } from '../../lib/types';

/** A read-only command's whole result (exit code and output), for guards and waits. */
export function commandResult(cmd: string): Fact<ExecResult> {
  return { name: `result of ${cmd}`, command: () => cmd, parse: (r) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr }) };
}

/** Whether a path exists (any kind of file). */
export function pathExists(path: string): Fact<boolean> {
  // A builtin: in a read batch it runs in the batch's own shell and starts no process at all.
  return { name: `existence of ${path}`, command: () => sh`test -e ${path}`, sharesShell: true, parse: (r) => r.code === 0 };
}
