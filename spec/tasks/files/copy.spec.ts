import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../../lib/errors';
import { copy } from '../../../tasks/files';
import { installScript } from '../../../tasks/files/install';
import { localFile } from '../../../tasks/files/local-file';
import { FakeConnection } from '../../helpers/fake-connection';
import { applyPlan, decideOn, runTask } from '../../helpers/task-harness';
import { fresh, record, sh } from './real-sh';

const sha256sum = (path: string) => sh(`sha256sum < '${path}' | cut -d' ' -f1`).stdout.trim();

test('the local file is hashed a chunk at a time: the digest equals sha256sum, and binary content has no text', () => {
  const d = fresh();
  const src = join(d, 'blob');
  // 3.5 MiB: more than three 1 MiB chunks, the last one partial.
  writeFileSync(src, randomBytes(3.5 * 1024 * 1024));
  const local = localFile(src, 256 * 1024);
  assert.is(local.sha256, sha256sum(src));
  assert.is(local.size, 3.5 * 1024 * 1024);
  assert.is(local.text, undefined);
  writeFileSync(join(d, 'small'), 'héllo\n');
  assert.is(localFile(join(d, 'small'), 1024).text, 'héllo\n');
});

test('a binary file is copied byte for byte through a real sh, the second run is ok', async () => {
  const d = fresh();
  const src = join(d, 'blob');
  // Every byte value, including NUL and invalid UTF-8: the wire must not change any of them.
  writeFileSync(src, Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(100_000)]));
  const dest = join(d, 'host', 'blob.bin');
  sh(`mkdir '${join(d, 'host')}'`);
  const task = copy({ src, dest, mode: '0640' });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [{ field: 'file', to: 'created' }]);
  assert.is(decision.diff, undefined, 'no diff of binary content');
  const conn = new FakeConnection('x', true);
  const first = await runTask(task, conn);
  assert.is(first.status, 'changed', first.error);
  assert.ok(readFileSync(dest).equals(readFileSync(src)));
  assert.is((statSync(dest).mode & 0o777).toString(8), '640');
  const second = await runTask(task, conn);
  assert.is(second.status, 'ok');
  assert.is(second.message, `${dest} is a copy of ${src}`);
  assert.is(conn.commands.filter((c) => c.stdin).length, 1, 'the content was sent once');
});

test('text content shows a unified diff; a mode change alone sends nothing', async () => {
  const d = fresh();
  const src = join(d, 'conf');
  writeFileSync(src, 'a=1\nb=2\n');
  const dest = join(d, 'dest.conf');
  writeFileSync(dest, 'a=1\nb=3\n');
  chmodSync(dest, 0o644);
  const task = copy({ src, dest, mode: '0600' });
  const decision = decideOn(task, record(task));
  assert.equal(
    decision.changes.map((c) => c.field),
    ['content', 'mode'],
  );
  assert.match(decision.diff!, '-b=3\n+b=2');
  writeFileSync(dest, 'a=1\nb=2\n');
  const modeOnly = decideOn(task, record(task));
  assert.equal(modeOnly.changes, [{ field: 'mode', from: '644', to: '600' }]);
  assert.equal(modeOnly.plan, { write: false, attrs: { mode: '0600', owner: undefined, group: undefined } });
  const conn = new FakeConnection('x', true);
  await runTask(task, conn);
  assert.not.ok(conn.commands.some((c) => c.stdin), 'no content sent for a chmod');
  assert.is((statSync(dest).mode & 0o777).toString(8), '600');
});

