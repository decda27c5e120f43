/**
 * Fault 9: 64 real sshd processes, --forks 8. Every host completes and the JSON report is valid
 * and complete: 64 recap entries, every task result present.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { FIXTURES, fleetInventory } from './support';
import { suiteUnless } from '../helpers/not-run';

const HOSTS = 64;
const TASKS = ['motd', 'hosts', 'say my name', 'done'];
let fleet: SshdFleet;

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  const t = Date.now();
  fleet = await startSshdFleet(HOSTS);
  console.log(`  (started ${HOSTS} sshd in ${Date.now() - t} ms)`);
});
test.after(async () => {
  await fleet?.stop();
});

for (const round of ['first', 'second'] as const) {
  test(`${round} run on ${HOSTS} real sshd hosts with --forks 8: all complete, the JSON report is complete`, async () => {
    const inv = writeInventory(fleet.dir, fleetInventory(fleet), 'inv-fleet.ts');
    const json = join(fleet.dir, `${round}.json`);
    const t = Date.now();
    const r = await runCli(join(FIXTURES, 'fleet.ts'), ['-i', inv, '--forks', '8', '--json', json]);
    console.log(`  (${round} run: ${Date.now() - t} ms)`);
    assert.is(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.is(report.exitCode, 0);
    assert.equal(report.unreachable, {});
    assert.is(Object.keys(report.recap).length, HOSTS);
    const want =
      round === 'first'
        ? { ok: 0, changed: 4, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 }
        : { ok: 3, changed: 1, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 };
    for (const h of fleet.hosts) {
      assert.equal(report.recap[h.name], want, h.name);
      const mine = report.plays[0].results.filter((x: { host: string }) => x.host === h.name);
      assert.equal(
        mine.map((x: { task: string }) => x.task.replace(`${h.root}/`, '').replace(/^(writeFile|lineInFile) /, '')),
        TASKS,
        h.name,
      );
      assert.is(readFileSync(join(h.root, 'done'), 'utf8'), 'done\n');
    }
    assert.is(report.plays[0].results.length, HOSTS * TASKS.length);
    assert.is(report.plays[0].hosts.length, HOSTS);
  });
}

test.run();
