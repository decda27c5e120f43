import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../lib/errors';
import { countResult, exitCodeFor } from '../../lib/recap';
import { mergeShardReports, worstExitCode, type ShardInput } from '../../lib/report/merge';
import type { RecordedResult } from '../../lib/report/record';
import { readShardReport, type JsonReport, type ShardReport } from '../../lib/report/shard-report';
import { emptyRecap, type HostRecap } from '../../lib/reporter';
import { shardOf } from '../../lib/shard';
import type { TaskStatus } from '../../lib/types';
import { runKeel } from '../helpers/cli';

interface SimPlay {
  name: string;
  hosts: string[];
  tasks: string[];
}
type Outcome = (host: string, play: number, step: number) => TaskStatus | 'lost';

/**
 * The report a run of these plays would write, on `only` of the hosts: the linear strategy (all
 * hosts through step k before step k+1, each step's hosts in inventory order), a host leaving the
 * run when it fails or is lost, and one handler after the play's tasks on each host that changed.
 */
function simulate(runHosts: string[], plays: SimPlay[], outcome: Outcome, options: { check?: boolean; only?: (h: string) => boolean; started?: number } = {}): JsonReport {
  const check = options.check ?? false;
  const only = options.only ?? (() => true);
  const recap: Record<string, HostRecap> = {};
  const unreachable: Record<string, string> = {};
  for (const p of plays) for (const h of p.hosts) if (only(h)) recap[h] ??= emptyRecap();
  const dead = new Set<string>();
  const reported = plays.map((p, pi) => {
    const hosts = p.hosts.filter(only);
    const results: RecordedResult[] = [];
    const changedHere = new Set<string>();
    const add = (r: RecordedResult) => {
      results.push(r);
      countResult(recap, r);
    };
    p.tasks.forEach((task, step) => {
      for (const host of hosts) {
        if (dead.has(host)) continue;
        const o = outcome(host, pi, step);
        const base = { host, task, module: 'writeFile', changes: [] as { field: string }[], durationMs: 7, play: pi, step, handler: false };
        if (o === 'lost') {
          dead.add(host);
          unreachable[host] = `${host}: connection lost`;
          recap[host].unreachable = 1;
          add({ ...base, status: 'failed', error: 'connection lost', unreachable: true });
          continue;
        }
        const status = o === 'changed' && check ? 'would change' : o;
        if (status === 'failed') dead.add(host);
        if (status === 'changed' || status === 'would change') changedHere.add(host);
        add({ ...base, status, changes: status === 'changed' || status === 'would change' ? [{ field: `${task} on ${host}` }] : [] });
      }
    });
    for (const host of hosts) {
      if (changedHere.has(host) && !dead.has(host)) {
        add({ host, task: 'restart', module: 'service', status: check ? 'would change' : 'changed', changes: [{ field: 'restarted' }], durationMs: 3, play: pi, step: p.tasks.length, handler: true });
      }
    }
    return { name: p.name, hosts, results };
  });
  return {
    keel: 1,
    playbook: 'site',
    inventory: 'prod',
    limit: null,
    check,
    startedAt: new Date(options.started ?? Date.UTC(2026, 0, 1)).toISOString(),
    durationMs: 1000,
    exitCode: exitCodeFor(recap, check, false),
    interrupted: false,
    recap,
    unreachable,
    plays: reported,
  };
}

function shards(runHosts: string[], plays: SimPlay[], outcome: Outcome, count: number, check = false): ShardInput[] {
  return [...Array(count).keys()].map((index) => {
    const report = simulate(runHosts, plays, outcome, { check, only: (h) => shardOf(h, count) === index, started: Date.UTC(2026, 0, 1) + index * 100 });
    return { file: `report-${index}.json`, report: { ...report, shard: { index, count, runHosts } } };
  });
}

const HOSTS = [...Array(40).keys()].map((i) => `node${String(i + 1).padStart(2, '0')}`);
const PLAYS: SimPlay[] = [
  { name: 'base', hosts: HOSTS, tasks: ['motd', 'users', 'sshd'] },
  { name: 'web', hosts: HOSTS.filter((_, i) => i % 3 === 0), tasks: ['nginx', 'site'] },
];
const n = (h: string) => Number(h.slice(4));
const mixed: Outcome = (h, p, step) => {
  if (h === 'node07' && p === 0 && step === 1) return 'failed';
  if (h === 'node12' && p === 0 && step === 2) return 'lost';
  if (n(h) % 5 === 0 && step === 0) return 'skipped';
  return (n(h) + step + p) % 3 === 0 ? 'changed' : 'ok';
};
const allOk: Outcome = () => 'ok';

