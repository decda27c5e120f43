import { Listr, type ListrTask } from 'listr2';
import type { HostRecap, PlannedHost, Reporter } from '../reporter';
import { redact } from '../secrets';
import type { TaskResult } from '../types';
import { detail, formatDiff, recapLines, seconds } from './format';

type Outcome = { result?: TaskResult; reason?: string };

interface Slot {
  name: string;
  handler: boolean;
  settle?: (o: Outcome) => void;
  settled: boolean;
  promise: Promise<Outcome>;
}

/**
 * Live progress on a terminal: one branch per host, each task with its status and duration
 * as it finishes. The runner drives it through events; each listr task waits for its own.
 */
export class ListrReporter implements Reporter {
  private slots = new Map<string, Slot[]>();
  private running?: Promise<unknown>;

  constructor(private readonly options: { diff: boolean }) {}

  playStart(play: string, plan: ReadonlyMap<string, PlannedHost>): void {
    this.slots.clear();
    const hosts: ListrTask[] = [];
    for (const [host, { tasks, handlers }] of plan) {
      const slots = [...tasks.map((name) => slot(name, false)), ...handlers.map((name) => slot(name, true))];
      this.slots.set(host, slots);
      hosts.push({
        title: host,
        task: (_, hostTask) =>
          hostTask.newListr(
            slots.map((s) => ({
              title: s.handler ? `handler: ${s.name}` : s.name,
              task: async (_ctx, t) => {
                const { result, reason } = await s.promise;
                if (!result) return t.skip(`${s.name} (${reason ?? 'not run'})`);
                const words = redact(detail(result));
                const line = `${result.task}  ${result.status} ${seconds(result.durationMs)}${words ? `  ${words}` : ''}`;
                if (result.status === 'failed') throw new Error(redact(`${result.task}: ${words}`));
                if (result.status === 'skipped') return t.skip(line);
                t.title = result.status === 'ok' ? line : `${line}`;
                if (this.options.diff && (result.status === 'changed' || result.status === 'would change')) {
                  t.output = redact(formatDiff(result));
                }
              },
              rendererOptions: { persistentOutput: true },
            })),
            { concurrent: false, exitOnError: true },
          ),
      });
    }
    process.stdout.write(`PLAY ${play}\n`);
    this.running = new Listr(hosts, {
      concurrent: true,
      exitOnError: false,
      rendererOptions: { collapseSubtasks: false, collapseSkips: false, showSkipMessage: true },
    })
      .run()
      .catch(() => undefined);
  }

  taskStart(): void {}

  taskEnd(result: TaskResult, index: number): void {
    const slots = this.slots.get(result.host);
    if (!slots) return;
    const nTasks = slots.filter((s) => !s.handler).length;
    const target =
      index < nTasks && !slots[index].settled && slots[index].name === result.task
        ? slots[index]
        : slots.find((s) => s.handler && !s.settled && s.name === result.task);
    target?.settle?.({ result });
  }

  hostUnreachable(host: string, error: string): void {
    for (const s of this.slots.get(host) ?? []) s.settle?.({ reason: `host unreachable: ${redact(error.split('\n')[0])}` });
  }

  async playEnd(): Promise<void> {
    for (const slots of this.slots.values()) {
      for (const s of slots) s.settle?.({ reason: s.handler ? 'not notified' : 'not run' });
    }
    await this.running;
  }

  recap(recap: Readonly<Record<string, HostRecap>>, check: boolean): void {
    process.stdout.write('\n' + recapLines(recap, check) + '\n');
  }

  note(line: string): void {
    process.stdout.write(redact(line) + '\n');
  }
}

function slot(name: string, handler: boolean): Slot {
  const s = { name, handler, settled: false } as Slot;
  s.promise = new Promise<Outcome>((resolve) => {
    s.settle = (o) => {
      if (s.settled) return;
      s.settled = true;
      resolve(o);
    };
  });
  return s;
}
