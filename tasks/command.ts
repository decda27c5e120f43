import { ValidationError } from '../lib/errors';
import { sh } from '../lib/quote';
import { defineModule } from '../lib/task';
import type { Task, TaskOptions } from '../lib/types';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandParams {
  /** Shell code written by the playbook author (trusted, like Ansible's shell): run as-is by sh. */
  readonly cmd: string;
  /** A path: when it exists, the command has done its work (ok). Quoted, never shell code. */
  readonly creates?: string;
  /** A path: when it does not exist, there is nothing to do (ok). Quoted, never shell code. */
  readonly removes?: string;
  /** Read-only shell code: when it exits 0, nothing to do (ok). Runs in check mode too. */
  readonly unless?: string;
  /** Read-only shell code: when it exits non-zero, nothing to do (ok). Runs in check mode too. */
  readonly onlyIf?: string;
  /** Whether a successful run changed anything; default: always. */
  readonly changedWhen?: (r: CommandResult) => boolean;
  /** Sent to the command's standard input. */
  readonly stdin?: string;
}

export interface CommandState {
  createsExists?: boolean;
  removesExists?: boolean;
  unlessCode?: number;
  onlyIfCode?: number;
}

const pathSchema = { type: 'string', pattern: '^/[^\\x00]*$' } as const;

/** Everything but `changedWhen` (a function: ajv cannot judge it; it is checked by `typeof`). */
export const commandSchema = {
  type: 'object',
  required: ['cmd'],
  additionalProperties: false,
  properties: {
    cmd: { type: 'string', minLength: 1 },
    creates: pathSchema,
    removes: pathSchema,
    unless: { type: 'string', minLength: 1 },
    onlyIf: { type: 'string', minLength: 1 },
    changedWhen: {},
    stdin: { type: 'string' },
  },
} as const;

/** The first line of a command, cut short: for titles and messages. */
function short(cmd: string): string {
  const first = cmd.trim().split('\n')[0];
  return first.length > 60 || cmd.trim().includes('\n') ? first.slice(0, 60) + '…' : first;
}

const commandModule = defineModule<CommandParams, CommandState>({
  module: 'command',
  schema: commandSchema,
  title: (p) => `command ${short(p.cmd)}`,
  build(p) {
    const creates = p.creates === undefined ? undefined : sh`test -e ${p.creates}`;
    const removes = p.removes === undefined ? undefined : sh`test -e ${p.removes}`;
    const probes = [creates, removes, p.unless, p.onlyIf].filter((c): c is string => c !== undefined);
    return {
      probes,
      async probe(ctx) {
        const code = async (cmd: string | undefined) => (cmd === undefined ? undefined : (await ctx.probe(cmd)).code);
        const [c, r, u, o] = await Promise.all([code(creates), code(removes), code(p.unless), code(p.onlyIf)]);
        return {
          createsExists: c === undefined ? undefined : c === 0,
          removesExists: r === undefined ? undefined : r === 0,
          unlessCode: u,
          onlyIfCode: o,
        };
      },
      decide(state) {
        if (state.createsExists) return { changes: [], ok: `${p.creates} exists` };
        if (state.removesExists === false) return { changes: [], ok: `${p.removes} does not exist` };
        if (state.unlessCode === 0) return { changes: [], ok: `unless succeeded: ${short(p.unless ?? '')}` };
        if (state.onlyIfCode !== undefined && state.onlyIfCode !== 0) {
          return { changes: [], ok: `onlyIf failed (exit ${state.onlyIfCode}): ${short(p.onlyIf ?? '')}` };
        }
        return { changes: [{ field: 'command', to: `run: ${p.cmd}` }], ok: `${short(p.cmd)}: no change` };
      },
      async apply(ctx) {
        const r = await ctx.run(p.cmd, { stdin: p.stdin });
        const output = { code: r.code, stdout: r.stdout, stderr: r.stderr };
        if (p.changedWhen && !p.changedWhen(output)) return { changed: false, output };
        return { output };
      },
    };
  },
});

/**
 * The escape hatch: a shell command, run when its guards say so. `cmd`, `unless` and `onlyIf`
 * are trusted shell code (never build them from inventory values without `sh`); `creates` and
 * `removes` are paths and are quoted. Guards are read-only and run in check mode too, where an
 * unguarded command reports "would run". A non-zero exit fails with the command's output;
 * `changedWhen` decides whether a successful run changed anything.
 *
 * @example command({ cmd: 'corosync-keygen -l', creates: '/etc/corosync/authkey' })
 */
export function command(params: CommandParams, options?: TaskOptions): Task {
  if (params && params.changedWhen !== undefined && typeof params.changedWhen !== 'function') {
    throw new ValidationError('command parameters', [{ path: 'changedWhen', message: 'must be a function' }]);
  }
  return commandModule(params, options);
}
