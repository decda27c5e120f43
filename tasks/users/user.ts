import { type Static, Type } from '../../lib/schema';
import { ValidationError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { FilePath, PosixName } from '../params';
import { groupsFact, type Memberships, membershipsFact, type PasswdEntry, passwdFact } from './facts';

/** A passwd comment (GECOS): anything but `:` and line breaks. */
const Comment = Type.String({ pattern: '^[^:\\n\\r\\x00]*$' });

export const UserParams = Type.Object(
  {
    name: PosixName,
    /** Default `present`. `absent` removes the user (userdel); its home stays unless `removeHome`. */
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
    uid: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967294 })),
    /** The primary group. Unset: a new user gets a group of its own name (Debian's USERGROUPS_ENAB). */
    group: Type.Optional(PosixName),
    /** Supplementary groups: exactly these (default), or at least these with `append`. */
    groups: Type.Optional(Type.Array(PosixName, { uniqueItems: true })),
    /** Add the user to `groups` and leave its other groups alone. Default false: exactly `groups`. */
    append: Type.Optional(Type.Boolean()),
    shell: Type.Optional(FilePath),
    home: Type.Optional(FilePath),
    comment: Type.Optional(Comment),
    /** A system account (useradd -r: uid below UID_MIN). Applies when the user is created only. */
    system: Type.Optional(Type.Boolean()),
    /** Create the home directory when the user is created. Default: true, false for a system user. */
    createHome: Type.Optional(Type.Boolean()),
    /** When `home` changes, move the old home's content there (usermod -m). Default false. */
    moveHome: Type.Optional(Type.Boolean()),
    /** With state `absent`: remove the home directory and mail spool too (userdel -r). Default false. */
    removeHome: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UserParams = Static<typeof UserParams>;

/** One command: useradd, usermod or userdel with its options, worked out by decide. */
export interface UserPlan {
  action: 'create' | 'modify' | 'remove';
  command: string;
}

const PRESENT_ONLY = ['uid', 'group', 'groups', 'append', 'shell', 'home', 'comment', 'system', 'createHome', 'moveHome'] as const;

/** The groups a user should be in besides its primary group, given what it is in now. */
export function wantedSupplementary(p: UserParams, now: Memberships): string[] {
  const primary = p.group ?? now.primary;
  const wanted = (p.groups ?? []).filter((g) => g !== primary);
  const all = p.append ? [...now.supplementary, ...wanted] : wanted;
  return [...new Set(all)].sort();
}

const list = (groups: readonly string[]) => (groups.length ? [...groups].sort().join(',') : '(none)');

