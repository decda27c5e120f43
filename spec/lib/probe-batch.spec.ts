import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchScript, parseBatch } from '../../lib/probe-batch';

const entries = (commands: string[], timeoutSeconds = 30) => commands.map((command) => ({ command, timeoutSeconds }));

function runBatch(commands: string[], timeoutSeconds = 30) {
  const { script, marker } = batchScript(entries(commands, timeoutSeconds));
  const p = spawnSync('sh', ['-c', script]);
  return parseBatch(p.stdout, marker, commands.length);
}

test('many reads in one shell come back as separate results with their own exit codes', () => {
  const rs = runBatch(['echo one', 'echo two >&2; exit 3', 'printf "no newline"', 'true']);
  assert.equal(rs[0], { code: 0, stdout: 'one\n', stderr: '', timedOut: false });
  assert.equal(rs[1], { code: 3, stdout: '', stderr: 'two\n', timedOut: false });
  assert.equal(rs[2], { code: 0, stdout: 'no newline', stderr: '', timedOut: false });
  assert.equal(rs[3], { code: 0, stdout: '', stderr: '', timedOut: false });
});

test("a read whose output holds the batch's own random marker, header lines or multibyte text cannot confuse the split", () => {
  // The script is written to a file before it runs, so the first read can print the very marker
  // this batch uses (it is random: no read can know it otherwise).
  const file = join(mkdtempSync(join(tmpdir(), 'keel-batch-')), 'batch.sh');
  const commands = [`grep -o 'keel-[0-9a-f]\\{16\\}' ${file} | head -n1; echo '0 0 '; echo '5 0.o'; printf 'zz ✓ ü\\n'`, 'echo after'];
  const { script, marker } = batchScript(entries(commands));
  writeFileSync(file, script);
  const p = spawnSync('sh', [file]);
  const rs = parseBatch(p.stdout, marker, commands.length);
  assert.is(rs[0].stdout, `${marker}\n0 0 \n5 0.o\nzz ✓ ü\n`);
  assert.is(rs[1].stdout, 'after\n');
  assert.is(rs[1].code, 0);
});

test('reads run concurrently: the first waits for a file that only the second creates', () => {
  const flag = join(mkdtempSync(join(tmpdir(), 'keel-batch-')), 'flag');
  const rs = runBatch([
    `i=0; while [ ! -e ${flag} ]; do i=$((i+1)); [ $i -gt 50 ] && exit 1; sleep 0.1; done; echo saw it`,
    `sleep 0.2; touch ${flag}`,
  ]);
  assert.equal(rs[0], { code: 0, stdout: 'saw it\n', stderr: '', timedOut: false });
});

test('a read past its deadline is killed with its children and marked timed out; the others are not held up', () => {
  const started = Date.now();
  const { script, marker } = batchScript([
    { command: 'sleep 600', timeoutSeconds: 1 },
    { command: 'echo quick', timeoutSeconds: 30 },
    { command: 'exit 137', timeoutSeconds: 30 },
  ]);
  const p = spawnSync('sh', ['-c', script]);
  const rs = parseBatch(p.stdout, marker, 3);
  const elapsed = Date.now() - started;
  assert.is(rs[0].timedOut, true);
  assert.is(rs[0].code, 137);
  assert.is(rs[1].stdout, 'quick\n');
  assert.is(rs[2].timedOut, false, 'a command that exits 137 by itself was not killed');
  assert.ok(elapsed < 10_000, `the batch took ${elapsed} ms`);
});

test("a killed read's own children die with it; a quick read sharing its deadline keeps its result", () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'keel-batch-')), 'child.pid');
  const { script, marker } = batchScript([
    { command: `sleep 600 & echo $! >${pidFile}; wait`, timeoutSeconds: 1 },
    { command: 'echo fast', timeoutSeconds: 1 },
  ]);
  // A child left running would hold the batch's output open: the bound makes that a failure, not a hang.
  const rs = parseBatch(spawnSync('sh', ['-c', script], { timeout: 20_000 }).stdout, marker, 2);
  assert.is(rs[0].timedOut, true);
  assert.equal(rs[1], { code: 0, stdout: 'fast\n', stderr: '', timedOut: false });
  const child = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(child > 0);
  // Gone, or a zombie waiting for init to reap it: either way no longer running.
  const state = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8').replace(/^.*\) /s, '')[0] : 'gone';
  assert.ok(state === 'gone' || state === 'Z', `the read's child ${child} outlived its deadline (state ${state})`);
});

test('a read that does not parse fails alone; reads sharing a deadline share one timeout process', () => {
  const rs = runBatch(['if then (', 'echo fine']);
  assert.ok(rs[0].code !== 0 && !rs[0].timedOut, `code ${rs[0].code}`);
  assert.equal(rs[1], { code: 0, stdout: 'fine\n', stderr: '', timedOut: false });
  const { script } = batchScript([...entries(['true', 'true', 'true'], 30), ...entries(['true'], 5)]);
  assert.is(script.match(/^\$\{k:\+timeout -s KILL \d+\} sh -c /gm)?.length, 2, 'one timeout per distinct deadline, not one per read');
});

test("what the login shell prints before the batch (a .bashrc) is not taken for a read's output", () => {
  const { script, marker } = batchScript(entries(['echo one']));
  const p = spawnSync('sh', ['-c', `echo welcome; printf 'no newline'; ${script}`]);
  assert.equal(parseBatch(p.stdout, marker, 1), [{ code: 0, stdout: 'one\n', stderr: '', timedOut: false }]);
});

test('a batch starts the reads, two subshells per read, a timeout and a shell per deadline, mktemp, wc, cat and rm: no other process', () => {
  // In a new PID namespace the last PID handed out counts the processes. Three reads that start
  // nothing themselves (builtins) at two deadlines, then the counting `cat`: sh, mktemp,
  // 2 × (timeout, shell), 3 × (background job, subshell), wc, cat, rm, cat = 15 (17 when each
  // group went through a shell function, a background subshell of its own).
  const { script } = batchScript([...entries([':', ':'], 30), ...entries([':'], 5)]);
  const p = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `${script}cat /proc/sys/kernel/ns_last_pid >&2`]);
  assert.is(p.status, 0, p.stderr.toString());
  assert.is(Number(p.stderr.toString().trim().split('\n').pop()), 15);
});

test('output cut short is an error, never a wrong result', () => {
  const { script, marker } = batchScript(entries(['echo a', 'echo b']));
  const full = spawnSync('sh', ['-c', script]).stdout;
  assert.throws(() => parseBatch(full.subarray(0, full.length - 2), marker, 2), /ended early \(1 of 2 results\)/);
  assert.throws(() => parseBatch(Buffer.from('nothing'), marker, 2), /ended early \(0 of 2 results\)/);
});

test.run();
