import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchScript, CUT_SHORT, parseBatch, type Batch, type BatchResult } from '../../lib/probe-batch';
import { inPidNamespace } from '../helpers/pid-namespace';

const entries = (commands: string[], timeoutSeconds = 30) => commands.map((command) => ({ command, timeoutSeconds }));

/**
 * Runs a batch in a real sh; each result without its stdout bytes (the text is compared; a test of
 * its own checks the bytes). Typed as results: a test that expects `CUT_SHORT` compares it as is.
 */
function run(batch: Batch, options: { timeout?: number; before?: string } = {}) {
  const p = spawnSync('sh', ['-c', (options.before ?? '') + batch.script], { timeout: options.timeout });
  return parseBatch(batch, p.stdout, p.stderr.toString()).map((r) => {
    if (!r || r === CUT_SHORT) return r as undefined;
    const { stdoutBytes, ...rest } = r;
    assert.is(stdoutBytes?.toString(), r.stdout);
    return rest;
  });
}

const runBatch = (commands: string[], timeoutSeconds = 30) => run(batchScript(entries(commands, timeoutSeconds)));

/** Gone, or a zombie waiting for init to reap it: either way no longer running. */
function stopped(pid: number): boolean {
  const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] : 'gone';
  return state === 'gone' || state === 'Z';
}

test('many reads in one shell come back as separate results with their own exit codes', () => {
  const rs = runBatch(['echo one', 'echo two >&2; exit 3', 'printf "no newline"', 'true', 'cd /; exit 4', 'pwd >/dev/null; echo still here']);
  assert.equal(rs[0], { code: 0, stdout: 'one\n', stderr: '', timedOut: false });
  assert.equal(rs[1], { code: 3, stdout: '', stderr: 'two\n', timedOut: false });
  assert.equal(rs[2], { code: 0, stdout: 'no newline', stderr: '', timedOut: false });
  assert.equal(rs[3], { code: 0, stdout: '', stderr: '', timedOut: false });
  assert.equal(rs[4], { code: 4, stdout: '', stderr: '', timedOut: false }, 'a read that exits ends only itself');
  assert.equal(rs[5], { code: 0, stdout: 'still here\n', stderr: '', timedOut: false });
});

test("a read whose output holds the batch's own script (a ps of the host), boundary-like lines or multibyte text cannot confuse the split", () => {
  // The read prints its parent's command line: the group's script, with every marker of the batch in it.
  const commands = [`tr '\\0' '\\n' </proc/$PPID/cmdline; printf '\\n0\\n r 1 0\\nzz ✓ ü\\n'; echo err >&2`, 'echo after; printf "no newline" >&2'];
  const batch = batchScript(entries(commands));
  const rs = run(batch);
  assert.ok(rs[0]!.stdout.includes(`${batch.marker} r 1`), 'the read printed the markers');
  assert.ok(rs[0]!.stdout.endsWith('\n0\n r 1 0\nzz ✓ ü\n'));
  assert.is(rs[0]!.stderr, 'err\n');
  assert.equal(rs[1], { code: 0, stdout: 'after\n', stderr: 'no newline', timedOut: false });
});

test("what the login shell prints before the batch (a .bashrc), on either stream, is not taken for a read's output", () => {
  const batch = batchScript(entries(['echo one; echo oops >&2']));
  const rs = run(batch, { before: "echo welcome; printf 'no newline'; echo warning >&2; printf 'half' >&2\n" });
  assert.equal(rs, [{ code: 0, stdout: 'one\n', stderr: 'oops\n', timedOut: false }]);
});

