import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fingerprint, judgeHostKey, parseKnownHosts } from '../../lib/known-hosts';

function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.alloc(32, fill)]);
}
const edA = blob('ssh-ed25519', 1);
const edB = blob('ssh-ed25519', 2);
const rsa = blob('ssh-rsa', 3);

function hashed(token: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

test('a plain name on port 22 and [host]:port on others match only their own port', () => {
  const keys = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${edA.toString('base64')}\n[10.0.0.1]:2222 ssh-ed25519 ${edB.toString('base64')}\n`);
  assert.is(judgeHostKey(keys, '10.0.0.1', 22, edA), 'known');
  assert.is(judgeHostKey(keys, '10.0.0.1', 2222, edB), 'known');
  assert.is(judgeHostKey(keys, '10.0.0.1', 2222, edA), 'changed');
  assert.is(judgeHostKey(keys, '10.0.0.2', 22, edA), 'unknown');
});

test('hashed names are matched by HMAC, as ssh-keygen -H writes them', () => {
  const keys = parseKnownHosts(`${hashed('[127.0.0.1]:2200')} ssh-ed25519 ${edA.toString('base64')}`);
  assert.is(judgeHostKey(keys, '127.0.0.1', 2200, edA), 'known');
  assert.is(judgeHostKey(keys, '127.0.0.1', 2201, edA), 'unknown');
});

test('a key of another type is unknown, not changed; revoked keys are refused', () => {
  const keys = parseKnownHosts(`h ssh-ed25519 ${edA.toString('base64')}\n@revoked h ssh-rsa ${rsa.toString('base64')}`);
  assert.is(judgeHostKey(keys, 'h', 22, edB), 'changed');
  assert.is(judgeHostKey(keys, 'h', 22, rsa), 'revoked');
  assert.is(judgeHostKey(parseKnownHosts(`h ssh-rsa ${rsa.toString('base64')}`), 'h', 22, edA), 'unknown');
});

test('wildcards and negations in host patterns', () => {
  const keys = parseKnownHosts(`*.lab,!bad.lab ssh-ed25519 ${edA.toString('base64')}`);
  assert.is(judgeHostKey(keys, 'n1.lab', 22, edA), 'known');
  assert.is(judgeHostKey(keys, 'bad.lab', 22, edA), 'unknown');
});

test('fingerprints are printed as ssh-keygen -l prints them', () => {
  assert.match(fingerprint(edA), /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test.run();
