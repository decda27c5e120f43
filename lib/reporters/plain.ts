import type { HostRecap, PlannedHost, Reporter } from '../reporter';
import { redact } from '../secrets';
import type { TaskResult } from '../types';
import { detail, formatDiff, recapLines, seconds } from './format';

/** One plain line per event: for pipes, CI logs and cron mail. */
export class PlainReporter implements Reporter {
  constructor(
    private readonly options: { diff: boolean; write?: (line: string) => void } = { diff: false },
  ) {}

  private out(line: string): void {
    (this.options.write ?? ((l: string) => process.stdout.write(l + '\n')))(redact(line));
  }

  playStart(play: string, plan: ReadonlyMap<string, PlannedHost>): void {
    this.out(`PLAY ${play} [${[...plan.keys()].join(', ')}]`);
  }

  taskStart(): void {}

  taskEnd(r: TaskResult): void {
    const d = detail(r);
    this.out(`${r.host} | ${r.task} | ${r.status} | ${seconds(r.durationMs)}${d ? ` | ${d.replace(/\n/g, ' ⏎ ')}` : ''}`);
    if (this.options.diff && (r.status === 'changed' || r.status === 'would change')) this.out(formatDiff(r));
  }

  hostUnreachable(host: string, error: string): void {
    this.out(`${host} | unreachable | ${error}`);
  }

  playEnd(): void {}

  recap(recap: Readonly<Record<string, HostRecap>>, check: boolean): void {
    this.out('');
    this.out(recapLines(recap, check));
  }

  note(line: string): void {
    this.out(line);
  }
}
