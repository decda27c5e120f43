import { type Static, Type } from '../../lib/schema';
import { KeelError, ValidationError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { FileMode, FilePath, PosixName } from '../params';
import type { FileAttributes } from './atomic-write';
import { normaliseMode, parentDir, pathFact, type PathState } from './facts';

const STATES = ['directory', 'absent', 'link', 'touch', 'file'] as const;
export type FileStateWanted = (typeof STATES)[number];

export const FileParams = Type.Object(
  {
    path: FilePath,
    /**
     * `directory`: exists as a directory (made with its parents if missing). `absent`: nothing
     * there (a non-empty directory only with `recurse`). `link`: a symbolic link to `src`.
     * `touch`: exists (an empty file is made if nothing is there; an existing one keeps its
     * content and times, so a second run changes nothing). `file`: an existing file whose
     * attributes are set; never created.
     */
    state: Type.Unsafe<FileStateWanted>({ type: 'string', enum: [...STATES] }),
    /** Octal, as a string: `'0755'`. Not for links (Linux links have no mode of their own). */
    mode: Type.Optional(FileMode),
    owner: Type.Optional(PosixName),
    group: Type.Optional(PosixName),
    /**
     * `directory`: owner, group and mode also on every entry below (links excluded), as
     * Ansible's recurse does (the mode goes to files too). `absent`: a directory is removed with
     * everything in it; without it a non-empty directory is refused.
     */
    recurse: Type.Optional(Type.Boolean()),
    /** `link` only: what the link points to, stored as given (relative targets stay relative). */
    src: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\n\\x00]*$' })),
    /** `link` only: replace a file (not a directory) that is where the link should be. */
    force: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** What apply does, worked out by decide: one step on the path, then attributes. */
export interface FilePlan {
  action: 'mkdir' | 'touch' | 'link' | 'relink' | 'remove' | 'rmdir' | 'remove tree' | 'attributes' | 'refuse';
  /** `refuse`: why apply fails (a file that must exist and does not). */
  reason?: string;
  /** On the path itself (through a link, except for `state: link`, where the link's own). */
  attrs: FileAttributes;
  /** `chown -h`: the link's own owner and group. */
  noDereference?: boolean;
  /** On every entry below a directory that differs (links excluded). */
  below?: FileAttributes;
}

/**
 * A path's kind and attributes, as Ansible's file module: a directory (`recurse` for a tree), a
 * link, an existing or touched file, or nothing at all. A tree is removed only with `recurse`;
 * a file is replaced by a link only with `force`; a directory is never replaced.
 *
 * @example file({ path: '/srv/app', state: 'directory', owner: 'app', mode: '0750' })
 * @example file({ path: '/etc/nginx/sites-enabled/app', state: 'link', src: '../sites-available/app' })
 */
export const file = defineTask({
  module: 'file',
  params: FileParams,
  title: (p) => `file ${p.path} ${p.state}`,
  check(p) {
    const problems: { path: string; message: string }[] = [];
    if (p.state === 'link' && p.src === undefined) problems.push({ path: 'src', message: 'is required with state link' });
    if (p.state !== 'link' && p.src !== undefined) problems.push({ path: 'src', message: 'is only for state link' });
    if (p.state !== 'link' && p.force !== undefined) problems.push({ path: 'force', message: 'is only for state link' });
    if (p.state === 'link' && p.mode !== undefined) problems.push({ path: 'mode', message: 'cannot be set on a link (Linux links have no mode)' });
    if (p.recurse !== undefined && p.state !== 'directory' && p.state !== 'absent') {
      problems.push({ path: 'recurse', message: 'is only for state directory or absent' });
    }
    if (p.state === 'absent' && (p.mode ?? p.owner ?? p.group) !== undefined) {
      problems.push({ path: 'state', message: 'absent takes no mode, owner or group' });
    }
    if (problems.length) throw new ValidationError('file parameters', problems);
  },
  facts: (p) => ({
    path: pathFact(p.path, p.state === 'directory' && p.recurse ? { owner: p.owner, group: p.group, mode: p.mode } : undefined),
  }),
  decide: (p, { path }) => decideFile(p, path),
  async apply(ctx, plan, p) {
    if (plan.action === 'refuse') throw new KeelError(plan.reason ?? `${p.path}: refused`);
    await ctx.run(fileScript(p.path, plan, p.src), { what: `${plan.action} ${p.path}` });
  },
});

type Params = Static<typeof FileParams>;

/** The pure decision of `file`, exported for its tests. */
export function decideFile(p: Params, s: PathState): Decision<FilePlan> {
  const wanted: FileAttributes = { mode: p.mode, owner: p.owner, group: p.group };
  const where = s.type === 'link' ? `a link to ${s.target}` : `a ${s.type === 'other' ? 'special file' : s.type}`;
  const parentMissing = s.parentExists ? undefined : `${parentDir(p.path)} does not exist yet`;

  switch (p.state) {
    case 'absent': {
      if (s.type === 'absent') return { changes: [], ok: `${p.path} is absent` };
      if (s.type !== 'directory') return removal(p.path, s.type === 'link' ? `link -> ${s.target}` : s.type, 'remove');
      if (s.empty) return removal(p.path, 'directory (empty)', 'rmdir');
      if (!p.recurse) throw new KeelError(`${p.path} is a directory that is not empty: set recurse: true to remove it with everything in it`);
      return removal(p.path, 'directory (not empty)', 'remove tree');
    }
    case 'directory': {
      if (s.type === 'absent') return created(p.path, 'directory', 'mkdir', wanted);
      const dir = following(s);
      if (dir?.type !== 'directory') throw new KeelError(`${p.path} is ${where}, not a directory`);
      return attributes(p.path, `${p.path} is a directory`, dir, wanted, false, s.below);
    }
    case 'file': {
      if (s.type === 'absent') {
        // Not an error yet: in check mode an earlier task (a package) may be about to create it.
        const reason = `${p.path} does not exist (state file never creates it; use touch)`;
        return {
          changes: [{ field: 'file', from: 'absent', to: 'required (state file): apply fails unless an earlier task creates it' }],
          ok: `${p.path} is a file`,
          dependsOn: `${p.path} does not exist yet`,
          plan: { action: 'refuse', reason, attrs: {} },
        };
      }
      const f = following(s);
      if (f?.type !== 'file') throw new KeelError(`${p.path} is ${where}${s.type === 'link' ? ` (${f?.type})` : ''}, not a file`);
      return attributes(p.path, `${p.path} is a file`, f, wanted, false);
    }
    case 'touch': {
      if (s.type === 'absent') return { ...created(p.path, 'file', 'touch', wanted), dependsOn: parentMissing };
      const f = following(s);
      if (f === undefined || f.type === 'absent') throw new KeelError(`${p.path} is ${where}, which does not exist`);
      return attributes(p.path, `${p.path} exists`, f, wanted, false);
    }
    case 'link': {
      const src = p.src ?? '';
      const linkAttrs = { owner: p.owner, group: p.group };
      if (s.type === 'absent') return { ...created(p.path, 'link', 'link', linkAttrs, src), dependsOn: parentMissing };
      if (s.type === 'link' && s.target === src) return attributes(p.path, `${p.path} is a link to ${src}`, s, linkAttrs, true);
      if (s.type === 'directory') throw new KeelError(`${p.path} is a directory: a link cannot replace it (remove it first with state absent)`);
      if (s.type !== 'link' && !p.force) throw new KeelError(`${p.path} is ${where}: set force: true to replace it with a link to ${src}`);
      const from = s.type === 'link' ? s.target : s.type === 'other' ? 'special file' : 'file';
      const changes: Change[] = [{ field: 'link', from, to: src }];
      return { changes, ok: `${p.path} is a link to ${src}`, plan: { action: 'relink', attrs: linkAttrs, noDereference: true } };
    }
  }
}

/** The entry attributes apply to: a link's target for every state but `link`; undefined when a link dangles. */
function following(s: PathState): { type: string; mode?: string; owner?: string; group?: string } | undefined {
  if (s.type !== 'link') return s;
  return s.resolved;
}

function removal(path: string, from: string, action: FilePlan['action']): Decision<FilePlan> {
  return { changes: [{ field: 'path', from, to: 'absent' }], ok: `${path} is absent`, plan: { action, attrs: {} } };
}

function created(path: string, kind: 'directory' | 'file' | 'link', action: FilePlan['action'], attrs: FileAttributes, src?: string): Decision<FilePlan> {
  const set = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined)) as FileAttributes;
  const changes: Change[] = [{ field: kind, from: 'absent', to: src === undefined ? 'created' : src }];
  if (set.mode) changes.push({ field: 'mode', to: normaliseMode(set.mode) });
  if (set.owner) changes.push({ field: 'owner', to: set.owner });
  if (set.group) changes.push({ field: 'group', to: set.group });
  const ok = src === undefined ? `${path} is a ${kind}` : `${path} is a link to ${src}`;
  return { changes, ok, plan: { action, attrs: set, noDereference: kind === 'link' || undefined } };
}

