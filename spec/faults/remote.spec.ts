/**
 * Faults 3 and 4: a remote command that hangs past its timeout, and a file system that fills
 * up during writeFile. Both on a real sshd, through the real CLI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { descendants, FIXTURES, fleetInventory, keelTempFiles } from './support';
import { suiteUnless } from '../helpers/not-run';

let fleet: SshdFleet;
let mounted: string | undefined;

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  if (mounted) execFileSync('umount', [mounted]);
  await fleet?.stop();
});

for (const [i, hang] of ['sleep 600', 'echo started; sleep 600; echo never'].entries()) {
  test(`a hanging remote command (${hang}) fails with a timeout within a few seconds and is killed on the host`, async () => {
    const marker = join(fleet.hosts[0].root, `hang-started-${i}`);
    const cmd = `touch ${marker}; ${hang}`;
    const spec = fleetInventory(fleet, { vars: () => ({ cmd, warm: join(fleet.hosts[0].root, `warm-${i}`) }) });
    const inv = writeInventory(fleet.dir, spec, 'inv-hang.ts');
    const json = join(fleet.dir, 'hang.json');
    const started = Date.now();
    const r = await runCli(join(FIXTURES, 'hang.ts'), ['-i', inv, '--json', json, '--limit', 'host1']);
    const elapsed = Date.now() - started;
    assert.is(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(report.recap.host1, { ok: 0, changed: 1, wouldChange: 0, failed: 1, skipped: 0, unreachable: 0, ignored: 0 });
    const [, hung] = report.plays[0].results;
    assert.ok(existsSync(marker), 'the command really started on the host');
    assert.is(hung.task, 'hanging command');
    assert.is(hung.status, 'failed');
    assert.is(hung.error, 'timed out after 2s');
    assert.ok(hung.durationMs >= 1900 && hung.durationMs < 3500, `failed after ${hung.durationMs} ms`);
    assert.is(report.plays[0].results.length, 2, 'the next task did not run');
    assert.ok(elapsed < 30_000, `the CLI took ${elapsed} ms (the sleep is 600 s; start-up under load is slow)`);
    assert.ok(r.stdout.includes('host1 | hanging command | failed | ') && r.stdout.includes('timed out after 2s'), r.stdout);
    // OpenSSH ignores `signal` requests on root sessions and a closed channel does not end a
    // command without a pty: the host itself must have killed it (lib/connection/ssh.ts).
    await new Promise((res) => setTimeout(res, 300));
    const left = descendants(fleet.hosts[0].process.pid!).filter((p) => p.cmdline.includes('sleep 600'));
    assert.equal(left, [], `left under host1's sshd: ${JSON.stringify(left)}`);
  });
}

test('a guard (a fact read) that hangs fails its task with "timed out after 3s", is killed on the host, and the other host finishes', async () => {
  const marker = join(fleet.hosts[0].root, 'guard-started');
  const spec = fleetInventory(fleet, { vars: (name) => ({ unless: name === 'host1' ? `touch ${marker}; sleep 600` : 'false' }) });
  const inv = writeInventory(fleet.dir, spec, 'inv-hang-probe.ts');
  const json = join(fleet.dir, 'hang-probe.json');
  const started = Date.now();
  const r = await runCli(join(FIXTURES, 'hang-probe.ts'), ['-i', inv, '--json', json]);
  const elapsed = Date.now() - started;
  assert.is(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(existsSync(marker), 'the guard really started on host1');
  const host1 = report.plays[0].results.filter((x: { host: string }) => x.host === 'host1');
  assert.equal(host1.map((x: { task: string; status: string }) => `${x.task}: ${x.status}`), [`writeFile ${fleet.hosts[0].root}/warm: changed`, 'guarded command: failed']);
  assert.match(host1[1].error, /timed out after 3s$/);
  assert.not.ok(existsSync(join(fleet.hosts[0].root, 'after')), 'no later task ran on host1');
  assert.equal(report.recap.host2, { ok: 0, changed: 3, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
  assert.ok(elapsed < 30_000, `the CLI took ${elapsed} ms (the guard sleeps 600 s)`);
  await new Promise((res) => setTimeout(res, 300));
  const left = descendants(fleet.hosts[0].process.pid!).filter((p) => p.cmdline.includes('sleep 600'));
  assert.equal(left, [], `left under host1's sshd: ${JSON.stringify(left)}`);
});

test('a file system that fills up during writeFile: the task fails, the original file is intact, no .keel.* file is left', async () => {
  const host = fleet.hosts[1];
  const dir = join(host.root, 'small');
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'keelf-tmpfs', dir]);
  mounted = dir;
  const target = join(dir, 'config');
  writeFileSync(target, 'original content\n');
  // Fill what is left (dd stops with ENOSPC; that is the point).
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
  } catch {
    /* no space left: expected */
  }
  const spec = fleetInventory(fleet, { vars: () => ({ target }) });
  const inv = writeInventory(fleet.dir, spec, 'inv-full.ts');
  const json = join(fleet.dir, 'full.json');
  const r = await runCli(join(FIXTURES, 'big-write.ts'), ['-i', inv, '--json', json, '--limit', 'host2']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.recap.host2, { ok: 0, changed: 0, wouldChange: 0, failed: 1, skipped: 0, unreachable: 0, ignored: 0 });
  const [res] = report.plays[0].results;
  assert.is(res.status, 'failed');
  assert.match(res.error, `write ${target} failed (exit 1): `);
  assert.match(res.error, 'No space left on device');
  assert.is(readFileSync(target, 'utf8'), 'original content\n', 'the original file is intact');
  assert.equal(readdirSync(dir).sort(), ['config', 'filler']);
  assert.equal(keelTempFiles(host.root), []);
  assert.ok(existsSync(target));
});

test.run();
