import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../lib/errors';
import type { ExecResult } from '../../lib/types';
import { sysctl, sysctlFact } from '../../tasks/sysctl';
import { applyPlan, debianFacts, decideOn, factCommand, fileReadOutput } from '../helpers/task-harness';

/**
 * Unit level only: live values come from output recorded with `sysctl -n` (spec/fixtures/sysctl),
 * and apply's commands are recorded, never run. The file part runs in a temp dir below; live
 * values are set for real only in a network namespace of its own (spec/integration/system-modules).
 */
const dir = join(__dirname, '..', 'fixtures', 'sysctl');
const recorded = (name: string): ExecResult => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const fileOut = (content: string, mode = '644') => fileReadOutput(content, { mode });
const PATH = '/etc/sysctl.d/60-keel.conf';
const task = sysctl({ name: '60-keel', settings: { 'net.ipv4.ip_forward': 1, 'net.ipv4.tcp_rmem': '4096 131072 33554432' } });
const WANTED = 'net.ipv4.ip_forward = 1\nnet.ipv4.tcp_rmem = 4096 131072 33554432\n';

test('the live fact: a value, tabs read as blanks, and a key the kernel does not have', () => {
  assert.is(factCommand(task, 'live net.ipv4.ip_forward'), 'sysctl -n net.ipv4.ip_forward');
  assert.equal(sysctlFact('net.ipv4.ip_forward').parse(recorded('ip_forward'), debianFacts), { exists: true, value: '0' });
  assert.equal(sysctlFact('net.ipv4.tcp_rmem').parse(recorded('tcp_rmem'), debianFacts), { exists: true, value: '4096\t131072\t33554432' });
  assert.equal(sysctlFact('net.keel.nosuch').parse(recorded('nosuch'), debianFacts), { exists: false });
  assert.throws(() => sysctlFact('x').parse({ code: 1, stdout: '', stderr: 'sysctl: permission denied on key "x"' }, debianFacts), (e: unknown) => e instanceof KeelError);
});

test('no file and ip_forward 0: the file is written and only the live value that differs is set', async () => {
  const d = decideOn(task, { file: 'absent\n', 'live net.ipv4.ip_forward': recorded('ip_forward'), 'live net.ipv4.tcp_rmem': recorded('tcp_rmem') });
  assert.equal(d.changes, [
    { field: PATH, to: 'created' },
    { field: 'net.ipv4.ip_forward', from: '0', to: '1' },
  ]);
  assert.match(d.diff ?? '', '+net.ipv4.ip_forward = 1\n+net.ipv4.tcp_rmem = 4096 131072 33554432');
  const { commands } = await applyPlan(task, d.plan, (c) => (c === 'sysctl -n net.ipv4.ip_forward' ? { stdout: '1\n' } : undefined));
  assert.equal(commands.slice(1).map((c) => c.command), ['sysctl -w net.ipv4.ip_forward=1', 'sysctl -n net.ipv4.ip_forward']);
  assert.match(commands[0].command, `mv -f "$tmp" ${PATH}`);
  assert.match(commands[0].command, 'chown root:root "$tmp"');
  assert.is(commands[0].stdin, WANTED);
});

test('file and kernel agree: ok, with no command planned', () => {
  const d = decideOn(task, { file: fileOut(WANTED), 'live net.ipv4.ip_forward': '1\n', 'live net.ipv4.tcp_rmem': recorded('tcp_rmem') });
  assert.equal(d.changes, []);
  assert.is(d.ok, `${PATH} and the kernel have net.ipv4.ip_forward, net.ipv4.tcp_rmem`);
});

test('a value reset by hand (sysctl -w) is the one change; the file is not rewritten', async () => {
  const d = decideOn(task, { file: fileOut(WANTED), 'live net.ipv4.ip_forward': recorded('ip_forward'), 'live net.ipv4.tcp_rmem': recorded('tcp_rmem') });
  assert.equal(d.changes, [{ field: 'net.ipv4.ip_forward', from: '0', to: '1' }]);
  assert.is(d.diff, undefined);
  const { commands } = await applyPlan(task, d.plan, (c) => (c.startsWith('sysctl -n') ? { stdout: '1\n' } : c.startsWith('sysctl -w') ? recorded('w-ip_forward') : undefined));
  assert.equal(commands.map((c) => c.command), ['sysctl -w net.ipv4.ip_forward=1', 'sysctl -n net.ipv4.ip_forward']);
});

