import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atomicWriteScript } from '../../tasks/files/atomic-write';
import { fileFact } from '../../tasks/files/facts';
import { writeFile } from '../../tasks/files';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask } from '../helpers/task-harness';

const me = userInfo();
const groupName = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
const fresh = () => mkdtempSync(join(tmpdir(), 'keel-files-'));

test('writeFile: check mode predicts the first run, which changes; the second run is ok', async () => {
  const dir = fresh();
  const conn = new FakeConnection('x', true);
  const task = writeFile({ path: join(dir, 'corosync'), content: 'START=yes\n', mode: '0640' });
  const predicted = await runTask(task, conn, { check: true });
  assert.is(predicted.status, 'would change');
  assert.equal(predicted.changes, [{ field: 'file', to: 'created' }]);
  assert.not.ok(existsSync(join(dir, 'corosync')), 'check mode wrote nothing');
  const first = await runTask(task, conn);
  assert.is(first.status, 'changed');
  assert.equal(first.changes, predicted.changes);
  assert.is(readFileSync(join(dir, 'corosync'), 'utf8'), 'START=yes\n');
  assert.is((statSync(join(dir, 'corosync')).mode & 0o777).toString(8), '640');
  const second = await runTask(task, conn);
  assert.is(second.status, 'ok');
  assert.is(second.message, `${join(dir, 'corosync')} has the desired content`);
});

test('writeFile: an edited file is a content change with a unified diff; mode alone is fixed in place', async () => {
  const dir = fresh();
  const path = join(dir, 'conf');
  writeFileSync(path, 'START=no\n', { mode: 0o600 });
  const conn = new FakeConnection('x', true);
  const r = await runTask(writeFile({ path, content: 'START=yes\n', mode: '0600' }), conn, { check: true });
  assert.is(r.changes.length, 1);
  assert.is(r.changes[0].field, 'content');
  assert.ok(r.diff!.includes('-START=no\n+START=yes'), r.diff);
  writeFileSync(path, 'START=yes\n', { mode: 0o600 });
  const m = await runTask(writeFile({ path, content: 'START=yes\n', mode: '0644' }), conn);
  assert.equal(m.changes, [{ field: 'mode', from: '600', to: '644' }]);
  assert.is((statSync(path).mode & 0o777).toString(8), '644');
});

test('writeFile: secret content never appears in the diff or the changes', async () => {
  const dir = fresh();
  const conn = new FakeConnection('x', true);
  const r = await runTask(writeFile({ path: join(dir, 'authkey'), content: 'hunter2-very-secret', secret: true }), conn, { check: true });
  assert.is(r.diff, undefined);
  assert.not.ok(JSON.stringify(r).includes('hunter2'));
  assert.not.ok(conn.commands.some((c) => /cat --/.test(c.command)), 'secret files are not read back');
});

test('writeFile: a missing parent directory is a clear error, and check mode still reports the creation', async () => {
  const dir = fresh();
  const conn = new FakeConnection('x', true);
  const task = writeFile({ path: join(dir, 'nodir', 'f'), content: 'x' });
  const check = await runTask(task, conn, { check: true });
  assert.equal(check.changes, [{ field: 'file', to: 'created (parent directory missing now)' }]);
  const r = await runTask(task, conn);
  assert.is(r.status, 'failed');
  assert.match(r.error!, `parent directory ${join(dir, 'nodir')} does not exist`);
});

test('the atomic write leaves no temporary file, and a failure leaves the original intact', () => {
  const dir = fresh();
  const path = join(dir, 'my file.conf');
  writeFileSync(path, 'original\n');
  const ok = spawnSync('sh', ['-c', atomicWriteScript(path, { mode: '644' })], { input: 'new\n', encoding: 'utf8' });
  assert.is(ok.status, 0, ok.stderr);
  assert.is(readFileSync(path, 'utf8'), 'new\n');
  assert.equal(readdirSync(dir), ['my file.conf']);
  // A directory at the target is refused after the temporary file exists: the trap must clean up.
  mkdirSync(join(dir, 'sub.conf'));
  const bad = spawnSync('sh', ['-c', atomicWriteScript(join(dir, 'sub.conf'), {})], { input: 'x\n', encoding: 'utf8' });
  assert.is(bad.status, 3);
  assert.match(bad.stderr, 'is a directory');
  assert.equal(readdirSync(dir).sort(), ['my file.conf', 'sub.conf']);
});

test('the file probe reads mode, owner, hash and content in one command', () => {
  const dir = fresh();
  const path = join(dir, "it's here");
  writeFileSync(path, 'a\nb\n', { mode: 0o640 });
  const fact = fileFact(path, true);
  const p = spawnSync('sh', ['-c', fact.command(debianFacts)], { encoding: 'utf8' });
  const state = fact.parse({ code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr }, debianFacts);
  assert.equal(
    { ...state, sha256: state.sha256?.length },
    { exists: true, parentExists: true, mode: '640', owner: me.username, group: groupName, sha256: 64, content: 'a\nb\n' },
  );
});

test('writeFile validate: rejected content is never installed, no temporary file stays, the error is the validator\'s', async () => {
  const dir = fresh();
  const path = join(dir, 'sudoers-like');
  writeFileSync(path, 'A=1\n', { mode: 0o440 });
  const conn = new FakeConnection('x', true);
  const bad = await runTask(writeFile({ path, content: 'A=$(\n', validate: 'sh -n %s' }), conn);
  assert.is(bad.status, 'failed');
  assert.match(bad.error ?? '', /Syntax error/);
  assert.match(bad.error ?? '', `rejected the new content (exit 2): ${path} is unchanged`);
  assert.is(readFileSync(path, 'utf8'), 'A=1\n');
  assert.is((statSync(path).mode & 0o777).toString(8), '440');
  assert.equal(readdirSync(dir), ['sudoers-like']);
  const good = await runTask(writeFile({ path, content: 'A=2\n', validate: 'sh -n %s' }), conn);
  assert.is(good.status, 'changed', good.error);
  assert.is(readFileSync(path, 'utf8'), 'A=2\n');
  assert.equal(readdirSync(dir), ['sudoers-like']);
  // Only the mode differs: nothing is written, so nothing is validated (a validator that always fails proves it).
  const chmod = await runTask(writeFile({ path, content: 'A=2\n', mode: '0400', validate: 'false %s' }), conn);
  assert.is(chmod.status, 'changed', chmod.error);
  assert.equal(chmod.changes, [{ field: 'mode', from: '440', to: '400' }]);
});

test('atomicWriteScript: without validate no check is in the script; with one, it exits 5 before the rename', () => {
  const dir = fresh();
  const path = join(dir, 'c.conf');
  assert.not.match(atomicWriteScript(path, {}), 'keel_out');
  writeFileSync(path, 'old\n');
  const rejected = spawnSync('sh', ['-c', atomicWriteScript(path, {}, undefined, 'grep -q "^ok$" %s')], { input: 'nope\n', encoding: 'utf8' });
  assert.is(rejected.status, 5, rejected.stderr);
  assert.is(rejected.stderr, `validate (grep -q "^ok$" %s) rejected the new content (exit 1): ${path} is unchanged\n`);
  assert.is(readFileSync(path, 'utf8'), 'old\n');
  assert.equal(readdirSync(dir), ['c.conf']);
  const accepted = spawnSync('sh', ['-c', atomicWriteScript(path, {}, undefined, 'grep -q "^ok$" %s')], { input: 'ok\n', encoding: 'utf8' });
  assert.is(accepted.status, 0, accepted.stderr);
  assert.is(readFileSync(path, 'utf8'), 'ok\n');
});

test.run();
