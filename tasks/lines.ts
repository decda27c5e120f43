import { createTwoFilesPatch } from 'diff';
import { KeelError, ValidationError } from '../lib/errors';
import { sh } from '../lib/quote';
import { defineModule } from '../lib/task';
import type { Change } from '../lib/types';
import { atomicWriteScript, fileProbe, type FileState, normaliseMode, parseFileProbe } from './file-state';
import { fileChanges } from './files';

export interface LineInFileParams {
  readonly path: string;
  /** The whole line wanted, without its newline. */
  readonly line: string;
  /**
   * A JavaScript RegExp source, tested against each line on its own (no flags). When some
   * lines match, the LAST matching line is replaced by `line` (as Ansible's lineinfile does);
   * other matching lines are left alone.
   */
  readonly regexp?: string;
  /** Create the file (with just this line) when it does not exist. Default false: a missing file fails. */
  readonly create?: boolean;
  /** Octal, as a string: `'0644'`. Unset: keep the file's mode (0644 for a created file). */
  readonly mode?: string;
}

export const lineInFileSchema = {
  type: 'object',
  required: ['path', 'line'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', pattern: '^/[^\\n\\x00]*[^/\\n\\x00]$' },
    line: { type: 'string', pattern: '^[^\\n\\r\\x00]*$' },
    regexp: { type: 'string', minLength: 1 },
    create: { type: 'boolean' },
    mode: { type: 'string', pattern: '^0?[0-7]{3,4}$' },
  },
} as const;

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
export const lineInFile = defineModule<LineInFileParams, FileState>({
  module: 'lineInFile',
  schema: lineInFileSchema,
  title: (p) => `lineInFile ${p.path}`,
  build(p) {
    let regexp: RegExp | undefined;
    if (p.regexp !== undefined) {
      try {
        regexp = new RegExp(p.regexp);
      } catch (err) {
        throw new ValidationError('lineInFile parameters', [{ path: 'regexp', message: (err as Error).message }]);
      }
    }
    const probe = fileProbe(p.path, true);
    const present = `${p.path} contains ${JSON.stringify(p.line)}`;
    return {
      probes: [probe],
      async probe(ctx) {
        const r = await ctx.probe(probe);
        if (r.code !== 0) throw new KeelError(`cannot read ${p.path}: ${r.stderr.trim()}`);
        try {
          return parseFileProbe(r.stdout, true);
        } catch (err) {
          throw new KeelError(`${p.path} ${(err as Error).message}`);
        }
      },
      decide(state) {
        if (!state.exists && !p.create) {
          // Not an error yet: in check mode an earlier task (a package) may be about to create it.
          return { changes: [{ field: 'file', from: 'absent', to: 'required (create is false): apply fails unless an earlier task creates it' }], ok: present };
        }
        if (state.exists && state.content === undefined) throw new KeelError(`${p.path} is too large to edit with lineInFile`);
        const before = state.content ?? '';
        const edit = editLines(before, p.line, regexp);
        const changes: Change[] = fileChanges(state, { content: edit.content, mode: p.mode }).map(
          (c): Change =>
            c.field !== 'content'
              ? c
              : edit.action === 'replaced'
                ? { field: `line ${edit.lineNumber}`, from: edit.previous, to: p.line }
                : { field: `line ${edit.lineNumber}`, to: p.line },
        );
        if (!state.exists) changes.push({ field: `line 1`, to: p.line });
        const diff =
          edit.content !== before || !state.exists
            ? createTwoFilesPatch(p.path, p.path, before, edit.content, state.exists ? 'current' : '(absent)', 'desired')
            : undefined;
        return { changes, diff, ok: present };
      },
      async apply(ctx, state) {
        if (!state.exists && !p.create) {
          throw new KeelError(`${p.path} does not exist (set create: true to create it)`);
        }
        const edit = editLines(state.content ?? '', p.line, regexp);
        if (!state.exists || edit.content !== state.content) {
          // Refuse to overwrite a file that changed between the probe and now: its edit would be lost.
          const guard = state.exists
            ? sh`[ "$(sha256sum < ${p.path} | cut -d' ' -f1)" = ${state.sha256 ?? ''} ] || { echo ${`${p.path} changed since it was read; run again`} >&2; exit 4; }` + '\n'
            : '';
          await ctx.run(guard + atomicWriteScript(p.path, { mode: p.mode }), { stdin: edit.content, what: `write ${p.path}` });
          return;
        }
        if (p.mode && normaliseMode(p.mode) !== state.mode) await ctx.run(sh`chmod ${p.mode} ${p.path}`, { what: `chmod ${p.path}` });
      },
    };
  },
});
