/**
 * --shard and `keel report merge` on 256 real sshd hosts (127.0.0.1): one unsharded run, then
 * the same run as 4 shards started together as 4 processes, from the same host state. The merged
 * report must say what the unsharded one says (hosts, recap, every task's status and changes,
 * exit code), and the hosts must end in the same state.
 *
 * The hosts end in different ways so that the comparison can fail: some are already right (ok),
 * some have a wrong file (changed, and a handler), some skip a task, some are in a second play,
 * one fails a task (in shard 0) and one is unreachable (in shard 1): the shards exit 1, 3, 0, 0
 * and the merge must exit 1, as the unsharded run does.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, runKeel, writeInventory, type CliRun } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet, type TestSshd } from '../helpers/sshd';
import { fleetInventory } from '../faults/support';

const HOSTS = 256;
const SHARDS = 4;
const FORKS = '8';
const PLAYBOOK = join(__dirname, 'fixtures', 'shard-playbook.ts');

/** The shard of a name as docs/SHARDING.md documents it, written again here rather than imported. */
const documentedShard = (name: string, count: number) => createHash('sha256').update(name).digest().readUIntBE(0, 6) % count;

let fleet: SshdFleet;
let inventory: string;
let failing: TestSshd;
let lost: TestSshd;
let unsharded: { run: CliRun; report: Report; state: Record<string, string> };
const shardFiles = [...Array(SHARDS).keys()].map((i) => () => join(fleet.dir, `shard-${i}.json`));

interface Result {
  host: string;
  task: string;
  status: string;
  step?: number;
  handler?: boolean;
  play?: number;
  durationMs?: number;
  [k: string]: unknown;
}
interface Report {
  exitCode: number;
  recap: Record<string, Record<string, number>>;
  unreachable: Record<string, string>;
  plays: { name: string; hosts: string[]; results: Result[] }[];
  shard?: { index: number; count: number; runHosts: string[] };
  merged?: { count: number; shards: number[]; missing: number[] };
}

const test = suiteUnless(sshdUnavailable());

test.before(async () => {
  const t = Date.now();
  fleet = await startSshdFleet(HOSTS);
  console.log(`  (started ${HOSTS} sshd in ${Date.now() - t} ms)`);
  failing = fleet.hosts.find((h) => documentedShard(h.name, SHARDS) === 0)!;
  lost = fleet.hosts.find((h) => documentedShard(h.name, SHARDS) === 1)!;
  await lost.stop();
  const index = (name: string) => Number(name.replace('host', ''));
  inventory = writeInventory(
    fleet.dir,
    fleetInventory(fleet, {
      // Four controllers at once on two cores are slow to shake hands: a slow host is not a lost one here.
      defaults: { connectTimeoutSeconds: 30 },
      vars: (name) => (index(name) % 5 === 0 ? { quiet: true } : {}),
      extra: { groups: { web: { hosts: fleet.hosts.filter((h) => index(h.name) % 3 === 0).map((h) => h.name) } } },
    }),
    'inv-shard.ts',
  );
});
test.after(async () => {
  await fleet?.stop();
});

/** Every host's directory as the playbook finds it: some right already, some wrong, one broken. */
function seed(): void {
  for (const [i, h] of fleet.hosts.entries()) {
    if (h === lost) continue;
    rmSync(h.root, { recursive: true, force: true });
    mkdirSync(h.root);
    if (i % 4 === 0) writeFileSync(join(h.root, 'motd'), `welcome to ${h.name}\n`);
    if (i % 4 === 1) writeFileSync(join(h.root, 'motd'), 'an old motd\n');
    // lineInFile cannot edit a directory: this host fails its second task.
    if (h === failing) mkdirSync(join(h.root, 'hosts'));
  }
}

/** Every file under every host's directory, with its content. */
function hostState(): Record<string, string> {
  const state: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        state[`${rel}/${e}/`] = '';
        walk(p, `${rel}/${e}`);
      } else state[`${rel}/${e}`] = readFileSync(p, 'utf8');
    }
  };
  for (const h of fleet.hosts) walk(h.root, h.name);
  return state;
}

const readReport = (file: string): Report => JSON.parse(readFileSync(file, 'utf8'));
const recapText = (output: string) => output.slice(output.indexOf('PLAY RECAP')).trim();
const noStack = (r: CliRun) => !/\n\s+at .*\(.*:\d+:\d+\)/.test(r.stderr);

/** A result as both runs must agree on it: everything but its duration and the shard's bookkeeping. */
function comparable(r: Result): Record<string, unknown> {
  const { durationMs: _d, step: _s, handler: _h, play: _p, ...rest } = r;
  return rest;
}

/** Each host's results in one play, in the order the host ran them. */
function perHost(play: Report['plays'][number]): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const r of play.results) (out[r.host] ??= []).push(comparable(r));
  return out;
}

test(`one unsharded run of ${HOSTS} hosts: the reference (exit 1: one host fails, one is unreachable)`, async () => {
  seed();
  const json = join(fleet.dir, 'unsharded.json');
  const t = Date.now();
  const run = await runCli(PLAYBOOK, ['-i', inventory, '--forks', FORKS, '--json', json]);
  console.log(`  (unsharded run: ${Date.now() - t} ms)`);
  const report = readReport(json);
  unsharded = { run, report, state: hostState() };
  assert.is(run.code, 1, run.stdout.slice(-2000) + run.stderr);
  assert.is(Object.keys(report.recap).length, HOSTS);
  assert.is(report.recap[failing.name].failed, 1);
  assert.is(report.recap[lost.name].unreachable, 1);
  // The seeded states gave every kind of outcome: the comparison below compares something.
  const statuses = new Set(report.plays.flatMap((p) => p.results.map((r) => r.status)));
  assert.equal([...statuses].sort(), ['changed', 'failed', 'ok', 'skipped']);
  assert.ok(report.plays[1].results.length > 0 && report.plays[0].results.some((r) => r.task === 'mark' && r.status === 'changed'));
});