const refused = (re: RegExp) => (e: unknown) => e instanceof ConfigError && re.test((e as Error).message);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

test('4 shards merged are the unsharded run: recap (in its order), unreachable, plays, results in task order, exit code', () => {
  const one = simulate(HOSTS, PLAYS, mixed);
  const parts = shards(HOSTS, PLAYS, mixed, 4);
  assert.ok(parts.every((p) => Object.keys(p.report.recap).length > 0));
  // Merge order of the files does not matter.
  const merged = mergeShardReports([parts[2], parts[0], parts[3], parts[1]]);
  assert.equal(Object.keys(merged.recap), Object.keys(one.recap));
  assert.equal(merged.recap, one.recap);
  assert.equal(merged.unreachable, one.unreachable);
  assert.equal(merged.plays, one.plays);
  assert.is(one.exitCode, 1);
  assert.is(merged.exitCode, 1);
  assert.equal(merged.merged, { count: 4, shards: [0, 1, 2, 3], missing: [], missingHosts: [] });
  assert.is(merged.startedAt, new Date(Date.UTC(2026, 0, 1)).toISOString());
  assert.is(merged.durationMs, 1300);
  assert.equal([merged.playbook, merged.inventory, merged.limit, merged.check, merged.interrupted], ['site', 'prod', null, false, false]);
});

test('a merge of one shard of one is that run', () => {
  const [only] = shards(HOSTS, PLAYS, mixed, 1);
  const merged = mergeShardReports([only]);
  assert.equal(merged.plays, simulate(HOSTS, PLAYS, mixed).plays);
});

test('the exit code is the unsharded run\'s: worst of the shards, in a run\'s precedence', () => {
  const lostOnly: Outcome = (h, p, s) => (h === 'node12' && s === 0 ? 'lost' : 'ok');
  const drift: Outcome = (h, p, s) => (h === 'node03' && s === 1 ? 'changed' : 'ok');
  const driftAndLost: Outcome = (h, p, s) => (h === 'node12' && s === 0 ? 'lost' : drift(h, p, s));
  const cases: [string, Outcome, boolean, number][] = [
    ['all ok', allOk, false, 0],
    ['changes (not check mode)', drift, false, 0],
    ['drift in check mode', drift, true, 4],
    ['a lost host and drift', driftAndLost, true, 3],
    ['a lost host', lostOnly, false, 3],
    ['a failed task and a lost host', mixed, false, 1],
  ];
  for (const [what, outcome, check, code] of cases) {
    const parts = shards(HOSTS, PLAYS, outcome, 4, check);
    assert.is(simulate(HOSTS, PLAYS, outcome, { check }).exitCode, code, `${what}: unsharded`);
    assert.is(mergeShardReports(parts).exitCode, code, what);
    // The shards themselves do not all agree: the merge is not just any shard's code.
    if (code !== 0) assert.ok(parts.some((p) => p.report.exitCode !== code), `${what}: every shard exits ${code}`);
  }
  // A refused plan (5) shows in no recap: it comes from the shard's own code, under a failure.
  const plan = shards(HOSTS, PLAYS, allOk, 4);
  plan[2].report.exitCode = 5;
  assert.is(mergeShardReports(plan).exitCode, 5);
  const planAndFail = shards(HOSTS, PLAYS, mixed, 4);
  planAndFail.find((p) => p.report.exitCode === 0)!.report.exitCode = 5;
  assert.is(mergeShardReports(planAndFail).exitCode, 1);
  const interrupted = shards(HOSTS, PLAYS, mixed, 4);
  interrupted[3].report.interrupted = true;
  interrupted[3].report.exitCode = 130;
  assert.is(mergeShardReports(interrupted).exitCode, 130);
  assert.ok(mergeShardReports(interrupted).interrupted);
  assert.is(worstExitCode([0, 4, 3, 5]), 3);
  assert.is(worstExitCode([0, 4, 5]), 5);
  assert.is(worstExitCode([4, 0]), 4);
  assert.is(worstExitCode([3, 1, 130]), 130);
  assert.is(worstExitCode([]), 0);
});

