import type { TaskResult } from './types';

export interface HostRecap {
  ok: number;
  changed: number;
  wouldChange: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Failures under ignoreErrors: reported, but the host went on and the exit code ignores them. */
  ignored: number;
}

/** What a display needs to hear from the runner. Implementations: plain lines, listr2, silent. */
export interface Reporter {
  playStart(play: string, plan: ReadonlyMap<string, PlannedHost>): void;
  taskStart(host: string, task: string, index: number): void;
  taskEnd(result: TaskResult, index: number): void;
  hostUnreachable(host: string, error: string): void;
  playEnd(play: string): Promise<void> | void;
  recap(recap: Readonly<Record<string, HostRecap>>, check: boolean): void;
  /** Free text (usage hints, interrupt notices). */
  note(line: string): void;
}

/** The task and handler names a host will go through in a play, for displays that list them up front. */
export interface PlannedHost {
  tasks: readonly string[];
  handlers: readonly string[];
}

export function emptyRecap(): HostRecap {
  return { ok: 0, changed: 0, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 };
}
