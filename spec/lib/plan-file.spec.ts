import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildInventory } from '../../lib/inventory';
import { paramsHash, stableJson } from '../../lib/fingerprint';
import { applyPlan } from '../../lib/plan-apply';
import { buildPlan, comparePlans, FactCapture, formatMismatch, readPlan, writePlan, type PlanFile } from '../../lib/plan-file';
import { RunRecorder, silentReporter } from '../../lib/report/record';
import { runPlaybook, type RunOptions } from '../../lib/runner';
import type { Play } from '../../lib/types';
import { writeFile } from '../../tasks/files';
import { FakeConnection } from '../helpers/fake-connection';

/** Hosts whose commands run in a local shell on a temporary directory: for the plan logic, not for sshd. */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'keel-plan-'));
  const inv = buildInventory({ hosts: { a: { vars: { root: dir } }, b: { vars: { root: dir } } } });
  const conns: FakeConnection[] = [];
  const connect: RunOptions['connect'] = async (host) => {
    const c = new FakeConnection(host.name, true);
    conns.push(c);
    return c;
  };
  return { dir, inv, connect, conns };
}

const play = (content = (h: string) => `hello ${h}\n`): Play => ({
  name: 'files',
  hosts: 'all',
  tasks: (h) => [
    writeFile({ path: `${h.vars.root}/${h.name}.conf`, content: content(h.name) }),
    writeFile({ path: `${h.vars.root}/${h.name}.other`, content: 'x\n' }),
  ],
});

async function checkPlan(plays: Play[], s: ReturnType<typeof setup>): Promise<PlanFile> {
  const capture = new FactCapture(plays);
  const recorder = new RunRecorder(silentReporter, plays, s.inv, {});
  await runPlaybook(plays, s.inv, { check: true, forks: 2, reporter: recorder, connect: s.connect, hooks: capture.hooks });
  return buildPlan({ playbook: 'pb', inventory: 'inv' }, recorder.plays, recorder.declared, capture);
}

