import { Type } from '@sinclair/typebox';
import { createTwoFilesPatch } from 'diff';
import { KeelError, ValidationError } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { FileMode, FilePath } from '../params';
import { atomicWriteScript, attributeScript } from './atomic-write';
import { fileFact } from './facts';
import { fileChanges } from './write-file';

export const LineInFileParams = Type.Object(
  {
    path: FilePath,
    /** The whole line wanted, without its newline. */
    line: Type.String({ pattern: '^[^\\n\\r\\x00]*$' }),
    /**
     * A JavaScript RegExp source, tested against each line on its own (no flags). When some
     * lines match, the LAST matching line is replaced by `line` (as Ansible's lineinfile does);
     * other matching lines are left alone.
     */
    regexp: Type.Optional(Type.String({ minLength: 1 })),
    /** Create the file (with just this line) when it does not exist. Default false: a missing file fails. */
    create: Type.Optional(Type.Boolean()),
    /** Octal, as a string: `'0644'`. Unset: keep the file's mode (0644 for a created file). */
    mode: Type.Optional(FileMode),
  },
  { additionalProperties: false },
);

/**
 * The new content, written only if the file still has the hash it was read with; or a chmod
 * alone; or, for a missing file that may not be created, the failure apply reports.
 */
export type LineInFilePlan =
  | { action: 'write'; content: string; expectSha256?: string; mode?: string }
  | { action: 'chmod'; mode: string }
  | { action: 'refuse'; reason: string };

/** What editing one file's content comes to: the new content and what happened to which line. */
export interface LineEdit {
  content: string;
  action: 'present' | 'replaced' | 'appended';
  /** 1-based number of the line replaced, present or appended. */
  lineNumber: number;
  /** The line that was there before a replacement. */
  previous?: string;
}

/**
 * The pure edit: the last line matching `regexp` becomes `line`; with no match, an exact `line`
 * already present is fine; else `line` is appended (after a newline, if the file lacked its last one).
 */
export function editLines(content: string, line: string, regexp?: RegExp): LineEdit {
  const endsWithNewline = content.endsWith('\n');
  const lines = content === '' ? [] : (endsWithNewline ? content.slice(0, -1) : content).split('\n');
  if (regexp) {
    let last = -1;
    lines.forEach((l, i) => {
      if (regexp.test(l)) last = i;
    });
    if (last >= 0) {
      if (lines[last] === line) return { content, action: 'present', lineNumber: last + 1 };
      const previous = lines[last];
      const edited = [...lines];
      edited[last] = line;
      return { content: edited.join('\n') + (endsWithNewline ? '\n' : ''), action: 'replaced', lineNumber: last + 1, previous };
    }
  }
  const at = lines.indexOf(line);
  if (at >= 0) return { content, action: 'present', lineNumber: at + 1 };
  const prefix = content === '' || endsWithNewline ? content : content + '\n';
  return { content: prefix + line + '\n', action: 'appended', lineNumber: lines.length + 1 };
}

/**
 * One line in a text file, as Ansible's lineinfile: the last line matching `regexp` is replaced
 * by `line`, else `line` is appended unless it is already there. The new content is computed
 * locally and written atomically; the write fails if the file changed since it was read.
 *
 * @example lineInFile({ path: '/etc/default/kamailio', line: 'RUN_KAMAILIO=yes', regexp: '^#?RUN_KAMAILIO=' })
 */
export const lineInFile = defineTask({
  module: 'lineInFile',
  params: LineInFileParams,
  title: (p) => `lineInFile ${p.path}`,
  check(p) {
    if (p.regexp === undefined) return;
    try {
      new RegExp(p.regexp);
    } catch (err) {
      throw new ValidationError('lineInFile parameters', [{ path: 'regexp', message: (err as Error).message }]);
    }
  },
  facts: (p) => ({ file: fileFact(p.path, true) }),
  decide(p, { file }): Decision<LineInFilePlan> {
    const present = `${p.path} contains ${JSON.stringify(p.line)}`;
    if (!file.exists && !p.create) {
      // Not an error yet: in check mode an earlier task (a package) may be about to create it.
      return {
        changes: [{ field: 'file', from: 'absent', to: 'required (create is false): apply fails unless an earlier task creates it' }],
        ok: present,
        dependsOn: `${p.path} does not exist yet`,
        plan: { action: 'refuse', reason: `${p.path} does not exist (set create: true to create it)` },
      };
    }
    if (file.exists && file.content === undefined) throw new KeelError(`${p.path} is too large to edit with lineInFile`);
    const before = file.content ?? '';
    const edit = editLines(before, p.line, p.regexp === undefined ? undefined : new RegExp(p.regexp));
    const changes: Change[] = fileChanges(file, { content: edit.content, mode: p.mode }).map(
      (c): Change =>
        c.field !== 'content'
          ? c
          : edit.action === 'replaced'
            ? { field: `line ${edit.lineNumber}`, from: edit.previous, to: p.line }
            : { field: `line ${edit.lineNumber}`, to: p.line },
    );
    if (!file.exists) changes.push({ field: 'line 1', to: p.line });
    const rewrite = !file.exists || edit.content !== before;
    const diff = rewrite ? createTwoFilesPatch(p.path, p.path, before, edit.content, file.exists ? 'current' : '(absent)', 'desired') : undefined;
    const plan: LineInFilePlan = rewrite
      ? { action: 'write', content: edit.content, expectSha256: file.exists ? file.sha256 : undefined, mode: p.mode }
      : { action: 'chmod', mode: p.mode ?? '' };
    return { changes, diff, plan, ok: present };
  },
  async apply(ctx, plan, p) {
    if (plan.action === 'refuse') throw new KeelError(plan.reason);
    if (plan.action === 'write') {
      // Refuse to overwrite a file that changed between the read and now: its edit would be lost.
      await ctx.run(atomicWriteScript(p.path, { mode: plan.mode }, plan.expectSha256), { stdin: plan.content, what: `write ${p.path}` });
    } else {
      await ctx.run(attributeScript(p.path, { mode: plan.mode }), { what: `chmod ${p.path}` });
    }
  },
});
