/**
 * keel loads ssh2 in two halves (lib/connection/ssh2.ts): the key parser when keys are checked,
 * before any host is contacted, and the client only once the first hop's TCP connection is under
 * way (lib/connection/ssh.ts dial), so its loading overlaps the host's sshd starting up. Each spec
 * file runs in its own process: nothing has loaded ssh2 before these tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net, { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnection, type SshTarget } from '../../lib/connection/ssh';
import { keyParser, sshClient } from '../../lib/connection/ssh2';
import { UnreachableError } from '../../lib/errors';

const loaded = (m: string) => require.cache[require.resolve(m)] !== undefined;

/** What opening a connection to port (on 127.0.0.1 unless `more` says) as root failed with (undefined if it opened). */
function openError(name: string, port: number, more: Partial<SshTarget> = {}): Promise<Error | undefined> {
  const target: SshTarget = { name, address: '127.0.0.1', port, user: 'root', keys: [], hostKeys: { file: '/nonexistent/known_hosts', acceptNew: false }, become: false, connectTimeoutMs: 5000, ...more };
  return SshConnection.open(target).then(
    () => undefined,
    (e: Error) => e,
  );
}

/** A listening server on 127.0.0.1 and its port. */
async function listen(onConnection?: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Runs `f` with every TCP connect noted (what `note` says of it, at the moment it is made); connect is restored after. */
async function watchConnects<T>(note: () => T, f: () => Promise<unknown>): Promise<T[]> {
  const noted: T[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    noted.push(note());
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  try {
    await f();
  } finally {
    net.Socket.prototype.connect = connect;
  }
  return noted;
}

test('a connection opens before ssh2\'s client is loaded; the keys were parsed before, without it', async () => {
  assert.not.ok(loaded('ssh2/lib/client.js'), 'nothing loaded the client yet');
  const dir = mkdtempSync(join(tmpdir(), 'keel-ssh2-parts-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  const key = keyParser().parseKey(readFileSync(join(dir, 'key')));
  assert.not.ok(key instanceof Error, String(key));
  assert.not.ok(loaded('ssh2/lib/client.js'), 'parsing a key does not load the client');
  assert.not.ok(loaded('ssh2'), 'nor ssh2\'s index (its server, HTTP agents, key generator)');

  // A host that accepts and hangs up: the set-up fails, after the connection was made.
  const { server, port } = await listen((s) => s.destroy());
  let err: Error | undefined;
  const clientLoadedAtConnect = await watchConnects(
    () => loaded('ssh2/lib/client.js'),
    async () => {
      err = await openError('h', port, {
        keys: [{ file: join(dir, 'key'), key: Array.isArray(key) ? key[0] : (key as never) }],
        hostKeys: { file: join(dir, 'known_hosts'), acceptNew: false },
      });
    },
  ).finally(() => server.close());
  assert.instance(err, UnreachableError);
  assert.is(err!.message, `h: unreachable: Connection lost before handshake (root@127.0.0.1:${port})`);
  assert.equal(clientLoadedAtConnect, [false], 'one connection, made before the client loaded');
  assert.ok(loaded('ssh2/lib/client.js'), 'the client loaded for the handshake');
});

test('the two halves are the modules ssh2 itself exports (a new ssh2 that moved them fails here)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ssh2 = require('ssh2') as typeof import('ssh2');
  assert.is(sshClient(), ssh2.Client);
  assert.is(keyParser().parseKey, ssh2.utils.parseKey);
});

test('a host that refuses (a refusal takes a round trip: it reaches ssh2 on the dialled socket) is reported as ssh2 reports a refusal', async () => {
  const { server, port } = await listen();
  await new Promise<void>((r) => server.close(() => r()));
  const err = await openError('gone', port);
  assert.instance(err, UnreachableError);
  assert.is(err!.message, `gone: unreachable: connection refused by root@127.0.0.1:${port}`);
});

test('a set-up that fails before ssh2 takes the dialled socket closes that socket', async () => {
  // A key file read at connect time (SshTarget.keyFile) that is missing: the set-up throws before ssh2 connects.
  let closed!: () => void;
  const hungUp = new Promise<void>((r) => (closed = r));
  const { server, port } = await listen((s) => s.on('close', closed).on('error', () => {}));
  try {
    const err = await openError('leaky', port, { keyFile: '/nonexistent/key' });
    assert.match(err!.message, 'ENOENT');
    const timer = new Promise<string>((r) => setTimeout(() => r('still open'), 3000));
    assert.is(await Promise.race([hungUp.then(() => 'closed'), timer]), 'closed', 'the connection was left open');
  } finally {
    server.close();
  }
});

test('a connection the system fails at once is dialled again by ssh2, and reported as ssh2 reports it', async () => {
  // TCP to the broadcast address: the kernel refuses it in connect() (no route), before any packet
  // leaves, so the dialled socket has failed within its one turn of the event loop.
  let err: Error | undefined;
  const started = Date.now();
  const dialledBy = await watchConnects(
    () => (new Error().stack!.includes('ssh2/lib/client.js') ? 'ssh2' : 'keel'),
    async () => {
      err = await openError('nowhere', 22, { address: '255.255.255.255' });
    },
  );
  assert.instance(err, UnreachableError);
  assert.is(err!.message, 'nowhere: unreachable: no route to root@255.255.255.255:22');
  assert.ok(Date.now() - started < 4000, 'reported at once, not at the connect timeout');
  assert.equal(dialledBy, ['keel', 'ssh2'], 'dialled, then dialled again by ssh2 itself');
});

test.run();
