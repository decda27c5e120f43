import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Type } from '@sinclair/typebox';
import { quote } from '../../lib/quote';
import { ConfigError } from '../../lib/errors';
import { defineTask, flushHandlers } from '../../lib/task';
import { buildInventory } from '../../lib/inventory';
import type { HostRecap, Reporter } from '../../lib/reporter';
import { runPlaybook, type RunOptions } from '../../lib/runner';
import type { Play, TaskResult } from '../../lib/types';
import { command } from '../../tasks/command';
import { writeFile } from '../../tasks/files';
import { rcDisable, service } from '../../tasks/service';
import { waitFor } from '../../tasks/wait';
import { FakeConnection } from '../helpers/fake-connection';

class Recorder implements Reporter {
  results: TaskResult[] = [];
  unreachable: string[] = [];
  playStart() {}
  taskStart() {}
  taskEnd(r: TaskResult) {
    this.results.push(r);
  }
  hostUnreachable(h: string) {
    this.unreachable.push(h);
  }
  playEnd() {}
  recap(_: Record<string, HostRecap>) {}
  note() {}
}

function setup(hosts = ['a', 'b', 'c']) {
  const dir = mkdtempSync(join(tmpdir(), 'keel-runner-'));
  const inv = buildInventory({
    hosts: Object.fromEntries(hosts.map((h) => [h, { vars: { root: dir, h } }])),
    groups: { cluster: { hosts } },
  });
  const conns = new Map<string, FakeConnection>();
  const connect: RunOptions['connect'] = async (host) => {
    if (host.vars.down) throw new Error('refused');
    const c = new FakeConnection(host.name, true);
    conns.set(host.name, c);
    return c;
  };
  return { dir, inv, conns, connect };
}

async function run(plays: Play[], s: ReturnType<typeof setup>, extra: Partial<RunOptions> = {}) {
  const reporter = new Recorder();
  const report = await runPlaybook(plays, s.inv, { check: false, forks: 5, reporter, connect: s.connect, ...extra });
  return { report, reporter };
}

/** In a batch, the facts script is quoted twice over: its section marker shows it is there. */
const FACTS_MARK = 'echo @@keel-facts@@';

/** A read batch (lib/probe-batch.ts) among the commands a connection saw: it defines `k` first. */
const isBatch = (command: string) => command.startsWith('k=; command -v timeout >/dev/null 2>&1 && k=1\n');

const filesPlay = (extraTasks: Play['tasks'] = () => []): Play => ({
  name: 'files',
  hosts: 'all',
  tasks: (h, facts) => [
    writeFile({ path: `${h.vars.root}/${h.name}.conf`, content: `host ${h.name}\n` }, { notify: ['mark'] }),
    writeFile({ path: `${h.vars.root}/${h.name}.other`, content: 'x\n' }, { tags: ['other'] }),
    ...extraTasks(h, facts),
  ],
  handlers: (h) => ({
    mark: writeFile({ path: `${h.vars.root}/${h.name}.handler`, content: 'ran\n' }),
    unused: writeFile({ path: `${h.vars.root}/${h.name}.unused`, content: 'no\n' }),
  }),
});

test('a no-change run costs one round trip per host: the host facts and every fact of every task in one batch', async () => {
  const s = setup();
  await run([filesPlay()], s);
  const again = await run([filesPlay()], s);
  assert.is(again.report.exitCode, 0);
  for (const c of s.conns.values()) {
    const commands = c.commands.map((x) => x.command);
    assert.is(commands.length, 1, commands.map((x) => x.slice(0, 40)).join('\n'));
    assert.ok(isBatch(commands[0]), 'one batch');
    assert.ok(commands[0].includes(FACTS_MARK), 'with the host facts');
    assert.ok(commands[0].includes('.conf'), "and the tasks' files");
  }
});

test('service status and boot links are read with the host facts: a no-change run of them is one round trip per host', async () => {
  // Their commands pick the init system on the host by the facts' own test, so they need no
  // gathered facts (they took a second round trip when built from them: ~0.1 s per host).
  const s = setup(['a']);
  const name = 'keel-no-such-service';
  const play: Play = { name: 'services', hosts: 'all', tasks: () => [service({ name, state: 'stopped' }), rcDisable({ service: name })] };
  const { report } = await run([play], s);
  assert.is(report.exitCode, 0);
  assert.is(report.recap.a.changed, 0);
  const commands = s.conns.get('a')!.commands.map((x) => x.command);
  assert.is(commands.length, 1, commands.map((x) => x.slice(0, 60)).join('\n'));
  assert.ok(commands[0].includes(FACTS_MARK), 'with the host facts');
  assert.ok(commands[0].includes(`/etc/init.d/${name}`) && commands[0].includes('/etc/rc2.d'), 'and both services reads');
});

