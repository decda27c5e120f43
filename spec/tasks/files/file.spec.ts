import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../../lib/errors';
import { file, pathFact } from '../../../tasks/files';
import { FakeConnection } from '../../helpers/fake-connection';
import { debianFacts, decideOn, runTask } from '../../helpers/task-harness';
import { applyForReal, fresh, record, sh } from './real-sh';

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);
const readPath = (path: string, recurse?: { owner?: string; group?: string; mode?: string }) => {
  const fact = pathFact(path, recurse);
  return fact.parse(sh(fact.command(debianFacts)), debianFacts);
};

test('the path fact tells file, directory, link (target and what it resolves to), other, absent and a missing parent', () => {
  const d = fresh();
  writeFileSync(join(d, 'f'), 'x', { mode: 0o640 });
  chmodSync(join(d, 'f'), 0o640);
  mkdirSync(join(d, 'empty'));
  mkdirSync(join(d, 'full'));
  writeFileSync(join(d, 'full', 'a'), '');
  symlinkSync('full', join(d, 'to-dir'));
  const odd = "it's a\nnew line";
  symlinkSync(odd, join(d, 'dangling'));
  execFileSync('mkfifo', [join(d, 'fifo')]);
  assert.equal(readPath(join(d, 'f')), { type: 'file', parentExists: true, mode: '640', owner: 'root', group: 'root' });
  assert.equal(readPath(join(d, 'empty')), { type: 'directory', parentExists: true, mode: '755', owner: 'root', group: 'root', empty: true });
  assert.is(readPath(join(d, 'full')).empty, false);
  assert.equal(readPath(join(d, 'to-dir')), {
    type: 'link',
    parentExists: true,
    mode: '777',
    owner: 'root',
    group: 'root',
    target: 'full',
    resolved: { type: 'directory', mode: '755', owner: 'root', group: 'root' },
    empty: false,
  });
  const dangling = readPath(join(d, 'dangling'));
  assert.is(dangling.target, odd, 'a target with a quote and a newline comes back exactly');
  assert.equal(dangling.resolved, { type: 'absent', mode: undefined, owner: undefined, group: undefined });
  assert.is(readPath(join(d, 'fifo')).type, 'other');
  assert.equal(readPath(join(d, 'nothing')), { type: 'absent', parentExists: true });
  assert.equal(readPath(join(d, 'nothing', 'below')), { type: 'absent', parentExists: false });
});

test('the path fact counts the entries below that differ, links excluded', () => {
  const d = fresh();
  mkdirSync(join(d, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(d, 'tree', 'a'), '');
  writeFileSync(join(d, 'tree', 'sub', 'b'), '');
  chmodSync(join(d, 'tree', 'a'), 0o600);
  chmodSync(join(d, 'tree', 'sub', 'b'), 0o755);
  symlinkSync('/etc/passwd', join(d, 'tree', 'link'));
  // Below tree: sub (755), a (600), sub/b (755); the link is not counted.
  assert.equal(readPath(join(d, 'tree'), { mode: '0755', group: 'root' }).below, { owner: 0, group: 0, mode: 1 });
  assert.equal(readPath(join(d, 'tree'), { group: 'nogroup' }).below, { owner: 0, group: 3, mode: 0 });
});

test('directory: a missing one is created with its parents and mode; then ok', async () => {
  const d = fresh();
  const path = join(d, 'a', 'b');
  const task = file({ path, state: 'directory', mode: '0750', group: 'nogroup' });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [
    { field: 'directory', from: 'absent', to: 'created' },
    { field: 'mode', to: '750' },
    { field: 'group', to: 'nogroup' },
  ]);
  assert.is(decision.dependsOn, undefined, 'mkdir -p makes the parents: nothing rests on an earlier task');
  await applyForReal(task, decision.plan);
  assert.is(modeOf(path), '750');
  assert.is(execFileSync('stat', ['-c', '%G', path], { encoding: 'utf8' }).trim(), 'nogroup');
  const again = decideOn(task, record(task));
  assert.equal(again.changes, []);
  assert.is(again.ok, `${path} is a directory`);
});

