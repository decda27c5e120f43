import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { KeelError, ValidationError } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { FileMode, FilePath } from '../params';
import { atomicWriteScript, attributeScript, ValidateCommand } from './atomic-write';
import { fileFact, type FileState } from './facts';
import { fileChanges } from './write-file';

export const LineInFileParams = Type.Object(
  {
    path: FilePath,
    /** The whole line wanted (or, with state absent, removed), without its newline. Required for state present. */
    line: Type.Optional(Type.String({ pattern: '^[^\\n\\r\\x00]*$' })),
    /**
     * A JavaScript RegExp source, tested against each line on its own (no flags). When some
     * lines match, the LAST matching line is replaced by `line` (as Ansible's lineinfile does);
     * other matching lines are left alone. With state absent, EVERY matching line is removed.
     */
    regexp: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * `present` (the default): the line is there. `absent`: no line matches `regexp` (or, without
     * a regexp, equals `line`); a missing file already has none.
     */
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
    /** Create the file (with just this line) when it does not exist. Default false: a missing file fails. */
    create: Type.Optional(Type.Boolean()),
    /** Octal, as a string: `'0644'`. Unset: keep the file's mode (0644 for a created file). */
    mode: Type.Optional(FileMode),
    /**
     * Shell code that checks the edited file before it replaces the old one, `%s` standing for
     * the temporary file: `sshd -t -f %s`. Rejected content is never installed: the old file
     * stays and the task fails with the validator's output.
     */
    validate: Type.Optional(ValidateCommand),
  },
  { additionalProperties: false },
);
export type LineInFileParams = Static<typeof LineInFileParams>;

/**
 * The new content, written only if the file still has the hash it was read with; or a chmod
 * alone; or, for a missing file that may not be created, the failure apply reports.
 */
export type LineInFilePlan =
  | { action: 'write'; content: string; expectSha256?: string; mode?: string; validate?: string }
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

/** What removing lines from one file's content comes to: the new content and the lines removed. */
export interface LineRemoval {
  content: string;
  /** 1-based numbers (in the old content) and text of the lines removed, in order. */
  removed: { lineNumber: number; text: string }[];
}

/**
 * The pure removal: every line matching `regexp` (when given), else every line equal to `line`,
 * goes. The rest, and the presence of a final newline, stay as they were.
 */
export function removeLines(content: string, match: { line?: string; regexp?: RegExp }): LineRemoval {
  const endsWithNewline = content.endsWith('\n');
  const lines = content === '' ? [] : (endsWithNewline ? content.slice(0, -1) : content).split('\n');
  const hit = (l: string) => (match.regexp ? match.regexp.test(l) : l === match.line);
  const removed = lines.flatMap((text, i) => (hit(text) ? [{ lineNumber: i + 1, text }] : []));
  if (removed.length === 0) return { content, removed };
  const kept = lines.filter((l) => !hit(l));
  return { content: kept.length === 0 ? '' : kept.join('\n') + (endsWithNewline ? '\n' : ''), removed };
}

/**
 * One line in a text file, as Ansible's lineinfile: the last line matching `regexp` is replaced
 * by `line`, else `line` is appended unless it is already there; with `state: 'absent'`, every
 * line matching `regexp` (or equal to `line`) is removed. The new content is computed locally
 * and written atomically; the write fails if the file changed since it was read, and, with
 * `validate`, if the validator rejects the edited file (which is then never installed).
 *
 * @example lineInFile({ path: '/etc/default/kamailio', line: 'RUN_KAMAILIO=yes', regexp: '^#?RUN_KAMAILIO=' })
 * @example lineInFile({ path: '/etc/ssh/sshd_config', regexp: '^PermitRootLogin ', state: 'absent', validate: '/usr/sbin/sshd -t -f %s' })
 */