test('a read built from the host facts comes in a second round trip, after them; the rest in the first', async () => {
  const s = setup(['a']);
  const byHostname = defineTask({
    module: 'byHostname',
    params: Type.Object({}),
    title: () => 'a file named after the hostname',
    facts: () => ({ there: { name: 'named file', command: (host) => `test -e ${quote(s.dir)}/named-${host.hostname}`, parse: (r) => r.code === 0 } }),
    decide: () => ({ changes: [] }),
    async apply() {},
  });
  writeFileSync(join(s.dir, 'plain'), 'x\n');
  const play: Play = { name: 'mixed', hosts: 'all', tasks: (h) => [writeFile({ path: `${h.vars.root}/plain`, content: 'x\n' }), byHostname({})] };
  const { report } = await run([play], s);
  assert.is(report.recap.a.ok, 2);
  const commands = s.conns.get('a')!.commands.map((x) => x.command);
  assert.is(commands.length, 2, commands.map((x) => x.slice(0, 60)).join('\n'));
  assert.ok(commands[0].includes(FACTS_MARK) && commands[0].includes('plain'), 'first: the facts and the plain file');
  assert.ok(!commands[0].includes('named-'), 'not the read that needs the facts');
  assert.is(commands[1], `test -e ${quote(s.dir)}/named-${hostname()}`, 'then the read built from them');
});

test("a host's reads built from its facts go out as soon as the facts are in, not when a slower host lets the play reach them", async () => {
  const s = setup(['a', 'b']);
  const log: string[] = [];
  const kind = (command: string) => (command.includes('named-') ? 'named' : command.includes('sleep 0.5') ? 'sleep' : 'other');
  const connect = s.connect!;
  s.connect = async (host) => {
    const c = (await connect(host)) as FakeConnection;
    const exec = c.exec.bind(c);
    c.exec = async (command, options) => {
      log.push(`${host.name} start ${kind(command)}`);
      const r = await exec(command, options);
      log.push(`${host.name} end ${kind(command)}`);
      return r;
    };
    return c;
  };
  const named = (tag: string) =>
    defineTask({
      module: `named${tag}`,
      params: Type.Object({}),
      title: () => `a file named ${tag} after the hostname`,
      facts: () => ({ there: { name: 'named file', command: (host) => `test -e ${quote(s.dir)}/named-${tag}-${host.hostname}`, parse: (r) => r.code === 0 } }),
      decide: () => ({ changes: [] }),
      async apply() {},
    });
  const [one, two] = [named('one'), named('two')];
  const play: Play = { name: 'slow a', hosts: 'all', tasks: (h) => [command({ cmd: h.name === 'a' ? 'sleep 0.5' : 'true' }), one({}), two({})] };
  const { report } = await run([play], s);
  assert.is(report.exitCode, 0);
  const bNamed = log.indexOf('b start named');
  const aSlept = log.indexOf('a end sleep');
  assert.ok(bNamed >= 0 && aSlept >= 0 && bNamed < aSlept, `b read its facts-built reads before a's first task ended:\n${log.join('\n')}`);
});

test('a converged host answers every play in the round trip that gathers its facts; a run-once task is read only where it runs', async () => {
  const s = setup(['a', 'b']);
  const second: Play = {
    name: 'second',
    hosts: 'all',
    tasks: (h) => [
      writeFile({ path: `${h.vars.root}/${h.name}.second`, content: '2\n' }),
      writeFile({ path: `${h.vars.root}/shared.once`, content: 'once\n' }, { runOnce: true }),
      writeFile({ path: `${h.vars.root}/${h.name}.third`, content: '3\n' }),
    ],
  };
  await run([filesPlay(), second], s);
  for (const c of s.conns.values()) c.commands.length = 0;
  const again = await run([filesPlay(), second], s);
  assert.is(again.report.exitCode, 0);
  for (const [name, c] of s.conns) {
    const commands = c.commands.map((x) => x.command);
    assert.is(commands.length, 1, `${name}: one batch for both plays; got\n${commands.map((x) => x.slice(0, 60)).join('\n')}`);
    assert.ok(isBatch(commands[0]) && commands[0].includes(FACTS_MARK), `${name}: the facts in it`);
    assert.ok(commands[0].includes(`${name}.third`), `${name}: and the second play's reads`);
    assert.is(commands[0].includes('shared.once'), name === 'a', `${name}: the run-once task's file is read only on the host that runs it`);
  }
});

