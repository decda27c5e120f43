import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../lib/errors';
import type { HostFacts } from '../../lib/types';
import { type BootPlan, parseIsEnabled, parseRcListing, RC_DIRECTORIES, rcDisable, rcEnable, rcLinksCommand } from '../../tasks/service';
import { hasAnyLink, initScriptListed } from '../../tasks/service/facts';
import { FakeConnection } from '../helpers/fake-connection';
import { applyPlan, debianFacts, decideOn, factCommand, runTask } from '../helpers/task-harness';

const listing = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'rc', `${name}.stdout`), 'utf8');
const systemdFacts: HostFacts = { ...debianFacts, initSystem: 'systemd' };
const unknownFacts: HostFacts = { ...debianFacts, initSystem: 'unknown' };
const commandsOf = (r: { commands: { command: string }[] }) => r.commands.map((c) => c.command);

test('the recorded rc listing parses into this service\'s links per runlevel', () => {
  assert.equal(parseRcListing(listing('debian12'), 'ssh'), { 0: [], 1: [], 2: ['S01ssh'], 3: ['S01ssh'], 4: ['S01ssh'], 5: ['S01ssh'], 6: [] });
  assert.equal(parseRcListing(listing('debian12'), 'hwclock.sh'), { 0: ['K01hwclock.sh'], 1: [], 2: [], 3: [], 4: [], 5: [], 6: ['K01hwclock.sh'] });
  // `.` is literal: hwclockXsh is another service.
  assert.equal(parseRcListing('/etc/rc2.d:\nS01hwclockXsh\n', 'hwclock.sh'), { 2: [] });
});

test('the boot fact is declared once: the rc listing on sysvinit, is-enabled on systemd, chosen on the host', () => {
  const enable = rcEnable({ service: 'ssh' });
  const disable = rcDisable({ service: 'corosync' });
  assert.equal(Object.keys(enable.definition.facts), ['boot']);
  const ssh = `if [ -d /run/systemd/system ]; then systemctl is-enabled ssh; elif [ -d /etc/init.d ]; then ${rcLinksCommand('ssh')}; else false; fi`;
  // The same command whatever the host facts say: it needs none, so it is read with them.
  for (const facts of [debianFacts, systemdFacts, unknownFacts]) assert.is(factCommand(enable, 'boot', facts), ssh);
  assert.is(factCommand(disable, 'boot', debianFacts), ssh.replaceAll('ssh', 'corosync'));
});

test("the shell's own listing reads as `ls -1` of the rc directories does, for every service on this machine", () => {
  const ls = spawnSync('ls', ['-1', ...RC_DIRECTORIES], { encoding: 'utf8' });
  assert.ok(ls.stdout.includes('/etc/rc2.d:'), `this machine has rc directories: ${ls.stderr}`);
  const services = readdirSync('/etc/init.d').filter((n) => /^[A-Za-z0-9][A-Za-z0-9_.@:+-]*$/.test(n));
  assert.ok(services.some((n) => hasAnyLink(parseRcListing(ls.stdout, n))), 'some service here has boot links to compare');
  for (const name of [...services, 'keel-no-such-service', 'ss']) {
    const own = spawnSync('sh', ['-c', rcLinksCommand(name)], { encoding: 'utf8' });
    assert.is(own.status, 0, own.stderr);
    assert.equal(parseRcListing(own.stdout, name), parseRcListing(ls.stdout, name), name);
    assert.is(initScriptListed(own.stdout, name), initScriptListed(ls.stdout, name), name);
  }
});

test('rcEnable: an S link in rc2..rc5 is ok, with no plan', () => {
  const d = decideOn(rcEnable({ service: 'ssh' }), { boot: listing('debian12') });
  assert.equal(d.changes, []);
  assert.is(d.ok, 'ssh starts at boot');
  assert.is(d.plan, undefined);
});

test('rcEnable: K links (after update-rc.d disable) are flipped with update-rc.d enable', async () => {
  const task = rcEnable({ service: 'ssh' });
  const d = decideOn(task, { boot: listing('debian12-ssh-disabled') });
  assert.equal(d.changes, [{ field: 'boot start of ssh', from: 'disabled', to: 'enabled' }]);
  assert.equal(d.plan, { action: 'run', command: 'update-rc.d ssh enable' } satisfies BootPlan);
  assert.is(d.dependsOn, undefined);
  const r = await applyPlan(task, d.plan);
  assert.equal(commandsOf(r), ['update-rc.d ssh enable']);
  assert.equal(r.outcome, { output: { code: 0, stdout: '', stderr: '' } });
});

