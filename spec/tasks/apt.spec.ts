import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { ExecResult } from '../../lib/types';
import { aptInstall, type AptInstallPlan } from '../../tasks/apt/apt-install';
import { aptListsFact, dpkgStatusFact, isPackageInstalled } from '../../tasks/apt/facts';
import { applyPlan, debianFacts, decideOn, factCommand } from '../helpers/task-harness';

const dir = join(__dirname, '..', 'fixtures', 'apt');
const fixture = (name: string): ExecResult => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const INSTALL = 'DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install';
const UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update';
const LISTS_PRESENT = 'present\n';
const LISTS_EMPTY = 'empty\n';

/** decide on a recorded dpkg-query result and a lists answer. */
const decide = (params: Parameters<typeof aptInstall>[0], dpkg: ExecResult | string, lists = LISTS_PRESENT) =>
  decideOn(aptInstall(params), { dpkg, lists });

test('the dpkg fact is one quoted dpkg-query naming every package; the lists fact is the same for every task', () => {
  const task = aptInstall({ packages: ['openssh-client', 'bash', 'nosuchpkg'] });
  assert.is(factCommand(task, 'dpkg'), "dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n' openssh-client bash nosuchpkg");
  assert.equal(Object.keys(task.definition.facts), ['dpkg', 'lists']);
  assert.is(factCommand(task, 'lists'), factCommand(aptInstall({ packages: ['pacemaker'] }), 'lists'));
  assert.is(factCommand(task, 'lists'), "if ls /var/lib/apt/lists/ 2>/dev/null | grep -q _Packages; then echo present; else echo empty; fi");
});

test('recorded dpkg-query output (exit 1, unknown package on stderr) parses into installed and absent', () => {
  const r = fixture('some-unknown');
  assert.is(r.code, 1);
  assert.equal(dpkgStatusFact(['openssh-client', 'bash', 'nosuchpkg']).parse(r, debianFacts), {
    'openssh-client': { status: 'install ok installed', version: '1:9.2p1-2+deb12u10' },
    bash: { status: 'install ok installed', version: '5.2.15-2+b8' },
    nosuchpkg: { status: 'absent' },
  });
});

test('decide: only the missing package is a change, from absent to installed, and the plan installs only it', () => {
  const d = decide({ packages: ['openssh-client', 'bash', 'nosuchpkg'] }, fixture('some-unknown'));
  assert.equal(d.changes, [{ field: 'package nosuchpkg', from: 'absent', to: 'installed' }]);
  assert.equal(d.plan, { update: false, install: ['nosuchpkg'], installRecommends: true } satisfies AptInstallPlan);
});

test('decide: half-installed and removed packages count as missing, with their dpkg status as from', () => {
  const stdout = readFileSync(join(dir, 'edited-half-installed.stdout'), 'utf8');
  const d = decide({ packages: ['bash', 'corosync', 'pacemaker'] }, stdout);
  assert.equal(d.changes, [
    { field: 'package corosync', from: 'deinstall ok config-files', to: 'installed' },
    { field: 'package pacemaker', from: 'install ok half-configured', to: 'installed' },
  ]);
  assert.equal(d.plan?.install, ['corosync', 'pacemaker']);
});

test('a held package (hold ok installed, recorded after apt-mark hold) is installed: no change, every run', () => {
  const r = fixture('held');
  const packages = ['openssh-client', 'bash'];
  assert.equal(dpkgStatusFact(packages).parse(r, debianFacts)['openssh-client'], { status: 'hold ok installed', version: '1:9.2p1-2+deb12u10' });
  const d = decide({ packages }, r);
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, 'packages openssh-client, bash are installed');
});

test('installed means state installed with error flag ok, whatever the selection', () => {
  const cases: [string, boolean][] = [
    ['install ok installed', true],
    ['hold ok installed', true],
    ['deinstall ok installed', true],
    ['install ok half-configured', false],
    ['hold ok unpacked', false],
    ['install reinstreq half-installed', false],
    ['hold reinstreq installed', false],
    ['deinstall ok config-files', false],
    ['absent', false],
  ];
  assert.equal(
    cases.map(([status]) => [status, isPackageInstalled({ status })]),
    cases,
  );
  assert.is(isPackageInstalled(undefined), false);
});

test('decide: all installed is ok, stated in the present tense, even with empty lists', () => {
  const d = decide({ packages: ['bash', 'coreutils'] }, fixture('all-installed'), LISTS_EMPTY);
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, 'packages bash, coreutils are installed');
  assert.is(decide({ packages: ['bash'] }, fixture('all-installed')).ok, 'package bash is installed');
});

test('decide: empty apt lists add an update change before the packages, and the plan updates', () => {
  const d = decide({ packages: ['pacemaker'] }, { code: 1, stdout: '', stderr: 'dpkg-query: no packages found matching pacemaker\n' }, LISTS_EMPTY);
  assert.equal(d.changes, [
    { field: 'apt lists', from: 'empty', to: 'updated' },
    { field: 'package pacemaker', from: 'absent', to: 'installed' },
  ]);
  assert.equal(d.plan, { update: true, install: ['pacemaker'], installRecommends: true });
});

