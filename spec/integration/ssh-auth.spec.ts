/**
 * How keel logs in, against a real sshd on 127.0.0.1 whose log (LogLevel VERBOSE) shows which
 * keys were offered: the default keys in OpenSSH's order, ssh-agent, an encrypted key with
 * KEEL_SSH_PASSPHRASE or typed at a terminal prompt (no echo), an ssh config alias, and
 * becomeUser. HOME is a fresh directory and -F an explicit file: the real ~/.ssh is never read.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { repoRoot, runCli, writeInventory } from '../helpers/cli';
import { freePort, sshdUnavailable } from '../helpers/sshd';
import { startLabSshd, type LabSshd } from '../helpers/ssh-lab';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(__dirname, 'fixtures', 'engine-playbook.ts');
const BECOME_PLAYBOOK = join(__dirname, 'fixtures', 'become-user-playbook.ts');
const TTY_PASSPHRASE = 'Tty-Secret-42';
const BECOME_USER = 'keelbuser';
let dir: string;
let sshd: LabSshd;
let agent: ChildProcess | undefined;
const key = (name: string) => join(dir, 'keys', name);
const fp = (file: string) => execFileSync('ssh-keygen', ['-lf', file]).toString().split(' ')[1];

/** A HOME of its own per test, with these files as ~/.ssh/NAME. */
function home(name: string, files: Record<string, string> = {}): string {
  const h = join(dir, 'homes', name);
  mkdirSync(join(h, '.ssh'), { recursive: true, mode: 0o700 });
  for (const [n, src] of Object.entries(files)) copyFileSync(src, join(h, '.ssh', n));
  return h;
}

function inventory(name: string, host: Record<string, unknown>, defaults: Record<string, unknown> = {}): string {
  const root = join(dir, 'roots', name);
  mkdirSync(root, { recursive: true });
  return writeInventory(
    dir,
    {
      defaults: { user: 'root', knownHostsFile: join(dir, 'known_hosts'), connectTimeoutSeconds: 5, ...defaults },
      hosts: { h1: { address: '127.0.0.1', port: sshd.port, vars: { root, port: 80 }, ...host } },
    },
    `inv-${name}.ts`,
  );
}

const emptyConfig = () => join(dir, 'empty_ssh_config');
const baseEnv = (h: string) => ({ HOME: h, SSH_AUTH_SOCK: '', KEEL_SSH_PASSPHRASE: '' });
/** Log lines written since `from` (a length of the log). */
const logSince = (from: number) => sshd.log().slice(from);

const reason = sshdUnavailable() ?? (existsSync('/usr/bin/sudo') ? undefined : 'needs sudo (apt-get install sudo)');
const test = suiteUnless(reason);
test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keel-auth-'));
  mkdirSync(join(dir, 'keys'));
  for (const [n, args] of Object.entries({
    authorized_rsa: ['-t', 'rsa', '-b', '2048', '-N', ''],
    other_ed25519: ['-t', 'ed25519', '-N', ''],
    enc_ed25519: ['-t', 'ed25519', '-N', 'pass'],
    tty_ed25519: ['-t', 'ed25519', '-N', TTY_PASSPHRASE],
    agent_ecdsa: ['-t', 'ecdsa', '-N', ''],
  })) {
    execFileSync('ssh-keygen', ['-q', ...args, '-f', key(n)]);
  }
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, ['authorized_rsa', 'enc_ed25519', 'tty_ed25519', 'agent_ecdsa'].map((n) => readFileSync(key(n) + '.pub', 'utf8')).join(''));
  sshd = await startLabSshd({ name: 'auth', dir, address: '127.0.0.1', port: await freePort(), authorizedKeys: authorized, logLevel: 'VERBOSE' });
  writeFileSync(join(dir, 'known_hosts'), sshd.knownHostsLine + '\n');
  writeFileSync(emptyConfig(), '# nothing\n');
});

