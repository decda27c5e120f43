/**
 * Checks made before any host is contacted, so that a run which cannot work stops with exit 2 and
 * one line, rather than after hosts were changed (or after the whole run, for a report path).
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { utils } from 'ssh2';
import { ConfigError } from './errors';
import type { ResolvedHost } from './inventory';

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

/**
 * Every key file the run's SSH hosts name must be a readable private key that ssh can use without
 * a passphrase. One key is usually shared by many hosts: each file is read once.
 */
export function checkKeyFiles(hosts: readonly ResolvedHost[]): void {
  const byFile = new Map<string, string[]>();
  for (const h of hosts) {
    if (h.connection.connection !== 'ssh' || !h.connection.keyFile) continue;
    const names = byFile.get(h.connection.keyFile) ?? [];
    names.push(h.name);
    byFile.set(h.connection.keyFile, names);
  }
  for (const [file, names] of byFile) {
    const who = names.length === 1 ? `host ${names[0]}` : `hosts ${names.slice(0, 3).join(', ')}${names.length > 3 ? `, ... (${names.length})` : ''}`;
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (err as Error).message})`;
      throw new ConfigError(`key file ${file} (${who}): ${why}`);
    }
    const parsed = utils.parseKey(data);
    if (parsed instanceof Error) throw new ConfigError(`key file ${file} (${who}): not a private key ssh can use: ${parsed.message}`);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key?.isPrivateKey()) throw new ConfigError(`key file ${file} (${who}): is a public key; keyFile names the private key`);
  }
}
