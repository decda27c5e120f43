import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import type { ExecResult, Fact } from '../../lib/types';
import { type FileState, parseFileState } from '../files/facts';

/** A user as the name service (`getent passwd`) has it. */
export type PasswdEntry =
  | { exists: false }
  | { exists: true; name: string; uid: number; gid: number; comment: string; home: string; shell: string };

/** A group as the name service (`getent group`) has it. */
export type GroupEntry = { exists: false } | { exists: true; name: string; gid: number; members: string[] };

/** getent's exit status for "no such key in this database". */
const GETENT_NOT_FOUND = 2;

function getentFailed(what: string, r: ExecResult): KeelError {
  return new KeelError(`cannot read ${what}: ${r.stderr.trim() || `getent exited ${r.code}`}`);
}

/** Parses one `getent passwd` line: `name:x:uid:gid:comment:home:shell`. */
export function parsePasswdLine(line: string): PasswdEntry {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length !== 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) throw new KeelError(`unexpected passwd entry: ${JSON.stringify(line)}`);
  return { exists: true, name: f[0], uid: Number(f[2]), gid: Number(f[3]), comment: f[4], home: f[5], shell: f[6] };
}

/** Parses one `getent group` line: `name:x:gid:member,member`. */
export function parseGroupLine(line: string): GroupEntry {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length !== 4 || !/^\d+$/.test(f[2])) throw new KeelError(`unexpected group entry: ${JSON.stringify(line)}`);
  return { exists: true, name: f[0], gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] };
}

/**
 * A user's passwd entry (`getent passwd NAME`: files, LDAP, whatever nsswitch says). Exit 2
 * means no such user; any other failure is an error.
 */
export function passwdFact(name: string): Fact<PasswdEntry> {
  return {
    name: `passwd entry of ${name}`,
    command: () => sh`getent passwd ${name}`,
    parse(r) {
      if (r.code === GETENT_NOT_FOUND) return { exists: false };
      if (r.code !== 0) throw getentFailed(`the passwd entry of ${name}`, r);
      return parsePasswdLine(r.stdout.split('\n')[0]);
    },
  };
}

/** A group's entry (`getent group NAME`). Exit 2 means no such group. */
export function groupFact(name: string): Fact<GroupEntry> {
  return {
    name: `group entry of ${name}`,
    command: () => sh`getent group ${name}`,
    parse(r) {
      if (r.code === GETENT_NOT_FOUND) return { exists: false };
      if (r.code !== 0) throw getentFailed(`the group entry of ${name}`, r);
      return parseGroupLine(r.stdout.split('\n')[0]);
    },
  };
}

/**
 * Which of these groups exist, in one `getent group A B C` (it prints the ones found and exits 2
 * when any is missing). No names: no command worth running, and an empty answer.
 */
export function groupsFact(names: readonly string[]): Fact<Record<string, boolean>> {
  const sorted = [...new Set(names)].sort();
  return {
    name: sorted.length ? `groups ${sorted.join(', ')}` : 'no groups',
    command: () => (sorted.length ? sh`getent group ${sorted}` : 'true'),
    parse(r) {
      if (r.code !== 0 && r.code !== GETENT_NOT_FOUND) throw getentFailed(`groups ${sorted.join(', ')}`, r);
      const found = new Set(
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(':')[0]),
      );
      return Object.fromEntries(sorted.map((g) => [g, found.has(g)]));
    },
  };
}

/** A user's groups: the primary one, and the others (supplementary), by name. */
export interface Memberships {
  exists: boolean;
  primary?: string;
  supplementary: string[];
}

/**
 * The groups a user is in, `id -Gn NAME`: the primary group first, then the supplementary ones
 * (in /etc/group order, never repeating the primary). Exit 1 with "no such user" is a missing user.
 */