function attributes(
  path: string,
  ok: string,
  current: { mode?: string; owner?: string; group?: string },
  wanted: FileAttributes,
  noDereference: boolean,
  below?: PathState['below'],
): Decision<FilePlan> {
  const changes: Change[] = [];
  const attrs: FileAttributes = {};
  const mode = normaliseMode(wanted.mode);
  if (mode && current.mode !== mode) {
    changes.push({ field: 'mode', from: current.mode, to: mode });
    attrs.mode = mode;
  }
  if (wanted.owner && current.owner !== wanted.owner) {
    changes.push({ field: 'owner', from: current.owner, to: wanted.owner });
    attrs.owner = wanted.owner;
  }
  if (wanted.group && current.group !== wanted.group) {
    changes.push({ field: 'group', from: current.group, to: wanted.group });
    attrs.group = wanted.group;
  }
  const tree: FileAttributes = {};
  const entries = (n: number) => `${n} ${n === 1 ? 'entry differs' : 'entries differ'}`;
  if (below && mode && below.mode > 0) {
    changes.push({ field: 'mode below', from: entries(below.mode), to: mode });
    tree.mode = mode;
  }
  if (below && wanted.owner && below.owner > 0) {
    changes.push({ field: 'owner below', from: entries(below.owner), to: wanted.owner });
    tree.owner = wanted.owner;
  }
  if (below && wanted.group && below.group > 0) {
    changes.push({ field: 'group below', from: entries(below.group), to: wanted.group });
    tree.group = wanted.group;
  }
  if (changes.length === 0) return { changes, ok };
  const plan: FilePlan = { action: 'attributes', attrs, noDereference: noDereference || undefined };
  if (Object.keys(tree).length) plan.below = tree;
  return { changes, ok, plan };
}

