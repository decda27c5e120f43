import { Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { defineTask } from '../../lib/task';
import type { Change } from '../../lib/types';
import { FileMode, FilePath, PosixName } from '../params';
import { atomicWriteScript, attributeScript, type FileAttributes, ValidateCommand } from './atomic-write';
import { fileFact, type FileState, normaliseMode, sha } from './facts';

export const WriteFileParams = Type.Object(
  {
    path: FilePath,
    content: Type.String(),
    /** Octal, as a string: `'0644'`. Unset: keep an existing file's mode, 0644 for a new one. */
    mode: Type.Optional(FileMode),
    owner: Type.Optional(PosixName),
    group: Type.Optional(PosixName),
    /** The content is secret: never shown in --diff, -v, reports or errors. */
    secret: Type.Optional(Type.Boolean()),
    /**
     * Shell code that checks the new content before it is installed, `%s` standing for the
     * temporary file: `sshd -t -f %s`. Rejected content is never installed (the task fails with
     * the validator's output). Not run when only mode, owner or group change.
     */
    validate: Type.Optional(ValidateCommand),
  },
  { additionalProperties: false },
);

/** Either the whole file is written, or only its attributes are set. */
export type WriteFilePlan = { write: true; content: string; attrs: FileAttributes; validate?: string } | { write: false; attrs: FileAttributes };

/**
 * A whole file with exactly this content (and mode, owner, group), written atomically; with
 * `validate`, only content the validator accepts is installed.
 *
 * @example writeFile({ path: '/etc/default/corosync', content: 'START=yes\n' }, { notify: ['restart corosync'] })
 */
export const writeFile = defineTask({
  module: 'writeFile',
  params: WriteFileParams,
  title: (p) => `writeFile ${p.path}`,
  secrets: (p) => (p.secret ? [p.content] : []),
  facts: (p) => ({ file: fileFact(p.path, !p.secret) }),
  decide(p, { file }) {
    const changes = fileChanges(file, p);
    const whole = changes.some((c) => c.field === 'content' || c.field === 'file');
    const diff = whole && !p.secret ? createTwoFilesPatch(p.path, p.path, file.content ?? '', p.content, file.exists ? 'current' : '(absent)', 'desired') : undefined;
    const plan: WriteFilePlan = whole
      ? { write: true, content: p.content, attrs: { mode: p.mode, owner: p.owner, group: p.group }, ...(p.validate ? { validate: p.validate } : {}) }
      : { write: false, attrs: changedAttributes(file, p) };
    return { changes, diff, plan, ok: `${p.path} has the desired content`, dependsOn: file.parentExists ? undefined : 'its directory does not exist yet' };
  },
  async apply(ctx, plan, p) {
    if (plan.write) await ctx.run(atomicWriteScript(p.path, plan.attrs, undefined, plan.validate), { stdin: plan.content, what: `write ${p.path}` });
    else await ctx.run(attributeScript(p.path, plan.attrs), { what: `set attributes of ${p.path}` });
  },
});

/** What differs between a file as read and the wanted one; shared with lineInFile. */
export function fileChanges(state: FileState, p: { content: string } & FileAttributes): Change[] {
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

/** The attributes of an existing file that differ from the wanted ones. */
export function changedAttributes(state: FileState, p: FileAttributes): FileAttributes {
  return {
    mode: p.mode && normaliseMode(p.mode) !== state.mode ? p.mode : undefined,
    owner: p.owner && p.owner !== state.owner ? p.owner : undefined,
    group: p.group && p.group !== state.group ? p.group : undefined,
  };
}
