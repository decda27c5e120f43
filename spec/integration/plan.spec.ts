import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { PlanFile } from '../../lib/plan-file';
import { runCli, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

/**
 * Plans on three real sshd hosts (127.0.0.1): --check --plan-out, then --plan. The lab variant
 * (a plan over a live cluster's CIB, whose epoch moves) is not here: the lab is shared.
 */
const PLAYBOOK = join(__dirname, 'fixtures', 'plan-playbook.ts');
let fleet: SshdFleet;

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  await fleet?.stop();
});

function inventoryFile(): string {
  return writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, connectTimeoutSeconds: 3 },
    hosts: Object.fromEntries(fleet.hosts.map((h, i) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, port: 8000 + i } }])),
  });
}

const path = (host: number, file: string) => join(fleet.hosts[host].root, file);
let n = 0;
let lastPlan = '';
const tmp = (name: string) => join(fleet.dir, `${++n}-${name}`);

/** Every file on every host: its bytes and its mtime. */
function snapshot(): Record<string, { bytes: string; mtimeMs: number }> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  for (const h of fleet.hosts) {
    for (const f of readdirSync(h.root)) {
      const p = join(h.root, f);
      out[p] = { bytes: readFileSync(p).toString('base64'), mtimeMs: statSync(p).mtimeMs };
    }
  }
  return out;
}

async function makePlan(env: NodeJS.ProcessEnv = {}): Promise<{ file: string; plan: PlanFile; code: number; out: string }> {
  const file = tmp('plan.json');
  const r = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--check', '--diff', '--plan-out', file], env);
  assert.ok(existsSync(file), `no plan written\n${r.stdout}${r.stderr}`);
  return { file, plan: JSON.parse(readFileSync(file, 'utf8')), code: r.code, out: r.stdout + r.stderr };
}

function planned(plan: PlanFile, status = 'would change'): string[][] {
  return plan.plays.flatMap((p) =>
    Object.entries(p.hosts).flatMap(([host, h]) => h.tasks.filter((t) => t.status === status).map((t) => [host, t.name])),
  ).sort();
}

test('converge the hosts first (a plain apply)', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventoryFile()]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (let i = 0; i < 2; i++) assert.is(readFileSync(path(i, 'app.conf'), 'utf8'), `port=${8000 + i}\nname=host${i + 1}\n`);
});

test('plan, then apply: exactly the planned tasks change, every other file keeps its bytes and mtime', async () => {
  writeFileSync(path(1, 'app.conf'), 'port=1\nname=edited\n');
  writeFileSync(path(0, 'motd'), 'edited <b>&\n');
  rmSync(path(0, 'handler-ran'));
  const { file, plan, code, out } = await makePlan();
  assert.is(code, 4, 'the check run says drift\n' + out);
  assert.match(out, `plan written to ${file}: 3 changes`);
  assert.equal(planned(plan), [
    ['host1', 'mark'],
    ['host1', `writeFile ${path(0, 'motd')}`],
    ['host2', `writeFile ${path(1, 'app.conf')}`],
  ]);
  const app = plan.plays[0].hosts.host2.tasks.find((t) => t.name === `writeFile ${path(1, 'app.conf')}`)!;
  assert.ok(app.diff?.includes('-port=1') && app.diff.includes('+port=8001'), 'the plan holds the diff');
  assert.equal(app.changes.map((c) => c.field), ['content']);
  assert.match(app.paramsHash ?? '', /^[0-9a-f]{64}$/);
  assert.equal(app.facts.map((f) => f.name), [`file ${path(1, 'app.conf')}`]);
  assert.match(app.facts[0].sha256, /^[0-9a-f]{64}$/);
  assert.ok(Date.now() - Date.parse(plan.createdAt) < 60_000, 'creation time');
  assert.is(plan.playbook, 'plan-test');

  const before = snapshot();
  const json = tmp('apply.json');
  const r = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file, '--json', json]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, 'plan verified');
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const changed = report.plays[0].results.filter((x: { status: string }) => x.status === 'changed').map((x: { host: string; task: string }) => [x.host, x.task]).sort();
  assert.equal(changed, planned(plan), 'changed exactly as planned');
  assert.is(readFileSync(path(1, 'app.conf'), 'utf8'), 'port=8001\nname=host2\n');
  assert.is(readFileSync(path(0, 'motd'), 'utf8'), 'welcome to host1\n');
  const after = snapshot();
  const touched = Object.keys(after).filter((p) => !before[p] || before[p].mtimeMs !== after[p].mtimeMs || before[p].bytes !== after[p].bytes).sort();
  assert.equal(touched, [path(0, 'handler-ran'), path(0, 'motd'), path(1, 'app.conf')].sort(), 'nothing else was written');
});

