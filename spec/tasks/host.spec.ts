import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { hostname } from '../../tasks/host';
import { applyPlan, decideOn, fileReadOutput as hostnameFile } from '../helpers/task-harness';

test('hostname: a host named otherwise in the kernel and in /etc/hostname gets both changes and both commands', async () => {
  const task = hostname({ name: 'node7' });
  const d = decideOn(task, { now: 'debian\n', file: hostnameFile('debian\n') });
  assert.equal(d.changes, [
    { field: 'hostname', from: 'debian', to: 'node7' },
    { field: '/etc/hostname', from: 'debian', to: 'node7' },
  ]);
  const { commands } = await applyPlan(task, d.plan);
  assert.is(commands.length, 2);
  assert.is(commands[0].command, 'hostname node7');
  assert.match(commands[1].command, /mv -f "\$tmp" \/etc\/hostname/);
  assert.is(commands[1].stdin, 'node7\n');
});

test('hostname: only what differs is planned; a named host is ok', async () => {
  const task = hostname({ name: 'node7' });
  const fileOnly = decideOn(task, { now: 'node7\n', file: hostnameFile('old\n') });
  assert.equal(fileOnly.changes.map((c) => c.field), ['/etc/hostname']);
  assert.equal((await applyPlan(task, fileOnly.plan)).commands.length, 1);
  const ok = decideOn(task, { now: 'node7\n', file: hostnameFile('node7\n') });
  assert.equal(ok.changes, []);
  assert.is(ok.ok, 'the host is called node7');
});

test('hostname: a name that is not a host name fails before any host is contacted', () => {
  assert.throws(() => hostname({ name: 'a b; reboot' }), (e: unknown) => e instanceof ValidationError);
});

test("the README's complete module is this file, word for word", () => {
  const root = join(__dirname, '..', '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- module example: tasks\/host\/hostname.ts -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has the marked example');
  assert.is(block, readFileSync(join(root, 'tasks', 'host', 'hostname.ts'), 'utf8'));
});

test.run();