test('rcEnable: a service with no init script yet gets update-rc.d defaults, and depends on earlier changes', async () => {
  const task = rcEnable({ service: 'pacemaker' });
  const d = decideOn(task, { boot: listing('debian12') });
  assert.equal(d.changes, [{ field: 'boot start of pacemaker', from: 'no boot links', to: 'enabled' }]);
  assert.equal(d.plan, { action: 'run', command: 'update-rc.d pacemaker defaults' });
  // The package an earlier task installs brings the init script and creates the links.
  assert.is(d.dependsOn, 'pacemaker has no init script yet');
  const r = await applyPlan(task, d.plan);
  assert.equal(commandsOf(r), ['update-rc.d pacemaker defaults']);
});

test('rcEnable: an init script that was never registered is a firm prediction, not one that depends on earlier changes', () => {
  const registered = listing('debian12').replace('/etc/init.d:\n', '/etc/init.d:\nkeel-test\n');
  const d = decideOn(rcEnable({ service: 'keel-test' }), { boot: registered });
  assert.equal(d.changes, [{ field: 'boot start of keel-test', from: 'no boot links', to: 'enabled' }]);
  assert.equal(d.plan, { action: 'run', command: 'update-rc.d keel-test defaults' });
  assert.is(d.dependsOn, undefined);
});

test('rcEnable: links in some boot runlevels only are named, and enabled', async () => {
  const partial = listing('debian12-ssh-disabled').replace('/etc/rc2.d:\n', '/etc/rc2.d:\nS01ssh\n');
  const task = rcEnable({ service: 'ssh' });
  const d = decideOn(task, { boot: partial });
  assert.equal(d.changes, [{ field: 'boot start of ssh', from: 'enabled in rc2 only', to: 'enabled' }]);
  const r = await applyPlan(task, d.plan);
  assert.equal(commandsOf(r), ['update-rc.d ssh enable']);
});

test('check mode of rcEnable predicts from the listing alone and changes nothing', async () => {
  const task = rcEnable({ service: 'ssh' });
  assert.equal(
    Object.values(task.definition.facts).map((f) => f.command(debianFacts)),
    [factCommand(task, 'boot', debianFacts)],
  );
  // Through the engine: the listing is read, update-rc.d is not run.
  const conn = new FakeConnection('node1').on('/etc/rc2.d', { stdout: listing('debian12-ssh-disabled') }).on('update-rc.d', {});
  const res = await runTask(task, conn, { check: true });
  assert.is(res.status, 'would change', res.error);
  assert.equal(res.changes, [{ field: 'boot start of ssh', from: 'disabled', to: 'enabled' }]);
  assert.not.ok(conn.ran('update-rc.d'), 'check mode ran update-rc.d');
});

test('rcDisable: S links become K links with update-rc.d disable; disabled and unlinked are ok', async () => {
  const task = rcDisable({ service: 'ssh' });
  const d = decideOn(task, { boot: listing('debian12') });
  assert.equal(d.changes, [{ field: 'boot start of ssh', from: 'enabled', to: 'disabled' }]);
  assert.equal(d.plan, { action: 'run', command: 'update-rc.d ssh disable' });
  const r = await applyPlan(task, d.plan);
  assert.equal(commandsOf(r), ['update-rc.d ssh disable']);

  const off = decideOn(rcDisable({ service: 'ssh' }), { boot: listing('debian12-ssh-disabled') });
  assert.equal(off.changes, []);
  assert.is(off.ok, 'ssh does not start at boot (disabled)');
  const none = decideOn(rcDisable({ service: 'corosync' }), { boot: listing('debian12') });
  assert.equal(none.changes, []);
  assert.is(none.ok, 'corosync does not start at boot (no boot links)');
});

test('a read that did not list is an error saying what the host said; a listing is read whatever its status', () => {
  const task = rcEnable({ service: 'ssh' });
  assert.throws(
    () => decideOn(task, { boot: { code: 2, stdout: '', stderr: 'sh: 1: cannot open /etc/init.d: Permission denied\n' } }),
    /^cannot list \/etc\/init\.d and \/etc\/rc\?\.d: sh: 1: cannot open \/etc\/init\.d: Permission denied$/,
  );
  const partial = decideOn(task, { boot: { code: 2, stdout: listing('debian12'), stderr: 'ls: cannot access /etc/rc7.d\n' } });
  assert.is(partial.ok, 'ssh starts at boot');
  assert.equal(partial.changes, []);
});

