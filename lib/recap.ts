import { ExitCode } from './exit-codes';
import type { HostRecap } from './reporter';
import type { TaskResult } from './types';

/** Adds one task result to its host's recap. A lost host's last task counts as unreachable, not failed. */
export function countResult(recap: Record<string, HostRecap>, r: TaskResult): void {
  const c = recap[r.host];
  if (r.status === 'ok') c.ok++;
  else if (r.status === 'changed') c.changed++;
  else if (r.status === 'would change') c.wouldChange++;
  else if (r.status === 'failed' && r.ignored) c.ignored++;
  else if (r.status === 'failed') c.failed += r.unreachable ? 0 : 1;
  else c.skipped++;
}

/** A failed task outranks a lost host, which outranks drift. */
export function exitCodeFor(recap: Record<string, HostRecap>, check: boolean, interrupted: boolean): ExitCode {
  if (interrupted) return ExitCode.interrupted;
  const all = Object.values(recap);
  if (all.some((r) => r.failed > 0 && r.unreachable === 0)) return ExitCode.failed;
  if (all.some((r) => r.unreachable > 0)) return ExitCode.unreachable;
  if (check && all.some((r) => r.wouldChange > 0)) return ExitCode.drift;
  return ExitCode.ok;
}