export function membershipsFact(name: string): Fact<Memberships> {
  return {
    name: `groups of ${name}`,
    command: () => sh`id -Gn ${name}`,
    parse(r) {
      if (r.code !== 0) {
        if (/no such user/i.test(r.stderr)) return { exists: false, supplementary: [] };
        throw new KeelError(`cannot read the groups of ${name}: ${r.stderr.trim() || `id exited ${r.code}`}`);
      }
      const [primary, ...rest] = r.stdout.trim().split(/\s+/);
      return { exists: true, primary, supplementary: rest.filter((g) => g !== primary) };
    },
  };
}

/** A user's `~/.ssh/authorized_keys` and the directory holding it, as one read finds them. */
export type AuthorizedKeysState =
  | { user: false }
  | {
      user: true;
      /** The user's passwd entry: its home, and its primary gid for chown. */
      entry: Extract<PasswdEntry, { exists: true }>;
      home: string;
      homeExists: boolean;
      /** `~/.ssh`: absent, or its mode and owner. */
      sshDir: { exists: false } | { exists: true; mode: string; owner: string };
      file: FileState;
    };

/**
 * The user's home (from getent), whether it and `~/.ssh` exist (mode and owner of `.ssh`), and
 * `~/.ssh/authorized_keys` as the file fact reads a file (mode, owner, hash, content). A symlink
 * at `.ssh` or at the file is refused: the user could point it anywhere, and root reads and writes it.
 */
export function authorizedKeysFact(user: string): Fact<AuthorizedKeysState> {
  const path = `~${user}/.ssh/authorized_keys`;
  return {
    name: `authorized keys of ${user}`,
    command: () =>
      [
        sh`entry=$(getent passwd ${user}) || { echo nouser; exit 0; }`,
        'printf \'%s\\n\' "$entry"',
        // The sixth field: strip the first five, then the shell.
        'home=${entry#*:*:*:*:*:}; home=${home%:*}',
        'if [ -d "$home" ]; then echo homeexists; else echo nohome; fi',
        'd="$home/.ssh"; f="$d/authorized_keys"',
        'if [ -L "$d" ] || [ -L "$f" ]; then echo symlink; exit 0; fi',
        `if [ -d "$d" ]; then stat -c 'dir %a %U' -- "$d"; else echo nodir; fi`,
        'if [ -f "$f" ]; then stat -c \'%a %U %G\' -- "$f" && sha256sum < "$f" | cut -d\' \' -f1 && cat -- "$f";',
        'elif [ -e "$f" ]; then echo notfile; elif [ -d "$d" ]; then echo absent; else echo noparent; fi',
      ].join('\n'),
    parse(r) {
      if (r.code !== 0) throw new KeelError(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
      return parseAuthorizedKeys(user, r.stdout);
    },
  };
}

export function parseAuthorizedKeys(user: string, stdout: string): AuthorizedKeysState {
  const take = (): string => {
    const i = stdout.indexOf('\n');
    const line = i < 0 ? stdout : stdout.slice(0, i);
    stdout = i < 0 ? '' : stdout.slice(i + 1);
    return line;
  };
  const first = take();
  if (first === 'nouser') return { user: false };
  const entry = parsePasswdLine(first);
  if (!entry.exists) throw new KeelError(`unexpected authorized keys read for ${user}: ${JSON.stringify(first)}`);
  const home = entry.home;
  const homeExists = take() === 'homeexists';
  const dirLine = take();
  if (dirLine === 'symlink') throw new KeelError(`${home}/.ssh or ${home}/.ssh/authorized_keys is a symbolic link: keel will not follow it as root`);
  let sshDir: { exists: false } | { exists: true; mode: string; owner: string } = { exists: false };
  if (dirLine !== 'nodir') {
    const [, mode, owner] = dirLine.split(' ');
    sshDir = { exists: true, mode, owner };
  }
  return { user: true, entry, home, homeExists, sshDir, file: parseFileState(`${home}/.ssh/authorized_keys`, stdout, true) };
}