test(`${SHARDS} shards as ${SHARDS} processes started together, from the same host state: disjoint, non-empty, the same end state`, async () => {
  seed();
  const t = Date.now();
  const runs = await Promise.all(
    shardFiles.map(async (file, i) => {
      const started = Date.now();
      const run = await runKeel(['run', PLAYBOOK, '-i', inventory, '--shard', `${i}/${SHARDS}`, '--forks', FORKS, '--json', file()]);
      return { run, started, ended: Date.now() };
    }),
  );
  console.log(`  (${SHARDS} shards: ${Date.now() - t} ms wall; each ${runs.map((r) => r.ended - r.started).join(', ')} ms)`);
  // They ran at the same time: every shard started before any ended.
  assert.ok(Math.max(...runs.map((r) => r.started)) < Math.min(...runs.map((r) => r.ended)));
  const reports = shardFiles.map((f) => readReport(f()));
  const seen = new Map<string, number>();
  for (const [i, { run }] of runs.entries()) {
    const report = reports[i];
    const hosts = Object.keys(report.recap);
    assert.ok(hosts.length > 0, `shard ${i} ran no host`);
    assert.equal(report.shard, { index: i, count: SHARDS, runHosts: fleet.hosts.map((h) => h.name) });
    assert.equal(hosts, fleet.hosts.map((h) => h.name).filter((n) => documentedShard(n, SHARDS) === i), `shard ${i}'s hosts`);
    for (const h of hosts) {
      assert.not.ok(seen.has(h), `${h} in shards ${seen.get(h)} and ${i}`);
      seen.set(h, i);
    }
    assert.match(run.stdout, `shard ${i}/${SHARDS}: ${hosts.length} of the run's ${HOSTS} hosts`);
    assert.is(run.code, [1, 3, 0, 0][i], `shard ${i}: ` + run.stdout.slice(-1500) + run.stderr);
  }
  assert.is(seen.size, HOSTS);
  assert.equal(hostState(), unsharded.state);
});

test('keel report merge of the 4 shards says what the unsharded run says, and exits as it did', async () => {
  const out = join(fleet.dir, 'merged.json');
  const t = Date.now();
  const merge = await runKeel(['report', 'merge', ...shardFiles.map((f) => f()), '--json', out]);
  console.log(`  (merge: ${Date.now() - t} ms)`);
  assert.is(merge.code, unsharded.run.code, merge.stdout + merge.stderr);
  const merged = readReport(out);
  const one = unsharded.report;
  assert.is(merged.exitCode, one.exitCode);
  assert.equal(merged.merged, { count: SHARDS, shards: [0, 1, 2, 3], missing: [], missingHosts: [] });
  // The same recap, hosts in the same order, printed the same way.
  assert.equal(Object.keys(merged.recap), Object.keys(one.recap));
  assert.equal(merged.recap, one.recap);
  assert.is(recapText(merge.stdout), recapText(unsharded.run.stdout));
  assert.equal(merged.unreachable, one.unreachable);
  // Every play, its hosts, and each host's results in order with their statuses and changes.
  assert.equal(merged.plays.map((p) => [p.name, p.hosts]), one.plays.map((p) => [p.name, p.hosts]));
  for (const [i, play] of merged.plays.entries()) {
    assert.is(play.results.length, one.plays[i].results.length, `play ${play.name}`);
    assert.equal(perHost(play), perHost(one.plays[i]), `play ${play.name}`);
    // In task order: by step, each step's hosts in inventory order, the play's handlers last.
    const position = new Map(one.plays[i].hosts.map((h, k) => [h, k]));
    const keys = play.results.map((r) => [r.handler ? 1 : 0, r.step!, position.get(r.host)!]);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    assert.equal(keys, sorted, `play ${play.name}: results in task order`);
  }
});

test('merge refuses, with exit 2 and one message, a missing shard and a shard given twice', async () => {
  const files = shardFiles.map((f) => f());
  const missing = await runKeel(['report', 'merge', files[0], files[1], files[3]]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /missing shard 2 of 4: \d+ hosts of the run have no report/);
  assert.ok(noStack(missing), missing.stderr);
  const twice = await runKeel(['report', 'merge', files[0], files[1], files[2], files[3], files[2]]);
  assert.is(twice.code, 2);
  assert.match(twice.stderr, /are both shard 2 of 4/);
  assert.ok(noStack(twice), twice.stderr);
  // A partial merge when asked for: the shards given, and the exit code of their hosts (shard 0's failure).
  const partial = await runKeel(['report', 'merge', files[0], files[1], files[3], '--allow-partial', '--json', '-']);
  assert.is(partial.code, 1, partial.stderr);
  const report = JSON.parse(partial.stdout) as Report;
  assert.equal(report.merged!.missing, [2]);
  assert.is(Object.keys(report.recap).length, HOSTS - fleet.hosts.filter((h) => documentedShard(h.name, SHARDS) === 2).length);
  assert.match(partial.stderr, /partial \(--allow-partial\): no report of shard 2/);
});

test.run();
