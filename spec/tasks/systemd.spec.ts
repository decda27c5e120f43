import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../lib/errors';
import type { ExecResult, HostFacts } from '../../lib/types';
import { systemdUnit, type SystemdUnitParams, type SystemdUnitPlan } from '../../tasks/service/systemd-unit';
import { readsOf } from '../../lib/task-reads';
import { applyPlan, debianFacts, decideOn, factCommand, fileReadOutput } from '../helpers/task-harness';

/** Outputs recorded from systemd 252 running as PID 1 (see spec/fixtures/systemd/README.md). */
const dir = join(__dirname, '..', 'fixtures', 'systemd');
const rec = (name: string): ExecResult => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const systemdFacts: HostFacts = { ...debianFacts, initSystem: 'systemd' };

const NAME = 'keel-demo.service';
const PATH = `/etc/systemd/system/${NAME}`;
const UNIT = '[Unit]\nDescription=keel demo\n\n[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n';
const UNIT_V2 = UNIT.replace('keel demo', 'keel demo v2');
const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (content: string, mode = '644') => fileReadOutput(content, { mode });
const ABSENT = 'absent\n';

const FRESH = { file: ABSENT, enabled: rec('is-enabled-not-found'), active: rec('is-active-not-found'), needsReload: rec('need-reload-no') };
const CONVERGED = { file: file(UNIT), enabled: rec('is-enabled-enabled'), active: rec('is-active-active'), needsReload: rec('need-reload-no') };

const task = (p: Partial<SystemdUnitParams> = {}) => systemdUnit({ name: NAME, content: UNIT, enabled: true, state: 'started', ...p });
const decide = (t: ReturnType<typeof task>, facts: Record<string, ExecResult | string>) => decideOn(t, facts, { facts: systemdFacts });
/** Answers for apply: is-active says `active` (recorded) unless told otherwise; every other command succeeds. */
const host =
  (isActive: ExecResult = rec('is-active-active'), others: Record<string, ExecResult> = {}) =>
  (command: string): Partial<ExecResult> | undefined => {
    if (command.startsWith('systemctl is-active ')) return isActive;
    return Object.entries(others).find(([prefix]) => command.startsWith(prefix))?.[1];
  };
const commandsOf = (r: { commands: { command: string }[] }) => r.commands.map((c) => (c.command.includes('mktemp') ? 'WRITE' : c.command));

test('facts: the unit file, is-enabled, is-active and NeedDaemonReload', () => {
  const t = task();
  assert.equal(Object.keys(t.definition.facts), ['file', 'enabled', 'active', 'needsReload']);
  assert.match(factCommand(t, 'file', systemdFacts), `if [ -f ${PATH} ]`);
  assert.is(factCommand(t, 'enabled', systemdFacts), `systemctl is-enabled ${NAME}`);
  assert.is(factCommand(t, 'active', systemdFacts), `systemctl is-active ${NAME}`);
  assert.is(factCommand(t, 'needsReload', systemdFacts), `systemctl show --property=NeedDaemonReload --value ${NAME}`);
});

test('the reads need no host facts: all four go out with them, in their round trip', () => {
  // Without facts, readsOf leaves out any read whose command touches them (lib/task-reads.ts).
  assert.equal(readsOf([task()]).map((r) => r.command), Object.keys(task().definition.facts).map((f) => factCommand(task(), f, systemdFacts)));
});

test('a host whose init system is not systemd fails clearly, when its reads are parsed and when decide runs', () => {
  const clear = (e: unknown) => e instanceof KeelError && /^systemdUnit keel-demo\.service needs systemd, but this host's init system is sysvinit/.test(e.message);
  const { enabled, active } = task().definition.facts;
  const r = { code: 1, stdout: '', stderr: 'System has not been booted with systemd as init system (PID 1). Can\'t operate.' };
  assert.throws(() => enabled.parse(r, debianFacts), clear);
  assert.throws(() => active.parse(r, { ...debianFacts, initSystem: 'unknown' }), (e: unknown) => /init system is unknown/.test((e as Error).message));
  assert.throws(() => decideOn(task(), CONVERGED), clear);
});

