import { createReadStream } from 'node:fs';
import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { KeelError, ValidationError } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { FileMode, FilePath, PosixName } from '../params';
import { attributeScript, type FileAttributes } from './atomic-write';
import { fileFact, type FileState, normaliseMode } from './facts';
import { backupPath, installScript } from './install';
import { localFile, localStat, localVersion } from './local-file';
import { changedAttributes } from './write-file';

/** Local files up to this size that are UTF-8 text are shown as a unified diff (as the file fact reads back). */
const DIFF_MAX_BYTES = 256 * 1024;

export const CopyParams = Type.Object(
  {
    /** A regular file on the controller (relative: from the working directory). Read when the task is built, and again to send. */
    src: Type.String({ minLength: 1, pattern: '^[^\\x00]*$' }),
    /** The file on the host (not a directory to copy into). */
    dest: FilePath,
    /** Octal, as a string: `'0644'`. Unset: keep an existing file's mode, 0644 for a new one. */
    mode: Type.Optional(FileMode),
    owner: Type.Optional(PosixName),
    group: Type.Optional(PosixName),
    /** Keep the replaced file as `dest.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's name), only when the content changes. */
    backup: Type.Optional(Type.Boolean()),
    /** The content is secret: no diff, no hashes in the changes, and the host's copy is not read back. */
    secret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type Params = Static<typeof CopyParams>;

/** The whole file is sent (with its hash to check on the host), or only attributes are set. */
export type CopyPlan =
  | { write: true; src: string; sha256: string; version: string; attrs: FileAttributes; backup: boolean }
  | { write: false; attrs: FileAttributes };

/**
 * A file from the controller, on the host: compared by sha256 (the local file hashed a chunk at a
 * time), sent only when it differs (streamed, never whole in memory), written atomically and checked by hash on the host before it
 * replaces the old one; with `backup`, the old content is kept beside it.
 *
 * @example copy({ src: join(__dirname, 'files/asterisk.conf'), dest: '/etc/asterisk/asterisk.conf', mode: '0640', backup: true })
 */
export const copy = defineTask({
  module: 'copy',
  params: CopyParams,
  title: (p) => `copy ${p.dest}`,
  check(p) {
    try {
      localStat(p.src);
    } catch (err) {
      throw new ValidationError('copy parameters', [{ path: 'src', message: (err as Error).message }]);
    }
  },
  facts: (p) => ({ dest: fileFact(p.dest, !p.secret && localStat(p.src).size <= DIFF_MAX_BYTES) }),
  decide: (p, { dest }) => decideCopy(p, dest),
  async apply(ctx, plan, p) {
    if (!plan.write) {
      await ctx.run(attributeScript(p.dest, plan.attrs), { what: `set attributes of ${p.dest}` });
      return;
    }
    // Streamed from the file, never whole in memory; the host checks the hash before the rename.
    if (localVersion(localStat(plan.src)) !== plan.version) {
      throw new KeelError(`${plan.src} changed on this machine since it was compared; run again`);
    }
    const r = await ctx.run(installScript(p.dest, { attrs: plan.attrs, sha256: plan.sha256, backup: plan.backup }), {
      stdin: createReadStream(plan.src),
      what: `copy ${p.src} to ${p.dest}`,
    });
    const backup = backupPath(r.stdout);
    if (backup) ctx.log(`backup of ${p.dest}: ${backup}`);
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});

/** The pure decision of `copy` (it reads the local file's digest, kept per version), exported for its tests. */
export function decideCopy(p: Params, dest: FileState): Decision<CopyPlan> {
  const local = localFile(p.src, DIFF_MAX_BYTES);
  const short = (h?: string) => (p.secret ? 'sha256:(secret)' : `sha256:${h?.slice(0, 12)}`);
  const changes: Change[] = [];
  if (!dest.exists) changes.push({ field: 'file', to: dest.parentExists ? 'created' : 'created (parent directory missing now)' });
  else {
    if (dest.sha256 !== local.sha256) changes.push({ field: 'content', from: short(dest.sha256), to: short(local.sha256) });
    const mode = normaliseMode(p.mode);
    if (mode && dest.mode !== mode) changes.push({ field: 'mode', from: dest.mode, to: mode });
    if (p.owner && dest.owner !== p.owner) changes.push({ field: 'owner', from: dest.owner, to: p.owner });
    if (p.group && dest.group !== p.group) changes.push({ field: 'group', from: dest.group, to: p.group });
  }
  const ok = `${p.dest} is a copy of ${p.src}`;
  const dependsOn = dest.parentExists ? undefined : 'its directory does not exist yet';
  if (changes.length === 0) return { changes, ok };
  const write = !dest.exists || dest.sha256 !== local.sha256;
  if (!write) return { changes, ok, plan: { write: false, attrs: changedAttributes(dest, p) }, dependsOn };
  const before = dest.exists ? dest.content : '';
  const diff =
    !p.secret && local.text !== undefined && before !== undefined
      ? createTwoFilesPatch(p.dest, p.dest, before, local.text, dest.exists ? 'current' : '(absent)', p.src)
      : undefined;
  const attrs = { mode: p.mode, owner: p.owner, group: p.group };
  return { changes, diff, ok, dependsOn, plan: { write: true, src: local.path, sha256: local.sha256, version: local.version, attrs, backup: !!p.backup && dest.exists } };
}
