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

test.run();
