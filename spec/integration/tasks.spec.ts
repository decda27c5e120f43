import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(__dirname, 'fixtures', 'tasks-playbook.ts');
const SVC = `keel-itest-${process.pid}`;
let fleet: SshdFleet;
type Result = { host: string; task: string; status: string; changes: unknown[] };

const inventory = () =>
  writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts },
    hosts: Object.fromEntries(fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, svc: SVC } }])),
  });
const resultsOf = (file: string): Result[] => JSON.parse(readFileSync(file, 'utf8')).plays.flatMap((p: { results: Result[] }) => p.results);
const rcLinks = () => ['2', '3', '4', '5'].flatMap((l) => readdirSync(`/etc/rc${l}.d`).filter((f) => f.endsWith(SVC)));

const reason = sshdUnavailable() ?? (existsSync('/usr/sbin/update-rc.d') ? undefined : 'needs update-rc.d (sysvinit-utils)');
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(2);
  writeFileSync(
    `/etc/init.d/${SVC}`,
    `#!/bin/sh\n### BEGIN INIT INFO\n# Provides: ${SVC}\n# Required-Start:\n# Required-Stop:\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: keel test\n### END INIT INFO\nexit 0\n`,
    { mode: 0o755 },
  );
});
test.after(async () => {
  execFileSync('update-rc.d', ['-f', SVC, 'remove'], { stdio: 'ignore' });
  rmSync(`/etc/init.d/${SVC}`, { force: true });
  await fleet?.stop();
});

test('check mode on fresh hosts predicts exactly what the first run changes', async () => {
  const inv = inventory();
  const check = await runCli(PLAYBOOK, ['-i', inv, '--check', '--json', join(fleet.dir, 'check.json')]);
  assert.is(check.code, 4, check.stdout + check.stderr);
  const apply = await runCli(PLAYBOOK, ['-i', inv, '-v', '--json', join(fleet.dir, 'apply.json')]);
  assert.is(apply.code, 0, apply.stdout + apply.stderr);
  const view = (file: string, word: string) =>
    resultsOf(join(fleet.dir, file))
      .map((r) => JSON.stringify([r.host, r.task, r.status === word ? 'changes' : r.status, r.changes]))
      .sort();
  const predicted = view('check.json', 'would change');
  const happened = view('apply.json', 'changed');
  assert.is(predicted.filter((p) => p.includes('"changes"')).length, 7, predicted.join('\n'));
  assert.equal(happened, predicted);
  // What the first run did, on the real hosts.
  for (const h of fleet.hosts) {
    assert.is(readFileSync(join(h.root, 'kamailio'), 'utf8'), 'RUN_KAMAILIO=yes\n');
    assert.is(readFileSync(join(h.root, 'motd'), 'utf8'), `welcome to ${h.name}\n`);
    assert.is(readFileSync(join(h.root, 'built'), 'utf8'), 'built\n');
    assert.not.ok(existsSync(join(h.root, 'unless-ran')), 'the unless guard held');
  }
  assert.is(rcLinks().filter((l) => l.startsWith('S')).length, 4, `boot links: ${rcLinks().join(' ')}`);
  assert.not.match(apply.stderr, /apt-get/, 'installed packages: no apt-get run');
});

test('the second run reports changed=0 and lineInFile keeps a single line', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '--json', join(fleet.dir, 'second.json')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const statuses = resultsOf(join(fleet.dir, 'second.json')).map((x) => x.status);
  assert.not.ok(statuses.includes('changed'), statuses.join(' '));
  for (const h of fleet.hosts) assert.is(readFileSync(join(h.root, 'kamailio'), 'utf8').match(/RUN_KAMAILIO/g)?.length, 1);
});

test('check mode of a converged host is ok everywhere, installed packages need no apt run', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '--check', '-v', '--limit', 'host1']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'aptInstall openssh-server coreutils | ok');
  assert.not.match(r.stderr, /apt-get/);
});

test.run();