test('refused: a missing shard (unless allowPartial), a shard twice, different counts', () => {
  const parts = shards(HOSTS, PLAYS, mixed, 4);
  const missingHosts = HOSTS.filter((h) => shardOf(h, 4) === 2);
  assert.throws(
    () => mergeShardReports([parts[0], parts[1], parts[3]]),
    refused(new RegExp(`^missing shard 2 of 4: ${missingHosts.length} hosts of the run have no report \\(report-0.json is shard 0, report-1.json is shard 1, report-3.json is shard 3\\); give every shard's report, or --allow-partial`)),
  );
  assert.throws(() => mergeShardReports([parts[0]]), refused(/^missing shards 1, 2, 3 of 4/));
  const partial = mergeShardReports([parts[0], parts[1], parts[3]], { allowPartial: true });
  assert.equal(partial.merged, { count: 4, shards: [0, 1, 3], missing: [2], missingHosts });
  assert.equal(Object.keys(partial.recap), HOSTS.filter((h) => !missingHosts.includes(h)));
  assert.throws(() => mergeShardReports([...parts, { ...parts[1], file: 'again.json' }]), refused(/^report-1.json and again.json are both shard 1 of 4/));
  const three = shards(HOSTS, PLAYS, mixed, 3);
  assert.throws(() => mergeShardReports([parts[0], three[1]]), refused(/^reports of different shard counts: report-0.json is shard 0 of 4, report-1.json shard 1 of 3/));
});

test('refused: a host in two reports, a host in the wrong shard, a host not of the run, a host of the run in none', () => {
  const parts = shards(HOSTS, PLAYS, mixed, 4);
  const stray = Object.keys(parts[0].report.recap)[0];
  const two = clone(parts);
  two[1].report.recap[stray] = emptyRecap();
  assert.throws(() => mergeShardReports(two), refused(new RegExp(`^host ${stray} is in both report-0.json and report-1.json`)));
  // Labels swapped: each file's hosts hash to the other shard.
  const swapped = clone(parts);
  swapped[0].report.shard.index = 1;
  swapped[1].report.shard.index = 0;
  assert.throws(() => mergeShardReports(swapped), refused(/^report-0.json \(shard 1 of 4\) has host node\d+, whose shard is 0/));
  const unknown = clone(parts);
  const ghost = [...Array(100).keys()].map((i) => `ghost${i}`).find((g) => shardOf(g, 4) === 3)!;
  unknown[3].report.recap[ghost] = emptyRecap();
  assert.throws(() => mergeShardReports(unknown), refused(new RegExp(`^report-3.json has host ${ghost}, which is not a host of the run`)));
  const lost = clone(parts);
  const gone = Object.keys(lost[2].report.recap)[0];
  delete lost[2].report.recap[gone];
  for (const p of lost[2].report.plays) {
    p.hosts = p.hosts.filter((h) => h !== gone);
    p.results = p.results.filter((r) => r.host !== gone);
  }
  assert.throws(() => mergeShardReports(lost), refused(new RegExp(`^the reports do not cover every host of the run: no report has ${gone}`)));
});

test('refused: shards of different runs (playbook, mode, inventory, --limit, host list, plays)', () => {
  const parts = shards(HOSTS, PLAYS, mixed, 2);
  const variant = (change: (r: ShardReport) => void) => {
    const b = clone(parts[1]);
    change(b.report);
    return () => mergeShardReports([parts[0], b]);
  };
  const not = 'report-0.json and report-1.json are not shards of one run';
  assert.throws(variant((r) => (r.playbook = 'other')), refused(new RegExp(`^${not}: playbook "site" and "other"`)));
  assert.throws(variant((r) => (r.check = true)), refused(new RegExp(`^${not}: one is a check run`)));
  assert.throws(variant((r) => (r.inventory = 'staging')), refused(new RegExp(`^${not}: inventory prod and staging`)));
  assert.throws(variant((r) => (r.limit = 'web')), refused(new RegExp(`^${not}: --limit \\(none\\) and web`)));
  assert.throws(variant((r) => r.shard.runHosts.push('node99')), refused(new RegExp(`^${not}: they list different hosts for the whole run \\(40 and 41\\)`)));
  assert.throws(variant((r) => (r.plays[1].name = 'db')), refused(/^play 2 is "web" in report-0.json and "db" in report-1.json/));
});

