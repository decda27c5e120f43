import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../lib/errors';
import type { ExecResult, HostFacts } from '../../lib/types';
import { parseStatus, service, serviceCommand, type ServicePlan } from '../../tasks/service';
import { FakeConnection } from '../helpers/fake-connection';
import { applyPlan, debianFacts, decideOn, factCommand, runTask } from '../helpers/task-harness';

const sysvStatus = (name: string) => serviceCommand('sysvinit', name, 'status');

const dir = join(__dirname, '..', 'fixtures', 'service');
const recorded = (name: string): ExecResult => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const RUNNING = recorded('apt-cacher-ng');
const STOPPED = recorded('ssh');
const NOT_INSTALLED = recorded('nosuchsvc');
const systemdFacts: HostFacts = { ...debianFacts, initSystem: 'systemd' };
const unknownFacts: HostFacts = { ...debianFacts, initSystem: 'unknown' };

/**
 * Answers for apply: status polls follow `statuses` in turn (the last one repeats); the action
 * commands answer `action`. Anything else fails loudly.
 */
function host(statuses: ExecResult[], action: Partial<ExecResult> = { stdout: 'Starting: done.\n' }) {
  let i = 0;
  return (command: string): Partial<ExecResult> => {
    if (/ status; fi;|^systemctl is-active /.test(command)) return statuses[Math.min(i++, statuses.length - 1)];
    if (/ (start|stop|restart|reload)$|^systemctl (start|stop|restart|reload) /.test(command)) return action;
    return { code: 127, stderr: `unexpected command: ${command}` };
  };
}
const commandsOf = (r: { commands: { command: string }[] }) => r.commands.map((c) => c.command);

test('recorded LSB status exit codes: 0 running, 3 stopped, 1 unrecognized service', () => {
  assert.equal(parseStatus('sysvinit', RUNNING), { code: 0, output: 'apt-cacher-ng is running.', running: true, installed: true, meaning: 'running' });
  assert.equal(parseStatus('sysvinit', STOPPED), { code: 3, output: 'sshd is not running ... failed!', running: false, installed: true, meaning: 'stopped' });
  assert.equal(parseStatus('sysvinit', NOT_INSTALLED), {
    code: 1,
    output: 'nosuchsvc: unrecognized service',
    running: false,
    installed: false,
    meaning: 'not installed',
  });
});

test('LSB codes 1, 2, 4 and others are not running, each named; systemd states are named by is-active', () => {
  const meaning = (code: number) => parseStatus('sysvinit', { code, stdout: '', stderr: '' }).meaning;
  assert.equal([1, 2, 4, 150].map(meaning), ['dead (pid file remains)', 'dead (lock file remains)', 'status unknown', 'not running (status exit 150)']);
  assert.ok([1, 2, 4, 150].every((code) => !parseStatus('sysvinit', { code, stdout: '', stderr: '' }).running));
  assert.is(parseStatus('systemd', { code: 3, stdout: 'failed\n', stderr: '' }).meaning, 'failed');
  assert.is(parseStatus('systemd', { code: 0, stdout: 'active\n', stderr: '' }).running, true);
  // systemd 253+ exits 4 for a unit that does not exist.
  const missing = parseStatus('systemd', { code: 4, stdout: 'inactive\n', stderr: '' });
  assert.equal([missing.running, missing.installed, missing.meaning], [false, false, 'not installed']);
});

test('serviceCommand picks service or systemctl by init system, quoting the name; a sysvinit status runs the init script', () => {
  assert.is(serviceCommand('sysvinit', 'corosync', 'start'), 'service corosync start');
  assert.is(serviceCommand('systemd', 'corosync', 'start'), 'systemctl start corosync');
  assert.is(serviceCommand('systemd', 'corosync', 'status'), 'systemctl is-active corosync');
  assert.is(
    serviceCommand('sysvinit', 'a b', 'status'),
    "if [ -x '/etc/init.d/a b' ]; then cd / && PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin exec '/etc/init.d/a b' status; fi; echo 'a b: unrecognized service' >&2; exit 1",
  );
  // Run for real: no such script reads as not installed, as Debian's `service` wrapper says it.
  const p = spawnSync('sh', ['-c', serviceCommand('sysvinit', 'keel-no-such-service', 'status')]);
  const missing = parseStatus('sysvinit', { code: p.status ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() });
  assert.equal([missing.code, missing.installed, missing.meaning], [1, false, 'not installed']);
  assert.throws(() => serviceCommand('unknown', 'corosync', 'start'), /cannot start service corosync: init system is unknown/);
});

