/**
 * Keys before connections (lib/connect.ts): every key is read, and decrypted, before any host
 * is contacted; a missing or unreadable key, an encrypted key without a passphrase, or a bad
 * ssh config stops the run with exit 2 and one line. A TCP listener stands in for each host and
 * counts connections: it must see none.
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { askOnTerminal, Connector, PASSPHRASE_ENV, type PromptTerminal } from '../../lib/connect';
import { UsageError } from '../../lib/errors';
import { buildInventory } from '../../lib/inventory';
import { parseSshConfig } from '../../lib/ssh-config';
import { runCli, writeInventory } from '../helpers/cli';

const PLAYBOOK = join(__dirname, '..', 'integration', 'fixtures', 'engine-playbook.ts');
const dir = mkdtempSync(join(tmpdir(), 'keel-keys-'));
const home = join(dir, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true });
const plainKey = join(dir, 'plain_ed25519');
const encKey = join(dir, 'enc_ed25519');
const encRsa = join(dir, 'enc_rsa_pem');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plainKey]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass', '-f', encKey]);
// The older PEM format (ssh-keygen -m PEM) is encrypted differently (and wants 5 characters or more); both must work.
execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'passpass', '-f', encRsa]);

let listeners: { server: Server; port: number; contacts: number }[] = [];

async function listener() {
  const l = { server: createServer((s) => { l.contacts++; s.destroy(); }), port: 0, contacts: 0 };
  await new Promise<void>((r) => l.server.listen(0, '127.0.0.1', () => r()));
  l.port = (l.server.address() as { port: number }).port;
  listeners.push(l);
  return l;
}

function connector(env: NodeJS.ProcessEnv = {}, extra: Partial<ConstructorParameters<typeof Connector>[0]> = {}) {
  return new Connector({ sshConfig: parseSshConfig(''), env: { USER: 'me', ...env }, sshDir: join(home, '.ssh'), ...extra });
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a UsageError');
}

const hostWith = (spec: Record<string, unknown>) => buildInventory({ hosts: { h1: { address: '127.0.0.1', ...spec } } }).hosts;

test('an encrypted key (ssh-keygen -N pass) is decrypted with KEEL_SSH_PASSPHRASE, OpenSSH and PEM formats', async () => {
  for (const [keyFile, passphrase] of [[encKey, 'pass'], [encRsa, 'passpass']]) {
    const c = connector({ [PASSPHRASE_ENV]: passphrase });
    await c.prepare(hostWith({ keyFile }));
    // What prepare read and decrypted, as the connection will use it.
    const key = await (c as unknown as { keys: Map<string, Promise<{ isPrivateKey(): boolean }>> }).keys.get(keyFile);
    assert.ok(key?.isPrivateKey(), keyFile);
  }
});

test('a wrong KEEL_SSH_PASSPHRASE is a UsageError that names the key and the variable', async () => {
  const msg = await rejection(connector({ [PASSPHRASE_ENV]: 'wrong' }).prepare(hostWith({ keyFile: encKey })));
  assert.is(msg, `key file ${encKey} (keyFile of host h1) is encrypted and KEEL_SSH_PASSPHRASE does not decrypt it (wrong passphrase?)`);
});

test('an encrypted key without a passphrase and without a terminal is a UsageError', async () => {
  const msg = await rejection(connector().prepare(hostWith({ keyFile: encKey })));
  assert.is(msg, `key file ${encKey} (keyFile of host h1) is encrypted: set KEEL_SSH_PASSPHRASE, or run keel on a terminal to be asked for the passphrase`);
});

test('on a terminal the passphrase is asked for, once per key file, up to three tries', async () => {
  const asked: string[] = [];
  const answers = ['no', 'still no', 'pass'];
  const c = connector({}, { askPassphrase: async (prompt) => (asked.push(prompt), answers.shift()!) });
  const hosts = buildInventory({ defaults: { keyFile: encKey }, hosts: { a: { address: '127.0.0.1' }, b: { address: '127.0.0.1' } } }).hosts;
  await c.prepare(hosts);
  assert.equal(asked, Array(3).fill(`Enter passphrase for key '${encKey}': `), 'two hosts, one key: asked until right, then not again');
  const wrong = connector({}, { askPassphrase: async () => 'never' });
  assert.match(await rejection(wrong.prepare(hostWith({ keyFile: encKey }))), 'wrong passphrase, three times');
});

/** A terminal that records, in order, its mode changes and what is written to it. */
function fakeTerminal(events: string[]): PromptTerminal & { type(text: string): void } {
  const stdin = Object.assign(new EventEmitter(), {
    isRaw: false,
    setRawMode(raw: boolean) {
      events.push(`raw ${raw}`);
      stdin.isRaw = raw;
      return stdin;
    },
    resume: () => stdin,
    pause: () => stdin,
  });
  return {
    stdin: stdin as unknown as PromptTerminal['stdin'],
    stderr: { write: (chunk: string | Uint8Array) => (events.push(`write ${JSON.stringify(String(chunk))}`), true) } as PromptTerminal['stderr'],
    type: (text: string) => stdin.emit('data', Buffer.from(text)),
  };
}

