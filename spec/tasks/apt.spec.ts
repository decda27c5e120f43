import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { ExecResult } from '../../lib/types';
import { aptInstall, type AptInstallPlan, listsStaleness } from '../../tasks/apt/apt-install';
import { aptListsAgeFact, aptListsFact, aptPolicyFact, dpkgStatusFact, isPackageInstalled, parseAptPolicy } from '../../tasks/apt/facts';
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
  assert.is(factCommand(task, 'lists'), 'set -- /var/lib/apt/lists/*_Packages*; if [ -e "$1" ]; then echo present; else echo empty; fi');
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
  assert.equal(commands.map(({ command, stdin }) => ({ command, stdin })), [{ command: `${INSTALL} nosuchpkg`, stdin: undefined }]);
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

// --- state latest, absent and updateCacheMaxAgeSeconds ---

const POLICY = fixture('policy-outdated');
const REMOVE = 'DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300';
/** The age fact's output as recorded on Debian 12 (fresh lists: updated 2893 s before `now`, sources older). */
const AGE = readFileSync(join(dir, 'lists-age.stdout'), 'utf8');
const [NOW, LAST_UPDATE] = AGE.split('\n').map(Number);
/** The same host with a sources file written after the last update (an aptRepository earlier in the play). */
const AGE_NEW_SOURCE = `${NOW}\n${LAST_UPDATE}\n${LAST_UPDATE + 5.25}\nend\n`;
const DPKG_BOTH = "openssh-client\tinstall ok installed\t1:9.2p1-2+deb12u10\nbash\tinstall ok installed\t5.2.15-2+b8\n";

test('recorded apt-cache policy (C locale): installed and candidate per package, an unknown one left out', () => {
  assert.is(POLICY.code, 0);
  assert.is(POLICY.stderr, '', 'apt-cache says nothing at all of an unknown package');
  assert.equal(aptPolicyFact(['openssh-client', 'bash', 'nosuchpkg']).parse(POLICY, debianFacts), {
    'openssh-client': { installed: '1:9.2p1-2+deb12u10', candidate: '1:9.2p1-2+deb12u10' },
    bash: { installed: '5.2.15-2+b8', candidate: '5.2.15-2+b13' },
  });
  assert.equal(parseAptPolicy('keel-dummy:\n  Installed: (none)\n  Candidate: 1.0-1\n  Version table:\n', ['keel-dummy']), {
    'keel-dummy': { installed: '(none)', candidate: '1.0-1' },
  });
  assert.throws(() => aptPolicyFact(['bash']).parse({ code: 100, stdout: '', stderr: 'E: boom\n' }, debianFacts), /apt-cache policy failed \(exit 100\): E: boom/);
});

test('latest reads the policy of every package in one command; present and absent do not read it', () => {
  const latest = aptInstall({ packages: ['openssh-client', 'bash'], state: 'latest' });
  assert.equal(Object.keys(latest.definition.facts), ['dpkg', 'lists', 'policy']);
  assert.is(factCommand(latest, 'policy'), 'LC_ALL=C apt-cache policy openssh-client bash');
  assert.equal(Object.keys(aptInstall({ packages: ['bash'] }).definition.facts), ['dpkg', 'lists']);
  assert.equal(Object.keys(aptInstall({ packages: ['bash'], state: 'absent' }).definition.facts), ['dpkg', 'lists']);
  assert.equal(Object.keys(aptInstall({ packages: ['bash'], updateCacheMaxAgeSeconds: 60 }).definition.facts), ['dpkg', 'lists', 'age']);
});

