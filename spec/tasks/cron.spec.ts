import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { cron, cronFieldProblem, renderCron } from '../../tasks/cron';
import { applyPlan, decideOn, factCommand } from '../helpers/task-harness';

/** The file fact's real output: its command run in a local shell, as the engine would on a host. */
const readFact = (task: ReturnType<typeof cron>) => spawnSync('sh', ['-c', factCommand(task, 'file')], { encoding: 'utf8' }).stdout;
/** Carries out apply's recorded commands in a local shell (only used on temp dirs). */
async function applyHere(task: ReturnType<typeof cron>, plan: unknown): Promise<string[]> {
  const { commands } = await applyPlan(task, plan);
  for (const c of commands) {
    const r = spawnSync('sh', ['-c', c.command], { input: c.stdin ?? '', encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
  }
  return commands.map((c) => c.command);
}
const fresh = () => mkdtempSync(join(tmpdir(), 'keel-cron-'));

test('the file: environment lines, then SCHEDULE USER COMMAND, newline-terminated', () => {
  assert.is(
    renderCron({ name: 'backup', minute: 30, hour: 2, weekday: '1-5', user: 'backup', command: '/usr/local/bin/backup --all', env: { MAILTO: '', PATH: '/usr/bin:/bin', X: ' padded ' } }),
    'MAILTO=""\nPATH=/usr/bin:/bin\nX=" padded "\n30 2 * * 1-5 backup /usr/local/bin/backup --all\n',
  );
  assert.is(renderCron({ name: 'boot', special: '@reboot', command: 'date +\\%F > /run/booted' }), '@reboot root date +\\%F > /run/booted\n');
});

test('schedules: what cron accepts passes; each bad field is named before any host is contacted', () => {
  for (const [field, value] of [['minute', '*/15'], ['minute', '0,30'], ['hour', '8-18/2'], ['day', 31], ['month', 'Jan'], ['weekday', 7], ['weekday', 'fri']] as const) {
    assert.is(cronFieldProblem(field, value), undefined, `${field} ${value}`);
  }
  const bad = (params: Record<string, unknown>, field: string, message: RegExp) =>
    assert.throws(
      () => cron({ name: 'x', command: 'true', ...params } as never),
      (e: unknown) => e instanceof ValidationError && e.problems.some((p) => p.path === field && message.test(p.message)),
      `${JSON.stringify(params)} -> ${field}`,
    );
  bad({ minute: 60 }, 'minute', /60 is outside 0-59/);
  bad({ hour: '24' }, 'hour', /outside 0-23/);
  bad({ day: 0 }, 'day', /outside 1-31/);
  bad({ month: 13 }, 'month', /outside 1-12/);
  bad({ weekday: 8 }, 'weekday', /outside 0-7/);
  bad({ minute: '30-10' }, 'minute', /backwards/);
  bad({ minute: '*/0' }, 'minute', /step 0/);
  bad({ weekday: 'mon-fri' }, 'weekday', /not \*, a number or a range/);
  bad({ minute: '5 * * * * root rm -rf /;' }, 'minute', /pattern/);
  bad({ minute: 5, special: '@daily' }, 'minute', /cannot be set with special/);
  bad({}, 'minute', /no schedule/);
  bad({ minute: 5, command: 'date +%F' }, 'command', /% at 7/);
  bad({ minute: 5, command: 'true\n* * * * * root evil' }, 'command', /pattern/);
  bad({ minute: 5, env: { 'BAD NAME': 'x' } }, 'env', /property name/);
  bad({ state: 'absent' }, 'command', /present only/);
  assert.throws(() => cron({ name: 'has.dot', minute: 5, command: 'true' }), (e: unknown) => e instanceof ValidationError);
});

test('a new job: the file is created 0644 root with a diff; the second read is ok', async () => {
  const dir = fresh();
  const task = cron({ name: 'keel-test', dir, minute: '*/5', user: 'root', command: 'echo hi >> /tmp/x', env: { MAILTO: '' } });
  const d = decideOn(task, { file: readFact(task) });
  assert.equal(d.changes, [{ field: `${dir}/keel-test`, to: 'created' }]);
  assert.match(d.diff ?? '', '+MAILTO=""\n+*/5 * * * * root echo hi >> /tmp/x');
  const commands = await applyHere(task, d.plan);
  assert.match(commands[0], 'chown root:root "$tmp"');
  assert.is(readFileSync(join(dir, 'keel-test'), 'utf8'), 'MAILTO=""\n*/5 * * * * root echo hi >> /tmp/x\n');
  assert.is((statSync(join(dir, 'keel-test')).mode & 0o777).toString(8), '644');
  const again = decideOn(task, { file: readFact(task) });
  assert.equal(again.changes, []);
  assert.is(again.ok, `${dir}/keel-test runs */5 * * * * root echo hi >> /tmp/x`);
});

test('a hand edit is one content change with its diff; a group-writable file is a chmod only', async () => {
  const dir = fresh();
  const task = cron({ name: 'job', dir, minute: 0, hour: 3, command: '/bin/true' });
  writeFileSync(join(dir, 'job'), '0 4 * * * root /bin/true\n', { mode: 0o644 });
  const d = decideOn(task, { file: readFact(task) });
  assert.equal(d.changes.map((c) => c.field), [`${dir}/job content`]);
  assert.match(d.diff ?? '', '-0 4 * * * root /bin/true\n+0 3 * * * root /bin/true');
  await applyHere(task, d.plan);
  assert.is(readFileSync(join(dir, 'job'), 'utf8'), '0 3 * * * root /bin/true\n');
  chmodSync(join(dir, 'job'), 0o664);
  const mode = decideOn(task, { file: readFact(task) });
  assert.equal(mode.changes, [{ field: `${dir}/job mode`, from: '664', to: '644' }]);
  assert.is(mode.diff, undefined);
  assert.equal(await applyHere(task, mode.plan), [`set -e\nchmod 0644 ${dir}/job`]);
  assert.is((statSync(join(dir, 'job')).mode & 0o777).toString(8), '644');
});

test('absent removes the file; a missing file is ok; a missing directory depends on earlier changes', async () => {
  const dir = fresh();
  writeFileSync(join(dir, 'old'), '@daily root true\n');
  const task = cron({ name: 'old', dir, state: 'absent' });
  const d = decideOn(task, { file: readFact(task) });
  assert.equal(d.changes, [{ field: `${dir}/old`, from: 'present', to: 'removed' }]);
  assert.equal(await applyHere(task, d.plan), [`rm -f ${dir}/old`]);
  assert.not.ok(existsSync(join(dir, 'old')));
  assert.equal(decideOn(task, { file: readFact(task) }).changes, []);
  const noCron = cron({ name: 'x', dir: join(dir, 'cron.d'), special: '@hourly', command: 'true' });
  assert.is(decideOn(noCron, { file: readFact(noCron) }).dependsOn, `${dir}/cron.d does not exist yet`);
});

test.run();