test('the terminal prompt: echo goes off before the prompt shows, comes back after; backspace, Ctrl-U, Ctrl-C', async () => {
  const events: string[] = [];
  const term = fakeTerminal(events);
  const answer = askOnTerminal('Enter passphrase: ', term);
  assert.equal(events, ['raw true', 'write "Enter passphrase: "'], 'no echo from the moment the prompt is visible');
  term.type('wrong\u0015pasX');
  term.type('\u007fs\r');
  assert.is(await answer, 'pass');
  assert.equal(events.slice(2), ['raw false', 'write "\\n"'], 'the terminal is left as it was');
  const t2 = fakeTerminal([]);
  const stopped = askOnTerminal('Enter passphrase: ', t2);
  t2.type('\u0003');
  assert.match(await rejection(stopped), 'interrupted at the passphrase prompt');
});

test('an encrypted default key is left to the agent when there is one and no passphrase; without an agent it is an error', async () => {
  copyFileSync(encKey, join(home, '.ssh', 'id_ed25519'));
  try {
    await connector({ SSH_AUTH_SOCK: join(dir, 'agent.sock') }).prepare(hostWith({}));
    const msg = await rejection(connector().prepare(hostWith({})));
    assert.match(msg, `key file ${join(home, '.ssh', 'id_ed25519')} is encrypted`);
  } finally {
    rmSync(join(home, '.ssh', 'id_ed25519'));
  }
});

test('a public key, a directory, an unreadable file and a non-key are each a UsageError', async () => {
  assert.match(await rejection(connector().prepare(hostWith({ keyFile: plainKey + '.pub' }))), 'is a public key');
  assert.match(await rejection(connector().prepare(hostWith({ keyFile: dir }))), `key file ${dir} (keyFile of host h1) is a directory`);
  const junk = join(dir, 'junk');
  writeFileSync(junk, 'not a key\n');
  assert.match(await rejection(connector().prepare(hostWith({ keyFile: junk }))), 'is not a private key keel can read');
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked');
    copyFileSync(plainKey, locked);
    chmodSync(locked, 0);
    assert.match(await rejection(connector().prepare(hostWith({ keyFile: locked }))), 'cannot be read (permission denied)');
  }
});

test('an IdentityFile from the ssh config that does not exist names the config', async () => {
  const c = connector({}, { sshConfig: parseSshConfig('Host *\n  IdentityFile /nonexistent/key_%r\n', '/cfg/file') });
  assert.is(await rejection(c.prepare(hostWith({ user: 'bob' }))), 'key file /nonexistent/key_bob (IdentityFile in /cfg/file) does not exist');
});

