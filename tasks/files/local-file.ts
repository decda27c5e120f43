import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { KeelError } from '../../lib/errors';

/** A file on the controller, as copy compares it: its size and sha256, and its text when small. */
export interface LocalFile {
  path: string;
  size: number;
  sha256: string;
  /** Size, mtime and inode when it was hashed: a different version is another file. */
  version: string;
  /** Present when the file is at most `textLimit` bytes and valid UTF-8 without NUL: for --diff. */
  text?: string;
}

const CHUNK = 1024 * 1024;
/** The last digest of each path, with the version (size, mtime, inode) it was made from. */
const digests = new Map<string, { version: string; file: LocalFile }>();

/** The controller's file at `path` (relative paths from the working directory), or a KeelError. */
export function localStat(path: string): Stats {
  let st: Stats;
  try {
    st = statSync(resolve(path));
  } catch (err) {
    throw new KeelError(`cannot read ${path} on this machine: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new KeelError(`${path} on this machine is not a regular file`);
  return st;
}

/**
 * Hashes a local file a chunk at a time (never the whole file in memory), once per version of
 * the file: the result is kept by path, size, mtime and inode, so a play over many hosts reads
 * it once. Synchronous, because decide is: it runs on the controller, never on a host.
 */
export function localFile(path: string, textLimit: number): LocalFile {
  const abs = resolve(path);
  const st = localStat(path);
  const version = localVersion(st);
  const known = digests.get(abs);
  if (known?.version === `${version}\0${textLimit}`) return known.file;
  const hash = createHash('sha256');
  const keep: Buffer[] = [];
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      if (size + n <= textLimit) keep.push(Buffer.from(buf.subarray(0, n)));
      size += n;
    }
    const result: LocalFile = { path: abs, size, sha256: hash.digest('hex'), version };
    if (size <= textLimit) {
      const bytes = Buffer.concat(keep);
      if (!bytes.includes(0) && isUtf8(bytes)) result.text = bytes.toString('utf8');
    }
    digests.set(abs, { version: `${version}\0${textLimit}`, file: result });
    return result;
  } finally {
    closeSync(fd);
  }
}

/** What tells one version of a local file from another without reading it. */
export function localVersion(st: Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
}
