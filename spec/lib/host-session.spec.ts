import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Type } from '@sinclair/typebox';
import { executeTask } from '../../lib/execute';
import { HostSession } from '../../lib/host-session';
import { defineTask } from '../../lib/task';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts } from '../helpers/task-harness';

const host = { name: 'a', address: '127.0.0.1', port: 22, user: 'root', vars: {} } as never;

test('a task that acts tells the run so before it acts (a task given up at its deadline may still be acting), and after', async () => {
  const session = new HostSession(host, new FakeConnection('a', true));
  session.useFacts(debianFacts);
  const events: string[] = [];
  session.onAct = () => events.push('act');
  const acting = defineTask({
    module: 'acting',
    params: Type.Object({}),
    title: () => 'acts',
    facts: () => ({}),
    decide: () => ({ changes: [{ field: 'f', from: 'a', to: 'b' }], plan: {} }),
    async apply() {
      events.push('apply');
    },
  });
  const r = await executeTask(acting({}), session, false);
  assert.is(r.status, 'changed');
  assert.equal(events, ['act', 'apply', 'act']);
});

test('a batched read that did not get its whole deadline (one before it in its group took part of the time) is read again alone', async () => {
  const conn = new FakeConnection('a', true);
  const session = new HostSession(host, conn);
  const flag = join(mkdtempSync(join(tmpdir(), 'keel-session-')), 'flag');
  // In the batch the second read hangs (and is killed with its group at 1 s); read again, it answers.
  const second = `if [ -e ${flag} ]; then echo answered; else touch ${flag}; sleep 30; fi`;
  session.prefetch([
    { command: 'sleep 0.6', timeoutSeconds: 1 },
    { command: second, timeoutSeconds: 1 },
  ]);
  const r = await session.read(second, 1);
  assert.equal({ code: r.code, stdout: r.stdout, timedOut: r.timedOut }, { code: 0, stdout: 'answered\n', timedOut: false });
  assert.is(conn.commands.length, 2, 'the batch, then the read alone');
  assert.is(conn.commands[1].command, second);
});

test.run();
