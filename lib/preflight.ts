/**
 * Checks made before any host is contacted, so that a run which cannot work stops with exit 2 and
 * one line, rather than after hosts were changed (or after the whole run, for a report path).
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors';

/** A report path that cannot be written: a missing directory, a directory, a read-only place. */
export function checkOutputPath(flag: string, file: string): void {
  const path = resolve(file);
  try {
    if (statSync(path).isDirectory()) throw new ConfigError(`${flag} ${file}: is a directory, not a file`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
  }
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new ConfigError(`${flag} ${file}: the directory ${dir} does not exist`);
  // Reports are written to a temporary file beside the target, then renamed: try exactly that.
  const probe = `${path}.probe-${process.pid}`;
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    throw new ConfigError(`${flag} ${file}: cannot write in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

