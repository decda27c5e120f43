import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { DecideEnv } from '../../lib/types';
import { APT_LISTS_PROBE, aptInstall, dpkgQueryProbe, parseDpkgQuery } from '../../tasks/apt';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask, testHost } from '../helpers/task-harness';

const dir = join(__dirname, '..', 'fixtures', 'apt');
const fixture = (name: string) => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const env: DecideEnv = { host: testHost, facts: debianFacts };
const INSTALL = 'DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install';
const UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update';

const decide = (params: Parameters<typeof aptInstall>[0], state: unknown) => aptInstall(params).definition.decide(state, env);

test('the probe is one quoted dpkg-query naming every package', () => {
  assert.is(
    dpkgQueryProbe(['openssh-client', 'bash', 'nosuchpkg']),
    "dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n' openssh-client bash nosuchpkg",
  );
  assert.equal(aptInstall({ packages: ['bash'] }).definition.probes, [dpkgQueryProbe(['bash']), APT_LISTS_PROBE]);
});

test('recorded dpkg-query output (exit 1, unknown package on stderr) parses into installed and absent', () => {
  const r = fixture('some-unknown');
  assert.is(r.code, 1);
  assert.equal(parseDpkgQuery(r.stdout, ['openssh-client', 'bash', 'nosuchpkg']), {
    'openssh-client': { status: 'install ok installed', version: '1:9.2p1-2+deb12u10' },
    bash: { status: 'install ok installed', version: '5.2.15-2+b8' },
    nosuchpkg: { status: 'absent' },
  });
});

test('decide: only the missing package is a change, from absent to installed', () => {
  const packages = parseDpkgQuery(fixture('some-unknown').stdout, ['openssh-client', 'bash', 'nosuchpkg']);
  const d = decide({ packages: ['openssh-client', 'bash', 'nosuchpkg'] }, { packages, listsEmpty: false });
  assert.equal(d.changes, [{ field: 'package nosuchpkg', from: 'absent', to: 'installed' }]);
});

test('decide: half-installed and removed packages count as missing, with their dpkg status as from', () => {
  const stdout = readFileSync(join(dir, 'edited-half-installed.stdout'), 'utf8');
  const packages = parseDpkgQuery(stdout, ['bash', 'corosync', 'pacemaker']);
  const d = decide({ packages: ['bash', 'corosync', 'pacemaker'] }, { packages, listsEmpty: false });
  assert.equal(d.changes, [
    { field: 'package corosync', from: 'deinstall ok config-files', to: 'installed' },
    { field: 'package pacemaker', from: 'install ok half-configured', to: 'installed' },
  ]);
});

test('decide: all installed is ok, stated in the present tense', () => {
  const packages = parseDpkgQuery(fixture('all-installed').stdout, ['bash', 'coreutils']);
  const d = decide({ packages: ['bash', 'coreutils'] }, { packages, listsEmpty: true });
  assert.equal(d.changes, []);
  assert.is(d.ok, 'packages bash, coreutils are installed');
  assert.is(decide({ packages: ['bash'] }, { packages: { bash: packages.bash }, listsEmpty: false }).ok, 'package bash is installed');
});

test('decide: empty apt lists add an update change before the packages', () => {
  const d = decide({ packages: ['pacemaker'] }, { packages: { pacemaker: { status: 'absent' } }, listsEmpty: true });
  assert.equal(d.changes, [
    { field: 'apt lists', from: 'empty', to: 'updated' },
    { field: 'package pacemaker', from: 'absent', to: 'installed' },
  ]);
});

function hostWith(name: string, lists = 'present') {
  const r = fixture(name);
  return new FakeConnection('node1').on('dpkg-query', r).on(APT_LISTS_PROBE, { stdout: `${lists}\n` }).on('apt-get', { stdout: 'Setting up\n' });
}