test('plan, hand edit, apply: refused with exit 5 naming host, task and fact; nothing changes on any host', async () => {
  writeFileSync(path(1, 'app.conf'), 'port=2\n');
  const { file, plan } = await makePlan();
  assert.equal(planned(plan), [['host2', `writeFile ${path(1, 'app.conf')}`]]);
  // Someone edits host1 by hand after the review: a file whose task was planned ok.
  writeFileSync(path(0, 'hosts'), '# hand edit\n127.0.0.1 host1\n');
  const before = snapshot();
  const json = tmp('refused.json');
  const r = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file, '--json', json]);
  assert.is(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stderr, 'plan refused');
  assert.match(r.stderr, `host1 | play files | lineInFile ${path(0, 'hosts')} | fact "file ${path(0, 'hosts')}" moved since the plan`, r.stderr);
  assert.not.match(r.stderr, /host2 \|/, 'only the host that moved is named');
  assert.equal(snapshot(), before, 'file bytes and mtimes unchanged on every host (the planned host2 change too)');
  assert.is(JSON.parse(readFileSync(json, 'utf8')).exitCode, 5, 'the JSON report says refused');
});

test('a hand edit of the very file planned to change is refused too', async () => {
  writeFileSync(path(0, 'hosts'), '127.0.0.1 host1\n');
  writeFileSync(path(1, 'motd'), 'drift\n');
  const { file } = await makePlan();
  writeFileSync(path(1, 'motd'), 'drift, edited again\n');
  const before = snapshot();
  const r = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file]);
  assert.is(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stderr, `host2 | play files | writeFile ${path(1, 'motd')} | fact "file ${path(1, 'motd')}" moved since the plan`, r.stderr);
  assert.equal(snapshot(), before);
});

test('a plan older than --plan-max-age is refused before any host is contacted, unless --force-plan', async () => {
  writeFileSync(path(0, 'motd'), 'drift\n');
  const { file, plan } = await makePlan();
  plan.createdAt = new Date(Date.now() - 120_000).toISOString();
  writeFileSync(file, JSON.stringify(plan));
  const before = snapshot();
  const stale = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file, '--plan-max-age', '60']);
  assert.is(stale.code, 5, stale.stdout + stale.stderr);
  assert.match(stale.stderr, /the plan is 1[23]\ds old, more than --plan-max-age 60s/);
  assert.not.match(stale.stderr, 'verifying', 'refused before the verification pass');
  assert.equal(snapshot(), before);
  const forced = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file, '--plan-max-age', '60', '--force-plan']);
  assert.is(forced.code, 0, forced.stdout + forced.stderr);
  assert.is(readFileSync(path(0, 'motd'), 'utf8'), 'welcome to host1\n', 'the forced plan was applied');
  lastPlan = file;
});

test('a plan from another version of the playbook is refused: changed parameters, an added task', async () => {
  writeFileSync(path(0, 'motd'), 'drift\n');
  const { file } = await makePlan();
  const before = snapshot();
  const modified = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file], { KEEL_TEST_VARIANT: 'modified' });
  assert.is(modified.code, 5, modified.stdout + modified.stderr);
  for (let i = 0; i < 2; i++) {
    assert.match(modified.stderr, `host${i + 1} | play files | writeFile ${path(i, 'app.conf')} | its parameters differ from the plan's: the playbook changed since the plan`);
  }
  assert.equal(snapshot(), before);
  const extra = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file], { KEEL_TEST_VARIANT: 'extra' });
  assert.is(extra.code, 5, extra.stdout + extra.stderr);
  assert.match(extra.stderr, `host1 | play files | writeFile ${path(0, 'extra')} | is in the playbook but not in the plan`);
  assert.equal(snapshot(), before);
  assert.not.ok(existsSync(path(0, 'extra')));
});

test('--limit must match the plan\'s: a narrower run is refused before any host is contacted', async () => {
  const file = lastPlan;
  const before = snapshot();
  const r = await runCli(PLAYBOOK, ['-i', inventoryFile(), '--plan', file, '--limit', 'host1']);
  assert.is(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stderr, 'this run selects --limit host1, the plan\'s (none)');
  assert.equal(snapshot(), before);
});

test.run();