test("a host that first appears in a later play is read when that play starts, after the plays before it", async () => {
  const s = setup(['a', 'b']);
  const exported = join(s.dir, 'exported');
  const ranOnB = join(s.dir, 'ran-on-b');
  // The hosts share this machine's filesystem: what play 1 does on a is what play 2 reads on b.
  const plays: Play[] = [
    { name: 'export', hosts: 'a', tasks: () => [command({ cmd: `touch ${exported}`, creates: exported })] },
    { name: 'use', hosts: 'b', tasks: () => [command({ cmd: `touch ${ranOnB}`, creates: exported })] },
  ];
  const { report } = await run(plays, s);
  assert.is(report.recap.a.changed, 1);
  assert.is(report.recap.b.changed, 0, "b's guard saw the file play 1 made");
  assert.not.ok(existsSync(ranOnB));
  const commands = s.conns.get('b')!.commands.map((c) => c.command);
  assert.ok(commands[0].includes(FACTS_MARK) && commands[0].includes(quote(exported)), "b's guard was read ahead, with its facts");
  assert.ok(commands.slice(1).some((c) => c.includes(quote(exported))), 'and again when play 2 began, since play 1 acted on a');
});

test('when no host acted, a later play uses what was read ahead; when one did, every host reads again', async () => {
  const s = setup(['a', 'b']);
  const plays = (h: string): Play[] => [
    { name: 'one', hosts: h, tasks: (x) => [writeFile({ path: `${x.vars.root}/${x.name}.one`, content: '1\n' })] },
    { name: 'two', hosts: 'all', tasks: (x) => [writeFile({ path: `${x.vars.root}/${x.name}.two`, content: '2\n' })] },
  ];
  await run(plays('all'), s);
  for (const c of s.conns.values()) c.commands.length = 0;
  await run(plays('all'), s);
  assert.equal([...s.conns.values()].map((c) => c.commands.length), [1, 1], 'converged: one round trip per host');
  writeFileSync(join(s.dir, 'a.one'), 'drift\n');
  for (const c of s.conns.values()) c.commands.length = 0;
  const { report } = await run(plays('a'), s);
  assert.is(report.recap.a.changed, 1);
  assert.is(s.conns.get('b')!.commands.length, 2, "b read play 2 again after a's change");
});

test('once a host is changing, probes are read a few tasks ahead, not all remaining ones each time', async () => {
  const s = setup(['a']);
  const play: Play = {
    name: 'many',
    hosts: 'all',
    tasks: (h) => Array.from({ length: 12 }, (_, i) => writeFile({ path: `${h.vars.root}/f${i}`, content: `${i}\n` })),
  };
  const { report } = await run([play], s);
  assert.is(report.recap.a.changed, 12);
  const batches = s.conns.get('a')!.commands.map((c) => c.command).filter((c) => isBatch(c));
  // The files each batch reads (file reads of a batch merge into one read: count the paths).
  const sizes = batches.map((b) => new Set(b.match(/\/f\d+\b/g)).size);
  assert.is(sizes[0], 12, "the first batch: all 12 tasks' facts (with the host facts)");
  assert.ok(batches[0].includes('@@keel-facts@@'), 'the host facts in the first batch');
  assert.ok(sizes.slice(1).every((n) => n <= 4), `later batches: ${sizes.join(' ')}`);
});