test('apply installs only the missing package, in one apt-get line', async () => {
  const conn = hostWith('some-unknown');
  const res = await runTask(aptInstall({ packages: ['openssh-client', 'bash', 'nosuchpkg'] }), conn);
  assert.is(res.status, 'changed', res.error);
  const sent = conn.commands.map((c) => c.command).filter((c) => c.includes('apt-get'));
  assert.equal(sent, [`${INSTALL} nosuchpkg`]);
});

test('apply with installRecommends false and update true: update, then --no-install-recommends', async () => {
  const conn = hostWith('some-unknown');
  const res = await runTask(aptInstall({ packages: ['nosuchpkg', 'bash'], update: true, installRecommends: false }), conn);
  assert.is(res.status, 'changed', res.error);
  const sent = conn.commands.map((c) => c.command).filter((c) => c.includes('apt-get'));
  assert.equal(sent, [UPDATE, `${INSTALL} --no-install-recommends nosuchpkg`]);
});

test('apply updates first when the host has no apt lists', async () => {
  const conn = hostWith('some-unknown', 'empty');
  await runTask(aptInstall({ packages: ['nosuchpkg'] }), conn);
  const sent = conn.commands.map((c) => c.command).filter((c) => c.includes('apt-get'));
  assert.equal(sent, [UPDATE, `${INSTALL} nosuchpkg`]);
});

test('no-op: everything installed sends no apt-get, not even with update set', async () => {
  const conn = hostWith('all-installed', 'empty');
  const res = await runTask(aptInstall({ packages: ['bash', 'coreutils'], update: true }), conn);
  assert.is(res.status, 'ok');
  assert.is(res.message, 'packages bash, coreutils are installed');
  assert.is(conn.ran('apt-get'), false);
});

test('check mode names the packages it would install and sends only the probes', async () => {
  const conn = hostWith('some-unknown');
  const res = await runTask(aptInstall({ packages: ['openssh-client', 'nosuchpkg'] }), conn, { check: true });
  assert.is(res.status, 'would change');
  assert.equal(res.changes, [{ field: 'package nosuchpkg', from: 'absent', to: 'installed' }]);
  assert.equal(
    conn.commands.map((c) => c.command),
    [dpkgQueryProbe(['openssh-client', 'nosuchpkg']), APT_LISTS_PROBE],
  );
});

test('a failing apt-get fails the task with its output', async () => {
  const conn = new FakeConnection('node1')
    .on('dpkg-query', fixture('some-unknown'))
    .on(APT_LISTS_PROBE, { stdout: 'present\n' })
    .on('apt-get', { code: 100, stderr: 'E: Unable to locate package nosuchpkg\n' });
  const res = await runTask(aptInstall({ packages: ['nosuchpkg'] }), conn);
  assert.is(res.status, 'failed');
  assert.is(res.error, 'apt-get install nosuchpkg failed (exit 100): E: Unable to locate package nosuchpkg');
});

test('dpkg-query failing for another reason fails the probe', async () => {
  const conn = new FakeConnection('node1').on(APT_LISTS_PROBE, { stdout: 'present\n' });
  const res = await runTask(aptInstall({ packages: ['bash'] }), conn);
  assert.is(res.status, 'failed');
  assert.match(res.error ?? '', /^dpkg-query failed \(exit 127\)/);
});

test('the lists probe tells compressed lists from none, on a real shell', async () => {
  const conn = new FakeConnection('local', true);
  const r = await conn.exec(APT_LISTS_PROBE);
  assert.is(r.code, 0);
  assert.ok(['present\n', 'empty\n'].includes(r.stdout));
});

test('schema rejects hostile or malformed package names, an empty list and unknown fields', () => {
  for (const packages of [['x; touch /tmp/canary'], ['$(reboot)'], ['Pacemaker'], [], ['a', 'a']]) {
    assert.throws(() => aptInstall({ packages }), (e: unknown) => e instanceof ValidationError);
  }
  assert.throws(() => aptInstall({ packages: ['bash'], force: true } as never), /force: is not a known field/);
});

test.run();
