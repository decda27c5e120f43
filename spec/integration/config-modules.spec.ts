import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

/**
 * lineInFile (absent, validate), writeFile (validate), aptRepository and aptInstall's read-only
 * cases on real sshd hosts, through the CLI, with the real `sshd -t` as validator.
 */
const PLAYBOOK = join(__dirname, 'fixtures', 'config-modules-playbook.ts');
let fleet: SshdFleet;
type Result = { host: string; task: string; status: string; changes: unknown[]; error?: string };

const inventory = () =>
  writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts },
    hosts: Object.fromEntries(fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root } }])),
  });
const resultsOf = (file: string): Result[] => JSON.parse(readFileSync(file, 'utf8')).plays.flatMap((p: { results: Result[] }) => p.results);
const json = (name: string) => join(fleet.dir, name);

const reason = sshdUnavailable() ?? (existsSync('/etc/ssh/sshd_config') ? undefined : 'needs /etc/ssh/sshd_config to copy');
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(2);
  for (const h of fleet.hosts) {
    // The machine's own sshd_config (Debian's has `#PermitRootLogin prohibit-password` and `#MaxAuthTries 6`), plus one more line to remove.
    const copy = `${readFileSync('/etc/ssh/sshd_config', 'utf8')}PermitRootLogin yes\n`;
    writeFileSync(join(h.root, 'sshd_config'), copy);
    writeFileSync(join(h.root, 'sshd_config.orig'), copy);
    mkdirSync(join(h.root, 'sources.list.d'));
  }
});
test.after(async () => {
  await fleet?.stop();
});

test('check mode predicts exactly what the first run changes; the run installs only validated content', async () => {
  const inv = inventory();
  const check = await runCli(PLAYBOOK, ['-i', inv, '-t', 'config', '--check', '--json', json('check.json')]);
  assert.is(check.code, 4, check.stdout + check.stderr);
  for (const h of fleet.hosts) assert.not.ok(existsSync(join(h.root, 'keyrings')), 'check mode created nothing');
  const apply = await runCli(PLAYBOOK, ['-i', inv, '-t', 'config', '-v', '--json', json('apply.json')]);
  assert.is(apply.code, 0, apply.stdout + apply.stderr);
  const view = (file: string, word: string) =>
    resultsOf(json(file))
      .map((r) => JSON.stringify([r.host, r.task, r.status === word ? 'changes' : r.status, r.changes]))
      .sort();
  const predicted = view('check.json', 'would change');
  // Per host: two sshd_config edits, sshd-extra.conf, the repository, and its handler.
  assert.is(predicted.filter((p) => p.includes('"changes"')).length, 10, predicted.join('\n'));
  // Check mode reads each file as it is now: the second edit of sshd_config names its line as it
  // was before the first edit removed the PermitRootLogin lines above it; the run, as it is then.
  const copy = readFileSync(join(fleet.hosts[0].root, 'sshd_config.orig'), 'utf8').split('\n');
  const at = copy.findIndex((l) => /^#?MaxAuthTries /.test(l));
  const removedAbove = copy.slice(0, at).filter((l) => /^#?PermitRootLogin /.test(l)).length;
  assert.ok(at >= 0 && removedAbove > 0, 'the machine\'s sshd_config has #MaxAuthTries below a PermitRootLogin line');
  const shifted = predicted.map((p) => p.replace(`"line ${at + 1}","from":"${copy[at]}"`, `"line ${at + 1 - removedAbove}","from":"${copy[at]}"`));
  assert.is.not(shifted.join(), predicted.join(), `the MaxAuthTries edit was predicted at line ${at + 1}`);
  assert.equal(view('apply.json', 'changed'), shifted);
  for (const h of fleet.hosts) {
    const sshd = readFileSync(join(h.root, 'sshd_config'), 'utf8');
    assert.not.match(sshd, /^#?PermitRootLogin /m, 'every PermitRootLogin line removed');
    assert.match(sshd, /^MaxAuthTries 3$/m);
    assert.not.match(sshd, /^#MaxAuthTries/m, 'the commented default was replaced');
    assert.is(readFileSync(join(h.root, 'sshd-extra.conf'), 'utf8'), 'ClientAliveInterval 30\nClientAliveCountMax 4\n');
    assert.match(readFileSync(join(h.root, 'sources.list.d', 'lab-mirror.sources'), 'utf8'), `Signed-By: ${h.root}/keyrings/lab-mirror.asc\n`);
    assert.match(readFileSync(join(h.root, 'keyrings', 'lab-mirror.asc'), 'utf8'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.is(readFileSync(join(h.root, 'repository-notified'), 'utf8'), 'yes\n', 'the repository notified its handler');
  }
  // The validator ran on the host, on the temporary file, before each install.
  assert.match(apply.stderr, /sh -c '\/usr\/sbin\/sshd -t -f "\$1"' keel-validate "\$tmp"/);
  assert.not.match(apply.stderr, /apt-get/, 'installed packages and an absent one: apt-get never ran');
});

test('the second run reports changed=0, and an unchanged repository does not notify', async () => {
  for (const h of fleet.hosts) rmSync(join(h.root, 'repository-notified'));
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '-t', 'config', '--json', json('second.json')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const results = resultsOf(json('second.json'));
  assert.equal(
    results.filter((x) => x.status !== 'ok').map((x) => `${x.host} ${x.task} ${x.status}`),
    [],
  );
  assert.is(results.length, 12, 'six tasks on each of two hosts, no handler');
  for (const h of fleet.hosts) assert.not.ok(existsSync(join(h.root, 'repository-notified')));
});

test('content sshd rejects is never installed: the task fails with sshd\'s message, the old file stays, no temporary file', async () => {
  const files = ['sshd_config', 'sshd-extra.conf'];
  const before = fleet.hosts.map((h) => files.map((f) => readFileSync(join(h.root, f), 'utf8')));
  const cases: [string, RegExp, string][] = [
    ['bad-line', /line \d+: Bad configuration option: Frobnicate/, 'sshd_config'],
    ['bad-write', /\.keel\.[A-Za-z0-9]{6} line 1: invalid time value/, 'sshd-extra.conf'],
  ];
  for (const [tag, said, file] of cases) {
    const r = await runCli(PLAYBOOK, ['-i', inventory(), '-t', tag, '--json', json(`${tag}.json`)]);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const failed = resultsOf(json(`${tag}.json`)).filter((x) => x.status === 'failed');
    assert.is(failed.length, 2, `${tag} fails on each host`);
    for (const f of failed) {
      assert.match(f.error ?? '', said);
      assert.match(f.error ?? '', `validate (/usr/sbin/sshd -t -f %s) rejected the new content (exit 255): `);
      assert.match(f.error ?? '', `${file} is unchanged`);
    }
  }
  fleet.hosts.forEach((h, i) => {
    assert.equal(
      files.map((f) => readFileSync(join(h.root, f), 'utf8')),
      before[i],
    );
    assert.equal(readdirSync(h.root).filter((f) => f.startsWith('.keel.')), [], 'no temporary file left');
  });
});

test('systemdUnit on these sysvinit hosts fails clearly, naming the init system, and writes nothing', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '-t', 'systemd', '--json', json('systemd.json')]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const results = resultsOf(json('systemd.json'));
  assert.is(results.length, 2);
  for (const x of results) {
    assert.is(x.status, 'failed');
    assert.match(x.error ?? '', /systemdUnit keel-itest\.service needs systemd, but this host's init system is sysvinit/);
  }
  assert.not.ok(existsSync('/etc/systemd/system/keel-itest.service'));
});

test.run();
