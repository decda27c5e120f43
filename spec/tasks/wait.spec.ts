import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { ExecResult } from '../../lib/types';
import { allNodesOnline, onlineListPattern, waitFor } from '../../tasks/wait';
import { FakeConnection } from '../helpers/fake-connection';
import { runTask } from '../helpers/task-harness';

const crmMon = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'wait', `${name}.txt`), 'utf8');
const matches = (nodes: string[], text: string) => new RegExp(onlineListPattern(nodes), 'm').test(text);

test('allNodesOnline matches pacemaker 1.1 output (the runbook) with both nodes online', () => {
  assert.is(matches(['ha-asterisk-1', 'ha-asterisk-2'], crmMon('crm_mon-1.1-runbook')), true);
  assert.is(matches(['ha-asterisk-2', 'ha-asterisk-1'], crmMon('crm_mon-1.1-runbook')), true);
  assert.is(matches(['ha-asterisk-1', 'ha-asterisk-3'], crmMon('crm_mon-1.1-runbook')), false);
});

test('allNodesOnline matches pacemaker 2.1 output in any order, and not while a node is OFFLINE', () => {
  assert.is(matches(['node1', 'node2'], crmMon('crm_mon-2.1-both-online')), true);
  assert.is(matches(['node1', 'node2'], crmMon('crm_mon-2.1-one-offline')), false);
  assert.is(matches(['node1'], crmMon('crm_mon-2.1-one-offline')), true);
});

test('allNodesOnline: node1 is not node10, and RemoteOnline does not count', () => {
  assert.is(matches(['node1'], '  * Online: [ node10 node2 ]\n'), false);
  assert.is(matches(['node1'], '  * RemoteOnline: [ node1 ]\n'), false);
  assert.is(matches(['node.1'], 'Online: [ nodeX1 ]\n'), false);
});

test('allNodesOnline gives waitFor parameters for crm_mon -1', () => {
  const p = allNodesOnline(['node1', 'node2']);
  assert.equal({ ...p, until: undefined }, {
    cmd: 'crm_mon -1',
    until: undefined,
    timeoutSeconds: 120,
    intervalSeconds: 2,
    description: 'nodes node1, node2 are online',
  });
  assert.not.throws(() => waitFor(p));
  assert.throws(() => allNodesOnline([]), (e: unknown) => e instanceof ValidationError);
  assert.throws(() => allNodesOnline(['node1', 'x; touch /tmp/canary']), /not node names: "x; touch \/tmp\/canary"/);
});

/** A host whose `cmd` answers follow `answers` in turn (the last one repeats). */
function host(answers: Partial<ExecResult>[]) {
  let i = 0;
  return new FakeConnection('node1').on('crm_mon -1', () => answers[Math.min(i++, answers.length - 1)]);
}

test('already true on the first (probe) attempt: ok without polling', async () => {
  const conn = host([{ stdout: crmMon('crm_mon-2.1-both-online') }]);
  const res = await runTask(waitFor(allNodesOnline(['node1', 'node2'])), conn);
  assert.is(res.status, 'ok', res.error);
  assert.is(res.message, 'nodes node1, node2 are online');
  assert.is(conn.commands.length, 1);
});

test('polls until the condition holds; never counts as changed', async () => {
  const conn = host([{ code: 102, stderr: 'Connection to cluster failed\n' }, { stdout: crmMon('crm_mon-2.1-one-offline') }, { stdout: crmMon('crm_mon-2.1-both-online') }]);
  const res = await runTask(waitFor({ ...allNodesOnline(['node1', 'node2']), intervalSeconds: 0.02 }), conn);
  assert.is(res.status, 'ok', res.error);
  assert.equal(res.changes, []);
  assert.is(res.message, 'nodes node1, node2 are online');
  assert.is(conn.commands.length, 3);
  assert.is(res.output?.stdout, crmMon('crm_mon-2.1-both-online'));
});

test('check mode looks once and never polls: met is ok, not met is would change', async () => {
  const met = host([{ stdout: 'ready\n' }]);
  const ok = await runTask(waitFor({ cmd: 'crm_mon -1', intervalSeconds: 0.01, description: 'ready' }), met, { check: true });
  assert.is(ok.status, 'ok', ok.error);
  const notMet = host([{ code: 1 }, { stdout: 'ready\n' }]);
  const res = await runTask(waitFor({ cmd: 'crm_mon -1', intervalSeconds: 0.01, description: 'ready' }), notMet, { check: true });
  assert.is(res.status, 'would change');
  assert.equal(res.changes, [{ field: 'wait', from: 'not yet', to: 'ready' }]);
  assert.is(notMet.commands.length, 1);
});

test('timeout fails with what it last saw', async () => {
  const conn = host([{ stdout: crmMon('crm_mon-2.1-one-offline') }]);
  const res = await runTask(waitFor({ ...allNodesOnline(['node1', 'node2']), timeoutSeconds: 0.2, intervalSeconds: 0.05 }), conn);
  assert.is(res.status, 'failed');
  const expected =
    `timed out after 0.2s waiting for nodes node1, node2 are online: last attempt output did not match /${onlineListPattern(['node1', 'node2'])}/; last output:\n` +
    crmMon('crm_mon-2.1-one-offline').trimEnd().split('\n').slice(-8).join('\n').trim();
  assert.is(res.error, expected);
  assert.ok(conn.commands.length >= 3);
});

test('timeout on a failing command names its exit code and stderr', async () => {
  const conn = host([{ code: 102, stderr: 'crm_mon: Connection to cluster failed: Transport endpoint is not connected\n' }]);
  const res = await runTask(waitFor({ cmd: 'crm_mon -1', timeoutSeconds: 0.1, intervalSeconds: 0.05, description: 'cluster up' }), conn);
  assert.is(res.error, 'timed out after 0.1s waiting for cluster up: last attempt exit 102; last output:\ncrm_mon: Connection to cluster failed: Transport endpoint is not connected');
});

test('schema: a bad until regexp, a zero timeout and unknown fields are rejected', () => {
  assert.throws(() => waitFor({ cmd: 'x', until: '(' }), /until: Invalid regular expression/);
  assert.throws(() => waitFor({ cmd: 'x', timeoutSeconds: 0 }), (e: unknown) => e instanceof ValidationError);
  assert.throws(() => waitFor({ cmd: 'x', retries: 3 } as never), /retries: is not a known field/);
  assert.is(waitFor({ cmd: 'x' }).definition.readOnly, true);
});

test.run();