test('directory with recurse: only differing entries below are changed, and a link below is never followed', async () => {
  const d = fresh();
  const tree = join(d, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeFileSync(join(tree, 'a'), '');
  writeFileSync(join(tree, 'sub', 'b'), '');
  chmodSync(join(tree, 'sub'), 0o700);
  const outside = join(d, 'outside');
  writeFileSync(outside, '', { mode: 0o600 });
  chmodSync(outside, 0o600);
  symlinkSync(outside, join(tree, 'sub', 'link'));
  const task = file({ path: tree, state: 'directory', recurse: true, mode: '0750', group: 'nogroup' });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [
    { field: 'mode', from: '755', to: '750' },
    { field: 'group', from: 'root', to: 'nogroup' },
    { field: 'mode below', from: '3 entries differ', to: '750' },
    { field: 'group below', from: '3 entries differ', to: 'nogroup' },
  ]);
  await applyForReal(task, decision.plan);
  for (const p of [tree, join(tree, 'a'), join(tree, 'sub'), join(tree, 'sub', 'b')]) {
    assert.is(modeOf(p), '750', p);
    assert.is(execFileSync('stat', ['-c', '%G', p], { encoding: 'utf8' }).trim(), 'nogroup', p);
  }
  assert.is(modeOf(outside), '600', 'the file a link below points to is untouched');
  assert.is(execFileSync('stat', ['-c', '%G', outside], { encoding: 'utf8' }).trim(), 'root');
  assert.equal(decideOn(task, record(task)).changes, []);
  // One hand change below is exactly what the next decision reports.
  chmodSync(join(tree, 'sub', 'b'), 0o644);
  assert.equal(decideOn(task, record(task)).changes, [{ field: 'mode below', from: '1 entry differs', to: '750' }]);
});

test('absent: a non-empty directory is refused without recurse and removed with it; a link to a directory removes the link only', async () => {
  const d = fresh();
  mkdirSync(join(d, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(d, 'tree', 'sub', 'x'), 'x');
  const refused = file({ path: join(d, 'tree'), state: 'absent' });
  assert.throws(() => decideOn(refused, record(refused)), /is a directory that is not empty: set recurse: true/);
  const task = file({ path: join(d, 'tree'), state: 'absent', recurse: true });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [{ field: 'path', from: 'directory (not empty)', to: 'absent' }]);
  await applyForReal(task, decision.plan);
  assert.not.ok(existsSync(join(d, 'tree')));
  assert.equal(decideOn(task, record(task)).changes, []);

  mkdirSync(join(d, 'keep'));
  writeFileSync(join(d, 'keep', 'y'), 'y');
  symlinkSync('keep', join(d, 'via'));
  const link = file({ path: join(d, 'via'), state: 'absent', recurse: true });
  const l = decideOn(link, record(link));
  assert.equal(l.changes, [{ field: 'path', from: 'link -> keep', to: 'absent' }]);
  await applyForReal(link, l.plan);
  assert.not.ok(existsSync(join(d, 'via')));
  assert.is(readFileSync(join(d, 'keep', 'y'), 'utf8'), 'y', 'the directory the link pointed to is intact');

  mkdirSync(join(d, 'empty'));
  const empty = file({ path: join(d, 'empty'), state: 'absent' });
  const e = decideOn(empty, record(empty));
  assert.is(e.plan.action, 'rmdir', 'an empty directory needs no recurse');
  await applyForReal(empty, e.plan);
  assert.not.ok(existsSync(join(d, 'empty')));
});

test('absent: rmdir planned on an empty directory fails if it filled up since it was read', async () => {
  const d = fresh();
  mkdirSync(join(d, 'e'));
  const task = file({ path: join(d, 'e'), state: 'absent' });
  const decision = decideOn(task, record(task));
  writeFileSync(join(d, 'e', 'late'), '');
  const error = await applyForReal(task, decision.plan).then(() => undefined, (err: Error) => err.message);
  assert.match(error ?? 'it succeeded', /not empty/);
  assert.ok(existsSync(join(d, 'e', 'late')));
});

test('link: created, ok when it points right, retargeted in one rename, a file replaced only with force, a directory never', async () => {
  const d = fresh();
  const path = join(d, 'current');
  const task = file({ path, state: 'link', src: 'releases/2' });
  const created = decideOn(task, record(task));
  assert.equal(created.changes, [{ field: 'link', from: 'absent', to: 'releases/2' }]);
  await applyForReal(task, created.plan);
  assert.is(readlinkSync(path), 'releases/2', 'a relative target is stored as given');
  assert.equal(decideOn(task, record(task)).changes, []);

  const older = file({ path, state: 'link', src: 'releases/1' });
  const retarget = decideOn(older, record(older));
  assert.equal(retarget.changes, [{ field: 'link', from: 'releases/2', to: 'releases/1' }]);
  const commands = await applyForReal(older, retarget.plan);
  assert.match(commands[0].command, 'mv -fT', 'the new link is renamed over the old one');
  assert.is(readlinkSync(path), 'releases/1');

  const f = join(d, 'plain');
  writeFileSync(f, 'data');
  const noForce = file({ path: f, state: 'link', src: '/etc/hostname' });
  assert.throws(() => decideOn(noForce, record(noForce)), /is a file: set force: true/);
  const force = file({ path: f, state: 'link', src: '/etc/hostname', force: true });
  const replaced = decideOn(force, record(force));
  assert.equal(replaced.changes, [{ field: 'link', from: 'file', to: '/etc/hostname' }]);
  await applyForReal(force, replaced.plan);
  assert.ok(lstatSync(f).isSymbolicLink());

  mkdirSync(join(d, 'dir'));
  const onDir = file({ path: join(d, 'dir'), state: 'link', src: '/tmp', force: true });
  assert.throws(() => decideOn(onDir, record(onDir)), /is a directory: a link cannot replace it/);
});

