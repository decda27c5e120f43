import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostSession } from '../../lib/host-session';
import { FakeConnection } from '../helpers/fake-connection';

const host = { name: 'a', address: '127.0.0.1', port: 22, user: 'root', vars: {} } as never;

test('a read that never began in its batch (one before it used up their deadline) is read again alone, under its own', async () => {
  const conn = new FakeConnection('a', true);
  const session = new HostSession(host, conn);
  session.prefetch([
    { command: 'sleep 30', timeoutSeconds: 1 },
    { command: 'echo second', timeoutSeconds: 1 },
  ]);
  const [hung, second] = await Promise.all([session.read('sleep 30', 1), session.read('echo second', 1)]);
  assert.is(hung.timedOut, true);
  assert.equal([second.code, second.stdout, second.timedOut], [0, 'second\n', false]);
  assert.equal(
    conn.commands.map((c) => c.command).slice(1),
    ['echo second'],
    'the batch, then the read that never began, alone',
  );
});

test.run();
