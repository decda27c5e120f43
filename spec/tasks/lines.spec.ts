import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { editLines, lineInFile } from '../../tasks/files/line-in-file';
import { FakeConnection } from '../helpers/fake-connection';
import { runTask } from '../helpers/task-harness';

const fresh = () => mkdtempSync(join(tmpdir(), 'keel-lines-'));
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
const KAMAILIO = '#\n# Kamailio startup options\n#\n\n# Set to yes to enable kamailio, once configured properly.\n#RUN_KAMAILIO=yes\n\n# User to run as\n#USER=kamailio\n';

test('editLines replaces the last line matching the regexp', () => {
  const e = editLines('A=1\n#A=2\nB=3\n', 'A=9', /^#?A=/);
  assert.equal(e, { content: 'A=1\nA=9\nB=3\n', action: 'replaced', lineNumber: 2, previous: '#A=2' });
});

test('editLines: the matching line already equal to line is present', () => {
  assert.equal(editLines('A=1\nB=2\n', 'B=2', /^B=/), { content: 'A=1\nB=2\n', action: 'present', lineNumber: 2 });
});

test('editLines: no regexp match but the exact line present is present; else it is appended', () => {
  assert.equal(editLines('x\nA=1\n', 'A=1', /^nomatch/), { content: 'x\nA=1\n', action: 'present', lineNumber: 2 });
  assert.equal(editLines('x\n', 'A=1'), { content: 'x\nA=1\n', action: 'appended', lineNumber: 2 });
});

test('editLines appends after a missing final newline, and into an empty file', () => {
  assert.equal(editLines('x', 'y'), { content: 'x\ny\n', action: 'appended', lineNumber: 2 });
  assert.equal(editLines('', 'y'), { content: 'y\n', action: 'appended', lineNumber: 1 });
});

test('RUN_KAMAILIO: check mode predicts, the first run changes, the second is ok', async () => {
  const dir = fresh();
  const path = join(dir, 'kamailio');
  writeFileSync(path, KAMAILIO, { mode: 0o640 });
  const task = lineInFile({ path, line: 'RUN_KAMAILIO=yes', regexp: '^#?RUN_KAMAILIO=' });

  const check = await runTask(task, new FakeConnection('x', true), { check: true });
  assert.is(check.status, 'would change', check.error);
  assert.equal(check.changes, [{ field: 'line 6', from: '#RUN_KAMAILIO=yes', to: 'RUN_KAMAILIO=yes' }]);
  assert.match(check.diff ?? '', /\n-#RUN_KAMAILIO=yes\n\+RUN_KAMAILIO=yes\n/);
  assert.is(readFileSync(path, 'utf8'), KAMAILIO);

  const first = await runTask(task, new FakeConnection('x', true));
  assert.is(first.status, 'changed', first.error);
  assert.equal(first.changes, check.changes);
  assert.is(readFileSync(path, 'utf8'), KAMAILIO.replace('#RUN_KAMAILIO=yes', 'RUN_KAMAILIO=yes'));
  assert.is(mode(path), '640');

  const second = await runTask(task, new FakeConnection('x', true));
  assert.is(second.status, 'ok', second.error);
  assert.is(second.message, `${path} contains "RUN_KAMAILIO=yes"`);
});

test('create: a missing file is created with the line, mode 0644; then ok', async () => {
  const path = join(fresh(), 'new.conf');
  const task = lineInFile({ path, line: 'a=1', create: true });
  const first = await runTask(task, new FakeConnection('x', true));
  assert.is(first.status, 'changed', first.error);
  assert.equal(first.changes, [{ field: 'file', to: 'created' }, { field: 'line 1', to: 'a=1' }]);
  assert.is(readFileSync(path, 'utf8'), 'a=1\n');
  assert.is(mode(path), '644');
  assert.is((await runTask(task, new FakeConnection('x', true))).status, 'ok');
});

test('without create, a missing file predicts a change in check mode and fails on apply', async () => {
  const path = join(fresh(), 'missing');
  const task = lineInFile({ path, line: 'a=1' });
  const check = await runTask(task, new FakeConnection('x', true), { check: true });
  assert.is(check.status, 'would change');
  assert.equal(check.changes, [{ field: 'file', from: 'absent', to: 'required (create is false): apply fails unless an earlier task creates it' }]);
  const run = await runTask(task, new FakeConnection('x', true));
  assert.is(run.status, 'failed');
  assert.is(run.error, `${path} does not exist (set create: true to create it)`);
  assert.is(existsSync(path), false);
});

test('mode only: the content stays, the mode changes', async () => {
  const path = join(fresh(), 'm');
  writeFileSync(path, 'a=1\n', { mode: 0o600 });
  const res = await runTask(lineInFile({ path, line: 'a=1', mode: '0644' }), new FakeConnection('x', true));
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'mode', from: '600', to: '644' }]);
  assert.is(mode(path), '644');
  assert.is(readFileSync(path, 'utf8'), 'a=1\n');
});

test('a file changed between probe and write is not overwritten', async () => {
  const path = join(fresh(), 'race');
  writeFileSync(path, 'a=1\n');
  const conn = new FakeConnection('x', true).on('mktemp', (command) => {
    appendFileSync(path, 'someone=else\n');
    const p = spawnSync('sh', ['-c', command], { input: 'a=1\nb=2\n' });
    return { code: p.status ?? 1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  });
  const res = await runTask(lineInFile({ path, line: 'b=2' }), conn);
  assert.is(res.status, 'failed');
  assert.match(res.error ?? '', /changed since it was read; run again/);
  assert.is(readFileSync(path, 'utf8'), 'a=1\nsomeone=else\n');
});

test('hostile path (spaces, quotes, $(...), backticks) is quoted: edited, and no canary appears', async () => {
  const dir = fresh();
  const cwd = process.cwd();
  process.chdir(dir); // a relative `touch CANARY` would land here
  try {
    const path = join(dir, "a b $(touch CANARY) `touch CANARY` 'q\" ;touch CANARY");
    writeFileSync(path, 'x=1\n');
    const task = lineInFile({ path, line: "y='$(touch CANARY)'", regexp: '^y=' });
    const first = await runTask(task, new FakeConnection('x', true));
    assert.is(first.status, 'changed', first.error);
    assert.is(readFileSync(path, 'utf8'), "x=1\ny='$(touch CANARY)'\n");
    assert.is((await runTask(task, new FakeConnection('x', true))).status, 'ok');
    assert.is(existsSync(join(dir, 'CANARY')), false);
  } finally {
    process.chdir(cwd);
  }
});

test('schema rejects a line with a newline, a relative path, a bad regexp and unknown fields', () => {
  const bad = [
    { path: '/etc/x', line: 'a\nb' },
    { path: 'etc/x', line: 'a' },
    { path: '/etc/x', line: 'a', regexp: '(' },
    { path: '/etc/x', line: 'a', backup: true },
  ];
  for (const p of bad) assert.throws(() => lineInFile(p as never), (e: unknown) => e instanceof ValidationError);
  assert.throws(() => lineInFile({ path: '/etc/x', line: 'a', regexp: '(' }), /regexp: Invalid regular expression/);
});

test.run();
