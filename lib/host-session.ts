import { CommandError, TimeoutError } from './errors';
import { FACTS_SCRIPT, parseFacts } from './facts';
import { batchScript, parseBatch } from './probe-batch';
import type { Connection, ExecOptions, ExecResult, Facts, HostView, TaskResult } from './types';

/**
 * Everything the engine keeps for one host during a run: its connection, its facts, its
 * registered results, and a cache of read-only probe results. Probes are fetched in batches
 * (one round trip for many); any change applied on the host empties the cache, because what
 * was read before may no longer be true.
 */
export class HostSession {
  readonly registered: Record<string, TaskResult> = {};
  private factsPromise?: Promise<Facts>;
  private probeCache = new Map<string, Promise<ExecResult>>();
  /** Set while a task runs: every command it starts must finish before this time. */
  deadline = Infinity;
  roundTrips = 0;

  constructor(
    readonly host: HostView,
    readonly conn: Connection,
    private readonly verbose: (line: string) => void = () => {},
  ) {}

  /** Runs a command within the current task's deadline. */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const left = this.deadline - Date.now();
    if (left <= 0) throw new TimeoutError('task timed out');
    this.roundTrips++;
    this.verbose(`$ ${command}`);
    const result = await this.conn.exec(command, { ...options, timeoutMs: Math.min(options.timeoutMs ?? Infinity, left) });
    this.verbose(`  exit ${result.code}${result.stdout ? `\n${indent(result.stdout)}` : ''}${result.stderr ? `\n${indent(result.stderr)}` : ''}`);
    return result;
  }

  async run(command: string, options: ExecOptions & { what?: string } = {}): Promise<ExecResult> {
    const r = await this.exec(command, options);
    if (r.code !== 0) throw new CommandError(this.host.name, command, r.code, r.stdout, r.stderr, options.what);
    return r;
  }

  facts(): Promise<Facts> {
    if (!this.factsPromise) {
      this.factsPromise = this.probe(FACTS_SCRIPT).then((r) => parseFacts(r.stdout));
    }
    return this.factsPromise;
  }

  /** A read-only command; answered from the batch cache when it was prefetched. */
  probe(command: string): Promise<ExecResult> {
    let p = this.probeCache.get(command);
    if (!p) {
      p = this.exec(command);
      this.probeCache.set(command, p);
      p.catch(() => this.probeCache.delete(command));
    }
    return p;
  }

  /** Fetches every command not yet cached (and the facts, if not yet gathered) in one round trip. */
  prefetch(commands: readonly string[]): void {
    const wanted = [...new Set(commands)].filter((c) => !this.probeCache.has(c));
    if (!this.factsPromise && !this.probeCache.has(FACTS_SCRIPT)) wanted.unshift(FACTS_SCRIPT);
    if (wanted.length < 2) return;
    const { script, marker } = batchScript(wanted);
    const batch = this.exec(script).then((r) => {
      if (r.code !== 0) throw new CommandError(this.host.name, 'probe batch', r.code, r.stdout, r.stderr);
      return parseBatch(r.stdoutBytes ?? Buffer.from(r.stdout), marker, wanted.length);
    });
    wanted.forEach((cmd, i) => {
      const p = batch.then((rs) => rs[i]);
      p.catch(() => this.probeCache.delete(cmd));
      this.probeCache.set(cmd, p);
    });
  }

  /** After a change: what was read may be stale. Facts stay (hostname and addresses rarely move). */
  invalidate(): void {
    this.probeCache.clear();
    this.changesApplied++;
  }

  /** Changes applied on this host so far; a host that is changing is read a few tasks at a time. */
  changesApplied = 0;

  get cacheIsEmpty(): boolean {
    return this.probeCache.size === 0;
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
}
