import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import type { Fact } from '../../lib/types';
import { fileReadMerger, MAX_READ_CONTENT } from './merged-file-reads';


export interface FileState {
  exists: boolean;
  parentExists: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  sha256?: string;
  /** Present when the file is small enough and its content was asked for. */
  content?: string;
}

/**
 * A file's existence, mode, owner, group, hash and (when `withContent`, and small) its content,
 * in one read-only command. A path that exists but is not a regular file is an error.
 */
export function fileFact(path: string, withContent: boolean): Fact<FileState> {
  return {
    name: `file ${path}`,
    command: () => fileCommand(path, withContent),
    // An if/elif that only reads (its one variable named keel_s): it needs no subshell in a read batch.
    sharesShell: true,
    // In a batch with other file reads: one stat and one head for all of them.
    merge: { by: fileReadMerger, part: { path, withContent, dir: parentDir(path) } },
    parse(r) {
      if (r.code !== 0) throw new KeelError(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
      // The bytes as the host sent them: the hash of content read whole is taken here.
      return parseFileState(path, r.stdoutBytes ?? r.stdout, withContent);
    },
  };
}

function fileCommand(path: string, withContent: boolean): string {
  const dir = parentDir(path);
  // Few processes per file (a host runs one such read per task; issue 13's fan-out): one stat for
  // mode, owner, group and size, then either the content (`cat`, when asked and within
  // MAX_READ_CONTENT: keel hashes the bytes itself) or the hash alone (`sha256sum`, on stdin: it
  // escapes file names holding a backslash).
  const body = withContent
    ? sh`if [ "\${keel_s##* }" -gt ${MAX_READ_CONTENT} ]; then sha256sum < ${path}; else echo content && cat -- ${path}; fi`
    : sh`sha256sum < ${path}`;
  return sh`if [ -f ${path} ]; then keel_s=$(stat -c '%a %U %G %s' -- ${path}) && echo "$keel_s" && `.concat(
    body,
    sh`; elif [ -e ${path} ]; then echo notfile; elif [ -d ${dir} ]; then echo absent; else echo noparent; fi`,
  );
}

/**
 * A file read's output: `notfile`, `absent`, `noparent`, or the stat line followed by either
 * `content` and the file's bytes, or its hash (`HASH  -`, or the hash alone) and, from readers
 * that send both, the content.
 */
export function parseFileState(path: string, stdout: string | Buffer, withContent: boolean): FileState {
  const bytes = typeof stdout === 'string' ? Buffer.from(stdout) : stdout;
  const first = bytes.indexOf(0x0a);
  const head = (first < 0 ? bytes : bytes.subarray(0, first)).toString().trim();
  if (head === 'absent') return { exists: false, parentExists: true };
  if (head === 'noparent') return { exists: false, parentExists: false };
  if (head === 'notfile') throw new KeelError(`${path} exists but is not a regular file`);
  const [mode, owner, group] = head.split(' ');
  const second = bytes.indexOf(0x0a, first + 1);
  const line = bytes.subarray(first + 1, second < 0 ? undefined : second).toString().trim();
  const state: FileState = { exists: true, parentExists: true, mode: normaliseMode(mode), owner, group };
  if (line === 'content') {
    const body = second < 0 ? Buffer.alloc(0) : bytes.subarray(second + 1);
    state.sha256 = sha(body);
    // Text that is not UTF-8 would not survive as a string: such a file is compared by hash alone.
    if (withContent && isUtf8(body)) state.content = body.toString();
    return state;
  }
  // `HASH  -` from sha256sum (or the hash alone).
  state.sha256 = line.split(/\s+/)[0];
  if (withContent && second >= 0) {
    const content = bytes.subarray(second + 1).toString();
    if (sha(content) === state.sha256) state.content = content;
  }
  return state;
}

export function sha(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `644`, `0644` and `"0644"` are the same mode. */
export function normaliseMode(mode: string | undefined): string | undefined {
  if (mode === undefined) return undefined;
  return mode.replace(/^0+(?=\d{3})/, '').padStart(3, '0');
}

export function parentDir(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** What kind of thing a path is, as `lstat` sees it (a link is a link, whatever it points to). */
export type PathType = 'file' | 'directory' | 'link' | 'other' | 'absent';

/** The attributes wanted of every entry below a directory (`recurse`), as the path fact compares them. */
export interface TreeAttributes {
  owner?: string;
  group?: string;
  mode?: string;
}

export interface PathState {
  type: PathType;
  parentExists: boolean;
  /** The path's own mode, owner and group (a link's own, not its target's). */
  mode?: string;
  owner?: string;
  group?: string;
  /** A link's target, exactly as stored (`readlink`). */
  target?: string;
  /** What a link resolves to: its type (`absent` when it dangles) and that entry's attributes. */
  resolved?: { type: Exclude<PathType, 'link'>; mode?: string; owner?: string; group?: string };
  /** A directory (or a link to one): whether it holds no entry. */
  empty?: boolean;
  /**
   * With `recurse` asked: how many entries below the directory (links excluded, as chmod and
   * chown -R leave them) differ from the wanted owner, group and mode.
   */
  below?: { owner: number; group: number; mode: number };
}

/**
 * A path's type (file, directory, link with its target and what it resolves to, other, absent),
 * its mode, owner and group, whether a directory is empty and, when `recurse` gives wanted
 * attributes, how many entries below differ from them: one read-only command.
 */
export function pathFact(path: string, recurse?: TreeAttributes): Fact<PathState> {
  const wanted = recurse && (recurse.owner || recurse.group || recurse.mode) ? recurse : undefined;
  return {
    name: `path ${path}`,
    command: () => pathCommand(path, wanted),
    parse(r) {
      if (r.code !== 0) throw new KeelError(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
      return parsePathState(path, r.stdout);
    },
  };
}

function pathCommand(path: string, recurse: TreeAttributes | undefined): string {
  // One line per field; `set -e` makes a failed stat (a directory that cannot be searched) an error.
  const attrs = (key: string, follow: boolean) =>
    sh`printf '%s ' ${key}; `.concat(follow ? sh`stat -L -c '%a %U %G' -- ${path}` : sh`stat -c '%a %U %G' -- ${path}`);
  // `find -H` follows the path itself when it is a link (as `[ -d ]` does), never a link below it.
  const dir = [sh`printf 'empty %s\n' "$(find -H ${path} -mindepth 1 -maxdepth 1 -print -quit | wc -l)"`];
  if (recurse) {
    dir.push(
      sh`find -H ${path} -mindepth 1 ! -type l -printf '%u %g %m\n' | awk -v u=${recurse.owner ?? ''} -v g=${recurse.group ?? ''} -v m=${normaliseMode(recurse.mode) ?? ''} `.concat(
        `'BEGIN { a = 0; b = 0; c = 0 } { if (u != "" && $1 != u) a++; if (g != "" && $2 != g) b++; if (m != "" && $3 != m) c++ } END { print "below", a, b, c }'`,
      ),
    );
  }
  return [
    'set -e',
    sh`if [ -L ${path} ]; then`,
    '  echo type link',
    `  ${attrs('attrs', false)}`,
    sh`  if [ -d ${path} ]; then`,
    `    ${attrs('resolved directory', true)}`,
    ...dir.map((l) => `    ${l}`),
    sh`  elif [ -f ${path} ]; then`,
    `    ${attrs('resolved file', true)}`,
    sh`  elif [ -e ${path} ]; then`,
    `    ${attrs('resolved other', true)}`,
    '  else echo resolved absent; fi',
    // Last, as everything after `target ` is the target (it may hold any byte but NUL).
    "  printf 'target '",
    sh`  readlink -- ${path}`,
    sh`elif [ -d ${path} ]; then`,
    '  echo type directory',
    `  ${attrs('attrs', false)}`,
    ...dir.map((l) => `  ${l}`),
    sh`elif [ -f ${path} ]; then`,
    '  echo type file',
    `  ${attrs('attrs', false)}`,
    sh`elif [ -e ${path} ]; then`,
    '  echo type other',
    `  ${attrs('attrs', false)}`,
    sh`elif [ -d ${parentDir(path)} ]; then echo type absent; else echo type noparent; fi`,
  ].join('\n');
}

export function parsePathState(path: string, stdout: string): PathState {
  const at = stdout.indexOf('\ntarget ');
  const head = at < 0 ? stdout : stdout.slice(0, at);
  const target = at < 0 ? undefined : stdout.slice(at + '\ntarget '.length).replace(/\n$/, '');
  const fields = new Map<string, string[]>();
  for (const line of head.split('\n')) {
    const [key, ...rest] = line.trim().split(' ');
    if (key) fields.set(key, rest);
  }
  const type = fields.get('type')?.[0];
  if (type === 'absent') return { type: 'absent', parentExists: true };
  if (type === 'noparent') return { type: 'absent', parentExists: false };
  if (type !== 'file' && type !== 'directory' && type !== 'link' && type !== 'other') {
    throw new KeelError(`cannot read ${path}: unexpected output ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const [mode, owner, group] = fields.get('attrs') ?? [];
  const state: PathState = { type, parentExists: true, mode: normaliseMode(mode), owner, group };
  const resolved = fields.get('resolved');
  if (type === 'link') {
    state.target = target;
    const [rtype, rmode, rowner, rgroup] = resolved ?? ['absent'];
    state.resolved = { type: rtype as Exclude<PathType, 'link'>, mode: normaliseMode(rmode), owner: rowner, group: rgroup };
  }
  const empty = fields.get('empty');
  if (empty) state.empty = empty[0] === '0';
  const below = fields.get('below');
  if (below) state.below = { owner: Number(below[0]), group: Number(below[1]), mode: Number(below[2]) };
  return state;
}