/** The one script apply runs for a plan (`set -e`: the first failing step fails the task). */
export function fileScript(path: string, plan: FilePlan, src?: string): string {
  const dir = parentDir(path);
  const lines = ['set -e'];
  const needParent = sh`[ -d ${dir} ] || { echo "parent directory "${dir}" does not exist" >&2; exit 3; }`;
  switch (plan.action) {
    case 'mkdir':
      lines.push(sh`mkdir -p -- ${path}`);
      break;
    case 'touch':
      lines.push(needParent, sh`touch -- ${path}`);
      break;
    case 'link':
      // ln fails if something appeared at the path since it was read: nothing is overwritten.
      lines.push(needParent, sh`ln -s -- ${src ?? ''} ${path}`);
      break;
    case 'relink':
      // A new link beside the old entry, renamed over it: the path is never missing. mv -T refuses a directory.
      lines.push(
        sh`t=$(mktemp -u ${`${dir}/.keel.XXXXXX`})`,
        `trap 'rm -f "$t"' EXIT`,
        sh`ln -s -- ${src ?? ''} "$t"`,
        sh`mv -fT -- "$t" ${path}`,
        'trap - EXIT',
      );
      break;
    case 'remove':
      lines.push(sh`rm -f -- ${path}`);
      break;
    case 'rmdir':
      // Fails if the directory is no longer empty: what was read is no longer true.
      lines.push(sh`rmdir -- ${path}`);
      break;
    case 'remove tree':
      lines.push(sh`rm -rf -- ${path}`);
      break;
    case 'attributes':
    case 'refuse':
      break;
  }
  const { mode, owner, group } = plan.attrs;
  if (mode) lines.push(sh`chmod ${mode} -- ${path}`);
  const who = `${owner ?? ''}${group ? `:${group}` : ''}`;
  if (who) lines.push(plan.noDereference ? sh`chown -h ${who} -- ${path}` : sh`chown ${who} -- ${path}`);
  if (plan.below) {
    const b = plan.below;
    // Only the entries that differ, as the fact counted them; links are left alone (chown -R and chmod -R skip them too).
    if (b.owner) lines.push(sh`find -H ${path} -mindepth 1 ! -type l ! -user ${b.owner} -exec chown ${b.owner} {} +`);
    if (b.group) lines.push(sh`find -H ${path} -mindepth 1 ! -type l ! -group ${b.group} -exec chgrp ${b.group} {} +`);
    // Deepest first: a mode without x on directories must not stop the walk before their content is done.
    if (b.mode) lines.push(sh`find -H ${path} -mindepth 1 -depth ! -type l ! -perm ${normaliseMode(b.mode) ?? ''} -exec chmod ${b.mode} {} +`);
  }
  return lines.join('\n');
}