test('latest: the outdated package (recorded: bash +b8, candidate +b13) is upgraded, the current one left alone', async () => {
  const task = aptInstall({ packages: ['openssh-client', 'bash'], state: 'latest' });
  const d = decideOn(task, { dpkg: DPKG_BOTH, lists: LISTS_PRESENT, policy: POLICY });
  assert.equal(d.changes, [{ field: 'package bash', from: '5.2.15-2+b8', to: '5.2.15-2+b13' }]);
  assert.equal(d.plan, { update: false, install: ['bash'], installRecommends: true } satisfies AptInstallPlan);
  assert.is(d.dependsOn, undefined);
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(commands.map((c) => c.command), [`${INSTALL} bash`]);
  // The same host once bash is upgraded: ok, in the present tense.
  const after = POLICY.stdout.replace('Installed: 5.2.15-2+b8', 'Installed: 5.2.15-2+b13');
  const ok = decideOn(task, { dpkg: DPKG_BOTH, lists: LISTS_PRESENT, policy: after });
  assert.equal(ok.changes, []);
  assert.is(ok.ok, 'packages openssh-client, bash are at their candidate versions');
});

test('latest: a missing package apt has no candidate for depends on earlier tasks (a repository to add)', () => {
  const d = decideOn(aptInstall({ packages: ['bash', 'nosuchpkg'], state: 'latest' }), {
    dpkg: fixture('some-unknown'),
    lists: LISTS_PRESENT,
    policy: POLICY,
  });
  assert.equal(d.changes, [
    { field: 'package bash', from: '5.2.15-2+b8', to: '5.2.15-2+b13' },
    { field: 'package nosuchpkg', from: 'absent', to: 'installed' },
  ]);
  assert.is(d.dependsOn, 'apt has no candidate for nosuchpkg yet (a repository may be added earlier)');
});

test('listsStaleness: never updated, older than a sources file, older than the limit, else fresh', () => {
  assert.is(listsStaleness({ now: 1000 }, 60), 'never updated');
  assert.is(listsStaleness({ now: 1000, lastUpdate: 990, newestSource: 995.5 }, 60), 'older than the apt sources');
  assert.is(listsStaleness({ now: 1000, lastUpdate: 900, newestSource: 10 }, 60), 'older than 60s');
  assert.is(listsStaleness({ now: 1000, lastUpdate: 950, newestSource: 10 }, 60), undefined);
  assert.is(listsStaleness({ now: 1000, lastUpdate: 990, newestSource: 990 }, 60), undefined, 'a source as old as the update is not newer');
});

test('the recorded age output parses; a missing partial/ is never updated; garbage fails the fact', () => {
  assert.equal(aptListsAgeFact().parse({ code: 0, stdout: AGE, stderr: '' }, debianFacts), { now: NOW, lastUpdate: LAST_UPDATE, newestSource: 1747699200 });
  assert.equal(aptListsAgeFact().parse({ code: 0, stdout: '1000.5\nnone\n\nend\n', stderr: '' }, debianFacts), {
    now: 1000.5,
    lastUpdate: undefined,
    newestSource: undefined,
  });
  assert.throws(() => aptListsAgeFact().parse({ code: 127, stdout: '', stderr: 'sh: apt-config: not found' }, debianFacts), /cannot tell the age of the apt lists \(exit 127\): sh: apt-config: not found/);
});

test('updateCacheMaxAgeSeconds, present: stale lists are refreshed only when something is missing', async () => {
  const missing = aptInstall({ packages: ['openssh-client', 'nosuchpkg'], updateCacheMaxAgeSeconds: 3600 });
  const d = decideOn(missing, { dpkg: fixture('some-unknown'), lists: LISTS_PRESENT, age: AGE_NEW_SOURCE });
  assert.equal(d.changes, [
    { field: 'apt lists', from: 'older than the apt sources', to: 'updated' },
    { field: 'package nosuchpkg', from: 'absent', to: 'installed' },
  ]);
  assert.equal((await applyPlan(missing, d.plan)).commands.map((c) => c.command), [UPDATE, `${INSTALL} nosuchpkg`]);
  // Fresh lists (the recorded age, 2893 s < 3600 s): no update before the install.
  const fresh = decideOn(missing, { dpkg: fixture('some-unknown'), lists: LISTS_PRESENT, age: AGE });
  assert.equal(fresh.plan, { update: false, install: ['nosuchpkg'], installRecommends: true });
  // Everything installed: stale lists are no reason to run apt at all.
  const all = decideOn(aptInstall({ packages: ['bash', 'coreutils'], updateCacheMaxAgeSeconds: 60 }), {
    dpkg: fixture('all-installed'),
    lists: LISTS_PRESENT,
    age: AGE_NEW_SOURCE,
  });
  assert.equal(all.changes, []);
  assert.is(all.plan, undefined);
});

