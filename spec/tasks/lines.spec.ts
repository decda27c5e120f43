import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { editLines, lineInFile, type LineInFilePlan, removeLines } from '../../tasks/files/line-in-file';
import { FakeConnection } from '../helpers/fake-connection';
import { applyPlan, decideOn, runTask, fileReadOutput } from '../helpers/task-harness';

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

test('removeLines: every line matching the regexp goes, the rest and the final newline stay', () => {
  assert.equal(removeLines('a=1\n#b=2\nb=3\nc=4\n', { regexp: /^#?b=/ }), {
    content: 'a=1\nc=4\n',
    removed: [
      { lineNumber: 2, text: '#b=2' },
      { lineNumber: 3, text: 'b=3' },
    ],
  });
  assert.equal(removeLines('a\nb\na', { line: 'a' }), { content: 'b', removed: [{ lineNumber: 1, text: 'a' }, { lineNumber: 3, text: 'a' }] });
  assert.equal(removeLines('x\n', { line: 'x' }), { content: '', removed: [{ lineNumber: 1, text: 'x' }] });
  // Without a regexp only whole equal lines go: a longer line holding `a` stays.
  assert.equal(removeLines('ab\na\n', { line: 'a' }).content, 'ab\n');
  assert.equal(removeLines('a\n', { line: 'z' }), { content: 'a\n', removed: [] });
});

const SSHD = 'Port 22\nPermitRootLogin yes\n#PermitRootLogin prohibit-password\nUsePAM yes\nPermitRootLogin no\n';

test('state absent: check mode names every removed line, the run removes them, the second run is ok', async () => {
  const path = join(fresh(), 'sshd_config');
  writeFileSync(path, SSHD, { mode: 0o600 });
  const task = lineInFile({ path, regexp: '^#?PermitRootLogin ', state: 'absent' });
  const removed = [
    { field: 'line 2', from: 'PermitRootLogin yes', to: 'removed' },
    { field: 'line 3', from: '#PermitRootLogin prohibit-password', to: 'removed' },
    { field: 'line 5', from: 'PermitRootLogin no', to: 'removed' },
  ];
  const check = await runTask(task, new FakeConnection('x', true), { check: true });
  assert.is(check.status, 'would change', check.error);
  assert.equal(check.changes, removed);
  assert.match(check.diff ?? '', /\n-PermitRootLogin yes\n-#PermitRootLogin prohibit-password\n UsePAM yes\n-PermitRootLogin no\n/);
  assert.is(readFileSync(path, 'utf8'), SSHD, 'check mode wrote nothing');

  const first = await runTask(task, new FakeConnection('x', true));
  assert.is(first.status, 'changed', first.error);
  assert.equal(first.changes, removed);
  assert.is(readFileSync(path, 'utf8'), 'Port 22\nUsePAM yes\n');
  assert.is(mode(path), '600');

  const second = await runTask(task, new FakeConnection('x', true));
  assert.is(second.status, 'ok', second.error);
  assert.is(second.message, `${path} has no line matching /^#?PermitRootLogin /`);
});

test('state absent without regexp removes only lines equal to line; a missing file is ok, not an error', async () => {
  const dir = fresh();
  const path = join(dir, 'hosts.allow');
  writeFileSync(path, 'ALL: 10.0.0.1\nALL: 10.0.0.10\nALL: 10.0.0.1\n');
  const r = await runTask(lineInFile({ path, line: 'ALL: 10.0.0.1', state: 'absent' }), new FakeConnection('x', true));
  assert.is(r.status, 'changed', r.error);
  assert.is(readFileSync(path, 'utf8'), 'ALL: 10.0.0.10\n');
  const missing = join(dir, 'missing');
  const m = await runTask(lineInFile({ path: missing, line: 'x', state: 'absent' }), new FakeConnection('x', true));
  assert.is(m.status, 'ok', m.error);
  assert.is(m.message, `${missing} does not exist: no line "x"`);
  assert.not.ok(existsSync(missing), 'absent never creates the file');
});

const DEFAULTS = '# sourced by /etc/init.d/kamailio\nRUN_KAMAILIO=no\nUSER=kamailio\n';

test('validate (sh -n, a real checker): accepted content is installed, the check ran on a temporary file beside it', async () => {
  const dir = fresh();
  const seen = fresh();
  const path = join(dir, 'kamailio');
  writeFileSync(path, DEFAULTS, { mode: 0o640 });
  // The validator records what it was given: the path, the mode and the content it saw.
  const validate = `sh -n %s && echo %s > ${seen}/path && stat -c %a %s > ${seen}/mode && cat %s > ${seen}/content`;
  const r = await runTask(lineInFile({ path, line: 'RUN_KAMAILIO=yes', regexp: '^RUN_KAMAILIO=', validate }), new FakeConnection('x', true));
  assert.is(r.status, 'changed', r.error);
  const edited = DEFAULTS.replace('RUN_KAMAILIO=no', 'RUN_KAMAILIO=yes');
  assert.is(readFileSync(path, 'utf8'), edited);
  assert.match(readFileSync(join(seen, 'path'), 'utf8'), new RegExp(`^${dir}/\\.keel\\.[A-Za-z0-9]{6}\n$`));
  assert.is(readFileSync(join(seen, 'mode'), 'utf8'), '640\n', 'checked with the final mode');
  assert.is(readFileSync(join(seen, 'content'), 'utf8'), edited);
  assert.equal(readdirSync(dir), ['kamailio'], 'no temporary file left');
});

test('validate rejects: the old file stays, no temporary file is left, the task fails with the validator\'s message', async () => {
  const dir = fresh();
  const path = join(dir, 'kamailio');
  writeFileSync(path, DEFAULTS);
  const task = lineInFile({ path, line: 'RUN_KAMAILIO=$(', regexp: '^RUN_KAMAILIO=', validate: 'sh -n %s' });
  const check = await runTask(task, new FakeConnection('x', true), { check: true });
  assert.is(check.status, 'would change', 'check mode cannot run the validator: it predicts the edit');
  const r = await runTask(task, new FakeConnection('x', true));
  assert.is(r.status, 'failed');
  assert.match(r.error ?? '', /^write .*kamailio failed \(exit 5\): /);
  assert.match(r.error ?? '', /\.keel\.[A-Za-z0-9]{6}: \d+: Syntax error/, 'sh -n\'s own message');
  assert.match(r.error ?? '', `validate (sh -n %s) rejected the new content (exit 2): ${path} is unchanged`);
  assert.is(readFileSync(path, 'utf8'), DEFAULTS);
  assert.equal(readdirSync(dir), ['kamailio']);
});

test('validate also guards state absent; the plan carries it, and apply hands it to the atomic write', async () => {
  const path = '/etc/ssh/sshd_config';
  const task = lineInFile({ path, regexp: '^PermitRootLogin ', state: 'absent', validate: '/usr/sbin/sshd -t -f %s' });
  const content = 'PermitRootLogin yes\nUsePAM yes\n';
  const sha = createHash('sha256').update(content).digest('hex');
  const d = decideOn(task, { file: fileReadOutput(content, { mode: '600' }) });
  assert.equal(d.plan, {
    action: 'write',
    content: 'UsePAM yes\n',
    expectSha256: sha,
    mode: undefined,
    validate: '/usr/sbin/sshd -t -f %s',
  } satisfies LineInFilePlan);
  const { commands } = await applyPlan(task, d.plan);
  assert.is(commands.length, 1);
  assert.is(commands[0].stdin, 'UsePAM yes\n');
  assert.match(commands[0].command, `keel_out=$(sh -c '/usr/sbin/sshd -t -f "$1"' keel-validate "$tmp" 2>&1 < /dev/null)`);
  assert.ok(commands[0].command.indexOf('keel_out=') < commands[0].command.indexOf('mv -f "$tmp"'), 'validated before the rename');
});

test('a hostile path is handed to the validator as one argument: checked, edited, and no canary', async () => {
  const dir = fresh();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const path = join(dir, "v $(touch CANARY) `touch CANARY` 'q\" ;touch CANARY");
    writeFileSync(path, 'A=1\n');
    const r = await runTask(lineInFile({ path, line: 'B=2', validate: 'sh -n %s && test -s %s' }), new FakeConnection('x', true));
    assert.is(r.status, 'changed', r.error);
    assert.is(readFileSync(path, 'utf8'), 'A=1\nB=2\n');
    assert.is(existsSync(join(dir, 'CANARY')), false);
  } finally {
    process.chdir(cwd);
  }
});

test('schema: state present needs line, state absent needs regexp or line, validate needs %s', () => {
  assert.throws(() => lineInFile({ path: '/etc/x' }), /line: is required with state present/);
  assert.throws(() => lineInFile({ path: '/etc/x', state: 'absent' }), /regexp: state absent needs regexp or line/);
  assert.throws(() => lineInFile({ path: '/etc/x', line: 'a', validate: 'sshd -t' }), (e: unknown) => e instanceof ValidationError && /validate/.test((e as Error).message));
  assert.throws(() => lineInFile({ path: '/etc/x', line: 'a', state: 'gone' as never }), (e: unknown) => e instanceof ValidationError);
  lineInFile({ path: '/etc/x', regexp: '^a', state: 'absent', validate: 'sshd -t -f %s' });
});

test.run();
