import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Type } from '@sinclair/typebox';
import { TimeoutError } from '../../lib/errors';
import { executeTask } from '../../lib/execute';
import { HostSession } from '../../lib/host-session';
import { defineTask } from '../../lib/task';
import { LocalConnection } from '../../lib/connection/local';
import type { ExecOptions, ReadMerger } from '../../lib/types';
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

test('after a read killed at its deadline, the reads it held up go out again together: one more round trip, not one each', async () => {
  const conn = new FakeConnection('a', true);
  const session = new HostSession(host, conn);
  // The guard (the shortest deadline, so it runs first) hangs and is killed at 1 s; the three reads
  // after it never begin. Read again, they come back from one batch.
  const reads = ['echo one', 'echo two', 'echo three'];
  session.prefetch([{ command: 'sleep 30', timeoutSeconds: 1 }, ...reads.map((command) => ({ command, timeoutSeconds: 5 }))]);
  const guard = await session.read('sleep 30', 1);
  assert.is(guard.timedOut, true, 'the guard is reported killed at its own deadline');
  const answers = await Promise.all(reads.map((c) => session.read(c, 5)));
  assert.equal(answers.map((r) => r.stdout), ['one\n', 'two\n', 'three\n']);
  assert.ok(answers.every((r) => !r.timedOut && r.code === 0));
  assert.is(conn.commands.length, 2, 'the batch, then one batch of the three reads');
  assert.ok(reads.every((c) => conn.commands[1].command.includes(c)) && !conn.commands[1].command.includes('sleep 30'));
});

test('reads held up round after round each end answered or timed out under their own deadline, the rest going out together each round', async () => {
  const conn = new FakeConnection('a', true);
  const session = new HostSession(host, conn);
  // Two hanging reads of different deadlines, then two that answer: the first round kills the
  // 1 s one; the second the 2 s one (under its own deadline, not what was left of the first's);
  // the third answers the last two together.
  const reads = [
    { command: 'sleep 31', timeoutSeconds: 1 },
    { command: 'sleep 32', timeoutSeconds: 2 },
    { command: 'echo a', timeoutSeconds: 3 },
    { command: 'echo b', timeoutSeconds: 3 },
  ];
  session.prefetch(reads);
  const started = Date.now();
  // Every read here comes back from a batch: a killed one as timed out.
  const got = await Promise.all(reads.map((e) => session.read(e.command, e.timeoutSeconds).then((x) => (x.timedOut ? 'timed out' : x.stdout))));
  assert.equal(got, ['timed out', 'timed out', 'a\n', 'b\n']);
  assert.ok(Date.now() - started >= 2900, 'the 2 s read had its whole deadline');
  assert.is(conn.commands.length, 3, 'three rounds: the last two reads in one');
});

test('a read cut short by a hang goes out again alone, and the reads that never began go out at once beside it: they wait one deadline, not two', async () => {
  // A real local shell that keeps deadlines (the recording fake runs a single command to its end).
  const local = new LocalConnection('a');
  const commands: string[] = [];
  const conn = { host: 'a', exec: (c: string, o?: ExecOptions) => (commands.push(c), local.exec(c, o)), close: async () => {} };
  const session = new HostSession(host, conn);
  // One deadline for all three: `echo a` runs first and answers; `sleep 30` hangs and is cut
  // short at 2 s with the group; `echo c` never begins.
  const reads = ['echo a', 'sleep 30', 'echo c'];
  session.prefetch(reads.map((command) => ({ command, timeoutSeconds: 2 })));
  const started = Date.now();
  const c = await session.read('echo c', 2);
  const cAt = Date.now() - started;
  assert.is(c.stdout, 'c\n');
  assert.ok(cAt < 3500, `echo c answered after ${cAt} ms: it waited for the hung read's second try`);
  const hung = await session.read('sleep 30', 2).then(
    () => 'answered',
    (e) => (e instanceof TimeoutError ? 'timed out' : String(e)),
  );
  assert.is(hung, 'timed out', 'the hung read, alone, is killed at its own deadline');
  assert.equal(commands.slice(1).sort(), ['echo c', 'sleep 30'], 'each read again alone');
});

test('the parts of a merged read killed at its own deadline go out again together, each as its own command', async () => {
  const conn = new FakeConnection('a', true);
  const session = new HostSession(host, conn);
  // A merger whose merged command hangs: killed at 1 s as the batch's first read.
  const hangs: ReadMerger<string> = { command: () => 'sleep 30', split: () => [], sharesShell: true };
  session.prefetch(['x', 'y'].map((w) => ({ command: `echo ${w}`, timeoutSeconds: 1, merge: { by: hangs, part: w } })));
  const got = await Promise.all(['x', 'y'].map((w) => session.read(`echo ${w}`, 1)));
  assert.equal(got.map((r) => [r.stdout, r.timedOut]), [['x\n', false], ['y\n', false]]);
  assert.is(conn.commands.length, 2, 'the merged batch, then one batch of the parts');
  assert.ok(conn.commands[1].command.includes('echo x') && conn.commands[1].command.includes('echo y') && !conn.commands[1].command.includes('sleep 30'));
});

test.run();