test('reading a report: unreadable, not JSON, not keel\'s, unsharded, merged, or without steps are refused by file name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-merge-'));
  try {
    const write = (name: string, body: unknown) => {
      const file = join(dir, name);
      writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
      return file;
    };
    const [good] = shards(HOSTS, PLAYS, mixed, 1);
    assert.equal(readShardReport(write('good.json', good.report)), good.report);
    const cases: [string, unknown, RegExp][] = [
      ['text.json', 'PLAY RECAP', /text.json: not a keel report: not JSON/],
      ['other.json', { name: 'x' }, /other.json: not a keel report \(the file `keel run --json FILE` writes\)$/],
      ['array.json', [1, 2], /array.json: not a keel report/],
      ['unsharded.json', simulate(HOSTS, PLAYS, mixed), /unsharded.json: the report of a run without --shard/],
      ['merged.json', mergeShardReports([good]), /merged.json: a merged report already/],
      ['nostep.json', { ...good.report, plays: good.report.plays.map((p) => ({ ...p, results: p.results.map(({ step: _s, ...r }) => r) })) }, /nostep.json: .*has no step \(was it written by an older keel\?\)/],
      ['badshard.json', { ...good.report, shard: { index: 4, count: 4, runHosts: [] } }, /badshard.json: .*its "shard" is not \{index, count, runHosts\}/],
      ['badrecap.json', { ...good.report, recap: { node01: { ok: -1 } } }, /badrecap.json: .*"recap" is not a recap per host/],
      ['badcode.json', { ...good.report, exitCode: 2 }, /badcode.json: .*"exitCode" 2 is not a run's exit code/],
    ];
    for (const [name, body, re] of cases) assert.throws(() => readShardReport(write(name, body)), refused(re), name);
    assert.throws(() => readShardReport(join(dir, 'absent.json')), refused(/absent.json: cannot read it \(ENOENT\)/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keel report merge: one recap, the merged report (a file or standard output), the run\'s exit code; mistakes are exit 2 without a stack', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-merge-cli-'));
  try {
    const parts = shards(HOSTS, PLAYS, mixed, 2);
    const files = parts.map((p, i) => {
      const file = join(dir, `report-${i}.json`);
      writeFileSync(file, JSON.stringify(p.report));
      return file;
    });
    const toFile = await runKeel(['report', 'merge', ...files, '--json', join(dir, 'merged.json')]);
    assert.is(toFile.code, 1, toFile.stderr);
    assert.match(toFile.stdout, /^merged 2 shard reports of playbook "site" \(2 of 2 shards\): 40 hosts\n\nPLAY RECAP\nnode01 : ok=\d+ changed=\d+ unreachable=0 failed=0/);
    assert.match(toFile.stdout, /\nnode07 : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0\n/);
    assert.is(toFile.stdout.trim().split('\n').length, 3 + 40);
    assert.equal(readShardReportLoose(join(dir, 'merged.json')).recap, mergeShardReports(parts).recap);

    const toStdout = await runKeel(['report', 'merge', ...files, '--json', '-']);
    assert.is(toStdout.code, 1);
    assert.equal(JSON.parse(toStdout.stdout), JSON.parse(JSON.stringify(mergeShardReports(parts.map((p, i) => ({ ...p, file: files[i] }))))));
    assert.match(toStdout.stderr, /PLAY RECAP/);

    const noStack = (s: string) => !/\n\s+at .*:\d+:\d+/.test(s);
    mkdirSync(join(dir, 'sub'));
    const mistakes: [string[], RegExp][] = [
      [['report'], /keel report: which command\?/],
      [['report', 'split'], /keel report: unknown command "split"/],
      [['report', 'merge'], /keel report merge: which reports\?/],
      [['report', 'merge', ...files, '--jsn', 'x'], /Unknown option '--jsn'/],
      [['report', 'merge', ...files, '--json', join(dir, 'nodir', 'm.json')], /--json .*m.json: the directory .* does not exist/],
      [['report', 'merge', ...files, '--json', join(dir, 'sub')], /is a directory, not a file/],
      [['report', 'merge', files[0]], /missing shard 1 of 2/],
      [['report', 'merge', files[0], files[0]], /are both shard 0 of 2/],
      [['report', 'merge', join(dir, 'absent.json')], /absent.json: cannot read it \(ENOENT\)/],
    ];
    for (const [args, re] of mistakes) {
      const r = await runKeel(args);
      assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.ok(noStack(r.stderr), r.stderr);
    }
    const help = await runKeel(['report', 'merge', '--help']);
    assert.is(help.code, 0);
    assert.match(help.stdout, /usage: keel report merge SHARD.json\.\.\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A merged report read back without the shard checks. */
function readShardReportLoose(file: string): JsonReport {
  return JSON.parse(readFileSync(file, 'utf8'));
}

test.run();