export const lineInFile = defineTask({
  module: 'lineInFile',
  params: LineInFileParams,
  title: (p) => `lineInFile ${p.path}`,
  check(p) {
    if ((p.state ?? 'present') === 'present' && p.line === undefined) {
      throw new ValidationError('lineInFile parameters', [{ path: 'line', message: 'is required with state present' }]);
    }
    if (p.state === 'absent' && p.line === undefined && p.regexp === undefined) {
      throw new ValidationError('lineInFile parameters', [{ path: 'regexp', message: 'state absent needs regexp or line' }]);
    }
    if (p.regexp === undefined) return;
    try {
      new RegExp(p.regexp);
    } catch (err) {
      throw new ValidationError('lineInFile parameters', [{ path: 'regexp', message: (err as Error).message }]);
    }
  },
  facts: (p) => ({ file: fileFact(p.path, true) }),
  decide(p, { file }): Decision<LineInFilePlan> {
    if (p.state === 'absent') return decideAbsent(p, file);
    const line = p.line ?? '';
    const present = `${p.path} contains ${JSON.stringify(line)}`;
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
    const edit = editLines(before, line, p.regexp === undefined ? undefined : new RegExp(p.regexp));
    const changes: Change[] = fileChanges(file, { content: edit.content, mode: p.mode }).map(
      (c): Change =>
        c.field !== 'content'
          ? c
          : edit.action === 'replaced'
            ? { field: `line ${edit.lineNumber}`, from: edit.previous, to: line }
            : { field: `line ${edit.lineNumber}`, to: line },
    );
    if (!file.exists) changes.push({ field: 'line 1', to: line });
    const rewrite = !file.exists || edit.content !== before;
    const diff = rewrite ? createTwoFilesPatch(p.path, p.path, before, edit.content, file.exists ? 'current' : '(absent)', 'desired') : undefined;
    const plan: LineInFilePlan = rewrite
      ? writePlan(p, edit.content, file)
      : { action: 'chmod', mode: p.mode ?? '' };
    return { changes, diff, plan, ok: present };
  },
  async apply(ctx, plan, p) {
    if (plan.action === 'refuse') throw new KeelError(plan.reason);
    if (plan.action === 'write') {
      // Refuse to overwrite a file that changed between the read and now: its edit would be lost.
      await ctx.run(atomicWriteScript(p.path, { mode: plan.mode }, plan.expectSha256, plan.validate), { stdin: plan.content, what: `write ${p.path}` });
    } else {
      await ctx.run(attributeScript(p.path, { mode: plan.mode }), { what: `chmod ${p.path}` });
    }
  },
});

/** The write of new content: refused if the file changed since it was read, checked by `validate`. */
function writePlan(p: LineInFileParams, content: string, file: FileState): LineInFilePlan {
  return {
    action: 'write',
    content,
    expectSha256: file.exists ? file.sha256 : undefined,
    mode: p.mode,
    ...(p.validate !== undefined ? { validate: p.validate } : {}),
  };
}

/** state absent: every line matching `regexp` (or equal to `line`) removed; a missing file has none. */
function decideAbsent(p: LineInFileParams, file: FileState): Decision<LineInFilePlan> {
  const what = p.regexp !== undefined ? `no line matching /${p.regexp}/` : `no line ${JSON.stringify(p.line)}`;
  if (!file.exists) return { changes: [], ok: `${p.path} does not exist: ${what}` };
  if (file.content === undefined) throw new KeelError(`${p.path} is too large to edit with lineInFile`);
  const removal = removeLines(file.content, { line: p.line, regexp: p.regexp === undefined ? undefined : new RegExp(p.regexp) });
  const changes: Change[] = removal.removed.map((r) => ({ field: `line ${r.lineNumber}`, from: r.text, to: 'removed' }));
  // The content stays unless lines are removed: only a mode change can come from here.
  changes.push(...fileChanges(file, { content: file.content, mode: p.mode }));
  const ok = `${p.path} has ${what}`;
  if (removal.removed.length === 0) return { changes, ok, plan: { action: 'chmod', mode: p.mode ?? '' } };
  const diff = createTwoFilesPatch(p.path, p.path, file.content, removal.content, 'current', 'desired');
  return { changes, diff, ok, plan: writePlan(p, removal.content, file) };
}
