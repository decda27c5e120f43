import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { ExecResult } from '../../lib/types';
import { allNodesOnline, onlineListPattern } from '../../tasks/pacemaker';
import { waitFor } from '../../tasks/wait';
import { FakeConnection } from '../helpers/fake-connection';
import { runTask } from '../helpers/task-harness';

const crmMon = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'wait', `${name}.txt`), 'utf8');

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

test('check mode looks once and never polls: met is ok, not met is skipped (a wait is never drift)', async () => {
  const met = host([{ stdout: 'ready\n' }]);
  const ok = await runTask(waitFor({ cmd: 'crm_mon -1', intervalSeconds: 0.01, description: 'ready' }), met, { check: true });
  assert.is(ok.status, 'ok', ok.error);
  const notMet = host([{ code: 1 }, { stdout: 'ready\n' }]);
  const res = await runTask(waitFor({ cmd: 'crm_mon -1', intervalSeconds: 0.01, description: 'ready' }), notMet, { check: true });
  assert.is(res.status, 'skipped');
  assert.equal(res.changes, []);
  assert.is(res.message, 'depends on earlier changes: not yet ready');
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
  assert.is(waitFor({ cmd: 'x' }).definition.kind, 'wait');
});

test.run();
