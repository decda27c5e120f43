/**
 * A run as the HTML report, plans and audits see it: every result with its play and step, so
 * that the same task lines up across hosts even when its display name holds the host's own path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { taskName } from '../execute';
import type { Inventory } from '../inventory';
import { planPlay, type HostPlan, type PlanOptions } from '../plan';
import type { HostRecap, PlannedHost, Reporter } from '../reporter';
import type { RunReport } from '../runner';
import { redactDeep } from '../secrets';
import type { Play, Task, TaskResult } from '../types';

export interface RecordedResult extends TaskResult {
  /** The play's position in the playbook. */
  play: number;
  /** The step's position in the host's task list (a handler: the flush step's, or the list's end). */
  step: number;
  handler: boolean;
}

export interface RecordedPlay {
  name: string;
  hosts: string[];
  results: RecordedResult[];
}

/** The file format of audits (`DIR/<time>.json`): the --json report's fields, plus steps, the commit and a format tag. */
export interface RunRecord {
  format: 'keel-run/1';
  playbook: string;
  inventory: string;
  limit: string | null;
  /** `git rev-parse HEAD` of the playbook's repository (`+dirty` with uncommitted changes), when it is in one. */
  commit: string | null;
  check: boolean;
  startedAt: string;
  durationMs: number;
  exitCode: number;
  interrupted: boolean;
  recap: Record<string, HostRecap>;
  unreachable: Record<string, string>;
  plays: RecordedPlay[];
  /** Set when an apply followed a plan file: its path and creation time. */
  plan?: { file: string; createdAt: string };
  /** Set when a plan was refused: why, one line each. */
  refused?: string[];
}

/** Each host's steps and handlers in each play, as the runner will plan them (tags and --limit applied). */
export function declaredSteps(plays: readonly Play[], inventory: Inventory, options: PlanOptions): HostPlan[][] {
  return plays.map((play) => planPlay(play, inventory, options));
}

/** The task a result came from, when it is a step or handler of this host. */
export function taskAt(declared: readonly HostPlan[], host: string, step: number, name: string, handler: boolean): Task | undefined {
  const p = declared.find((d) => d.host.name === host);
  if (!p) return undefined;
  if (handler) return p.handlers[name];
  const s = p.steps?.[step];
  return s && s.kind === 'task' && taskName(s) === name ? s : undefined;
}

/** Passes every event on to a reporter, and keeps every result with its play and step. */
export class RunRecorder implements Reporter {
  readonly plays: RecordedPlay[] = [];
  readonly declared: HostPlan[][];

  constructor(
    private readonly inner: Reporter,
    plays: readonly Play[],
    inventory: Inventory,
    options: PlanOptions,
  ) {
    this.declared = declaredSteps(plays, inventory, options);
  }

  playStart(play: string, plan: ReadonlyMap<string, PlannedHost>): void {
    this.plays.push({ name: play, hosts: [...plan.keys()], results: [] });
    this.inner.playStart(play, plan);
  }

  taskStart(host: string, task: string, index: number): void {
    this.inner.taskStart(host, task, index);
  }

  taskEnd(result: TaskResult, index: number): void {
    const playIndex = this.plays.length - 1;
    const play = this.plays[playIndex];
    if (play) {
      const declared = this.declared[playIndex] ?? [];
      const step = declared.find((d) => d.host.name === result.host)?.steps?.[index];
      const regular = result.module === 'facts' || (step?.kind === 'task' && taskName(step) === result.task);
      play.results.push({ ...result, changes: [...result.changes], play: playIndex, step: index, handler: !regular });
    }
    this.inner.taskEnd(result, index);
  }

  hostUnreachable(host: string, error: string): void {
    this.inner.hostUnreachable(host, error);
  }

  playEnd(play: string): Promise<void> | void {
    return this.inner.playEnd(play);
  }

  recap(recap: Readonly<Record<string, HostRecap>>, check: boolean): void {
    this.inner.recap(recap, check);
  }

  note(line: string): void {
    this.inner.note(line);
  }
}

/** A reporter that shows nothing (a plan's verification pass). */
export const silentReporter: Reporter = {
  playStart() {},
  taskStart() {},
  taskEnd() {},
  hostUnreachable() {},
  playEnd() {},
  recap() {},
  note() {},
};

/** The run, redacted, as audits store it and the HTML report shows it. */
export function runRecord(
  meta: { playbook: string; inventory: string; limit?: string; commit?: string | null },
  report: RunReport,
  recorder: RunRecorder,
  extra: Pick<RunRecord, 'plan' | 'refused'> & { exitCode?: number } = {},
): RunRecord {
  return redactDeep({
    format: 'keel-run/1' as const,
    playbook: meta.playbook,
    inventory: meta.inventory,
    limit: meta.limit ?? null,
    commit: meta.commit ?? null,
    check: report.check,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    exitCode: extra.exitCode ?? report.exitCode,
    interrupted: report.interrupted,
    recap: report.recap,
    unreachable: report.unreachable,
    plays: recorder.plays,
    ...(extra.plan ? { plan: extra.plan } : {}),
    ...(extra.refused ? { refused: extra.refused } : {}),
  });
}

/** The commit of the git repository holding `file` (`+dirty` when it has uncommitted changes), or null. */
export function gitCommit(file: string | undefined): string | null {
  if (!file || !existsSync(file)) return null;
  const dir = statSync(file).isDirectory() ? file : dirname(file);
  const head = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', timeout: 5000 });
  if (head.status !== 0 || !head.stdout) return null;
  const status = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', timeout: 5000 });
  return head.stdout.trim() + (status.status === 0 && status.stdout.trim() ? '+dirty' : '');
}