test('backup keeps the old content as dest.PID.DATE@TIME~, only when the content changes', async () => {
  const d = fresh();
  const src = join(d, 'new');
  writeFileSync(src, 'new\n');
  const dest = join(d, 'app.conf');
  writeFileSync(dest, 'old\n');
  const conn = new FakeConnection('x', true);
  const r = await runTask(copy({ src, dest, backup: true }), conn);
  assert.is(r.status, 'changed', r.error);
  const backups = readdirSync(d).filter((f) => f.startsWith('app.conf.'));
  assert.is(backups.length, 1, backups.join(' '));
  assert.match(backups[0], /^app\.conf\.\d+\.\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}~$/);
  assert.is(readFileSync(join(d, backups[0]), 'utf8'), 'old\n');
  assert.match(r.output!.stdout, `backup: ${join(d, backups[0])}`);
  assert.is(readFileSync(dest, 'utf8'), 'new\n');
  // A mode-only change and an unchanged file make no backup.
  await runTask(copy({ src, dest, backup: true, mode: '0600' }), conn);
  await runTask(copy({ src, dest, backup: true, mode: '0600' }), conn);
  assert.is(readdirSync(d).filter((f) => f.startsWith('app.conf.')).length, 1);
  // No backup of a file that did not exist.
  const fresh2 = join(d, 'other.conf');
  await runTask(copy({ src, dest: fresh2, backup: true }), conn);
  assert.is(readdirSync(d).filter((f) => f.startsWith('other.conf.')).length, 0);
});

test('the content is streamed from the file, never read whole: apply hands the engine a stream', async () => {
  const d = fresh();
  const src = join(d, 'big');
  writeFileSync(src, '');
  truncateSync(src, 64 * 1024 * 1024 + 1);
  const dest = join(d, 'big.dest');
  const task = copy({ src, dest });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [{ field: 'file', to: 'created' }]);
  const { commands } = await applyPlan(task, decision.plan);
  assert.is(commands.length, 1);
  assert.is(commands[0].streamed, true, 'stdin was a stream');
  assert.is(commands[0].bytes?.length, 64 * 1024 * 1024 + 1);
});

test('a source changed between decide and apply is refused, and the host file stays', async () => {
  const d = fresh();
  const src = join(d, 'src');
  writeFileSync(src, 'one\n');
  const dest = join(d, 'dest');
  writeFileSync(dest, 'zero\n');
  const task = copy({ src, dest });
  const decision = decideOn(task, record(task));
  writeFileSync(src, 'two\n');
  let sent = 0;
  const error = await applyPlan(task, decision.plan, () => {
    sent++;
    return undefined;
  }).then(() => undefined, (err: Error) => err.message);
  assert.match(error ?? 'it was sent', 'changed on this machine since it was compared; run again');
  assert.is(sent, 0, 'nothing was run on the host');
  assert.is(readFileSync(dest, 'utf8'), 'zero\n');
});

test('the install script refuses content whose hash is not the one decided, and leaves no temporary file', () => {
  const d = fresh();
  const dest = join(d, 'f');
  writeFileSync(dest, 'original\n');
  const r = sh(installScript(dest, { attrs: {}, sha256: '0'.repeat(64) }), 'tampered\n');
  assert.is(r.code, 5);
  assert.match(r.stderr, 'is unchanged');
  assert.is(readFileSync(dest, 'utf8'), 'original\n');
  assert.equal(readdirSync(d), ['f']);
});

test('a missing source fails when the task is built; a missing parent rests on an earlier task', () => {
  try {
    copy({ src: '/nonexistent/keel-src', dest: '/tmp/x' });
    assert.unreachable('accepted a missing src');
  } catch (err) {
    assert.instance(err, ValidationError);
    assert.match((err as Error).message, 'src: cannot read /nonexistent/keel-src on this machine: ENOENT');
  }
  const d = fresh();
  writeFileSync(join(d, 's'), 'x');
  const task = copy({ src: join(d, 's'), dest: join(d, 'no', 'dest') });
  const decision = decideOn(task, record(task));
  assert.is(decision.dependsOn, 'its directory does not exist yet');
  assert.not.ok(existsSync(join(d, 'no')));
});

test('secret: no diff and no hashes, and the host file is not read back', () => {
  const d = fresh();
  writeFileSync(join(d, 'key'), 'hunter2\n');
  writeFileSync(join(d, 'dest'), 'old\n');
  const task = copy({ src: join(d, 'key'), dest: join(d, 'dest'), secret: true });
  const decision = decideOn(task, record(task));
  assert.is(decision.diff, undefined);
  assert.equal(decision.changes, [{ field: 'content', from: 'sha256:(secret)', to: 'sha256:(secret)' }]);
  assert.not.match(Object.values(task.definition.facts)[0].command(undefined as never), 'cat --');
});

test.run();
