import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { KeelError, ValidationError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { atomicWriteScript } from '../files/atomic-write';
import { normaliseMode } from '../files/facts';
import { PosixName } from '../params';
import { type AuthorizedKeysState, authorizedKeysFact } from './facts';

export const AuthorizedKeyParams = Type.Object(
  {
    user: PosixName,
    /** One authorized_keys line: `[options] type base64-blob [comment]`, as in sshd(8). */
    key: Type.String({ minLength: 1, pattern: '^[^\\n\\r\\x00]*$' }),
    /** Default `present`. `absent` removes every line holding this key (same type and blob). */
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
  },
  { additionalProperties: false },
);
export type AuthorizedKeyParams = Static<typeof AuthorizedKeyParams>;

/** One key line taken apart. Two lines hold the same key when type and blob are the same. */
export interface KeyLine {
  options?: string;
  type: string;
  blob: string;
  comment?: string;
}

const KEY_TYPE = /^(?:ssh|ecdsa|sk|rsa)-[A-Za-z0-9.@-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Splits at blanks outside double quotes (options such as `command="a b"`), as sshd reads a line. */
function words(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted && i + 1 < line.length) {
      word += c + line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      word += c;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (word) out.push(word);
      word = '';
    } else {
      word += c;
    }
  }
  if (word) out.push(word);
  return out;
}

/** A key line's parts, or undefined for a blank line, a comment or a line that holds no key. */
export function parseKeyLine(line: string): KeyLine | undefined {
  const text = line.trim();
  if (!text || text.startsWith('#')) return undefined;
  const w = words(text);
  // Without options the type comes first; with them, second (options hold no blank outside quotes).
  for (const at of [0, 1]) {
    if (KEY_TYPE.test(w[at] ?? '') && BASE64.test(w[at + 1] ?? '')) {
      const comment = w.slice(at + 2).join(' ');
      return { options: at === 1 ? w[0] : undefined, type: w[at], blob: w[at + 1], comment: comment || undefined };
    }
  }
  return undefined;
}

const sameKey = (a: KeyLine, b: KeyLine) => a.type === b.type && a.blob === b.blob;

/** For a person: the type, the blob's end and the comment, never the whole blob. */
export function keyLabel(k: KeyLine): string {
  return `${k.type} …${k.blob.slice(-8)}${k.comment ? ` ${k.comment}` : ''}`;
}

/** A line as written, without its blob: what differs between two lines of one key. */
const describe = (k: KeyLine) => [k.options, k.type, k.comment].filter(Boolean).join(' ');

/**
 * Whether the blob is base64 of an SSH public key of that type: it starts with the type's name,
 * and (for plain keys, not certificates) the rest is length-prefixed fields to the last byte,
 * so a blob cut short when it was copied is refused.
 */
export function blobMatchesType(k: KeyLine): boolean {
  const bytes = Buffer.from(k.blob, 'base64');
  const fields: Buffer[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const n = bytes.readUInt32BE(at);
    if (at + 4 + n > bytes.length) return false;
    fields.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
    if (fields.length === 1 && k.type.includes('-cert-')) return fields[0].toString('latin1') === k.type;
  }
  return at === bytes.length && fields.length >= 2 && fields[0].toString('latin1') === k.type;
}

/** The edited content: the key's first line becomes `line` (added if absent), its other lines go. */
export function editKeys(content: string, wanted: KeyLine, line: string | undefined): { content: string; before: string[]; kept: boolean } {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  const before: string[] = [];
  let placed = false;
  for (const l of lines) {
    const k = parseKeyLine(l);
    if (k && sameKey(k, wanted)) {
      before.push(l);
      if (line !== undefined && !placed) out.push(line);
      placed = true;
    } else {
      out.push(l);
    }
  }
  if (line !== undefined && !placed) out.push(line);
  return { content: out.length ? out.join('\n') + '\n' : '', before, kept: placed };
}

/** What apply does: write the file (making or fixing `~/.ssh` first), or report why it cannot. */
export type AuthorizedKeyPlan =
  | { action: 'refuse'; reason: string }
  | {
      action: 'write';
      dir: string;
      path: string;
      /** `user:gid`, for chown of `.ssh` and of the file. */
      owner: string;
      mkdir: boolean;
      fixDir: boolean;
      /** False when only `.ssh` needs fixing. */
      write: boolean;
      content: string;
      /** The file's hash when it was read: the write is refused if it changed since. */
      expectSha256?: string;
      /** Mode and owner for the file; unset when removing a key (keep the file's own). */
      attrs: { mode?: string; owner?: string; group?: string };
    };

