/**
 * Fault 5: SIGINT in the middle of a run, through the real CLI on real sshd. The first interrupt
 * lets the running task end, starts nothing new, prints the recap and exits 130; a second one
 * stops at once.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { descendants, FIXTURES, fleetInventory, keelTempFiles, spawnCli, waitFor } from './support';
import { suiteUnless } from '../helpers/not-run';

const STEPS = join(FIXTURES, 'steps.ts');
let fleet: SshdFleet;

function reset() {
  for (const h of fleet.hosts) for (const f of ['one', 'two', 'three', 'slow-started', 'slow-done']) rmSync(join(h.root, f), { force: true });
}

/**
 * The playbook's commands the run left behind on the hosts (its `sleep`), killed here so they
 * do not outlive the test. Only those: SIGKILLing a login shell could leave a start-up lock behind.
 */
function reapLeftovers(): string[] {
  const left = fleet.hosts.flatMap((h) => descendants(h.process.pid!)).filter((p) => /^sleep \d+$/.test(p.cmdline));
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return left.map((p) => p.cmdline);
}

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  reapLeftovers();
  await fleet?.stop();
});

test('SIGINT during a slow task: it finishes, no new task starts, the recap is printed, exit 130, no temporary files', async () => {
  reset();
  const inv = writeInventory(fleet.dir, fleetInventory(fleet, { vars: () => ({ sleep: 5 }) }), 'inv-int.ts');
  const json = join(fleet.dir, 'int.json');
  const run = spawnCli(STEPS, ['-i', inv, '--json', json]);
  await waitFor('the slow command on both hosts', () => fleet.hosts.every((h) => existsSync(join(h.root, 'slow-started'))));
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.is(r.code, 130, r.stdout + r.stderr);
  assert.match(r.stderr, 'interrupted: no new task starts; waiting for running tasks (interrupt again to stop now)');
  // Ansible's recap lines: ok counts the changed tasks too.
  assert.match(r.stdout, /PLAY RECAP\nhost1 : ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0\nhost2 : ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(report.interrupted, true);
  assert.is(report.exitCode, 130);
  for (const h of fleet.hosts) {
    assert.equal(report.recap[h.name], { ok: 0, changed: 2, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
    assert.ok(existsSync(join(h.root, 'slow-done')), 'the running task finished');
    assert.not.ok(existsSync(join(h.root, 'two')), 'no task started after the interrupt');
  }
  assert.equal(
    report.plays[0].results.map((x: { task: string }) => x.task).filter((t: string) => t === 'slow command'),
    ['slow command', 'slow command'],
  );
  assert.equal(keelTempFiles(fleet.dir), []);
  assert.not.ok(existsSync(`${json}.tmp-${run.child.pid}`));
  assert.equal(reapLeftovers(), [], 'nothing left running on the hosts');
});

test('a second SIGINT stops at once with exit 130', async () => {
  reset();
  const inv = writeInventory(fleet.dir, fleetInventory(fleet, { vars: () => ({ sleep: 30 }) }), 'inv-int2.ts');
  const run = spawnCli(STEPS, ['-i', inv]);
  await waitFor('the slow command on both hosts', () => fleet.hosts.every((h) => existsSync(join(h.root, 'slow-started'))));
  run.child.kill('SIGINT');
  await new Promise((res) => setTimeout(res, 200));
  const second = Date.now();
  run.child.kill('SIGINT');
  const r = await run.done;
  const after = Date.now() - second;
  assert.is(r.code, 130, r.stdout + r.stderr);
  assert.ok(after < 1000, `exited ${after} ms after the second interrupt`);
  assert.match(r.stderr, 'second interrupt: stopping now');
  for (const h of fleet.hosts) assert.not.ok(existsSync(join(h.root, 'two')));
  assert.equal(keelTempFiles(fleet.dir), []);
  // Known: a command already running on a host is not stopped by the client's exit (no pty);
  // it ends at its deadline (`timeout` on the host). The test reaps it.
  reapLeftovers();
});

test.run();
