/**
 * --shard with --plan, on real sshd hosts (127.0.0.1): a plan made for some hosts (--limit) is
 * applied as two shards without repeating --limit. Each shard's hosts are the plan's hosts in
 * that shard, each shard's report names the plan's hosts as the whole run, and `keel report
 * merge` accepts the two as one run: what the plan said would change, changed, and nowhere else.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, runKeel, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { fleetInventory } from '../faults/support';

const PLAYBOOK = join(__dirname, 'fixtures', 'shard-playbook.ts');
const HOSTS = 6;

let fleet: SshdFleet;
let inventory: string;
const test = suiteUnless(sshdUnavailable());

test.before(async () => {
  fleet = await startSshdFleet(HOSTS);
  for (const h of fleet.hosts) {
    rmSync(h.root, { recursive: true, force: true });
    mkdirSync(h.root);
  }
  inventory = writeInventory(fleet.dir, fleetInventory(fleet, { extra: { groups: { web: { hosts: [fleet.hosts[0].name] } } } }), 'inv-shard-plan.ts');
});
test.after(async () => {
  await fleet?.stop();
});

interface Report {
  exitCode: number;
  recap: Record<string, { changed: number }>;
  shard?: { index: number; count: number; runHosts: string[] };
}
const read = (file: string): Report => JSON.parse(readFileSync(file, 'utf8'));

test('a plan for four hosts applied as two shards without --limit: the plan\'s hosts only, and the shards merge', async () => {
  const planned = fleet.hosts.slice(0, 4).map((h) => h.name);
  const plan = join(fleet.dir, 'plan.json');
  const made = await runCli(PLAYBOOK, ['-i', inventory, '--check', '--limit', planned.join(','), '--plan-out', plan]);
  assert.is(made.code, 4, made.stderr + made.stdout);

  const shards = [0, 1].map((i) => join(fleet.dir, `plan-shard-${i}.json`));
  const runs = await Promise.all(shards.map((file, i) => runCli(PLAYBOOK, ['-i', inventory, '--plan', plan, '--shard', `${i}/2`, '--json', file])));
  for (const r of runs) assert.is(r.code, 0, r.stderr + r.stdout);
  const reports = shards.map(read);
  for (const r of reports) assert.equal(r.shard?.runHosts, planned, 'each shard names the plan\'s hosts as the run');
  const ran = reports.flatMap((r) => Object.keys(r.recap)).sort();
  assert.equal(ran, [...planned].sort(), 'the two shards ran the plan\'s hosts, each once');

  const merged = join(fleet.dir, 'plan-merged.json');
  const merge = await runKeel(['report', 'merge', ...shards, '--json', merged]);
  assert.is(merge.code, 0, merge.stderr + merge.stdout);
  assert.equal(Object.keys(read(merged).recap).sort(), [...planned].sort());

  for (const h of fleet.hosts) {
    const inPlan = planned.includes(h.name);
    assert.is(existsSync(join(h.root, 'done')), inPlan, `${h.name}: ${inPlan ? 'planned, so changed' : 'outside the plan, so untouched'}`);
  }
});

test.run();