test('stable JSON ignores key order and undefined members; the parameters hash follows the parameters', () => {
  assert.is(stableJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  assert.is(paramsHash('m', 'n', { a: 1, b: 2 }), paramsHash('m', 'n', { b: 2, a: 1 }));
  assert.is.not(paramsHash('m', 'n', { a: 1 }), paramsHash('m', 'n', { a: 2 }));
  const t1 = writeFile({ path: '/x', content: 'a' });
  const t2 = writeFile({ path: '/x', content: 'b' });
  assert.match(t1.definition.paramsHash ?? '', /^[0-9a-f]{64}$/);
  assert.is.not(t1.definition.paramsHash, t2.definition.paramsHash);
  assert.is(t1.definition.paramsHash, writeFile({ path: '/x', content: 'a' }).definition.paramsHash);
});

test('a plan records per task the changes, the diff and a hash per fact read; an unchanged host compares equal', async () => {
  const s = setup();
  writeFileSync(join(s.dir, 'a.conf'), 'old\n');
  const plays = [play()];
  const plan = await checkPlan(plays, s);
  const a = plan.plays[0].hosts.a.tasks;
  assert.equal(a.map((t) => [t.name, t.status]), [
    [`writeFile ${s.dir}/a.conf`, 'would change'],
    [`writeFile ${s.dir}/a.other`, 'would change'],
  ]);
  assert.ok(a[0].diff?.includes('-old') && a[0].diff.includes('+hello a'));
  assert.equal(a[0].facts.map((f) => f.name), [`file ${s.dir}/a.conf`]);
  assert.match(plan.plays[0].hosts.a.hostFacts ?? '', /^[0-9a-f]{64}$/);
  assert.equal(comparePlans(plan, await checkPlan(plays, s)), []);
});

test('a fact that moved is named with its host and task; the other host is not', async () => {
  const s = setup();
  const plays = [play()];
  const plan = await checkPlan(plays, s);
  writeFileSync(join(s.dir, 'b.other'), 'hand edit\n');
  const m = comparePlans(plan, await checkPlan(plays, s));
  assert.equal(m.map(formatMismatch), [`b | play files | writeFile ${s.dir}/b.other | fact "file ${s.dir}/b.other" moved since the plan`]);
  assert.is(m[0].kind, 'facts');
});

test('another playbook version: changed parameters, an added task, a removed task', async () => {
  const s = setup();
  const plan = await checkPlan([play()], s);
  const changed = comparePlans(plan, await checkPlan([play((h) => `bye ${h}\n`)], s));
  assert.equal(changed.map((m) => [m.host, m.task, m.kind]), [
    ['a', `writeFile ${s.dir}/a.conf`, 'playbook'],
    ['b', `writeFile ${s.dir}/b.conf`, 'playbook'],
  ]);
  assert.match(changed[0].message, "its parameters differ from the plan's");
  const longer: Play = { ...play(), tasks: (h, f) => [...play().tasks(h, f), writeFile({ path: `${h.vars.root}/${h.name}.new`, content: '' })] };
  const added = comparePlans(plan, await checkPlan([longer], s));
  assert.equal(added.map((m) => m.message), ['is in the playbook but not in the plan', 'is in the playbook but not in the plan']);
  const shorter: Play = { ...play(), tasks: (h, f) => play().tasks(h, f).slice(0, 1) };
  const removed = comparePlans(plan, await checkPlan([shorter], s));
  assert.equal(removed.map((m) => m.message), ['is in the plan but not in the playbook', 'is in the plan but not in the playbook']);
});

test('the apply pass applies a planned change only as planned, and leaves a task planned ok alone', async () => {
  const s = setup();
  const plays = [play()];
  writeFileSync(join(s.dir, 'a.conf'), 'hello a\n');
  writeFileSync(join(s.dir, 'a.other'), 'x\n');
  writeFileSync(join(s.dir, 'b.conf'), 'hello b\n');
  writeFileSync(join(s.dir, 'b.other'), 'drift\n');
  const file = join(s.dir, 'plan.json');
  writePlan(file, await checkPlan(plays, s));
  const said: string[] = [];
  const recorded: string[] = [];
  const reporter = { ...silentReporter, taskEnd: (r: { host: string; task: string; status: string; error?: string }) => recorded.push(`${r.host} ${r.task.replace(`writeFile ${s.dir}/`, '')} ${r.status}${r.error ? `: ${r.error}` : ''}`) };
  const outcome = await applyPlan({ name: 'pb', plays }, s.inv, { check: false, forks: 2, reporter, connect: s.connect }, { file, maxAgeSeconds: 60, force: false, say: (l) => said.push(l) });
  assert.is(outcome.exitCode, 0, said.join('\n'));
  assert.equal(recorded.sort(), ['a a.conf ok', 'a a.other ok', 'b b.conf ok', 'b b.other changed']);
  assert.match(said.join('\n'), 'applying 1 planned change');
});

test('the gate refuses what the plan did not say, even when the verification pass could not see it', async () => {
  const s = setup();
  const plays = [play()];
  writeFileSync(join(s.dir, 'a.conf'), 'hello a\n');
  writeFileSync(join(s.dir, 'a.other'), 'x\n');
  writeFileSync(join(s.dir, 'b.conf'), 'hello b\n');
  writeFileSync(join(s.dir, 'b.other'), 'x\n');
  const file = join(s.dir, 'plan.json');
  writePlan(file, await checkPlan(plays, s));
  // A host that moves between the verification pass and the apply pass: the gate is the last word.
  let pass = 0;
  const connect: RunOptions['connect'] = async (host) => {
    if (host.name === 'a' && ++pass === 2) writeFileSync(join(s.dir, 'a.conf'), 'raced\n');
    return s.connect!(host);
  };
  const results: { task: string; status: string; error?: string }[] = [];
  const reporter = { ...silentReporter, taskEnd: (r: { task: string; status: string; error?: string }) => results.push(r) };
  const outcome = await applyPlan({ name: 'pb', plays }, s.inv, { check: false, forks: 2, reporter, connect }, { file, maxAgeSeconds: 60, force: false, say: () => {} });
  assert.is(outcome.exitCode, 1);
  const refused = results.find((r) => r.task === `writeFile ${s.dir}/a.conf`)!;
  assert.is(refused.status, 'failed');
  assert.match(refused.error ?? '', 'refused by the plan: planned ok, and it would now change content');
  assert.match(refused.error ?? '', 'nothing was changed by this task');
  assert.is(require('node:fs').readFileSync(join(s.dir, 'a.conf'), 'utf8'), 'raced\n', 'the unplanned change was not made');
});

test('a plan file that is not a plan is a usage error; a stale one is refused before any connection', async () => {
  const s = setup();
  const bad = join(s.dir, 'bad.json');
  writeFileSync(bad, '{"format":"something else"}');
  assert.throws(() => readPlan(bad), /is not a keel plan/);
  writeFileSync(bad, 'not json');
  assert.throws(() => readPlan(bad), /is not JSON/);
  const file = join(s.dir, 'plan.json');
  const plan = await checkPlan([play()], s);
  writePlan(file, { ...plan, createdAt: new Date(Date.now() - 7200_000).toISOString() });
  const before = s.conns.length;
  const said: string[] = [];
  const outcome = await applyPlan({ name: 'pb', plays: [play()] }, s.inv, { check: false, forks: 2, reporter: silentReporter, connect: s.connect }, { file, maxAgeSeconds: 3600, force: false, say: (l) => said.push(l) });
  assert.is(outcome.exitCode, 5);
  assert.match(said.join('\n'), /the plan is 720\ds old, more than --plan-max-age 3600s/);
  assert.is(s.conns.length, before, 'no host was contacted');
  const other = await applyPlan({ name: 'another', plays: [play()] }, s.inv, { check: false, forks: 2, reporter: silentReporter, connect: s.connect }, { file, maxAgeSeconds: 3600, force: true, say: () => {} });
  assert.is(other.exitCode, 5);
  assert.equal(other.refused, ['the plan is for playbook "pb", this is "another"']);
});

test.run();