test("a task whose condition is false with what is registered so far is not read ahead; when an earlier task makes it true, it reads its facts itself", async () => {
  const s = setup(['a']);
  writeFileSync(join(s.dir, 'same'), 'same\n');
  const play: Play = {
    name: 'conditions',
    hosts: 'all',
    tasks: (h) => [
      writeFile({ path: `${h.vars.root}/same`, content: 'same\n' }, { register: 'same' }),
      writeFile({ path: `${h.vars.root}/first`, content: 'first\n' }, { register: 'first' }),
      // False until "first" is registered as changed: not read ahead at connect.
      writeFile({ path: `${h.vars.root}/after-first`, content: 'x\n' }, { when: (_h, reg) => reg.first?.status === 'changed' }),
      // Never true: never read.
      writeFile({ path: `${h.vars.root}/never`, content: 'x\n' }, { when: (_h, reg) => reg.same?.status === 'changed' }),
      // Throws before "same" is registered: cannot be told, so read ahead.
      writeFile({ path: `${h.vars.root}/unknown`, content: 'x\n' }, { when: (_h, reg) => reg.same!.status === 'ok' }),
    ],
  };
  const { report } = await run([play], s);
  assert.is(report.recap.a.changed, 3, JSON.stringify(report.recap.a));
  assert.is(report.recap.a.skipped, 1);
  const commands = s.conns.get('a')!.commands.map((c) => c.command);
  const first = commands[0];
  assert.ok(first.includes(FACTS_MARK), 'the first batch gathers the facts');
  assert.ok(first.includes(`${s.dir}/same`) && first.includes(`${s.dir}/first`) && first.includes(`${s.dir}/unknown`), first);
  assert.not.ok(first.includes(`${s.dir}/after-first`), 'the false condition: not read ahead');
  assert.not.ok(commands.some((c) => c.includes(`${s.dir}/never`)), 'a task skipped is never read');
  assert.ok(existsSync(join(s.dir, 'after-first')), 'it ran, having read its own facts after "first" changed');
});

test('after a change, a converged rest of the play is read a few tasks at a time, not one round trip per task', async () => {
  const s = setup(['a']);
  const play: Play = {
    name: 'one change, then converged',
    hosts: 'all',
    tasks: (h) => [
      writeFile({ path: `${h.vars.root}/changed`, content: 'new\n' }),
      ...Array.from({ length: 12 }, (_, i) => writeFile({ path: `${h.vars.root}/same${i}`, content: `${i}\n` })),
    ],
  };
  for (let i = 0; i < 12; i++) writeFileSync(join(s.dir, `same${i}`), `${i}\n`);
  const { report } = await run([play], s);
  assert.is(report.recap.a.changed, 1);
  assert.is(report.recap.a.ok, 12);
  const commands = s.conns.get('a')!.commands.map((c) => c.command);
  // The first batch (facts and all 13 tasks), the write, then 12 converged tasks 4 at a time.
  assert.is(commands.length, 1 + 1 + 3, commands.map((c) => c.slice(0, 50)).join('\n'));
});

test('a task after a wait reads the host again: a file rewritten during the wait is changed back, not reported ok', async () => {
  const s = setup(['a']);
  const file = join(s.dir, 'watched');
  const flag = join(s.dir, 'waited');
  writeFileSync(file, 'want\n');
  const play: Play = {
    name: 'wait then write',
    hosts: 'all',
    tasks: () => [
      // The first look fails and, as something else on the host might, rewrites the file; the next poll succeeds.
      waitFor({ cmd: `if [ -e ${flag} ]; then exit 0; fi; echo drifted > ${file}; touch ${flag}; exit 1`, intervalSeconds: 0.05, timeoutSeconds: 10 }),
      writeFile({ path: file, content: 'want\n' }),
    ],
  };
  const { reporter } = await run([play], s);
  assert.equal(reporter.results.map((r) => r.status), ['ok', 'changed'], JSON.stringify(reporter.results));
  assert.is(readFileSync(file, 'utf8'), 'want\n');
});

test('check mode: a wait whose condition does not hold yet is skipped, never drift', async () => {
  const s = setup(['a']);
  writeFileSync(join(s.dir, 'a.conf'), 'host a\n');
  const play: Play = {
    name: 'wait',
    hosts: 'all',
    tasks: (h) => [
      writeFile({ path: `${h.vars.root}/a.conf`, content: 'host a\n' }),
      waitFor({ cmd: 'exit 1', description: 'never' }),
    ],
  };
  const { report, reporter } = await run([play], s, { check: true });
  assert.equal(reporter.results.map((r) => [r.status, r.message]), [
    ['ok', `${s.dir}/a.conf has the desired content`],
    ['skipped', 'depends on earlier changes: not yet never'],
  ]);
  assert.is(report.exitCode, 0, 'no drift');
});