test('updateCacheMaxAgeSeconds, latest: stale lists are refreshed, then every package is named so apt upgrades what is new', async () => {
  const task = aptInstall({ packages: ['openssh-client', 'bash'], state: 'latest', updateCacheMaxAgeSeconds: 600 });
  const upToDate = POLICY.stdout.replace('Candidate: 5.2.15-2+b13', 'Candidate: 5.2.15-2+b8');
  const d = decideOn(task, { dpkg: DPKG_BOTH, lists: LISTS_PRESENT, policy: upToDate, age: AGE });
  assert.equal(d.changes, [{ field: 'apt lists', from: 'older than 600s', to: 'updated' }]);
  assert.equal(d.plan, { update: true, install: ['openssh-client', 'bash'], installRecommends: true });
  assert.equal((await applyPlan(task, d.plan)).commands.map((c) => c.command), [UPDATE, `${INSTALL} openssh-client bash`]);
  // Within the age: no update, and nothing to upgrade is ok.
  const fresh = decideOn(aptInstall({ packages: ['openssh-client', 'bash'], state: 'latest', updateCacheMaxAgeSeconds: 3600 }), {
    dpkg: DPKG_BOTH,
    lists: LISTS_PRESENT,
    policy: upToDate,
    age: AGE,
  });
  assert.equal(fresh.changes, []);
});

test('absent: only what dpkg has (half-)installed is removed; config-files left alone unless purge', async () => {
  const stdout = readFileSync(join(dir, 'edited-half-installed.stdout'), 'utf8');
  const packages = ['bash', 'corosync', 'pacemaker', 'nosuchpkg'];
  const removed = aptInstall({ packages, state: 'absent' });
  const d = decideOn(removed, { dpkg: stdout, lists: LISTS_PRESENT });
  assert.equal(d.changes, [
    { field: 'package bash', from: 'install ok installed', to: 'removed' },
    { field: 'package pacemaker', from: 'install ok half-configured', to: 'removed' },
  ]);
  assert.equal(d.plan, { remove: ['bash', 'pacemaker'], purge: false } satisfies AptInstallPlan);
  const { commands } = await applyPlan(removed, d.plan);
  assert.equal(commands.map((c) => c.command), [`${REMOVE} remove bash pacemaker`]);

  const purged = aptInstall({ packages, state: 'absent', purge: true });
  const p = decideOn(purged, { dpkg: stdout, lists: LISTS_PRESENT });
  assert.equal(p.plan, { remove: ['bash', 'corosync', 'pacemaker'], purge: true });
  assert.equal(p.changes[1], { field: 'package corosync', from: 'deinstall ok config-files', to: 'purged' });
  assert.equal((await applyPlan(purged, p.plan)).commands.map((c) => c.command), [`${REMOVE} purge bash corosync pacemaker`]);
});

test('absent: nothing installed is ok, and never runs apt-get (recorded: nosuchpkg unknown to dpkg)', () => {
  const d = decideOn(aptInstall({ packages: ['nosuchpkg'], state: 'absent' }), {
    dpkg: { code: 1, stdout: '', stderr: 'dpkg-query: no packages found matching nosuchpkg\n' },
    lists: LISTS_EMPTY,
  });
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, 'package nosuchpkg is not installed');
});

test('purge only goes with state absent; an unknown state is refused', () => {
  assert.throws(() => aptInstall({ packages: ['bash'], purge: true }), /purge: only goes with state absent/);
  assert.throws(() => aptInstall({ packages: ['bash'], state: 'newest' as never }), (e: unknown) => e instanceof ValidationError);
  assert.throws(() => aptInstall({ packages: ['bash'], updateCacheMaxAgeSeconds: -1 }), (e: unknown) => e instanceof ValidationError);
});

test.run();
