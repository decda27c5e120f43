import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(__dirname, 'fixtures', 'become-playbook.ts');
const USER = 'keelbecome';
const PASSWORD = 'S3cret pass-word!';
const DIR = `/root/keel-become-${process.pid}`;
let fleet: SshdFleet;

const inventory = (extra: Record<string, unknown>) =>
  writeInventory(fleet.dir, {
    defaults: { user: USER, become: true, keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, ...extra },
    hosts: { host1: { address: '127.0.0.1', port: fleet.hosts[0].port, vars: { dir: DIR } } },
  });

const reason = sshdUnavailable() ?? (existsSync('/usr/bin/sudo') ? undefined : 'needs sudo (apt-get install sudo)');
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(1);
  if (spawnSync('id', [USER]).status !== 0) execFileSync('useradd', ['-m', '-s', '/bin/sh', USER]);
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
  writeFileSync(`/etc/sudoers.d/${USER}`, `${USER} ALL=(ALL) ALL\n`, { mode: 0o440 });
  mkdirSync(DIR, { mode: 0o700 });
});
test.after(async () => {
  rmSync(`/etc/sudoers.d/${USER}`, { force: true });
  rmSync(DIR, { recursive: true, force: true });
  spawnSync('userdel', ['-r', USER], { stdio: 'ignore' });
  await fleet?.stop();
});

test('without the sudo password the task fails with sudo\'s own reason, and nothing is written', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory({})]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, 'a password is required');
  assert.not.ok(existsSync(join(DIR, 'owned-by-root')));
});

test('with become and a sudo password, a non-root login writes as root; the password is never shown', async () => {
  const json = join(fleet.dir, 'become.json');
  const r = await runCli(PLAYBOOK, ['-i', inventory({ becomePassword: PASSWORD }), '-v', '--diff', '--json', json]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const st = statSync(join(DIR, 'owned-by-root'));
  assert.is(st.uid, 0);
  assert.is((st.mode & 0o777).toString(8), '600');
  assert.is(readFileSync(join(DIR, 'uid'), 'utf8'), '0\n');
  for (const out of [r.stdout, r.stderr, readFileSync(json, 'utf8')]) assert.not.ok(out.includes(PASSWORD), 'password leaked');
});

test.run();