test('a hand-edited file is a content change with a diff; a wrong mode alone is a chmod', async () => {
  const edited = decideOn(task, { file: fileOut('net.ipv4.ip_forward = 0\n'), 'live net.ipv4.ip_forward': '1\n', 'live net.ipv4.tcp_rmem': recorded('tcp_rmem') });
  assert.equal(edited.changes.map((c) => c.field), [`${PATH} content`]);
  assert.match(edited.diff ?? '', '-net.ipv4.ip_forward = 0\n+net.ipv4.ip_forward = 1');
  const mode = decideOn(task, { file: fileOut(WANTED, '664'), 'live net.ipv4.ip_forward': '1\n', 'live net.ipv4.tcp_rmem': recorded('tcp_rmem') });
  assert.equal(mode.changes, [{ field: `${PATH} mode`, from: '664', to: '644' }]);
  const { commands } = await applyPlan(task, mode.plan);
  assert.equal(commands.map((c) => c.command), [`set -e\nchmod 0644 ${PATH}`]);
});

test('a kernel parameter that does not exist yet makes the prediction depend on earlier changes', () => {
  const t = sysctl({ name: 'bridge', settings: { 'net.keel.nosuch': 1 } });
  const d = decideOn(t, { file: 'absent\n', 'live net.keel.nosuch': recorded('nosuch') });
  assert.equal(d.changes[1], { field: 'net.keel.nosuch', from: '(no such parameter)', to: '1' });
  assert.is(d.dependsOn, 'kernel parameter net.keel.nosuch does not exist yet (a module not loaded?)');
  const noDir = decideOn(sysctl({ name: 'x', dir: '/nonexistent', settings: { 'net.ipv4.ip_forward': 0 } }), { file: 'noparent\n', 'live net.ipv4.ip_forward': recorded('ip_forward') });
  assert.is(noDir.dependsOn, '/nonexistent does not exist yet');
});

test('apply fails when sysctl -w fails, or when the kernel does not keep the value written', async () => {
  const d = decideOn(task, { file: fileOut(WANTED), 'live net.ipv4.ip_forward': recorded('ip_forward'), 'live net.ipv4.tcp_rmem': recorded('tcp_rmem') });
  try {
    await applyPlan(task, d.plan, (c) => (c.startsWith('sysctl -w') ? recorded('w-invalid') : undefined));
    assert.unreachable('sysctl -w failed');
  } catch (err) {
    assert.match((err as Error).message, 'Invalid argument');
  }
  try {
    await applyPlan(task, d.plan, (c) => (c.startsWith('sysctl -n') ? { stdout: '0\n' } : undefined));
    assert.unreachable('the value read back differs');
  } catch (err) {
    assert.is((err as Error).message, 'net.ipv4.ip_forward: set to 1, but the kernel has 0: write the value as the kernel prints it');
  }
});

test('bad keys and values fail before any host is contacted', () => {
  const invalid = (settings: Record<string, unknown>) =>
    assert.throws(() => sysctl({ name: 'x', settings } as never), (e: unknown) => e instanceof ValidationError);
  invalid({});
  invalid({ 'net.ipv4.conf.*.rp_filter': 1 });
  invalid({ '-net.ipv4.ip_forward': 1 });
  invalid({ 'net.ipv4.ip_forward': 1.5 });
  invalid({ 'net.ipv4.ip_forward': '1\nkernel.panic = 1' });
  invalid({ 'net.ipv4.ip_forward': ' ' });
  assert.throws(() => sysctl({ name: '../x', settings: { a: 1 } }), (e: unknown) => e instanceof ValidationError);
});

test('the file part, written for real in a temp dir: 0644, exactly the key = value lines', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keel-sysctl-'));
  const t = sysctl({ name: 'keel', dir: tmp, settings: { 'net.ipv4.ip_forward': 1 } });
  const d = decideOn(t, { file: spawnSync('sh', ['-c', factCommand(t, 'file')], { encoding: 'utf8' }).stdout, 'live net.ipv4.ip_forward': '1\n' });
  assert.equal(d.changes, [{ field: `${tmp}/keel.conf`, to: 'created' }]);
  assert.equal(d.plan.set, [], 'the live value already agrees: no sysctl -w');
  const { commands } = await applyPlan(t, d.plan);
  const w = spawnSync('sh', ['-c', commands[0].command], { input: commands[0].stdin, encoding: 'utf8' });
  assert.is(w.status, 0, w.stderr);
  assert.is(readFileSync(`${tmp}/keel.conf`, 'utf8'), 'net.ipv4.ip_forward = 1\n');
  assert.is((statSync(`${tmp}/keel.conf`).mode & 0o777).toString(8), '644');
  const again = decideOn(t, { file: spawnSync('sh', ['-c', factCommand(t, 'file')], { encoding: 'utf8' }).stdout, 'live net.ipv4.ip_forward': '1\n' });
  assert.equal(again.changes, [], 'the second read is ok');
});

test.run();