// Through the command line: exit 2, one line, no stack trace, and no host contacted.

const env = { HOME: home, SSH_AUTH_SOCK: '', [PASSPHRASE_ENV]: '' };

async function cliCase(spec: (ports: number[]) => unknown, args: string[] = []) {
  const [a, b] = [await listener(), await listener()];
  const inv = writeInventory(dir, spec([a.port, b.port]), `inv-${a.port}.ts`);
  const r = await runCli(PLAYBOOK, ['-i', inv, ...args], env);
  await new Promise((res) => setTimeout(res, 100));
  return { r, contacts: a.contacts + b.contacts };
}

function assertOneLineExit2(r: { code: number; stdout: string; stderr: string }, line: string) {
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.is(r.stderr, line + '\n');
  assert.is(r.stdout, '', 'nothing started: no task line, no recap');
}

test('CLI: a missing keyFile on the second host: exit 2 before the first host is contacted', async () => {
  const missing = join(dir, 'no_such_key');
  const { r, contacts } = await cliCase(([p1, p2]) => ({
    defaults: { user: 'root', knownHostsFile: join(dir, 'kh') },
    hosts: { h1: { address: '127.0.0.1', port: p1, keyFile: plainKey }, h2: { address: '127.0.0.1', port: p2, keyFile: missing } },
  }));
  assertOneLineExit2(r, `key file ${missing} (keyFile of host h2) does not exist`);
  assert.is(contacts, 0);
});

test('CLI: an encrypted key, no passphrase, no terminal: exit 2, no contact', async () => {
  const { r, contacts } = await cliCase(([p1]) => ({ hosts: { h1: { address: '127.0.0.1', port: p1, keyFile: encKey, user: 'root' } } }));
  assertOneLineExit2(r, `key file ${encKey} (keyFile of host h1) is encrypted: set KEEL_SSH_PASSPHRASE, or run keel on a terminal to be asked for the passphrase`);
  assert.is(contacts, 0);
});

test('CLI: an unparsable ssh config (-F): exit 2, no contact', async () => {
  const cfg = join(dir, 'bad_config');
  writeFileSync(cfg, 'Host h1\n  HostName 127.0.0.1\n  Port\n');
  const { r, contacts } = await cliCase(([p1]) => ({ hosts: { h1: { address: '127.0.0.1', port: p1, keyFile: plainKey, user: 'root' } } }), ['-F', cfg]);
  assertOneLineExit2(r, `ssh config ${cfg}: line 3: Port has no value`);
  assert.is(contacts, 0);
});

test('CLI: -F naming a file that does not exist: exit 2', async () => {
  const { r, contacts } = await cliCase(([p1]) => ({ hosts: { h1: { address: '127.0.0.1', port: p1, keyFile: plainKey } } }), ['-F', join(dir, 'nope')]);
  assertOneLineExit2(r, `ssh config ${join(dir, 'nope')}: cannot read it (no such file)`);
  assert.is(contacts, 0);
});

test('CLI: hosts outside --limit are not checked (their keys may live elsewhere)', async () => {
  const { r } = await cliCase(
    ([p1, p2]) => ({
      defaults: { user: 'root', knownHostsFile: join(dir, 'kh'), connectTimeoutSeconds: 2 },
      hosts: { h1: { address: '127.0.0.1', port: p1, keyFile: plainKey, vars: { root: dir } }, h2: { address: '127.0.0.1', port: p2, keyFile: join(dir, 'absent') } },
    }),
    ['--limit', 'h1'],
  );
  // h1's listener is not sshd, so h1 is unreachable (exit 3): the point is that h2's missing key did not stop the run.
  assert.is(r.code, 3, r.stdout + r.stderr);
});

test.after(() => {
  for (const l of listeners) l.server.close();
  listeners = [];
  rmSync(dir, { recursive: true, force: true });
});

test.run();
