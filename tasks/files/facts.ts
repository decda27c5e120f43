import { createHash } from 'node:crypto';
import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import type { Fact } from '../../lib/types';

/** Files up to this size come back whole, for --diff and line edits; larger ones by hash only. */
const MAX_READ_CONTENT = 256 * 1024;

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
    parse(r) {
      if (r.code !== 0) throw new KeelError(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
      return parseFileState(path, r.stdout, withContent);
    },
  };
}

function fileCommand(path: string, withContent: boolean): string {
  const dir = parentDir(path);
  const content = withContent ? sh`if [ "$(stat -c %s -- ${path})" -le ${MAX_READ_CONTENT} ]; then cat -- ${path}; fi` : ':';
  // The hash is read on stdin: sha256sum escapes file names holding a backslash.
  return sh`if [ -f ${path} ]; then stat -c '%a %U %G' -- ${path} && sha256sum < ${path} | cut -d' ' -f1 && `.concat(
    content,
    sh`; elif [ -e ${path} ]; then echo notfile; elif [ -d ${dir} ]; then echo absent; else echo noparent; fi`,
  );
}

export function parseFileState(path: string, stdout: string, withContent: boolean): FileState {
  const first = stdout.indexOf('\n');
  const head = (first < 0 ? stdout : stdout.slice(0, first)).trim();
  if (head === 'absent') return { exists: false, parentExists: true };
  if (head === 'noparent') return { exists: false, parentExists: false };
  if (head === 'notfile') throw new KeelError(`${path} exists but is not a regular file`);
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