test.after(async () => {
  agent?.kill('SIGTERM');
  await sshd?.stop();
  spawnSync('userdel', ['-r', BECOME_USER], { stdio: 'ignore' });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('default keys, none named: ~/.ssh/id_ed25519 is offered (refused) before ~/.ssh/id_rsa (accepted)', async () => {
  const h = home('defaults', { id_ed25519: key('other_ed25519'), id_rsa: key('authorized_rsa') });
  const from = sshd.log().length;
  const r = await runCli(PLAYBOOK, ['-i', inventory('defaults', {}), '-F', emptyConfig()], baseEnv(h));
  assert.is(r.code, 0, r.stdout + r.stderr);
  const log = logSince(from);
  const ed = log.indexOf(fp(key('other_ed25519')));
  const rsa = log.indexOf(`Accepted publickey for root from 127.0.0.1 port`);
  assert.ok(ed >= 0, `the ed25519 key was offered:\n${log}`);
  assert.ok(rsa > ed, 'and before the RSA key was accepted');
  assert.match(log.slice(rsa), fp(key('authorized_rsa')));
});

test('a stale SSH_AUTH_SOCK (no agent there) does not stop the default keys from being tried', async () => {
  const h = home('stale', { id_rsa: key('authorized_rsa') });
  const r = await runCli(PLAYBOOK, ['-i', inventory('stale', {}), '-F', emptyConfig()], { ...baseEnv(h), SSH_AUTH_SOCK: join(dir, 'no-agent-here.sock') });
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test('no key and no agent: authentication fails and says there was nothing to try (exit 3)', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory('nokeys', {}), '-F', emptyConfig()], baseEnv(home('nokeys')));
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, `authentication failed for root@127.0.0.1:${sshd.port} (no key: no ssh-agent (SSH_AUTH_SOCK), no key file, no password)`);
});

test('ssh-agent (SSH_AUTH_SOCK): its key logs in when no key file is named', async () => {
  const sock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('ssh-add', ['-q', key('agent_ecdsa')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const from = sshd.log().length;
  const r = await runCli(PLAYBOOK, ['-i', inventory('agent', {}), '-F', emptyConfig()], { ...baseEnv(home('agent')), SSH_AUTH_SOCK: sock });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(logSince(from), new RegExp(`Accepted publickey for root .* ECDSA ${fp(key('agent_ecdsa')).replace(/[+/]/g, '\\$&')}`));
  agent.kill('SIGTERM');
  agent = undefined;
});

test('an encrypted key (ssh-keygen -N pass) logs in with KEEL_SSH_PASSPHRASE; the passphrase is never printed', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory('enc', { keyFile: key('enc_ed25519') }), '-F', emptyConfig(), '-v'], {
    ...baseEnv(home('enc')),
    KEEL_SSH_PASSPHRASE: 'pass',
  });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'changed');
});