/** Pure: what to do about one user, from its passwd entry, its groups and which wanted groups exist. */
export function decideUser(p: UserParams, passwd: PasswdEntry, now: Memberships, groupsExist: Record<string, boolean>): Decision<UserPlan> {
  const field = `user ${p.name}`;
  if (p.state === 'absent') {
    if (!passwd.exists) return { changes: [], ok: `${field} does not exist` };
    return {
      changes: [{ field, from: 'present', to: p.removeHome ? 'removed with its home' : 'removed' }],
      ok: `${field} does not exist`,
      plan: { action: 'remove', command: p.removeHome ? sh`userdel -r ${p.name}` : sh`userdel ${p.name}` },
    };
  }
  const missing = [...(p.group ? [p.group] : []), ...(p.groups ?? [])].filter((g) => groupsExist[g] === false);
  const dependsOn = missing.length ? `group ${missing.join(', ')} does not exist yet` : undefined;

  if (!passwd.exists) {
    const args: string[] = [];
    if (p.system) args.push('-r');
    if (p.uid !== undefined) args.push('-u', String(p.uid));
    if (p.group) args.push('-g', p.group);
    if (p.groups?.length) args.push('-G', p.groups.join(','));
    if (p.shell) args.push('-s', p.shell);
    if (p.home) args.push('-d', p.home);
    if (p.comment !== undefined) args.push('-c', p.comment);
    args.push((p.createHome ?? !p.system) ? '-m' : '-M', p.name);
    return {
      changes: [{ field, from: 'absent', to: 'created' }],
      ok: `${field} exists`,
      plan: { action: 'create', command: sh`useradd ${args}` },
      dependsOn,
    };
  }

  const changes: Change[] = [];
  const args: string[] = [];
  if (p.uid !== undefined && passwd.uid !== p.uid) {
    changes.push({ field: 'uid', from: String(passwd.uid), to: String(p.uid) });
    args.push('-u', String(p.uid));
  }
  if (p.group && now.primary !== p.group) {
    changes.push({ field: 'group', from: now.primary, to: p.group });
    args.push('-g', p.group);
  }
  if (p.groups) {
    const want = wantedSupplementary(p, now);
    const have = [...now.supplementary].sort();
    if (want.join(',') !== have.join(',')) {
      changes.push({ field: 'groups', from: list(have), to: list(want) });
      if (p.append) args.push('-a', '-G', want.filter((g) => !have.includes(g)).join(','));
      else args.push('-G', want.join(','));
    }
  }
  if (p.shell && passwd.shell !== p.shell) {
    changes.push({ field: 'shell', from: passwd.shell, to: p.shell });
    args.push('-s', p.shell);
  }
  if (p.home && passwd.home !== p.home) {
    changes.push({ field: 'home', from: passwd.home, to: p.home });
    args.push('-d', p.home, ...(p.moveHome ? ['-m'] : []));
  }
  if (p.comment !== undefined && passwd.comment !== p.comment) {
    changes.push({ field: 'comment', from: passwd.comment, to: p.comment });
    args.push('-c', p.comment);
  }
  const ok = `${field} exists (uid ${passwd.uid}, shell ${passwd.shell}, groups ${list(now.supplementary)})`;
  if (changes.length === 0) return { changes, ok };
  args.push(p.name);
  return { changes, ok, plan: { action: 'modify', command: sh`usermod ${args}` }, dependsOn };
}

/**
 * A local user: created (useradd), changed where it differs (usermod: uid, primary group,
 * supplementary groups exactly or with `append`, shell, home, comment), or removed (userdel,
 * `removeHome` for `-r`). Read with `getent passwd` and `id -Gn`; groups it should be in that do
 * not exist yet (an earlier `group` task) make the check-mode prediction depend on earlier changes.
 * `system` and `createHome` apply when the user is created: an existing user is not recreated.
 *
 * @example user({ name: 'deploy', shell: '/bin/bash', groups: ['sudo'], append: true })
 */
export const user = defineTask({
  module: 'user',
  params: UserParams,
  title: (p) => `user ${p.name}${p.state === 'absent' ? ' absent' : ''}`,
  check(p) {
    if (p.state === 'absent') {
      const given = PRESENT_ONLY.filter((k) => p[k] !== undefined);
      if (given.length) throw new ValidationError('user parameters', given.map((k) => ({ path: k, message: 'applies to state present only' })));
    } else if (p.removeHome !== undefined) {
      throw new ValidationError('user parameters', [{ path: 'removeHome', message: 'applies to state absent only' }]);
    }
    if (p.append !== undefined && p.groups === undefined) {
      throw new ValidationError('user parameters', [{ path: 'append', message: 'needs groups' }]);
    }
  },
  facts: (p) => ({
    passwd: passwdFact(p.name),
    memberships: membershipsFact(p.name),
    groupsExist: groupsFact(p.state === 'absent' ? [] : [...(p.group ? [p.group] : []), ...(p.groups ?? [])]),
  }),
  decide: (p, { passwd, memberships, groupsExist }) => decideUser(p, passwd, memberships, groupsExist),
  async apply(ctx, plan, p) {
    const r = await ctx.run(plan.command, { what: `${plan.action} user ${p.name}` });
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});