test('a batch starts the reads, a subshell per read, one timeout and one shell, no other process', () => {
  // In a new PID namespace the last PID handed out is the number of processes started. Three
  // reads that start nothing themselves (builtins) at two deadlines, then the counting `cat`:
  // sh, 3 subshells, timeout, shell, cat = 7. (A timeout and a shell per distinct deadline took 9;
  // reads run concurrently into temporary files took 15: mktemp, wc, cat, rm and a background job per read besides.)
  const batch = batchScript([...entries([':', ':'], 30), ...entries([':'], 5)]);
  const p = inPidNamespace(batch.script);
  assert.is(p.status, 0, p.stderr);
  assert.is(p.lastPid, 7, `processes started: ${p.lastPid}`);
  assert.is(batch.script.match(/^\$\{k:\+timeout -s KILL \d+\} sh -c /gm)?.length, 1, 'one timeout for the batch, not one per deadline or per read');
  assert.equal(batch.order, [2, 0, 1], 'shortest deadline first');
  assert.is(batch.seconds, 5, 'under the shortest deadline');
  assert.is(batch.unkilledSeconds, 35, 'a host without timeout: the client waits the sum of the distinct deadlines');
});

test("a read that declares it leaves the shell as it was (Fact.sharesShell) runs without a subshell of its own: its exit code and output stay its own (its variables persist, hence facts name theirs keel_*)", () => {
  const shared = [
    { command: 'keel_x=1; echo shared', timeoutSeconds: 30, sharesShell: true },
    { command: 'echo "[${keel_x:-}]"; false', timeoutSeconds: 30, sharesShell: true },
    { command: 'echo after', timeoutSeconds: 30 },
  ];
  const rs = run(batchScript(shared));
  assert.equal(rs[0], { code: 0, stdout: 'shared\n', stderr: '', timedOut: false });
  assert.is(rs[1]!.code, 1, "a shared read's own exit code");
  assert.is(rs[1]!.stdout, '[1]\n', 'the same shell: the first read\'s variable is still set');
  assert.equal(rs[2], { code: 0, stdout: 'after\n', stderr: '', timedOut: false });
  // sh, one subshell (the third read's), timeout, shell, the counting cat = 5.
  const batch = batchScript(shared.map((e) => ({ ...e, command: ':' })));
  const p = inPidNamespace(batch.script);
  assert.is(p.lastPid, 5, p.stderr);
});

test('a shared read that ends the shell after all (`exit`) reports that exit code, not a timeout; the reads after it are read again', () => {
  const rs = run(
    batchScript([
      { command: 'echo bye; exit 3', timeoutSeconds: 30, sharesShell: true },
      { command: 'echo never', timeoutSeconds: 30 },
    ]),
  );
  assert.equal(rs[0], { code: 3, stdout: 'bye\n', stderr: '', timedOut: false });
  assert.is(rs[1], undefined);
});

test('a read past its deadline is killed and marked timed out; the reads after it, with later deadlines, are left to be read again', () => {
  const started = Date.now();
  const rs = run(
    batchScript([
      { command: 'echo quick', timeoutSeconds: 30 },
      { command: 'sleep 600', timeoutSeconds: 1 },
      { command: 'exit 137', timeoutSeconds: 30 },
    ]),
  );
  const elapsed = Date.now() - started;
  assert.is(rs[1]!.timedOut, true, 'the shortest deadline runs first, and has all of it');
  assert.is(rs[1]!.code, 137);
  assert.is(rs[0], undefined, 'never began: its own deadline has not run');
  assert.is(rs[2], undefined);
  assert.ok(elapsed < 10_000, `the batch took ${elapsed} ms`);
});

test('a command that exits 137 by itself was not killed', () => {
  assert.equal(runBatch(['exit 137', 'echo after']), [
    { code: 137, stdout: '', stderr: '', timedOut: false },
    { code: 0, stdout: 'after\n', stderr: '', timedOut: false },
  ]);
});

test("a killed read's own children die with it, and it keeps what it printed; a read not begun is left to be read again", () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'keel-batch-')), 'child.pid');
  const batch = batchScript([
    { command: `echo partial; echo warn >&2; sleep 600 & echo $! >${pidFile}; wait`, timeoutSeconds: 1 },
    { command: 'echo never', timeoutSeconds: 1 },
    { command: 'echo later deadline', timeoutSeconds: 2 },
  ]);
  // A child left running would hold the batch's output open: the bound makes that a failure, not a hang.
  const rs = run(batch, { timeout: 20_000 });
  assert.equal(rs[0], { code: 137, stdout: 'partial\n', stderr: 'warn\n', timedOut: true });
  assert.is(rs[1], undefined, 'never began: its own deadline has not run');
  assert.is(rs[2], undefined, 'nor this one');
  assert.is(batch.seconds, 1, 'one deadline for the batch: its shortest read\'s');
  const child = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(child > 0);
  assert.ok(stopped(child), `the read's child ${child} outlived its deadline`);
});