test('handlers run once at the end of the play, only when notified', async () => {
  const s = setup(['a']);
  const first = await run([filesPlay()], s);
  assert.ok(existsSync(join(s.dir, 'a.handler')));
  assert.not.ok(existsSync(join(s.dir, 'a.unused')));
  assert.equal(first.reporter.results.map((r) => r.status), ['changed', 'changed', 'changed']);
  const second = await run([filesPlay()], s);
  assert.equal(second.reporter.results.map((r) => r.status), ['ok', 'ok'], 'no handler without a change');
});

test('flushHandlers runs notified handlers before the next task', async () => {
  const s = setup(['a']);
  const play = filesPlay(() => [flushHandlers(), writeFile({ path: `${s.dir}/after`, content: 'after\n' })]);
  const { reporter } = await run([play], s);
  assert.equal(reporter.results.map((r) => r.task.split('/').pop()), ['a.conf', 'a.other', 'mark', 'after']);
});

test('check mode changes nothing, reports would change and exits with the drift code', async () => {
  const s = setup();
  const { report, reporter } = await run([filesPlay()], s, { check: true });
  assert.is(report.exitCode, 4);
  assert.ok(reporter.results.every((r) => r.status === 'would change'));
  assert.not.ok(existsSync(join(s.dir, 'a.conf')));
});

test('a failed task stops that host; the other hosts finish the play', async () => {
  const s = setup();
  const play = filesPlay((h) => [
    writeFile({ path: h.name === 'b' ? '/nonexistent-dir/x' : `${h.vars.root}/${h.name}.last`, content: 'z\n' }),
    writeFile({ path: `${h.vars.root}/${h.name}.after-failure`, content: 'z\n' }),
  ]);
  const { report } = await run([play], s);
  assert.is(report.exitCode, 1);
  assert.is(report.recap.b.failed, 1);
  assert.ok(existsSync(join(s.dir, 'a.after-failure')));
  assert.not.ok(existsSync(join(s.dir, 'b.after-failure')));
  assert.ok(existsSync(join(s.dir, 'c.after-failure')));
});

test('a failure under ignoreErrors is counted as ignored: the host goes on and the run exits 0', async () => {
  const s = setup(['a']);
  const play = filesPlay(() => [
    writeFile({ path: '/nonexistent-dir/x', content: 'z\n' }, { ignoreErrors: true }),
    writeFile({ path: `${s.dir}/after-ignored`, content: 'z\n' }),
  ]);
  const { report, reporter } = await run([play], s);
  assert.is(report.exitCode, 0);
  assert.is(report.recap.a.ignored, 1);
  assert.is(report.recap.a.failed, 0);
  assert.ok(reporter.results.some((r) => r.status === 'failed' && r.ignored));
  assert.ok(existsSync(join(s.dir, 'after-ignored')));
});

test('an unreachable host is reported and the others finish', async () => {
  const s = setup();
  s.inv.hosts[1] = { ...s.inv.hosts[1], vars: { ...s.inv.hosts[1].vars, down: true } };
  const { report, reporter } = await run([filesPlay()], s);
  assert.is(report.exitCode, 3);
  assert.equal(reporter.unreachable, ['b']);
  assert.is(report.recap.b.unreachable, 1);
  assert.is(report.recap.a.changed, 3);
});

