import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { command } from '../../tasks/command';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask } from '../helpers/task-harness';

const fresh = () => mkdtempSync(join(tmpdir(), 'keel-command-'));
const local = () => new FakeConnection('x', true);

test('creates: check mode predicts "run", the first run runs, the second is ok', async () => {
  const marker = join(fresh(), 'authkey');
  const cmd = sh`echo key > ${marker}`;
  const task = command({ cmd, creates: marker });

  const check = await runTask(task, local(), { check: true });
  assert.is(check.status, 'would change');
  assert.equal(check.changes, [{ field: 'command', to: `run: ${cmd}` }]);
  assert.is(existsSync(marker), false);

  const first = await runTask(task, local());
  assert.is(first.status, 'changed', first.error);
  assert.equal(first.output, { code: 0, stdout: '', stderr: '' });
  assert.is(readFileSync(marker, 'utf8'), 'key\n');

  const conn = local();
  const second = await runTask(task, conn);
  assert.is(second.status, 'ok');
  assert.is(second.message, `${marker} exists`);
  assert.equal(conn.commands.map((c) => c.command), [sh`test -e ${marker}`]);
});

test('removes: an absent path is ok; a present one runs the command', async () => {
  const path = join(fresh(), 'old');
  const task = command({ cmd: sh`rm ${path}`, removes: path });
  const absent = await runTask(task, local());
  assert.is(absent.status, 'ok');
  assert.is(absent.message, `${path} does not exist`);
  writeFileSync(path, '');
  assert.is((await runTask(task, local())).status, 'changed');
  assert.is(existsSync(path), false);
});

test('unless exiting 0 and onlyIf exiting non-zero are ok, also in check mode', async () => {
  const u = await runTask(command({ cmd: 'false', unless: 'true' }), local(), { check: true });
  assert.is(u.status, 'ok');
  assert.is(u.message, 'unless succeeded: true');
  const o = await runTask(command({ cmd: 'false', onlyIf: 'exit 3' }), local());
  assert.is(o.status, 'ok');
  assert.is(o.message, 'onlyIf failed (exit 3): exit 3');
});

test('guards that say run: the command runs, with stdin, and its output is kept', async () => {
  const res = await runTask(command({ cmd: 'cat; echo done >&2', unless: 'false', onlyIf: 'true', stdin: 'hello\n' }), local());
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.output, { code: 0, stdout: 'hello\n', stderr: 'done\n' });
});

test('a non-zero exit fails with the command and its output', async () => {
  const res = await runTask(command({ cmd: 'echo boom >&2; exit 4' }), local());
  assert.is(res.status, 'failed');
  assert.is(res.error, 'command failed (exit 4): echo boom >&2; exit 4: boom');
});

test('changedWhen may say not changed; the output is still returned', async () => {
  const seen: unknown[] = [];
  const task = command({
    cmd: 'echo "nothing to do"',
    changedWhen: (r) => {
      seen.push(r);
      return !r.stdout.includes('nothing to do');
    },
  });
  const res = await runTask(task, local());
  assert.is(res.status, 'ok');
  assert.equal(res.changes, []);
  assert.equal(res.output, { code: 0, stdout: 'nothing to do\n', stderr: '' });
  assert.equal(seen, [{ code: 0, stdout: 'nothing to do\n', stderr: '' }]);
});

test('hostile creates/removes paths are quoted: no canary, and the guard still works', async () => {
  const dir = fresh();
  const cwd = process.cwd();
  process.chdir(dir); // a relative `touch CANARY` would land here
  try {
    const hostile = join(dir, "x $(touch CANARY) `touch CANARY` 'q\" ;touch CANARY\nnext line");
    const task = command({ cmd: sh`touch ${hostile}`, creates: hostile, removes: join(dir, '$(touch CANARY)') });
    // removes names an absent path: ok without running.
    assert.is((await runTask(task, local())).status, 'ok');
    const made = command({ cmd: sh`touch ${hostile}`, creates: hostile });
    assert.is((await runTask(made, local())).status, 'changed');
    assert.is(existsSync(hostile), true);
    const again = await runTask(made, local());
    assert.is(again.status, 'ok');
    assert.is(existsSync(join(dir, 'CANARY')), false);
  } finally {
    process.chdir(cwd);
  }
});

test('validation: changedWhen must be a function; paths absolute; no unknown fields', () => {
  assert.throws(
    () => command({ cmd: 'true', changedWhen: 'yes' as never }),
    (e: unknown) => e instanceof ValidationError && e.problems[0].path === 'changedWhen',
  );
  assert.throws(() => command({ cmd: 'true', creates: 'relative' }), /creates: must match pattern/);
  assert.throws(() => command({ cmd: '' }), (e: unknown) => e instanceof ValidationError);
  assert.throws(() => command({ cmd: 'true', chdir: '/tmp' } as never), /chdir: is not a known field/);
});

test('the guards are facts with quoted paths; a command without guards reads nothing', () => {
  const t = command({ cmd: 'x', creates: '/a b', removes: '/c', unless: 'u', onlyIf: 'o' });
  assert.equal(
    Object.entries(t.definition.facts).map(([k, f]) => [k, f.command(debianFacts)]),
    [['creates', "test -e '/a b'"], ['removes', 'test -e /c'], ['unless', 'u'], ['onlyIf', 'o']],
  );
  assert.equal(Object.keys(command({ cmd: 'x' }).definition.facts), []);
});

test.run();