test('a read killed after another of its group took part of their time is not timed out: it is left to be read again, under its own deadline', () => {
  const rs = run(
    batchScript([
      { command: 'sleep 0.6; echo slow', timeoutSeconds: 1 },
      { command: 'echo started; sleep 600', timeoutSeconds: 1 },
    ]),
    { timeout: 20_000 },
  );
  assert.equal(rs[0], { code: 0, stdout: 'slow\n', stderr: '', timedOut: false });
  assert.is(rs[1], CUT_SHORT, 'had ~0.4 s of its 1 s');
});

test("each read's stderr boundary comes before its stdout boundary: a read killed between the two is reported killed, with all its output", () => {
  const batch = batchScript(entries(['echo a; echo e >&2', 'echo b'], 5));
  // One stream for both: the order the script writes them in.
  const merged = spawnSync('sh', ['-c', `exec 2>&1\n${batch.script}`]).stdout.toString();
  const errAt = merged.indexOf(`\n${batch.marker} r 0\n`);
  const outAt = merged.indexOf(`\n${batch.marker} r 0 0\n`);
  assert.ok(errAt >= 0 && outAt > errAt, `stderr's boundary at ${errAt}, stdout's at ${outAt}`);
  // What a kill between them leaves: stderr with read 0's boundary, stdout without it, then `g`.
  const m = batch.marker;
  const rs = parseBatch(batch, `\n${m} s\na\n\n${m} g 137\n`, `\n${m} s\ne\n\n${m} r 0\n\n${m} g\n`);
  assert.equal(rs, [{ code: 137, stdout: 'a\n', stdoutBytes: Buffer.from('a\n'), stderr: 'e\n', timedOut: true }, undefined]);
});

test("each read's stdout comes back as the exact bytes it wrote, text or not", () => {
  const batch = batchScript(entries(["printf '\\000\\377\\376\\200\\n'", "printf 'ü\\n'"]));
  const p = spawnSync('sh', ['-c', batch.script]);
  const rs = parseBatch(batch, p.stdout, p.stderr.toString()) as BatchResult[];
  assert.equal([...rs[0]!.stdoutBytes!], [0x00, 0xff, 0xfe, 0x80, 0x0a]);
  assert.is(rs[1]!.stdout, 'ü\n');
});

test('a read that does not parse fails alone', () => {
  const rs = runBatch(['if then (', 'echo fine']);
  assert.ok(rs[0]!.code !== 0 && !rs[0]!.timedOut, `code ${rs[0]!.code}`);
  assert.equal(rs[1], { code: 0, stdout: 'fine\n', stderr: '', timedOut: false });
});

test('output cut short is an error, never a wrong result', () => {
  const batch = batchScript([...entries(['echo a'], 30), ...entries(['echo b'], 5)]);
  const p = spawnSync('sh', ['-c', batch.script]);
  const [out, err] = [p.stdout.toString(), p.stderr.toString()];
  assert.throws(() => parseBatch(batch, out.slice(0, -2), err), /ended early \(no end boundary; 2 of 2 results\)/);
  assert.throws(() => parseBatch(batch, out, err.slice(0, -2)), /ended early \(no end boundary; 2 of 2 results\)/);
  const cut = out.slice(0, out.indexOf(`\n${batch.marker} r 0 `));
  assert.throws(() => parseBatch(batch, cut, err), /ended early \(no end boundary; 1 of 2 results\)/, 'cut inside the second read (b ran first)');
  assert.throws(() => parseBatch(batch, 'nothing', ''), /ended early \(no end boundary; 0 of 2 results\)/);
  assert.throws(() => parseBatch(batch, out.replace(`\n${batch.marker} s\n`, ''), err), /ended early \(no end boundary; 0 of 2 results\)/, 'no start boundary');
});

test.run();