test('a host that cannot give its facts fails as "gather facts" before any task; the others go on', async () => {
  const s = setup(['a', 'b']);
  const connect = s.connect!;
  s.connect = async (host) => {
    const c = (await connect(host)) as FakeConnection;
    // The facts script fails on b, inside the batch it is sent in (the rest of the batch runs).
    if (host.name === 'b') {
      c.on(FACTS_MARK, (command) => {
        // The facts script's first section marker becomes a failure: the read prints its hostname, then fails.
        const p = spawnSync('sh', ['-c', command.replace(FACTS_MARK, 'echo ip: not found >&2; exit 1')]);
        return { code: p.status ?? 1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
      });
    }
    return c;
  };
  const { report, reporter } = await run([filesPlay()], s);
  assert.is(report.exitCode, 1);
  const b = reporter.results.filter((r) => r.host === 'b');
  assert.equal(b.map((r) => [r.task, r.status]), [['gather facts', 'failed']]);
  assert.match(b[0].error ?? '', 'gathering facts failed (exit 1): ip: not found');
  assert.is(report.recap.a.changed, 3);
  assert.not.ok(existsSync(join(s.dir, 'b.conf')), 'no task ran on b');
});

test('a play whose task list reads the host facts is built once they are gathered, and when sees them too', async () => {
  const s = setup(['a']);
  const play: Play = {
    name: 'by facts',
    hosts: 'all',
    tasks: (h, facts) => [
      writeFile({ path: `${h.vars.root}/init-${facts.initSystem}`, content: `${facts.hostname}\n` }),
      writeFile({ path: `${h.vars.root}/never`, content: 'x\n' }, { when: (_h, _r, f) => f.initSystem === 'unknown' }),
    ],
  };
  const { reporter } = await run([play], s);
  const init = existsSync('/run/systemd/system') ? 'systemd' : 'sysvinit';
  assert.equal(reporter.results.map((r) => [r.task, r.status]), [
    [`writeFile ${s.dir}/init-${init}`, 'changed'],
    [`writeFile ${s.dir}/never`, 'skipped'],
  ]);
});

test('a task list that reads facts and has bad parameters fails that host once its facts are in, before any of its tasks runs', async () => {
  const s = setup(['a']);
  const play: Play = {
    name: 'bad by facts',
    hosts: 'all',
    tasks: (h, facts) => [writeFile({ path: facts.initSystem === 'sysvinit' || facts.initSystem === 'systemd' ? 'relative' : '/x', content: '' })],
  };
  const { report, reporter } = await run([play], s);
  assert.is(report.exitCode, 1);
  assert.equal(reporter.results.map((r) => [r.task, r.status]), [['build the task list', 'failed']]);
  assert.match(reporter.results[0].error ?? '', 'writeFile parameters is invalid');
});

test('runOnce runs a cluster-wide step on the first host only', async () => {
  const s = setup();
  const play: Play = {
    name: 'once',
    hosts: 'cluster',
    tasks: (h) => [writeFile({ path: `${h.vars.root}/once`, content: `${h.name}\n` }, { runOnce: true })],
  };
  const { reporter } = await run([play], s);
  assert.is(readFileSync(join(s.dir, 'once'), 'utf8'), 'a\n');
  assert.equal(reporter.results.map((r) => `${r.host}:${r.status}:${r.message ?? ''}`).sort(), [
    'a:changed:',
    'b:skipped:runs once, on a',
    'c:skipped:runs once, on a',
  ]);
});

test('--tags and --skip-tags select tasks; when=false skips with a reason', async () => {
  const s = setup(['a']);
  const tagged = await run([filesPlay()], s, { tags: ['other'] });
  assert.equal(tagged.reporter.results.map((r) => r.task.split('/').pop()), ['a.other']);
  const skipped = await run([filesPlay()], s, { skipTags: ['other'] });
  assert.equal(skipped.reporter.results.map((r) => r.task.split('/').pop()), ['a.conf', 'mark']);
  const play: Play = { name: 'w', hosts: 'all', tasks: () => [writeFile({ path: `${s.dir}/w`, content: 'w' }, { when: () => false })] };
  const w = await run([play], s);
  assert.equal(w.reporter.results.map((r) => [r.status, r.message]), [['skipped', 'condition is false']]);
});

test('bad task parameters fail while the playbook is planned, before any connection', async () => {
  const s = setup();
  const play: Play = { name: 'bad', hosts: 'all', tasks: () => [writeFile({ path: 'relative', content: 1 as unknown as string })] };
  try {
    await run([play], s);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match(String(err), 'writeFile parameters is invalid');
    assert.match(String(err), 'path: must match pattern');
    assert.match(String(err), 'content: must be string');
  }
  assert.is(s.conns.size, 0, 'no host was contacted');
});

test('a notify naming no handler of the play is a ConfigError while planning, before any connection', async () => {
  const s = setup();
  const play = filesPlay((h) => [writeFile({ path: `${h.vars.root}/x`, content: 'x\n' }, { notify: ['restart ssh'] })]);
  try {
    await run([play], s);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, /task "writeFile .*\/x" notifies "restart ssh", which is not a handler of the play \(its handlers: "mark", "unused"\)/);
    assert.not.match((err as Error).message, '\n');
  }
  assert.is(s.conns.size, 0, 'no host was contacted');
  const noHandlers: Play = { name: 'bare', hosts: 'all', tasks: (h) => [writeFile({ path: `${h.vars.root}/y`, content: 'y\n' }, { notify: ['x'] })] };
  await run([noHandlers], s).then(
    () => assert.unreachable('should have thrown'),
    (err) => assert.match((err as Error).message, '(it has no handlers)'),
  );
});

test.run();
