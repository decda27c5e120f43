import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecResult, Task } from '../../../lib/types';
import { applyPlan, factCommand } from '../../helpers/task-harness';

/** A fresh temporary directory standing in for a host's filesystem. */
export const fresh = (): string => mkdtempSync(join(tmpdir(), 'keel-files-'));

/** Runs shell code in a real `sh`, as a host would. */
export function sh(command: string, stdin: string | Buffer = ''): ExecResult {
  const p = spawnSync('sh', ['-c', command], { input: stdin });
  return { code: p.status ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString(), stdoutBytes: p.stdout };
}

/** Records every fact of a task by running its command in a real `sh` now: the input of decideOn. */
export function record(task: Task): Record<string, ExecResult> {
  return Object.fromEntries(Object.keys(task.definition.facts).map((name) => [name, sh(factCommand(task, name))]));
}

/**
 * Carries out a plan: applyPlan records the commands apply runs (with their stdin), then each is
 * replayed in a real `sh`; the first failure throws with its stderr. Returns the commands.
 */
export async function applyForReal(task: Task, plan: unknown): Promise<{ command: string; stdin?: string }[]> {
  const { commands } = await applyPlan(task, plan);
  for (const c of commands) {
    const r = sh(c.command, c.bytes);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  }
  return commands;
}
