import { createHash } from 'node:crypto';
import { sh } from '../lib/quote';

/** Files up to this size come back whole in the probe, for --diff; larger ones by hash only. */
const MAX_PROBED_CONTENT = 256 * 1024;

export interface FileState {
  exists: boolean;
  parentExists: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  sha256?: string;
  /** Present when the file is small enough and not secret. */
  content?: string;
}

/** One read-only command for a file's existence, mode, owner, group, hash and (small) content. */
export function fileProbe(path: string, withContent: boolean): string {
  const dir = parentDir(path);
  const content = withContent ? sh`if [ "$(stat -c %s -- ${path})" -le ${MAX_PROBED_CONTENT} ]; then cat -- ${path}; fi` : ':';
  return sh`if [ -f ${path} ]; then stat -c '%a %U %G' -- ${path} && sha256sum < ${path} | cut -d' ' -f1 && `.concat(
    content,
    sh`; elif [ -e ${path} ]; then echo notfile; elif [ -d ${dir} ]; then echo absent; else echo noparent; fi`,
  );
}

export function parseFileProbe(stdout: string, withContent: boolean): FileState {
  const first = stdout.indexOf('\n');
  const head = (first < 0 ? stdout : stdout.slice(0, first)).trim();
  if (head === 'absent') return { exists: false, parentExists: true };
  if (head === 'noparent') return { exists: false, parentExists: false };
  if (head === 'notfile') throw new Error('exists but is not a regular file');
  const [mode, owner, group] = head.split(' ');
  const second = stdout.indexOf('\n', first + 1);
  const sha256 = stdout.slice(first + 1, second < 0 ? undefined : second).trim();
  const state: FileState = { exists: true, parentExists: true, mode: normaliseMode(mode), owner, group, sha256 };
  if (withContent && second >= 0) {
    const content = stdout.slice(second + 1);
    if (sha(content) === sha256) state.content = content;
  }
  return state;
}

export function sha(text: string): string {
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

/**
 * Writes stdin to `path` atomically: a temporary file in the same directory, then rename.
 * If anything fails (a full disk), the trap removes the temporary file and the original stays.
 */
export function atomicWriteScript(path: string, attrs: { mode?: string; owner?: string; group?: string }): string {
  const dir = parentDir(path);
  const lines = [
    'set -e',
    sh`[ -d ${dir} ] || { echo "parent directory "${dir}" does not exist" >&2; exit 3; }`,
    // mv onto a directory would move the file into it.
    sh`if [ -d ${path} ]; then echo ${path}" is a directory" >&2; exit 3; fi`,
    sh`tmp=$(mktemp ${dir + '/.keel.XXXXXX'})`,
    `trap 'rm -f "$tmp"' EXIT`,
    'cat > "$tmp"',
    attrs.mode ? sh`chmod ${attrs.mode} "$tmp"` : sh`if [ -e ${path} ]; then chmod --reference=${path} "$tmp"; else chmod 644 "$tmp"; fi`,
    sh`if [ -e ${path} ]; then chown --reference=${path} "$tmp"; fi`,
  ];
  const owner = [attrs.owner ?? '', attrs.group ? `:${attrs.group}` : ''].join('');
  if (owner) lines.push(sh`chown ${owner} "$tmp"`);
  lines.push(sh`mv -f "$tmp" ${path}`, 'trap - EXIT');
  return lines.join('\n');
}
