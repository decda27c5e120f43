import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HostKeyError } from './errors';

/**
 * OpenSSH known_hosts: plain and hashed (`|1|salt|hmac`) names, `[host]:port` for other
 * ports, wildcards and negations, `@revoked`. A key is trusted only if a line for this
 * host carries exactly this key blob.
 */
export interface KnownKey {
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  blob: Buffer;
}

export function parseKnownHosts(text: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownKey['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownKey['marker'];
    if (fields.length < 3) continue;
    keys.push({ marker, patterns: fields[0], keyType: fields[1], blob: Buffer.from(fields[2], 'base64') });
  }
  return keys;
}

/** The name OpenSSH writes for a host: `host` on port 22, `[host]:port` otherwise. */
function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternsMatch(patterns: string, token: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), token)) return false;
    } else if (globMatch(p, token)) matched = true;
  }
  return matched;
}

function globMatch(pattern: string, text: string): boolean {
  const re = '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$';
  return new RegExp(re, 'i').test(text);
}

/** `SHA256:…` as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob. */
function blobKeyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString();
}

export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked';

export function judgeHostKey(keys: KnownKey[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const token = hostToken(host, port);
  const mine = keys.filter((k) => k.marker !== '@cert-authority' && patternsMatch(k.patterns, token));
  if (mine.some((k) => k.marker === '@revoked' && k.blob.equals(blob))) return 'revoked';
  const plain = mine.filter((k) => !k.marker);
  if (plain.some((k) => k.blob.equals(blob))) return 'known';
  // OpenSSH only calls a key "changed" when a key of the same type is on file for the host.
  if (plain.some((k) => k.keyType === blobKeyType(blob))) return 'changed';
  return 'unknown';
}

/** Key types on file for this host, so the connection can ask the server for one of them first. */
export function knownKeyTypes(keys: KnownKey[], host: string, port: number): string[] {
  const token = hostToken(host, port);
  return [...new Set(keys.filter((k) => !k.marker && patternsMatch(k.patterns, token)).map((k) => k.keyType))];
}

export interface HostKeyPolicy {
  file: string;
  acceptNew: boolean;
}

/**
 * Decides whether to trust the key a server presented. An unknown key is refused with its
 * fingerprint and the line to add (or added, with acceptNew); a changed key is always refused.
 */
export function verifyHostKey(name: string, host: string, port: number, blob: Buffer, policy: HostKeyPolicy): void {
  const text = existsSync(policy.file) ? readFileSync(policy.file, 'utf8') : '';
  const verdict = judgeHostKey(parseKnownHosts(text), host, port, blob);
  const line = `${hostToken(host, port)} ${blobKeyType(blob)} ${blob.toString('base64')}`;
  if (verdict === 'known') return;
  if (verdict === 'revoked') throw new HostKeyError(name, `host key ${fingerprint(blob)} is revoked in ${policy.file}`);
  if (verdict === 'changed') {
    throw new HostKeyError(
      name,
      `HOST KEY CHANGED for ${hostToken(host, port)}: the server presented ${blobKeyType(blob)} ${fingerprint(blob)}, ` +
        `which differs from the key in ${policy.file}. This can mean an attack; if the host was rebuilt, remove the old ` +
        `line (ssh-keygen -R '${hostToken(host, port)}' -f ${policy.file}) and verify the new key.`,
    );
  }
  if (!policy.acceptNew) {
    throw new HostKeyError(
      name,
      `unknown host key ${blobKeyType(blob)} ${fingerprint(blob)} for ${hostToken(host, port)}. If it is right, add this ` +
        `line to ${policy.file}:\n  ${line}\nor run again with --accept-new-host-keys`,
    );
  }
  mkdirSync(dirname(policy.file), { recursive: true, mode: 0o700 });
  appendFileSync(policy.file, (text && !text.endsWith('\n') ? '\n' : '') + line + '\n');
}
