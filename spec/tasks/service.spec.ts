import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { ExecResult } from '../../lib/types';
import { parseStatus, service, serviceCommand } from '../../tasks/service';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask } from '../helpers/task-harness';

const dir = join(__dirname, '..', 'fixtures', 'service');
const recorded = (name: string): ExecResult => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const RUNNING = recorded('apt-cacher-ng');
const STOPPED = recorded('ssh');
const commandsOf = (conn: FakeConnection) => conn.commands.map((c) => c.command);

/** A host whose status answers follow `statuses` in turn (the last one repeats). */
function host(statuses: ExecResult[], actions: Partial<ExecResult> = { stdout: 'Starting: done.\n' }) {
  let i = 0;
  return new FakeConnection('node1')
    .on(/ status$|is-active/, () => statuses[Math.min(i++, statuses.length - 1)])
    .on(/ (start|stop|restart|reload)$|^systemctl (start|stop|restart|reload) /, actions);
}

test('recorded LSB status exit codes: 0 running, 3 stopped, 1 unrecognized service', () => {
  assert.equal(parseStatus('sysvinit', RUNNING), { code: 0, output: 'apt-cacher-ng is running.', running: true, meaning: 'running' });
  assert.equal(parseStatus('sysvinit', STOPPED), { code: 3, output: 'sshd is not running ... failed!', running: false, meaning: 'stopped' });
  assert.equal(parseStatus('sysvinit', recorded('nosuchsvc')).meaning, 'not installed');
});

test('LSB codes 1, 2, 4 and others are not running, each named', () => {
  const meaning = (code: number) => parseStatus('sysvinit', { code, stdout: '', stderr: '' }).meaning;
  assert.equal([1, 2, 4, 150].map(meaning), ['dead (pid file remains)', 'dead (lock file remains)', 'status unknown', 'not running (status exit 150)']);
  assert.is(parseStatus('systemd', { code: 3, stdout: 'failed\n', stderr: '' }).meaning, 'failed');
});

test('serviceCommand picks service or systemctl by init system, quoting the name', () => {
  assert.is(serviceCommand('sysvinit', 'corosync', 'start'), 'service corosync start');
  assert.is(serviceCommand('systemd', 'corosync', 'start'), 'systemctl start corosync');
  assert.is(serviceCommand('systemd', 'corosync', 'status'), 'systemctl is-active corosync');
  assert.is(serviceCommand('sysvinit', 'a b', 'status'), "service 'a b' status");
  assert.throws(() => serviceCommand('unknown', 'corosync', 'start'), /cannot start service corosync: init system is unknown/);
});

test('started: a stopped service is started, then verified running', async () => {
  const conn = host([STOPPED, RUNNING]);
  const res = await runTask(service({ name: 'ssh', state: 'started' }), conn);
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'service ssh', from: 'stopped', to: 'started' }]);
  assert.equal(commandsOf(conn), ['service ssh status', 'service ssh start', 'service ssh status']);
  assert.equal(res.output, { code: 0, stdout: 'Starting: done.\n', stderr: '' });
});

test('started: a running service is ok and only its status is read', async () => {
  const conn = host([RUNNING]);
  const res = await runTask(service({ name: 'apt-cacher-ng', state: 'started' }), conn);
  assert.is(res.status, 'ok');
  assert.is(res.message, 'service apt-cacher-ng is running');
  assert.equal(commandsOf(conn), ['service apt-cacher-ng status']);
});

test('start exiting 0 while the service stays down fails with the init script output', async () => {
  const conn = host([STOPPED], { stdout: 'Starting Corosync Cluster Engine (corosync): ...failed!\n' });
  const res = await runTask(service({ name: 'corosync', state: 'started', verifySeconds: 0.6 }), conn);
  assert.is(res.status, 'failed');
  assert.is(
    res.error,
    'start corosync exited 0 but the service is not running after 0.6s (status: stopped, exit 3)\n' +
      'start said: Starting Corosync Cluster Engine (corosync): ...failed!\n' +
      'status said: sshd is not running ... failed!',
  );
  assert.ok(commandsOf(conn).filter((c) => c === 'service corosync status').length >= 3, 'status polled several times');
});

test('check mode reads the status only', async () => {
  const conn = host([STOPPED]);
  const res = await runTask(service({ name: 'ssh', state: 'started' }), conn, { check: true });
  assert.is(res.status, 'would change');
  assert.equal(commandsOf(conn), ['service ssh status']);
});

test('stopped: a running service is stopped; a stopped one is ok', async () => {
  const conn = host([RUNNING]);
  const res = await runTask(service({ name: 'kamailio', state: 'stopped' }), conn);
  assert.equal(res.changes, [{ field: 'service kamailio', from: 'running', to: 'stopped' }]);
  assert.equal(commandsOf(conn), ['service kamailio status', 'service kamailio stop']);
  const ok = await runTask(service({ name: 'ssh', state: 'stopped' }), host([STOPPED]));
  assert.is(ok.status, 'ok');
  assert.is(ok.message, 'service ssh is not running (stopped)');
});

test('restarted and reloaded always act; restart is verified', async () => {
  const conn = host([RUNNING]);
  const res = await runTask(service({ name: 'corosync', state: 'restarted' }), conn);
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'service corosync', to: 'restarted' }]);
  assert.equal(commandsOf(conn), ['service corosync status', 'service corosync restart', 'service corosync status']);
  const reload = host([RUNNING]);
  await runTask(service({ name: 'corosync', state: 'reloaded' }), reload);
  assert.equal(commandsOf(reload), ['service corosync status', 'service corosync reload']);
});

test('systemd hosts use systemctl is-active and systemctl start', async () => {
  const conn = host([{ code: 3, stdout: 'inactive\n', stderr: '' }, { code: 0, stdout: 'active\n', stderr: '' }]);
  const res = await runTask(service({ name: 'corosync', state: 'started' }), conn, { facts: { ...debianFacts, initSystem: 'systemd' } });
  assert.is(res.status, 'changed', res.error);
  assert.equal(res.changes, [{ field: 'service corosync', from: 'inactive', to: 'started' }]);
  assert.equal(commandsOf(conn), ['systemctl is-active corosync', 'systemctl start corosync', 'systemctl is-active corosync']);
});

test('schema rejects hostile names and unknown states', () => {
  for (const p of [
    { name: 'x; touch /tmp/canary-1', state: 'started' },
    { name: '$(reboot)', state: 'started' },
    { name: 'corosync', state: 'running' },
    { name: 'corosync', state: 'started', enabled: true },
  ]) {
    assert.throws(() => service(p as never), (e: unknown) => e instanceof ValidationError);
  }
});

test.run();
