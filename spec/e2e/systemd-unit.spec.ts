/**
 * systemdUnit against a real systemd: a lab node booted with `lab up --init systemd` (systemd 252
 * as PID 1 under systemd-nspawn), through the real engine and ssh. daemon-reload happens only when
 * the unit's definition changed (counted by keel's commands and by systemd's own journal), boot
 * start and running state are what systemctl says, and the unit comes back after a power cut.
 */
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { boot, down, kill, up } from '../../lab/lab';
import { runCli } from '../helpers/cli';
import { kindUnavailable, labLeftovers, labSsh } from '../helpers/lab';
import { suiteUnless } from '../helpers/not-run';
import { UNIT_NAME } from './fixtures/systemd-unit';

const PLAYBOOK = join(__dirname, 'fixtures', 'systemd-unit.ts');
const test = suiteUnless(kindUnavailable('systemd'), 'systemdUnit on a systemd lab node');

const on = (command: string) => labSsh('node1', command);
/** keel's commands that ran `systemctl daemon-reload` (-v prints each command as `$ ...`). */
const reloadsRun = (out: string) => out.split('\n').filter((l) => l.includes('$ ') && l.includes('systemctl daemon-reload')).length;
/** How many times systemd reloaded since the node booted, from its journal. */
const journalReloads = () => Number(on(`journalctl -b --no-pager -o cat _PID=1 | grep -c '^Reloading'`).stdout.trim());
const show = (prop: string) => on(`systemctl show --property=${prop} --value ${UNIT_NAME}`).stdout.trim();
const run = (...e: string[]) => runCli(PLAYBOOK, ['-i', 'lab', '-v', '--plain', ...e.flatMap((x) => ['-e', x])]);
/** changed= of node1's recap line (Ansible's form: `node1 : ok=1 changed=1 unreachable=0 ...`). */
const recapChanged = (out: string) => Number(/^node1\s*:\s*ok=\d+\s+changed=(\d+)/m.exec(out.slice(out.lastIndexOf('RECAP')))?.[1] ?? NaN);

test.before(async () => {
  await down();
  await up(1, 'systemd');
});

test('a new unit: written, one daemon-reload, enabled, started', async () => {
  const before = journalReloads();
  const r = await run('version=1');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(recapChanged(r.stdout), 1, r.stdout);
  assert.is(reloadsRun(r.stdout + r.stderr), 1, r.stdout + r.stderr);
  // keel's daemon-reload, and the one `systemctl enable` does by itself.
  assert.is(journalReloads(), before + 2, 'systemd reloaded twice');
  assert.is(on(`systemctl is-enabled ${UNIT_NAME}`).stdout.trim(), 'enabled');
  assert.is(on(`systemctl is-active ${UNIT_NAME}`).stdout.trim(), 'active');
  assert.is(show('Description'), 'keel e2e v1');
});

test('the same unit again: changed=0 and no daemon-reload', async () => {
  const before = journalReloads();
  const pid = show('MainPID');
  const r = await run('version=1');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(recapChanged(r.stdout), 0, r.stdout);
  assert.is(reloadsRun(r.stdout + r.stderr), 0);
  assert.is(journalReloads(), before);
  assert.is(show('MainPID'), pid, 'not restarted');
});

test('disabled by hand: enabled again, without a daemon-reload of its own', async () => {
  assert.is(on(`systemctl disable ${UNIT_NAME}`).code, 0);
  const check = await runCli(PLAYBOOK, ['-i', 'lab', '--check', '-e', 'version=1']);
  assert.is(check.code, 4, check.stdout + check.stderr);
  assert.match(check.stdout, 'boot start of keel-e2e.service: disabled → enabled');
  const before = journalReloads();
  const r = await run('version=1');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(recapChanged(r.stdout), 1);
  assert.is(reloadsRun(r.stdout + r.stderr), 0, 'keel ran no daemon-reload');
  assert.is(on(`systemctl is-enabled ${UNIT_NAME}`).stdout.trim(), 'enabled');
  // systemctl enable reloads systemd itself; keel adds none.
  assert.ok(journalReloads() - before <= 1);
});

test('a new definition: one daemon-reload and a restart onto it', async () => {
  const pid = show('MainPID');
  const r = await run('version=2');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(reloadsRun(r.stdout + r.stderr), 1);
  assert.is(show('Description'), 'keel e2e v2');
  assert.is(show('NeedDaemonReload'), 'no');
  assert.is.not(show('MainPID'), pid, 'restarted');
  assert.is(on(`systemctl is-active ${UNIT_NAME}`).stdout.trim(), 'active');
});

test('a file edited by hand without daemon-reload: check sees it, apply reloads and restarts', async () => {
  assert.is(on(`sed -i 's/keel e2e v2/keel e2e hand/' /etc/systemd/system/${UNIT_NAME}`).code, 0);
  assert.is(show('NeedDaemonReload'), 'yes');
  const check = await runCli(PLAYBOOK, ['-i', 'lab', '--check', '-e', 'version=2']);
  assert.is(check.code, 4, check.stdout + check.stderr);
  const r = await run('version=2');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(reloadsRun(r.stdout + r.stderr), 1);
  assert.is(show('NeedDaemonReload'), 'no');
  assert.is(show('Description'), 'keel e2e v2');
});

test('after a power cut and a boot, systemd starts the enabled unit; nothing to change', async () => {
  await kill('node1');
  await boot('node1');
  assert.is(on('systemctl is-system-running --wait').stdout.trim(), 'running');
  assert.is(on(`systemctl is-active ${UNIT_NAME}`).stdout.trim(), 'active');
  const r = await run('version=2');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(recapChanged(r.stdout), 0, r.stdout);
});

test('lab down leaves nothing behind', async () => {
  await down();
  assert.equal(labLeftovers(), []);
});

test.run();
