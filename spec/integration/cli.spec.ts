/**
 * The command line on real sshd hosts: keel run/check/exec/inventory, the recap's Ansible line
 * form, `--json -`, `--junit`, the --list-* flags, --start-at-task, -e @file and JSON, -u and -b.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import * as assert from 'uvu/assert';
import { runCli, runKeel, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { freePort, sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

const PLAYBOOK = join(__dirname, 'fixtures', 'engine-playbook.ts');
const USER = 'keelexec';
let fleet: SshdFleet;

function inventory(extraHosts: Record<string, unknown> = {}): string {
  return writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, connectTimeoutSeconds: 3 },
    hosts: {
      ...Object.fromEntries(fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, port: 8000 + h.port % 100 } }])),
      ...extraHosts,
    },
    groups: { web: { hosts: ['host1'] } },
    vars: { secret_token: 'tok-3f9a2c7e-secret' },
    secretVars: ['secret_token'],
  });
}

const RECAP_LINE = /^(host\d) +: ok=(\d+) changed=(\d+) unreachable=(\d+) failed=(\d+) skipped=(\d+) rescued=0 ignored=(\d+)$/gm;
const recapOf = (text: string) => Object.fromEntries([...text.matchAll(RECAP_LINE)].map((m) => [m[1], m.slice(2).map(Number)]));
const junit = (file: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testcase' || n === 'testsuite' }).parse(readFileSync(file, 'utf8'));

// -b is shown through sudo, as spec/integration/become.spec.ts does.
const reason = sshdUnavailable() ?? (existsSync('/usr/bin/sudo') ? undefined : 'needs sudo (apt-get install sudo)');
const test = suiteUnless(reason, 'cli');
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  rmSync(`/etc/sudoers.d/${USER}`, { force: true });
  spawnSync('userdel', ['-r', USER], { stdio: 'ignore' });
  await fleet?.stop();
});

test('--json - writes the report alone on standard output; progress and the Ansible recap go to standard error', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '--json', '-']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.recap.host1, { ok: 0, changed: 3, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 }, 'the JSON recap keeps its shape');
  assert.match(r.stderr, 'PLAY RECAP');
  assert.equal(recapOf(r.stderr), { host1: [3, 3, 0, 0, 0, 0], host2: [3, 3, 0, 0, 0, 0] }, 'ok counts changed tasks, as Ansible does');
  assert.match(r.stderr, /changed=[1-9]/);
});

test('keel run, second time: every recap line says changed=0, so a `changed=[1-9]` grep finds nothing', async () => {
  const r = await runKeel(['run', PLAYBOOK, '-i', inventory()]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(recapOf(r.stdout), { host1: [2, 0, 0, 0, 0, 0], host2: [2, 0, 0, 0, 0, 0] });
  assert.not.match(r.stdout, /changed=[1-9]/);
});

test('keel check -D --junit after an edit: exit 4, changed= counts what would change, drift is a JUnit failure', async () => {
  const target = join(fleet.hosts[1].root, 'app.conf');
  writeFileSync(target, 'edited\n');
  const xml = join(fleet.dir, 'check.xml');
  const r = await runKeel(['check', PLAYBOOK, '-i', inventory(), '-D', '--junit', xml]);
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, '+name=host2', '-D shows the diff');
  assert.equal(recapOf(r.stdout), { host1: [2, 0, 0, 0, 0, 0], host2: [2, 1, 0, 0, 0, 0] });
  assert.is(readFileSync(target, 'utf8'), 'edited\n', 'check mode changed nothing');
  const doc = junit(xml);
  assert.equal([doc.testsuites.tests, doc.testsuites.failures, doc.testsuites.errors], ['4', '1', '0']);
  const failed = doc.testsuites.testsuite[0].testcase.filter((c: { failure?: unknown }) => c.failure);
  assert.equal(failed.map((c: { classname: string; name: string; failure: { type: string } }) => [c.classname, c.name, c.failure.type]), [['host2', `writeFile ${target}`, 'drift']]);
  // -C is --check too.
  const again = await runCli(PLAYBOOK, ['-i', inventory(), '-C', '-l', 'host2']);
  assert.is(again.code, 4, again.stdout + again.stderr);
});

test('the apply with --junit: a passing testcase per host and task', async () => {
  const xml = join(fleet.dir, 'apply.xml');
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '--junit', xml]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const doc = junit(xml);
  assert.equal([doc.testsuites.tests, doc.testsuites.failures, doc.testsuites.errors], ['4', '0', '0']);
  assert.equal(
    doc.testsuites.testsuite[0].testcase.map((c: { classname: string }) => c.classname).sort(),
    ['host1', 'host1', 'host2', 'host2'],
  );
});

test('--list-hosts, --list-tasks and --list-tags contact nothing, not even a host that is down', async () => {
  const closed = await freePort();
  const inv = inventory({ host9: { address: '127.0.0.1', port: closed, vars: { root: '/nonexistent', port: 1 } } });
  const r = await runKeel(['run', PLAYBOOK, '-i', inv, '--list-hosts', '--list-tasks', '--list-tags']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'play #1 (all): files\n    hosts (3):\n      host1\n      host2\n      host9');
  assert.match(r.stdout, `    tasks (host1):\n      writeFile ${fleet.hosts[0].root}/motd\tTAGS: []\n      writeFile ${fleet.hosts[0].root}/app.conf\tTAGS: [app]`);
  assert.match(r.stdout, 'TASK TAGS: [app]');
  assert.not.match(r.stdout + r.stderr, 'unreachable');
  const limited = await runCli(PLAYBOOK, ['-i', inv, '--list-hosts', '-l', 'web']);
  assert.match(limited.stdout, 'hosts (1):\n      host1\n');
});

test('--start-at-task skips every step before the named task', async () => {
  const root = fleet.hosts[0].root;
  rmSync(join(root, 'motd'));
  rmSync(join(root, 'app.conf'));
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '-l', 'host1', '--start-at-task', `writeFile ${root}/app.conf`, '--plain']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok(existsSync(join(root, 'app.conf')));
  assert.not.ok(existsSync(join(root, 'motd')), 'the task before it did not run');
  const missing = await runCli(PLAYBOOK, ['-i', inventory(), '--start-at-task', 'no such task']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, '--start-at-task: no task called "no such task"');
});

test('-e \'{"json": ...}\' and -e @vars.json set vars above the inventory\'s', async () => {
  const conf = join(fleet.hosts[0].root, 'app.conf');
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '-l', 'host1', '-e', '{"port": 9999}']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(readFileSync(conf, 'utf8'), 'port=9999\nname=host1\n');
  const vars = join(fleet.dir, 'vars.json');
  writeFileSync(vars, JSON.stringify({ port: 7777 }));
  const f = await runKeel(['run', PLAYBOOK, '-i', inventory(), '-l', 'host1', '-e', `@${vars}`]);
  assert.is(f.code, 0, f.stdout + f.stderr);
  assert.is(readFileSync(conf, 'utf8'), 'port=7777\nname=host1\n');
});

test('keel exec: a command on every host at once, its output per host; a failure exits 1; a host down exits 3', async () => {
  const r = await runKeel(['exec', 'all', '-i', inventory(), '--', 'echo', 'hello from', '$(basename', '$PWD)']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const h of ['host1', 'host2']) assert.match(r.stdout, new RegExp(`^${h} \\| CHANGED \\| rc=0 >>\\nhello from \\S+$`, 'm'));
  const fail = await runKeel(['exec', 'web', '-i', inventory(), '-a', 'echo oops >&2; exit 3']);
  assert.is(fail.code, 1, fail.stdout + fail.stderr);
  assert.match(fail.stdout, /^host1 \| FAILED \| command failed \(exit 3\).*oops/m);
  assert.not.match(fail.stdout, 'host2', 'the pattern chose host1 only');
  const closed = await freePort();
  const down = await runKeel(['exec', 'all', '-i', inventory({ host9: { address: '127.0.0.1', port: closed } }), '--', 'true']);
  assert.is(down.code, 3, down.stdout + down.stderr);
  assert.match(down.stdout, /^host9 \| UNREACHABLE! \| .*connection refused/m);
  assert.match(down.stdout, /^host1 \| CHANGED \| rc=0 >>$/m);
  const check = await runKeel(['exec', 'all', '-i', inventory(), '-C', '--', 'touch /tmp/keel-must-not-exist']);
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, 'host1 | WOULD RUN');
  assert.not.ok(existsSync('/tmp/keel-must-not-exist'));
  const usage = await runKeel(['exec', 'all', '-i', inventory()]);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, 'no command');
});

test('-u logs in as another user on every host, -b then runs as root through sudo', async () => {
  if (spawnSync('id', [USER]).status !== 0) execFileSync('useradd', ['-m', '-s', '/bin/sh', USER]);
  // Not locked (sshd refuses a locked account's key), yet no password either.
  execFileSync('usermod', ['-p', '*', USER]);
  writeFileSync(`/etc/sudoers.d/${USER}`, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  const as = await runKeel(['exec', 'all', '-i', inventory(), '-u', USER, '--', 'id -un']);
  assert.is(as.code, 0, as.stdout + as.stderr);
  assert.match(as.stdout, new RegExp(`^host1 \\| CHANGED \\| rc=0 >>\\n${USER}$`, 'm'));
  assert.match(as.stdout, new RegExp(`^host2 \\| CHANGED \\| rc=0 >>\\n${USER}$`, 'm'));
  const root = await runKeel(['exec', 'all', '-i', inventory(), '-u', USER, '-b', '--', 'id -un']);
  assert.is(root.code, 0, root.stdout + root.stderr);
  assert.match(root.stdout, /^host1 \| CHANGED \| rc=0 >>\nroot$/m);
  // A playbook run takes them too: -u with an unknown user cannot log in.
  const nobody = await runCli(PLAYBOOK, ['-i', inventory(), '-l', 'host1', '-u', 'nosuchuser']);
  assert.is(nobody.code, 3, nobody.stdout + nobody.stderr);
  assert.match(nobody.stdout, 'nosuchuser@127.0.0.1');
});

test('keel inventory --list (ansible-inventory JSON, secrets redacted) and --graph', async () => {
  const list = await runKeel(['inventory', '-i', inventory(), '--list']);
  assert.is(list.code, 0, list.stdout + list.stderr);
  const json = JSON.parse(list.stdout);
  assert.equal(json.all, { children: ['ungrouped', 'web'] });
  assert.equal(json.web, { hosts: ['host1'] });
  assert.equal(json.ungrouped, { hosts: ['host2'] });
  assert.is(json._meta.hostvars.host1.root, fleet.hosts[0].root);
  assert.is(json._meta.hostvars.host2.ansible_port, fleet.hosts[1].port);
  assert.is(json._meta.hostvars.host1.secret_token, '[secret]');
  assert.not.match(list.stdout, 'tok-3f9a2c7e-secret');
  const graph = await runKeel(['inventory', '-i', inventory(), '--graph']);
  assert.is(graph.code, 0, graph.stdout + graph.stderr);
  assert.is(graph.stdout, '@all:\n  |--@ungrouped:\n  |  |--host2\n  |--@web:\n  |  |--host1\n');
});

test.run();