test('the status fact is declared once; its command picks the init system on the host', () => {
  const task = service({ name: 'corosync', state: 'started' });
  assert.equal(Object.keys(task.definition.facts), ['status']);
  const both = `if [ -d /run/systemd/system ]; then systemctl is-active corosync; elif [ -d /etc/init.d ]; then ${sysvStatus('corosync')}; else false; fi`;
  // The same command whatever the host facts say: it needs none, so it is read with them.
  for (const facts of [debianFacts, systemdFacts, unknownFacts]) assert.is(factCommand(task, 'status', facts), both);
});

test('an unknown init system fails clearly when the status is parsed', () => {
  const task = service({ name: 'corosync', state: 'started' });
  const clear = (e: unknown) =>
    e instanceof KeelError && /^cannot read the status of service corosync: init system is unknown \(keel handles systemd/.test(e.message);
  assert.throws(() => decideOn(task, { status: RUNNING }, { facts: unknownFacts }), clear);
});

test('started: a stopped service is started, then verified running', async () => {
  const task = service({ name: 'ssh', state: 'started' });
  const d = decideOn(task, { status: STOPPED });
  assert.equal(d.changes, [{ field: 'service ssh', from: 'stopped', to: 'started' }]);
  assert.is(d.dependsOn, undefined);
  assert.equal(d.plan, {
    action: 'start',
    init: 'sysvinit',
    command: 'service ssh start',
    verify: { command: sysvStatus('ssh'), seconds: 10 },
  } satisfies ServicePlan);
  const r = await applyPlan(task, d.plan, host([RUNNING]));
  assert.equal(commandsOf(r), ['service ssh start', sysvStatus('ssh')]);
  assert.equal(r.outcome, { output: { code: 0, stdout: 'Starting: done.\n', stderr: '' } });
});

test('started: a running service is ok, with no plan', () => {
  const d = decideOn(service({ name: 'apt-cacher-ng', state: 'started' }), { status: RUNNING });
  assert.equal(d.changes, []);
  assert.is(d.ok, 'service apt-cacher-ng is running');
  assert.is(d.plan, undefined);
});

test('start exiting 0 while the service stays down fails with the init script output', async () => {
  const task = service({ name: 'corosync', state: 'started', verifySeconds: 0.6 });
  const d = decideOn(task, { status: STOPPED });
  assert.equal(d.plan.verify, { command: sysvStatus('corosync'), seconds: 0.6 });
  const answers = host([STOPPED], { stdout: 'Starting Corosync Cluster Engine (corosync): ...failed!\n' });
  const polls: string[] = [];
  const started = Date.now();
  let error: unknown;
  try {
    await applyPlan(task, d.plan, (c) => {
      polls.push(c);
      return answers(c);
    });
  } catch (err) {
    error = err;
  }
  assert.instance(error, KeelError);
  assert.is(
    (error as Error).message,
    'start corosync exited 0 but the service is not running after 0.6s (status: stopped, exit 3)\n' +
      'start said: Starting Corosync Cluster Engine (corosync): ...failed!\n' +
      'status said: sshd is not running ... failed!',
  );
  assert.is(polls[0], 'service corosync start');
  assert.ok(polls.filter((c) => c === sysvStatus('corosync')).length >= 3, 'status polled several times');
  assert.ok(Date.now() - started >= 550, 'polled for the whole verifySeconds');
});

test('check mode reads the status only: one read-only fact, and decide predicts the start', async () => {
  const task = service({ name: 'ssh', state: 'started' });
  assert.equal(
    Object.values(task.definition.facts).map((f) => f.command(debianFacts)),
    [factCommand(task, 'status', debianFacts)],
  );
  const d = decideOn(task, { status: STOPPED });
  assert.equal(d.changes, [{ field: 'service ssh', from: 'stopped', to: 'started' }]);
  // Through the engine: check mode sends the status read and nothing else.
  const conn = new FakeConnection('node1').on(/ status; fi;/, STOPPED).on(/ start$/, { stdout: 'Starting\n' });
  const res = await runTask(task, conn, { check: true });
  assert.is(res.status, 'would change', res.error);
  assert.not.ok(conn.ran(/ start$/), 'check mode started nothing');
  assert.ok(conn.ran(sysvStatus('ssh')), 'the status was read');
});

test('a service that is not installed yet: the start depends on earlier changes', () => {
  const d = decideOn(service({ name: 'nosuchsvc', state: 'started' }), { status: NOT_INSTALLED });
  assert.equal(d.changes, [{ field: 'service nosuchsvc', from: 'not installed', to: 'started' }]);
  assert.is(d.dependsOn, 'service nosuchsvc is not installed yet');
  const restart = decideOn(service({ name: 'nosuchsvc', state: 'restarted' }), { status: NOT_INSTALLED });
  assert.is(restart.dependsOn, 'service nosuchsvc is not installed yet');
  // Not installed is not running: stopped is already true.
  const stop = decideOn(service({ name: 'nosuchsvc', state: 'stopped' }), { status: NOT_INSTALLED });
  assert.equal(stop.changes, []);
  assert.is(stop.ok, 'service nosuchsvc is not running (not installed)');
});

test('stopped: a running service is stopped, unverified; a stopped one is ok', async () => {
  const task = service({ name: 'kamailio', state: 'stopped' });
  const d = decideOn(task, { status: RUNNING });
  assert.equal(d.changes, [{ field: 'service kamailio', from: 'running', to: 'stopped' }]);
  assert.equal(d.plan, { action: 'stop', init: 'sysvinit', command: 'service kamailio stop', verify: undefined });
  const r = await applyPlan(task, d.plan, host([RUNNING]));
  assert.equal(commandsOf(r), ['service kamailio stop']);
  const ok = decideOn(service({ name: 'ssh', state: 'stopped' }), { status: STOPPED });
  assert.equal(ok.changes, []);
  assert.is(ok.ok, 'service ssh is not running (stopped)');
});

test('restarted and reloaded always act; restart is verified, reload is not', async () => {
  const restart = service({ name: 'corosync', state: 'restarted' });
  const d = decideOn(restart, { status: RUNNING });
  assert.equal(d.changes, [{ field: 'service corosync', to: 'restarted' }]);
  assert.is(d.dependsOn, undefined);
  const r = await applyPlan(restart, d.plan, host([RUNNING]));
  assert.equal(commandsOf(r), ['service corosync restart', sysvStatus('corosync')]);

  const reload = service({ name: 'corosync', state: 'reloaded' });
  const rd = decideOn(reload, { status: RUNNING });
  assert.equal(rd.changes, [{ field: 'service corosync', to: 'reloaded' }]);
  const rr = await applyPlan(reload, rd.plan, host([RUNNING]));
  assert.equal(commandsOf(rr), ['service corosync reload']);
});

test('systemd hosts use systemctl is-active and systemctl start', async () => {
  const task = service({ name: 'corosync', state: 'started' });
  const d = decideOn(task, { status: { code: 3, stdout: 'inactive\n', stderr: '' } }, { facts: systemdFacts });
  assert.equal(d.changes, [{ field: 'service corosync', from: 'inactive', to: 'started' }]);
  assert.equal(d.plan, {
    action: 'start',
    init: 'systemd',
    command: 'systemctl start corosync',
    verify: { command: 'systemctl is-active corosync', seconds: 10 },
  });
  const r = await applyPlan(task, d.plan, host([{ code: 3, stdout: 'activating\n', stderr: '' }, { code: 0, stdout: 'active\n', stderr: '' }]), {
    facts: systemdFacts,
  });
  assert.equal(commandsOf(r), ['systemctl start corosync', 'systemctl is-active corosync', 'systemctl is-active corosync']);
});

test('schema rejects hostile names and unknown states', () => {
  for (const p of [
    { name: 'x; touch /tmp/canary-1', state: 'started' },
    { name: '$(reboot)', state: 'started' },
    { name: 'corosync', state: 'running' },
    { name: 'corosync', state: 'started', enabled: true },
    { name: 'corosync', state: 'started', verifySeconds: -1 },
  ]) {
    assert.throws(() => service(p as never), (e: unknown) => e instanceof ValidationError);
  }
});

test.run();
