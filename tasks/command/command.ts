import { Type } from '../../lib/schema';
import { ValidationError } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { ExecResult, Fact } from '../../lib/types';
import { commandResult, pathExists } from './facts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const GuardPath = Type.String({ pattern: '^/[^\\x00]*$' });

export const CommandParams = Type.Object(
  {
    /** Shell code written by the playbook author (trusted, like Ansible's shell): run as-is by sh. */
    cmd: Type.String({ minLength: 1 }),
    /** A path: when it exists, the command has done its work (ok). Quoted, never shell code. */
    creates: Type.Optional(GuardPath),
    /** A path: when it does not exist, there is nothing to do (ok). Quoted, never shell code. */
    removes: Type.Optional(GuardPath),
    /** Read-only shell code: when it exits 0, nothing to do (ok). Runs in check mode too. */
    unless: Type.Optional(Type.String({ minLength: 1 })),
    /** Read-only shell code: when it exits non-zero, nothing to do (ok). Runs in check mode too. */
    onlyIf: Type.Optional(Type.String({ minLength: 1 })),
    /** Whether a successful run changed anything; default: always. (A function: checked by typeof, not by the schema.) */
    changedWhen: Type.Optional(Type.Unsafe<(r: CommandResult) => boolean>({})),
    /** Sent to the command's standard input. */
    stdin: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The first line of a command, cut short: for titles and messages. */
function short(cmd: string): string {
  const first = cmd.trim().split('\n')[0];
  return first.length > 60 || cmd.trim().includes('\n') ? first.slice(0, 60) + '…' : first;
}

/** The guards a command has, as facts: only those given are read. */
function guards(p: { creates?: string; removes?: string; unless?: string; onlyIf?: string }): Record<string, Fact<boolean> | Fact<ExecResult>> {
  return {
    ...(p.creates !== undefined ? { creates: pathExists(p.creates) } : {}),
    ...(p.removes !== undefined ? { removes: pathExists(p.removes) } : {}),
    ...(p.unless !== undefined ? { unless: commandResult(p.unless) } : {}),
    ...(p.onlyIf !== undefined ? { onlyIf: commandResult(p.onlyIf) } : {}),
  };
}

/**
 * The escape hatch: a shell command, run when its guards say so. `cmd`, `unless` and `onlyIf`
 * are trusted shell code (never build them from inventory values without `sh`); `creates` and
 * `removes` are paths and are quoted. Guards are read-only, run in check mode too, and read
 * under the task's deadline like every fact, where an unguarded command reports "would run".
 * A non-zero exit fails with the command's output; `changedWhen` decides whether a successful
 * run changed anything.
 *
 * @example command({ cmd: 'corosync-keygen -l', creates: '/etc/corosync/authkey' })
 */
export const command = defineTask({
  module: 'command',
  params: CommandParams,
  title: (p) => `command ${short(p.cmd)}`,
  check(p) {
    if (p.changedWhen !== undefined && typeof p.changedWhen !== 'function') {
      throw new ValidationError('command parameters', [{ path: 'changedWhen', message: 'must be a function' }]);
    }
  },
  facts: (p) => guards(p),
  decide(p, facts) {
    const f = facts as { creates?: boolean; removes?: boolean; unless?: ExecResult; onlyIf?: ExecResult };
    if (f.creates) return { changes: [], ok: `${p.creates} exists` };
    if (f.removes === false) return { changes: [], ok: `${p.removes} does not exist` };
    if (f.unless?.code === 0) return { changes: [], ok: `unless succeeded: ${short(p.unless ?? '')}` };
    if (f.onlyIf !== undefined && f.onlyIf.code !== 0) {
      return { changes: [], ok: `onlyIf failed (exit ${f.onlyIf.code}): ${short(p.onlyIf ?? '')}` };
    }
    return { changes: [{ field: 'command', to: `run: ${p.cmd}` }], ok: `${short(p.cmd)}: no change`, plan: { cmd: p.cmd, stdin: p.stdin } };
  },
  async apply(ctx, plan, p) {
    const r = await ctx.run(plan.cmd, { stdin: plan.stdin });
    const output = { code: r.code, stdout: r.stdout, stderr: r.stderr };
    if (p.changedWhen && !p.changedWhen(output)) return { changed: false, output };
    return { output };
  },
});