test('systemd: is-enabled decides, systemctl enable/disable acts', async () => {
  const enable = rcEnable({ service: 'corosync' });
  const d = decideOn(enable, { boot: { code: 1, stdout: 'disabled\n', stderr: '' } }, { facts: systemdFacts });
  assert.equal(d.changes, [{ field: 'boot start of corosync', from: 'disabled', to: 'enabled' }]);
  assert.equal(d.plan, { action: 'run', command: 'systemctl enable corosync' });
  assert.is(d.dependsOn, undefined);
  const r = await applyPlan(enable, d.plan, undefined, { facts: systemdFacts });
  assert.equal(commandsOf(r), ['systemctl enable corosync']);

  const ok = decideOn(enable, { boot: 'enabled\n' }, { facts: systemdFacts });
  assert.equal(ok.changes, []);
  assert.is(ok.ok, 'corosync starts at boot (enabled)');
  const stat = decideOn(enable, { boot: 'static\n' }, { facts: systemdFacts });
  assert.is(stat.ok, 'corosync starts at boot (static)');

  const disable = rcDisable({ service: 'corosync' });
  const off = decideOn(disable, { boot: 'enabled\n' }, { facts: systemdFacts });
  assert.equal(off.changes, [{ field: 'boot start of corosync', from: 'enabled', to: 'disabled' }]);
  const rd = await applyPlan(disable, off.plan, undefined, { facts: systemdFacts });
  assert.equal(commandsOf(rd), ['systemctl disable corosync']);
  // static units are not started at boot by being enabled: nothing to disable.
  assert.equal(decideOn(disable, { boot: 'static\n' }, { facts: systemdFacts }).changes, []);
});

test('systemd: a masked unit fails rcEnable with what to do; a missing one reads as not-found and depends on earlier changes', async () => {
  const task = rcEnable({ service: 'corosync' });
  const d = decideOn(task, { boot: { code: 1, stdout: 'masked\n', stderr: '' } }, { facts: systemdFacts });
  assert.equal(d.changes, [{ field: 'boot start of corosync', from: 'masked', to: 'enabled' }]);
  assert.equal(d.plan, { action: 'refuse', reason: 'corosync is masked: unmask it first (systemctl unmask corosync)' });
  let error: unknown;
  const r = await applyPlan(task, d.plan, undefined, { facts: systemdFacts }).catch((err) => {
    error = err;
    return undefined;
  });
  assert.is(r, undefined);
  assert.instance(error, KeelError);
  assert.is((error as Error).message, 'corosync is masked: unmask it first (systemctl unmask corosync)');

  assert.is(parseIsEnabled('', 'Failed to get unit file state for nosuch.service: No such file or directory\n'), 'not-found');
  assert.is(parseIsEnabled('not-found\n', ''), 'not-found');
  const missing = decideOn(
    rcEnable({ service: 'nosuch' }),
    { boot: { code: 1, stdout: '', stderr: 'Failed to get unit file state for nosuch.service: No such file or directory\n' } },
    { facts: systemdFacts },
  );
  assert.equal(missing.changes, [{ field: 'boot start of nosuch', from: 'not-found', to: 'enabled' }]);
  assert.is(missing.dependsOn, 'unit nosuch is not installed yet');
});

test('a sysvinit boot read that did not list (killed, or the systemd branch answered) is an error, not "no links"', () => {
  const { boot } = rcEnable({ service: 'ssh' }).definition.facts;
  const bad = [
    { code: 137, stdout: '', stderr: '' },
    { code: 0, stdout: 'enabled\n', stderr: '' },
  ];
  for (const r of bad) assert.throws(() => boot.parse(r, debianFacts), (e: unknown) => e instanceof KeelError && /^cannot list \/etc\/init\.d and \/etc\/rc\?\.d: exit/.test(e.message));
  assert.equal(boot.parse({ code: 0, stdout: '/etc/init.d:\n/etc/rc2.d:\n', stderr: '' }, debianFacts), { init: 'sysvinit', script: false, links: { 2: [] } });
});

test('an unknown init system is a clear error when the boot state is parsed', () => {
  const task = rcEnable({ service: 'ssh' });
  const clear = (e: unknown) =>
    e instanceof KeelError && /^cannot tell whether ssh starts at boot: init system is unknown \(keel handles systemd/.test(e.message);
  assert.throws(() => decideOn(task, { boot: listing('debian12') }, { facts: unknownFacts }), clear);
});

test('schema rejects a hostile service name', () => {
  for (const service of ['x; touch /tmp/canary', '$(reboot)', '../x', '', 'a b']) {
    assert.throws(() => rcEnable({ service }), (e: unknown) => e instanceof ValidationError);
    assert.throws(() => rcDisable({ service }), (e: unknown) => e instanceof ValidationError);
  }
  assert.throws(() => rcEnable({ service: 'ssh', enabled: true } as never), (e: unknown) => e instanceof ValidationError);
});

test.run();