test('an encrypted key on a terminal: asked without echo (two wrong answers, then the right one), then the run goes on', async () => {
  const inv = inventory('tty', { keyFile: key('tty_ed25519') });
  const cmd = [process.execPath, '-r', 'ts-node/register', PLAYBOOK, '-i', inv, '-F', emptyConfig(), '--plain'].map((a) => `'${a}'`).join(' ');
  // script(1) gives the run a pseudo-terminal; what we write to its stdin is typed there, as soon
  // as a prompt shows (a terminal that still echoes at that moment shows it in the output).
  const prompt = `Enter passphrase for key '${key('tty_ed25519')}': `;
  const answers = ['Wrong-One-1', 'Wrong-Two-2', TTY_PASSPHRASE];
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: repoRoot,
    env: { ...process.env, ...baseEnv(home('tty')), TS_NODE_TRANSPILE_ONLY: 'true', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let typed = 0;
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const onData = (d: Buffer) => {
      out += d;
      if (typed < answers.length && out.split(prompt).length - 1 > typed) child.stdin!.write(answers[typed++] + '\r');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.is(typed, 3, `three prompts expected:\n${out}`);
  assert.is(code, 0, out);
  for (const a of answers) assert.not.ok(out.includes(a), `${a} was echoed:\n${out}`);
  assert.match(out, 'RECAP');
});

test('an ssh config alias: the inventory names only "web", -F gives HostName, Port, User and IdentityFile', async () => {
  const cfg = join(dir, 'alias_config');
  writeFileSync(cfg, `Host web\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${key('authorized_rsa')}\n`);
  const root = join(dir, 'roots', 'alias');
  mkdirSync(root, { recursive: true });
  const inv = writeInventory(dir, { defaults: { knownHostsFile: join(dir, 'known_hosts') }, hosts: { web: { vars: { root, port: 80 } } } }, 'inv-alias.ts');
  const r = await runCli(PLAYBOOK, ['-i', inv, '-F', cfg], baseEnv(home('alias')));
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(readFileSync(join(root, 'motd'), 'utf8'), 'welcome to web\n');
});

test('the inventory\'s port wins over the ssh config\'s (a wrong Port in the config is not used)', async () => {
  const cfg = join(dir, 'wrong_port_config');
  const closed = await freePort();
  writeFileSync(cfg, `Host 127.0.0.1\n  Port ${closed}\n  User nobody-here\n  IdentityFile ${key('authorized_rsa')}\n`);
  const r = await runCli(PLAYBOOK, ['-i', inventory('precedence', {}, { user: 'root' }), '-F', cfg], baseEnv(home('precedence')));
  assert.is(r.code, 0, r.stdout + r.stderr);
  // And without the inventory's port, the config's (closed) port is used: so the config was read.
  const inv = writeInventory(dir, { defaults: { user: 'root', knownHostsFile: join(dir, 'known_hosts') }, hosts: { h1: { address: '127.0.0.1', vars: { root: dir, port: 80 } } } }, 'inv-noport.ts');
  const r2 = await runCli(PLAYBOOK, ['-i', inv, '-F', cfg], baseEnv(home('precedence')));
  assert.is(r2.code, 3, r2.stdout + r2.stderr);
  assert.match(r2.stdout, `connection refused by root@127.0.0.1:${closed}`);
});

test('becomeUser (and ansible_become_user in an INI inventory): logged in as root, the tasks run as another user (sudo -u)', async () => {
  if (spawnSync('id', [BECOME_USER]).status !== 0) execFileSync('useradd', ['-m', '-s', '/bin/sh', BECOME_USER]);
  const uid = Number(execFileSync('id', ['-u', BECOME_USER]).toString());
  const work = join(dir, 'become-user');
  mkdirSync(work);
  chownSync(work, uid, uid);
  // Its home and the spec's directory must be reachable by that user.
  execFileSync('chmod', ['755', dir]);
  const inv = inventory('become', { keyFile: key('authorized_rsa'), become: true, becomeUser: BECOME_USER, vars: { dir: work } });
  const r = await runCli(BECOME_PLAYBOOK, ['-i', inv, '-F', emptyConfig()], baseEnv(home('become')));
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(statSync(join(work, 'written')).uid, uid, 'the file belongs to the become user, not root');
  assert.is(readFileSync(join(work, 'whoami'), 'utf8'), `${BECOME_USER}\n`);

  // The same from an Ansible INI inventory: ansible_become_user is becomeUser (known_hosts: ~/.ssh's).
  const iniWork = join(dir, 'become-user-ini');
  mkdirSync(iniWork);
  chownSync(iniWork, uid, uid);
  const h = home('become-ini');
  copyFileSync(join(dir, 'known_hosts'), join(h, '.ssh', 'known_hosts'));
  const ini = join(dir, 'become-user.ini');
  writeFileSync(
    ini,
    `[db]\nh1 ansible_host=127.0.0.1 ansible_port=${sshd.port} dir=${iniWork}\n\n[db:vars]\n` +
      `ansible_user=root\nansible_ssh_private_key_file=${key('authorized_rsa')}\nansible_become=yes\nansible_become_user=${BECOME_USER}\n`,
  );
  const ri = await runCli(BECOME_PLAYBOOK, ['-i', ini, '-F', emptyConfig()], baseEnv(h));
  assert.is(ri.code, 0, ri.stdout + ri.stderr);
  assert.is(statSync(join(iniWork, 'written')).uid, uid, 'INI inventory: the file belongs to the become user');
  assert.is(readFileSync(join(iniWork, 'whoami'), 'utf8'), `${BECOME_USER}\n`);
});

test.run();
