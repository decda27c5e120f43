import { TimeoutError } from '../errors';
import type { Connection, ExecOptions, ExecResult } from '../types';

/** `connection: 'local'`: commands run on the control machine through zx, in sh like a remote host (bash only parses zx's quoting). */
export class LocalConnection implements Connection {
  constructor(readonly host: string) {}

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    // zx is loaded on first use: most runs never open a local connection, and zx takes ~50 ms to load.
    const { $ } = require('zx') as typeof import('zx');
    const p = $({ input: options.stdin ?? '', nothrow: true, quiet: true, shell: '/bin/bash' })`sh -c ${command}`;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs)) {
      timer = setTimeout(() => {
        timedOut = true;
        void p.kill('SIGKILL');
      }, options.timeoutMs);
    }
    const r = await p;
    clearTimeout(timer);
    if (timedOut) throw new TimeoutError(`command timed out after ${Math.round(options.timeoutMs! / 1000)}s`);
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  async close(): Promise<void> {}
}