test('fresh host (recorded: not-found, inactive, no reload needed): write, daemon-reload, enable, start, in that order', async () => {
  const t = task();
  const d = decide(t, FRESH);
  assert.equal(d.changes, [
    { field: PATH, to: 'created' },
    { field: `loaded ${NAME}`, from: 'out of date (file changed)', to: 'reloaded' },
    { field: `boot start of ${NAME}`, from: 'not-found', to: 'enabled' },
    { field: `service ${NAME}`, from: 'inactive', to: 'started' },
  ]);
  assert.is(d.dependsOn, undefined, 'the task itself creates the unit');
  assert.match(d.diff ?? '', '+ExecStart=/bin/sleep infinity');
  const plan = d.plan as SystemdUnitPlan;
  assert.equal(plan.write, { content: UNIT });
  const r = await applyPlan(t, plan, host(), { facts: systemdFacts });
  assert.equal(commandsOf(r), ['WRITE', 'systemctl daemon-reload', `systemctl enable ${NAME}`, `systemctl start ${NAME}`, `systemctl is-active ${NAME}`]);
  assert.is(r.commands[0].stdin, UNIT);
  assert.match(r.commands[0].command, `mv -f "$tmp" ${PATH}`);
  assert.match(r.commands[0].command, 'chmod 644 "$tmp"');
});

test('converged (recorded: enabled, active, NeedDaemonReload=no): ok, no plan, said in the present tense', () => {
  const d = decide(task(), CONVERGED);
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, `${PATH} is up to date; ${NAME} starts at boot (enabled); service ${NAME} is running`);
});

test('the unit file changed while it runs: write, daemon-reload, restart; no reload and no restart when it did not', async () => {
  const t = task({ content: UNIT_V2 });
  const d = decide(t, CONVERGED);
  assert.equal(d.changes, [
    { field: PATH, from: `sha256:${hex(UNIT).slice(0, 12)}`, to: `sha256:${hex(UNIT_V2).slice(0, 12)}` },
    { field: `loaded ${NAME}`, from: 'out of date (file changed)', to: 'reloaded' },
    { field: `service ${NAME}`, from: 'running the old definition', to: 'restarted' },
  ]);
  assert.match(d.diff ?? '', '-Description=keel demo\n+Description=keel demo v2');
  assert.equal(commandsOf(await applyPlan(t, d.plan, host(), { facts: systemdFacts })), [
    'WRITE',
    'systemctl daemon-reload',
    `systemctl restart ${NAME}`,
    `systemctl is-active ${NAME}`,
  ]);
  const noRestart = decide(task({ content: UNIT_V2, restartOnChange: false }), CONVERGED);
  assert.equal(
    noRestart.changes.map((c) => c.field),
    [PATH, `loaded ${NAME}`],
  );
  assert.is((noRestart.plan as SystemdUnitPlan).action, undefined);
});

test('NeedDaemonReload=yes (recorded after an edit without reload) with the file already right: reload and restart, no write', async () => {
  const t = task();
  const d = decide(t, { ...CONVERGED, needsReload: rec('need-reload-yes') });
  assert.equal(d.changes, [
    { field: `loaded ${NAME}`, from: 'out of date (NeedDaemonReload=yes)', to: 'reloaded' },
    { field: `service ${NAME}`, from: 'running the old definition', to: 'restarted' },
  ]);
  assert.is(d.diff, undefined);
  assert.equal(commandsOf(await applyPlan(t, d.plan, host(), { facts: systemdFacts })), [
    'systemctl daemon-reload',
    `systemctl restart ${NAME}`,
    `systemctl is-active ${NAME}`,
  ]);
});

test('only the mode differs: chmod, and no daemon-reload', async () => {
  const t = task();
  const d = decide(t, { ...CONVERGED, file: file(UNIT, '755') });
  assert.equal(d.changes, [{ field: `${PATH} mode`, from: '755', to: '644' }]);
  assert.equal(commandsOf(await applyPlan(t, d.plan, host(), { facts: systemdFacts })), [`set -e\nchmod 644 ${PATH}`]);
});

test('boot: static (recorded) counts as enabled; a new unit without [Install] is not enabled; enabled false disables', async () => {
  const staticUnit = '[Unit]\nDescription=helper\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n';
  assert.equal(decide(task({ content: staticUnit, state: undefined }), { ...CONVERGED, file: file(staticUnit), enabled: rec('is-enabled-static') }).changes, []);
  const fresh = decide(task({ content: staticUnit, state: undefined }), FRESH);
  assert.equal(
    fresh.changes.map((c) => c.field),
    [PATH, `loaded ${NAME}`],
    'no enable for a unit that has nothing to enable',
  );
  assert.match(fresh.ok ?? '', 'static (no [Install] section)');
  const off = task({ enabled: false, state: undefined });
  const d = decide(off, CONVERGED);
  assert.equal(d.changes, [{ field: `boot start of ${NAME}`, from: 'enabled', to: 'disabled' }]);
  assert.equal(commandsOf(await applyPlan(off, d.plan, host(), { facts: systemdFacts })), [`systemctl disable ${NAME}`]);
  assert.equal(decide(off, { ...CONVERGED, enabled: rec('is-enabled-disabled') }).changes, []);
});

