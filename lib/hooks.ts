/**
 * Optional observers of a task's execution, for features that sit beside the engine (plans:
 * fingerprints of what each task read, and keeping an apply to exactly what was reviewed).
 * A run without hooks behaves as if this file did not exist.
 */
import type { Decision, ExecResult, HostFacts, Play, Task } from './types';

/** One fact a task read: its key in the task's facts, its name, the command and the raw result. */
export interface FactRead {
  key: string;
  name: string;
  command: string;
  result: ExecResult;
  /** The fact's own fingerprint of the result, when it declares one (see Fact.fingerprint). */
  fingerprint?: string;
}

/** Where a task is about to run: its play, host, step index (the flush step's, for a handler) and itself. */
export interface TaskSite {
  play: Play;
  host: string;
  index: number;
  task: Task;
  handler: boolean;
}

export interface ExecuteHooks {
  /** After the task read its facts (in order), before decide. */
  factsRead?(reads: readonly FactRead[], hostFacts: HostFacts): void;
  /**
   * Before apply (never in check mode, never for a wait), with the decision: a reason refuses
   * the task, which then fails with that reason and changes nothing.
   */
  beforeApply?(decision: Decision): string | undefined;
}

/** Hooks for one task at one site; undefined for none. */
export type TaskHooks = (site: TaskSite) => ExecuteHooks | undefined;