test('apply installs only the missing package, in one apt-get line, and keeps its output', async () => {
  const task = aptInstall({ packages: ['openssh-client', 'bash', 'nosuchpkg'] });
  const d = decideOn(task, { dpkg: fixture('some-unknown'), lists: LISTS_PRESENT });
  const { commands, outcome } = await applyPlan(task, d.plan, () => ({ stdout: 'Setting up nosuchpkg\n' }));
  assert.equal(commands, [{ command: `${INSTALL} nosuchpkg`, stdin: undefined }]);
  assert.equal(outcome, { output: { code: 0, stdout: 'Setting up nosuchpkg\n', stderr: '' } });
});

test('apply with installRecommends false and update true: update, then --no-install-recommends', async () => {
  const task = aptInstall({ packages: ['nosuchpkg', 'bash'], update: true, installRecommends: false });
  const d = decideOn(task, { dpkg: fixture('some-unknown'), lists: LISTS_PRESENT });
  assert.equal(d.changes, [{ field: 'package nosuchpkg', from: 'absent', to: 'installed' }], 'an asked-for update is not a change of its own');
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(
    commands.map((c) => c.command),
    [UPDATE, `${INSTALL} --no-install-recommends nosuchpkg`],
  );
});

test('apply updates first when the host has no apt lists', async () => {
  const task = aptInstall({ packages: ['nosuchpkg'] });
  const d = decideOn(task, { dpkg: fixture('some-unknown'), lists: LISTS_EMPTY });
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(
    commands.map((c) => c.command),
    [UPDATE, `${INSTALL} nosuchpkg`],
  );
});

test('no-op: everything installed leaves no plan (no apt-get), not even with update set', () => {
  const d = decide({ packages: ['bash', 'coreutils'], update: true }, fixture('all-installed'), LISTS_EMPTY);
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, 'packages bash, coreutils are installed');
});

test('check mode names the packages it would install, from the two read-only fact commands alone', () => {
  const task = aptInstall({ packages: ['openssh-client', 'nosuchpkg'] });
  const reads = Object.values(task.definition.facts).map((f) => f.command(debianFacts));
  assert.equal(reads, [
    "dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n' openssh-client nosuchpkg",
    aptListsFact().command(debianFacts),
  ]);
  assert.not.ok(reads.some((c) => c.includes('apt-get')));
  const d = decideOn(task, { dpkg: fixture('some-unknown'), lists: LISTS_PRESENT });
  assert.equal(d.changes, [{ field: 'package nosuchpkg', from: 'absent', to: 'installed' }]);
});

test('a failing apt-get fails apply with its output', async () => {
  const task = aptInstall({ packages: ['nosuchpkg'] });
  const d = decideOn(task, { dpkg: fixture('some-unknown'), lists: LISTS_PRESENT });
  try {
    await applyPlan(task, d.plan, (c) => (c.includes('apt-get') ? { code: 100, stderr: 'E: Unable to locate package nosuchpkg\n' } : undefined));
    assert.unreachable('apply should have failed');
  } catch (err) {
    assert.instance(err, Error);
    assert.match((err as Error).message, /^apt-get install nosuchpkg failed \(exit 100\): E: Unable to locate package nosuchpkg/);
  }
});

test('dpkg-query failing for another reason fails the fact', () => {
  const task = aptInstall({ packages: ['bash'] });
  assert.throws(
    () => decideOn(task, { dpkg: { code: 127, stdout: '', stderr: 'sh: 1: dpkg-query: not found\n' }, lists: LISTS_PRESENT }),
    (e: unknown) => (e as Error).message === 'dpkg-query failed (exit 127): sh: 1: dpkg-query: not found',
  );
});

test('the lists fact, run in a real sh: compressed lists are present; lock and partial/ alone, or no directory, are empty', () => {
  const root = mkdtempSync(join(tmpdir(), 'keel-apt-lists-'));
  try {
    const withLists = join(root, 'with lists');
    mkdirSync(join(withLists, 'partial'), { recursive: true });
    writeFileSync(join(withLists, 'lock'), '');
    writeFileSync(join(withLists, 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4'), '');
    const lockOnly = join(root, 'lock-only');
    mkdirSync(join(lockOnly, 'partial'), { recursive: true });
    writeFileSync(join(lockOnly, 'lock'), '');
    // A list being downloaded is not a list yet.
    writeFileSync(join(lockOnly, 'partial', 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages'), '');
    const missing = join(root, 'missing');
    const read = (listsDir: string) => {
      const fact = aptListsFact(listsDir);
      const p = spawnSync('sh', ['-c', fact.command(debianFacts)], { encoding: 'utf8' });
      return fact.parse({ code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr }, debianFacts);
    };
    assert.is(read(withLists), true);
    assert.is(read(lockOnly), false);
    assert.is(read(missing), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the lists fact refuses an answer it cannot read', () => {
  assert.throws(() => aptListsFact().parse({ code: 0, stdout: '', stderr: '' }, debianFacts), /cannot tell whether \/var\/lib\/apt\/lists holds apt lists/);
});

test('schema rejects hostile or malformed package names, an empty list and unknown fields', () => {
  for (const packages of [['x; touch /tmp/canary'], ['$(reboot)'], ['Pacemaker'], [], ['bash', 'bash']]) {
    assert.throws(() => aptInstall({ packages }), (e: unknown) => e instanceof ValidationError);
  }
  assert.throws(() => aptInstall({ packages: ['bash'], force: true } as never), /force: is not a known field/);
});

test.run();
