import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { Facts } from '../../lib/types';
import { parseIsEnabled, parseRcListing, RC_LINKS_PROBE, rcDisable, rcEnable } from '../../tasks/rc';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask } from '../helpers/task-harness';

const listing = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'rc', `${name}.stdout`), 'utf8');
const systemdFacts: Facts = { ...debianFacts, initSystem: 'systemd' };
const sysv = (name: string) => new FakeConnection('node1').on(RC_LINKS_PROBE, { stdout: listing(name) }).on('update-rc.d', { stdout: '' });
const commandsOf = (conn: FakeConnection) => conn.commands.map((c) => c.command);

test('the recorded rc listing parses into this service\'s links per runlevel', () => {
  assert.equal(parseRcListing(listing('debian12'), 'ssh'), { 0: [], 1: [], 2: ['S01ssh'], 3: ['S01ssh'], 4: ['S01ssh'], 5: ['S01ssh'], 6: [] });
  assert.equal(parseRcListing(listing('debian12'), 'hwclock.sh'), { 0: ['K01hwclock.sh'], 1: [], 2: [], 3: [], 4: [], 5: [], 6: ['K01hwclock.sh'] });
  // `.` is literal: hwclockXsh is another service.
  assert.equal(parseRcListing('/etc/rc2.d:\nS01hwclockXsh\n', 'hwclock.sh'), { 2: [] });
});

test('rcEnable: an S link in rc2..rc5 is ok, and sends nothing but the listing', async () => {
  const conn = sysv('debian12');
  const res = await runTask(rcEnable({ service: 'ssh' }), conn);
  assert.is(res.status, 'ok', res.error);
  assert.is(res.message, 'ssh starts at boot');
  assert.equal(commandsOf(conn), [RC_LINKS_PROBE]);
});

test('rcEnable: K links (after update-rc.d disable) are flipped with update-rc.d enable', async () => {
  const conn = sysv('debian12-ssh-disabled');
  const res = await runTask(rcEnable({ service: 'ssh' }), conn);
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'boot start of ssh', from: 'disabled', to: 'enabled' }]);
  assert.equal(commandsOf(conn), [RC_LINKS_PROBE, 'update-rc.d ssh enable']);
});

test('rcEnable: a service with no links at all gets update-rc.d defaults', async () => {
  const conn = sysv('debian12');
  const res = await runTask(rcEnable({ service: 'pacemaker' }), conn);
  assert.equal(res.changes, [{ field: 'boot start of pacemaker', from: 'no boot links', to: 'enabled' }]);
  assert.equal(commandsOf(conn), [RC_LINKS_PROBE, 'update-rc.d pacemaker defaults']);
});

test('rcEnable: links in some boot runlevels only are named, and enabled', async () => {
  const partial = listing('debian12-ssh-disabled').replace('/etc/rc2.d:\n', '/etc/rc2.d:\nS01ssh\n');
  const conn = new FakeConnection('node1').on(RC_LINKS_PROBE, { stdout: partial }).on('update-rc.d', {});
  const res = await runTask(rcEnable({ service: 'ssh' }), conn);
  assert.equal(res.changes, [{ field: 'boot start of ssh', from: 'enabled in rc2 only', to: 'enabled' }]);
  assert.equal(commandsOf(conn), [RC_LINKS_PROBE, 'update-rc.d ssh enable']);
});

test('check mode of rcEnable predicts and sends only the listing', async () => {
  const conn = sysv('debian12-ssh-disabled');
  const res = await runTask(rcEnable({ service: 'ssh' }), conn, { check: true });
  assert.is(res.status, 'would change');
  assert.equal(commandsOf(conn), [RC_LINKS_PROBE]);
});

test('rcDisable: S links become K links with update-rc.d disable; disabled and unlinked are ok', async () => {
  const conn = sysv('debian12');
  const res = await runTask(rcDisable({ service: 'ssh' }), conn);
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'boot start of ssh', from: 'enabled', to: 'disabled' }]);
  assert.equal(commandsOf(conn), [RC_LINKS_PROBE, 'update-rc.d ssh disable']);

  const off = await runTask(rcDisable({ service: 'ssh' }), sysv('debian12-ssh-disabled'));
  assert.is(off.status, 'ok');
  assert.is(off.message, 'ssh does not start at boot (disabled)');
  const none = await runTask(rcDisable({ service: 'corosync' }), sysv('debian12'));
  assert.is(none.message, 'corosync does not start at boot (no boot links)');
});

test('systemd: is-enabled decides, systemctl enable/disable acts', async () => {
  const disabled = new FakeConnection('node1').on('systemctl is-enabled', { code: 1, stdout: 'disabled\n' }).on('systemctl enable', {});
  const res = await runTask(rcEnable({ service: 'corosync' }), disabled, { facts: systemdFacts });
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'boot start of corosync', from: 'disabled', to: 'enabled' }]);
  assert.equal(commandsOf(disabled), ['systemctl is-enabled corosync', 'systemctl enable corosync']);

  const enabled = new FakeConnection('node1').on('systemctl is-enabled', { stdout: 'enabled\n' }).on('systemctl disable', {});
  const ok = await runTask(rcEnable({ service: 'corosync' }), enabled, { facts: systemdFacts });
  assert.is(ok.message, 'corosync starts at boot (enabled)');
  const off = await runTask(rcDisable({ service: 'corosync' }), enabled, { facts: systemdFacts });
  assert.equal(off.changes, [{ field: 'boot start of corosync', from: 'enabled', to: 'disabled' }]);
  assert.equal(commandsOf(enabled), ['systemctl is-enabled corosync', 'systemctl is-enabled corosync', 'systemctl disable corosync']);
});

test('systemd: a masked unit fails rcEnable with what to do; a missing one reads as not-found', async () => {
  const masked = new FakeConnection('node1').on('systemctl is-enabled', { code: 1, stdout: 'masked\n' });
  const res = await runTask(rcEnable({ service: 'corosync' }), masked, { facts: systemdFacts });
  assert.is(res.status, 'failed');
  assert.is(res.error, 'corosync is masked: unmask it first (systemctl unmask corosync)');
  assert.is(parseIsEnabled('', 'Failed to get unit file state for nosuch.service: No such file or directory\n'), 'not-found');
  assert.is(parseIsEnabled('not-found\n', ''), 'not-found');
});

test('an unknown init system is a clear error', async () => {
  const res = await runTask(rcEnable({ service: 'ssh' }), new FakeConnection('node1'), { facts: { ...debianFacts, initSystem: 'unknown' } });
  assert.is(res.status, 'failed');
  assert.match(res.error ?? '', /^cannot enable ssh at boot: init system is unknown/);
});

test('schema rejects a hostile service name', () => {
  for (const service of ['x; touch /tmp/canary', '$(reboot)', '../x', '', 'a b']) {
    assert.throws(() => rcEnable({ service }), (e: unknown) => e instanceof ValidationError);
    assert.throws(() => rcDisable({ service }), (e: unknown) => e instanceof ValidationError);
  }
});

test.run();
