import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { TimeoutError } from '../errors';
import type { Connection, ExecOptions, ExecResult } from '../types';

/**
 * `connection: 'local'`: commands run on the control machine in `sh -c`, like a remote host's.
 * Node's own spawn rather than zx: stdout's bytes come back as they were written (a file's
 * content is hashed from them), and a timed-out command's whole process group is killed.
 */
export class LocalConnection implements Connection {
  constructor(readonly host: string) {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // Its own process group (detached), so a deadline kills what it started too.
      const child = spawn('sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const killGroup = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      // A command that does not read its input must not fail the run (EPIPE).
      child.stdin.on('error', () => {});
      const stdin = options.stdin ?? '';
      if (stdin instanceof Readable) {
        // A source that cannot be read (a local file gone) fails the command; it is not left waiting for input.
        stdin.on('error', (e) => {
          killGroup();
          settle(() => reject(e));
        });
        stdin.pipe(child.stdin);
      } else child.stdin.end(stdin);
      const timer =
        options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs)
          ? setTimeout(() => {
              killGroup();
              // At once: a process that left the group may still hold the output open.
              child.stdout.destroy();
              child.stderr.destroy();
              settle(() => reject(new TimeoutError(`command timed out after ${Math.round(options.timeoutMs! / 1000)}s`)));
            }, options.timeoutMs)
          : undefined;
      child.on('error', (e) => settle(() => reject(e)));
      child.on('close', (code, signal) => {
        const stdout = Buffer.concat(out);
        // Killed by a signal: 128 + its number, as a shell reports it.
        const exit = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 127);
        settle(() => resolve({ code: exit, stdout: stdout.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes: stdout }));
      });
    });
  }

  async close(): Promise<void> {}
}