test('link: a missing parent directory rests on an earlier task', () => {
  const d = fresh();
  const task = file({ path: join(d, 'no', 'link'), state: 'link', src: '/x' });
  assert.is(decideOn(task, record(task)).dependsOn, `${join(d, 'no')} does not exist yet`);
});

test('touch: creates an empty file once; an existing file keeps its content and times', async () => {
  const d = fresh();
  const path = join(d, 'log');
  const task = file({ path, state: 'touch', mode: '0600' });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [
    { field: 'file', from: 'absent', to: 'created' },
    { field: 'mode', to: '600' },
  ]);
  await applyForReal(task, decision.plan);
  assert.is(readFileSync(path, 'utf8'), '');
  assert.is(modeOf(path), '600');
  writeFileSync(path, 'kept');
  utimesSync(path, 1_000_000, 1_000_000);
  const conn = new FakeConnection('x', true);
  const again = await runTask(task, conn);
  assert.is(again.status, 'ok');
  assert.is(readFileSync(path, 'utf8'), 'kept');
  assert.is(statSync(path).mtimeMs, 1_000_000_000, 'not touched again: a second run changes nothing');
});

test('file: an existing file gets its attributes; a missing one is refused at apply and rests on an earlier task', async () => {
  const d = fresh();
  const path = join(d, 'conf');
  const missing = file({ path, state: 'file', mode: '0640' });
  const m = decideOn(missing, record(missing));
  assert.is(m.dependsOn, `${path} does not exist yet`);
  assert.is(m.plan.action, 'refuse');
  const conn = new FakeConnection('x', true);
  const failed = await runTask(missing, conn);
  assert.is(failed.status, 'failed');
  assert.match(failed.error!, 'does not exist (state file never creates it; use touch)');
  assert.not.ok(existsSync(path));
  writeFileSync(path, 'x', { mode: 0o644 });
  chmodSync(path, 0o644);
  const r = await runTask(missing, conn);
  assert.equal(r.changes, [{ field: 'mode', from: '644', to: '640' }]);
  assert.is(modeOf(path), '640');
  mkdirSync(join(d, 'dir'));
  const onDir = file({ path: join(d, 'dir'), state: 'file' });
  assert.throws(() => decideOn(onDir, record(onDir)), /is a directory, not a file/);
});

test('a link is followed for directory, file and touch: attributes go to its target', async () => {
  const d = fresh();
  mkdirSync(join(d, 'real'));
  symlinkSync('real', join(d, 'alias'));
  const task = file({ path: join(d, 'alias'), state: 'directory', mode: '0700' });
  const decision = decideOn(task, record(task));
  assert.equal(decision.changes, [{ field: 'mode', from: '755', to: '700' }]);
  await applyForReal(task, decision.plan);
  assert.is(modeOf(join(d, 'real')), '700');
  assert.ok(lstatSync(join(d, 'alias')).isSymbolicLink());
});

test('check mode predicts exactly what apply then changes, through the engine', async () => {
  const d = fresh();
  mkdirSync(join(d, 'old', 'deep'), { recursive: true });
  writeFileSync(join(d, 'old', 'deep', 'f'), '');
  const tasks = [
    file({ path: join(d, 'srv'), state: 'directory', mode: '0711' }),
    file({ path: join(d, 'old'), state: 'absent', recurse: true }),
    file({ path: join(d, 'cur'), state: 'link', src: 'srv' }),
  ];
  const conn = new FakeConnection('x', true);
  for (const t of tasks) {
    const check = await runTask(t, conn, { check: true });
    assert.is(check.status, 'would change', check.error);
    const apply = await runTask(t, conn);
    assert.is(apply.status, 'changed', apply.error);
    assert.equal(apply.changes, check.changes);
    assert.is((await runTask(t, conn)).status, 'ok');
  }
});

test('parameters that cannot work together fail when the task is built', () => {
  const bad = (p: Parameters<typeof file>[0], field: string) => {
    try {
      file(p);
    } catch (err) {
      assert.instance(err, ValidationError);
      assert.match((err as Error).message, field);
      return;
    }
    assert.unreachable(`accepted ${JSON.stringify(p)}`);
  };
  bad({ path: '/x', state: 'link' }, 'src: is required with state link');
  bad({ path: '/x', state: 'directory', src: '/y' }, 'src: is only for state link');
  bad({ path: '/x', state: 'link', src: '/y', mode: '0644' }, 'mode: cannot be set on a link');
  bad({ path: '/x', state: 'touch', recurse: true }, 'recurse: is only for state directory or absent');
  bad({ path: '/x', state: 'absent', owner: 'root' }, 'absent takes no mode, owner or group');
  bad({ path: '/x', state: 'gone' as never }, 'state: must be one of');
  bad({ path: 'relative', state: 'touch' }, 'path');
});

test.run();