test('a masked unit (recorded) is refused before anything is written; its /dev/null link as the file says unmask', async () => {
  const t = task({ content: UNIT_V2 });
  const d = decide(t, { ...CONVERGED, enabled: rec('is-enabled-masked') });
  assert.equal(d.changes.find((c) => c.field.startsWith('boot')), { field: `boot start of ${NAME}`, from: 'masked', to: 'enabled' });
  const commands: string[] = [];
  try {
    await applyPlan(t, d.plan, (c) => (commands.push(c), undefined), { facts: systemdFacts });
    assert.unreachable('apply should refuse');
  } catch (err) {
    assert.is((err as Error).message, `${NAME} is masked: unmask it first (systemctl unmask ${NAME})`);
  }
  assert.equal(commands, [], 'nothing written, nothing reloaded');
  assert.throws(
    () => decide(t, { ...CONVERGED, file: rec('unit-file-masked') }),
    (e: unknown) => e instanceof KeelError && /exists but is not a regular file: a masked unit is a link to \/dev\/null \(systemctl unmask keel-demo\.service first\)/.test(e.message),
  );
});

test('stopped stops a running unit (no verify); restarted restarts on every run, even when converged', async () => {
  const stop = task({ state: 'stopped' });
  const d = decide(stop, CONVERGED);
  assert.equal(d.changes, [{ field: `service ${NAME}`, from: 'running', to: 'stopped' }]);
  assert.equal(commandsOf(await applyPlan(stop, d.plan, host(), { facts: systemdFacts })), [`systemctl stop ${NAME}`]);
  assert.equal(decide(stop, { ...CONVERGED, active: rec('is-active-inactive') }).changes, []);
  const restart = task({ state: 'restarted' });
  assert.equal(decide(restart, CONVERGED).changes, [{ field: `service ${NAME}`, from: 'running', to: 'restarted' }]);
});

test('a start that exits 0 but leaves the unit failed (recorded is-active) fails, naming the state and where to look', async () => {
  const t = task();
  const d = decide(t, { ...CONVERGED, active: rec('is-active-failed') });
  assert.equal(d.changes, [{ field: `service ${NAME}`, from: 'failed', to: 'started' }]);
  try {
    await applyPlan(t, { ...d.plan, action: { ...d.plan.action, verify: { ...d.plan.action.verify, seconds: 0 } } }, host(rec('is-active-failed')), { facts: systemdFacts });
    assert.unreachable('apply should fail');
  } catch (err) {
    assert.match((err as Error).message, `systemctl start ${NAME} exited 0 but the unit is not active after 0s (is-active: failed)`);
    assert.match((err as Error).message, `journalctl -u ${NAME}`);
  }
});

test('a start that fails (recorded: Type=exec, missing binary) fails apply with systemctl\'s message', async () => {
  const t = task();
  const d = decide(t, { ...CONVERGED, active: rec('is-active-inactive') });
  try {
    await applyPlan(t, d.plan, host(rec('is-active-failed'), { 'systemctl start': rec('start-noexec') }), { facts: systemdFacts });
    assert.unreachable('apply should fail');
  } catch (err) {
    assert.match((err as Error).message, /^start keel-demo\.service failed \(exit 1\): Job for keel-noexec\.service failed because the control process exited with error code/);
  }
});

test('facts refuse what they cannot read: no running systemd (recorded), a NeedDaemonReload that is not yes or no', () => {
  assert.throws(
    () => decide(task(), { ...CONVERGED, active: rec('no-systemd-is-active') }),
    (e: unknown) => e instanceof KeelError && /^cannot read the status of keel-demo\.service: System has not been booted with systemd/.test(e.message),
  );
  assert.throws(
    () => decide(task(), { ...CONVERGED, needsReload: { code: 1, stdout: '', stderr: 'Failed to connect to bus: Host is down\n' } }),
    /cannot tell whether keel-demo\.service needs a daemon-reload \(exit 1\): Failed to connect to bus/,
  );
});

test('schema: a unit name needs its type suffix and no path or shell characters; unknown fields fail', () => {
  for (const name of ['keel-demo', '../x.service', 'a b.service', 'x;reboot.service', '$(x).service']) {
    assert.throws(() => systemdUnit({ name, content: UNIT }), (e: unknown) => e instanceof ValidationError, name);
  }
  assert.throws(() => systemdUnit({ name: NAME, content: UNIT, state: 'reloaded' as never }), (e: unknown) => e instanceof ValidationError);
  assert.throws(() => systemdUnit({ name: NAME, content: UNIT, daemonReload: true } as never), /daemonReload: is not a known field/);
  systemdUnit({ name: 'getty@tty9.service', content: UNIT, unitDir: '/tmp/units' });
});

test.run();
