import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import type { Connection, ExecOptions, ExecResult, Stdin } from '../../lib/types';

export type Responder = (command: string, options: ExecOptions) => ExecResult | undefined;

/**
 * A recording connection for unit tests of how tasks and the runner decide. It answers
 * from scripted responders (first match wins); unmatched commands run in a local `sh`
 * when `shell` is set, else answer exit 127. Never evidence that keel works on a host.
 */
export class FakeConnection implements Connection {
  readonly commands: { command: string; stdin?: string }[] = [];
  private responders: Responder[] = [];

  constructor(
    readonly host = 'fake',
    private readonly shell = false,
  ) {}

  /** Answer commands matching `pattern` (a substring or RegExp) with this result. */
  on(pattern: string | RegExp, result: Partial<ExecResult> | ((command: string) => Partial<ExecResult>)): this {
    this.responders.push((command) => {
      const hit = typeof pattern === 'string' ? command.includes(pattern) : pattern.test(command);
      if (!hit) return undefined;
      const r = typeof result === 'function' ? result(command) : result;
      return { code: 0, stdout: '', stderr: '', ...r };
    });
    return this;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const input = await collect(options.stdin);
    this.commands.push({ command, stdin: input?.toString() });
    for (const respond of this.responders) {
      const r = respond(command, options);
      if (r) return r;
    }
    if (this.shell) {
      const p = spawnSync('sh', ['-c', command], { input: input ?? '' });
      return { code: p.status ?? 1, stdout: p.stdout.toString(), stderr: p.stderr.toString(), stdoutBytes: p.stdout };
    }
    return { code: 127, stdout: '', stderr: `fake: no answer for: ${command}` };
  }

  async close(): Promise<void> {}

  /** Commands that were not read-only probes or batches: what a task changed. */
  ran(pattern: string | RegExp): boolean {
    return this.commands.some(({ command }) => (typeof pattern === 'string' ? command.includes(pattern) : pattern.test(command)));
  }
}

/** A command's input as bytes: a stream is read to its end (as a host would). */
export async function collect(stdin: Stdin | undefined): Promise<Buffer | undefined> {
  if (stdin === undefined) return undefined;
  if (!(stdin instanceof Readable)) return Buffer.from(stdin);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