/** Pure: the changes to one user's authorized_keys for one key line. */
export function decideAuthorizedKey(p: AuthorizedKeyParams, s: AuthorizedKeysState): Decision<AuthorizedKeyPlan> {
  const wanted = parseKeyLine(p.key);
  if (!wanted) throw new KeelError(`not an authorized_keys line: ${p.key}`);
  const line = p.key.trim();
  const label = `key ${keyLabel(wanted)}`;
  const absent = p.state === 'absent';
  const ok = absent ? `${p.user} does not authorize ${keyLabel(wanted)}` : `${p.user} authorizes ${keyLabel(wanted)}`;
  if (!s.user) {
    if (absent) return { changes: [], ok: `${ok} (no such user)` };
    return {
      changes: [{ field: label, to: 'added' }],
      ok,
      plan: { action: 'refuse', reason: `user ${p.user} does not exist` },
      dependsOn: `user ${p.user} does not exist yet`,
    };
  }
  const dir = `${s.home}/.ssh`;
  const path = `${dir}/authorized_keys`;
  if (s.file.exists && s.file.content === undefined) throw new KeelError(`${path} is too large to edit`);
  const before = s.file.content ?? '';
  const edit = editKeys(before, wanted, absent ? undefined : line);
  const changes: Change[] = [];
  if (absent) {
    if (edit.before.length === 0) return { changes: [], ok };
    changes.push({ field: label, from: edit.before.length > 1 ? `${edit.before.length} lines` : 'present', to: 'removed' });
    return {
      changes,
      ok,
      diff: createTwoFilesPatch(path, path, before, edit.content, 'current', 'desired'),
      plan: { action: 'write', dir, path, owner: `${p.user}:${s.entry.gid}`, mkdir: false, fixDir: false, write: true, content: edit.content, expectSha256: s.file.sha256, attrs: {} },
    };
  }
  if (!s.homeExists) {
    return {
      changes: [{ field: label, to: 'added' }],
      ok,
      plan: { action: 'refuse', reason: `the home of ${p.user}, ${s.home}, does not exist` },
      dependsOn: `${s.home} does not exist yet`,
    };
  }
  const mkdir = !s.sshDir.exists;
  let fixDir = false;
  if (!s.sshDir.exists) changes.push({ field: dir, to: 'created (700)' });
  else {
    if (normaliseMode(s.sshDir.mode) !== '700') changes.push({ field: `${dir} mode`, from: s.sshDir.mode, to: '700' });
    if (s.sshDir.owner !== p.user) changes.push({ field: `${dir} owner`, from: s.sshDir.owner, to: p.user });
    fixDir = changes.length > 0;
  }
  if (!s.file.exists) changes.push({ field: path, to: 'created (600)' });
  if (edit.before.length === 0) changes.push({ field: label, to: 'added' });
  else if (edit.before.length > 1 || edit.before[0].trim() !== line) {
    const old = parseKeyLine(edit.before[0])!;
    const from = edit.before[0].trim() === line ? `${edit.before.length} lines` : describe(old);
    changes.push({ field: label, from, to: describe(wanted) });
  }
  if (s.file.exists) {
    if (s.file.mode !== '600') changes.push({ field: `${path} mode`, from: s.file.mode, to: '600' });
    if (s.file.owner !== p.user) changes.push({ field: `${path} owner`, from: s.file.owner, to: p.user });
  }
  if (changes.length === 0) return { changes, ok };
  const dirChanges = changes.filter((c) => c.field === dir || c.field.startsWith(`${dir} `)).length;
  return {
    changes,
    ok,
    diff: edit.content !== before || !s.file.exists ? createTwoFilesPatch(path, path, before, edit.content, s.file.exists ? 'current' : '(absent)', 'desired') : undefined,
    plan: {
      action: 'write',
      dir,
      path,
      owner: `${p.user}:${s.entry.gid}`,
      mkdir,
      fixDir,
      write: changes.length > dirChanges,
      content: edit.content,
      expectSha256: s.file.exists ? s.file.sha256 : undefined,
      attrs: { mode: '0600', owner: p.user, group: String(s.entry.gid) },
    },
  };
}

/**
 * One key in a user's `~/.ssh/authorized_keys`. Present: the line is added, or the line holding
 * the same key (type and blob) is replaced by it, and further lines of that key go; other lines
 * stay as they are. `~/.ssh` is created 0700 and the file 0600, both owned by the user (and
 * fixed when they are not). Absent: every line of the key goes. The file is written atomically
 * and only if it has not changed since it was read; symlinks at `.ssh` or the file are refused.
 *
 * @example authorizedKey({ user: 'deploy', key: 'ssh-ed25519 AAAAC3Nza... deploy@laptop' })
 */
export const authorizedKey = defineTask({
  module: 'authorizedKey',
  params: AuthorizedKeyParams,
  title: (p) => {
    const k = parseKeyLine(p.key);
    return `authorizedKey ${p.user} ${k ? keyLabel(k) : '?'}${p.state === 'absent' ? ' absent' : ''}`;
  },
  check(p) {
    const k = parseKeyLine(p.key);
    if (!k) throw new ValidationError('authorizedKey parameters', [{ path: 'key', message: 'is not a key line: [options] type base64 [comment]' }]);
    if (!blobMatchesType(k)) throw new ValidationError('authorizedKey parameters', [{ path: 'key', message: `the base64 blob is not a ${k.type} public key` }]);
  },
  facts: (p) => ({ keys: authorizedKeysFact(p.user) }),
  decide: (p, { keys }) => decideAuthorizedKey(p, keys),
  async apply(ctx, plan, p) {
    if (plan.action === 'refuse') throw new KeelError(plan.reason);
    if (plan.mkdir) await ctx.run(sh`mkdir -m 700 ${plan.dir} && chown ${plan.owner} ${plan.dir}`, { what: `create ${plan.dir}` });
    if (plan.fixDir) await ctx.run(sh`chmod 700 ${plan.dir} && chown ${plan.owner} ${plan.dir}`, { what: `fix ${plan.dir}` });
    if (!plan.write) return;
    await ctx.run(atomicWriteScript(plan.path, plan.attrs, plan.expectSha256), { stdin: plan.content, what: `write ${plan.path} for ${p.user}` });
  },
});
