import { createTwoFilesPatch } from 'diff';
import { sh } from '../lib/quote';
import { registerSecret } from '../lib/secrets';
import { defineModule } from '../lib/task';
import type { Change } from '../lib/types';
import { atomicWriteScript, fileProbe, type FileState, normaliseMode, parseFileProbe, sha } from './file-state';

export interface WriteFileParams {
  readonly path: string;
  readonly content: string;
  /** Octal, as a string: `'0644'`. Unset: keep an existing file's mode, 0644 for a new one. */
  readonly mode?: string;
  readonly owner?: string;
  readonly group?: string;
  /** The content is secret: never shown in --diff, -v, reports or errors. */
  readonly secret?: boolean;
}

const pathSchema = { type: 'string', pattern: '^/[^\\n\\x00]*[^/\\n\\x00]$' } as const;
const nameSchema = { type: 'string', pattern: '^[a-z_][a-z0-9_.-]*$' } as const;

export const writeFileSchema = {
  type: 'object',
  required: ['path', 'content'],
  additionalProperties: false,
  properties: {
    path: pathSchema,
    content: { type: 'string' },
    mode: { type: 'string', pattern: '^0?[0-7]{3,4}$' },
    owner: nameSchema,
    group: nameSchema,
    secret: { type: 'boolean' },
  },
} as const;

/**
 * A whole file with exactly this content (and mode, owner, group), written atomically.
 *
 * @example writeFile({ path: '/etc/default/corosync', content: 'START=yes\n' }, { notify: ['restart corosync'] })
 */
export const writeFile = defineModule<WriteFileParams, FileState>({
  module: 'writeFile',
  schema: writeFileSchema,
  title: (p) => `writeFile ${p.path}`,
  build(p) {
    if (p.secret) registerSecret(p.content);
    const withContent = !p.secret;
    const probe = fileProbe(p.path, withContent);
    return {
      secret: p.secret,
      probes: [probe],
      async probe(ctx) {
        const r = await ctx.probe(probe);
        if (r.code !== 0) throw new Error(`cannot read ${p.path}: ${r.stderr.trim()}`);
        return parseFileProbe(r.stdout, withContent);
      },
      decide(state) {
        const changes = fileChanges(state, p);
        const diff =
          !p.secret && changes.some((c) => c.field === 'content' || c.field === 'file')
            ? createTwoFilesPatch(p.path, p.path, state.content ?? '', p.content, state.exists ? 'current' : '(absent)', 'desired')
            : undefined;
        return { changes, diff, ok: `${p.path} has the desired content` };
      },
      async apply(ctx, state, decision) {
        if (decision.changes.some((c) => c.field === 'file' || c.field === 'content')) {
          await ctx.run(atomicWriteScript(p.path, p), { stdin: p.content, what: `write ${p.path}` });
          return;
        }
        await ctx.run(attributeScript(p.path, p, state), { what: `set attributes of ${p.path}` });
      },
    };
  },
});

/** What differs between a probed file and the wanted one; shared with lineInFile. */
export function fileChanges(state: FileState, p: { content: string; mode?: string; owner?: string; group?: string }): Change[] {
  if (!state.exists) return [{ field: 'file', to: state.parentExists ? 'created' : 'created (parent directory missing now)' }];
  const changes: Change[] = [];
  const wanted = sha(p.content);
  if (state.sha256 !== wanted) changes.push({ field: 'content', from: `sha256:${state.sha256?.slice(0, 12)}`, to: `sha256:${wanted.slice(0, 12)}` });
  const mode = normaliseMode(p.mode);
  if (mode && state.mode !== mode) changes.push({ field: 'mode', from: state.mode, to: mode });
  if (p.owner && state.owner !== p.owner) changes.push({ field: 'owner', from: state.owner, to: p.owner });
  if (p.group && state.group !== p.group) changes.push({ field: 'group', from: state.group, to: p.group });
  return changes;
}

function attributeScript(path: string, p: { mode?: string; owner?: string; group?: string }, state: FileState): string {
  const steps: string[] = ['set -e'];
  if (p.mode && normaliseMode(p.mode) !== state.mode) steps.push(sh`chmod ${p.mode} ${path}`);
  if ((p.owner && p.owner !== state.owner) || (p.group && p.group !== state.group)) {
    steps.push(sh`chown ${`${p.owner ?? state.owner}:${p.group ?? state.group}`} ${path}`);
  }
  return steps.join('\n');
}
