/**
 * How keel resolves a host from the inventory and the ssh config (lib/ssh-config.ts,
 * lib/connect.ts `Connector.plan`): aliases, patterns, first match wins, ProxyJump lists,
 * and the inventory's explicit values winning over the config, which wins over defaults.
 * No host is contacted here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Connector, DEFAULT_KEY_NAMES } from '../../lib/connect';
import { UsageError } from '../../lib/errors';
import { buildInventory } from '../../lib/inventory';
import { loadSshConfig, lookupSshHost, parseProxyJump, parseSshConfig } from '../../lib/ssh-config';

const CONFIG = `
# Specific blocks first, as OpenSSH wants: the first value found for a keyword wins.
Host web1
  HostName 127.0.0.1
  Port 2201
  User deploy

Host web*  !web9
  Port 2299
  User other
  IdentityFile ~/.ssh/web_%r_%h
  IdentityFile /keys/%n.key

Host db
  HostName 198.18.7.6
  ProxyJump bastion,admin@relay:2222

Host bastion
  HostName 198.18.7.1
  User jumper

Host relay
  HostName 198.18.9.9
  ProxyJump bastion

Host loop1
  ProxyJump loop2
Host loop2
  ProxyJump loop1

Host direct
  ProxyJump none

Host *.lan
  HostName %h.example.invalid
  User lanuser

Host *
  User fallback
  Port 22
`;

const sshConfig = parseSshConfig(CONFIG, '/test/ssh_config');
const dir = mkdtempSync(join(tmpdir(), 'keel-sshcfg-'));
const noKeys = join(dir, 'empty-ssh-dir');
mkdirSync(noKeys);
const env = { USER: 'localme' };

function plan(hosts: Record<string, Record<string, unknown>>, defaults: Record<string, unknown> = {}, name = Object.keys(hosts)[0]) {
  const inv = buildInventory({ defaults, hosts });
  const connector = new Connector({ sshConfig, env, sshDir: noKeys });
  return connector.plan(inv.hosts.find((h) => h.name === name)!);
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a UsageError');
}

test('a host named only by an alias gets HostName, Port and User from its Host block', () => {
  const p = plan({ web1: {} });
  assert.is(p.target.address, '127.0.0.1');
  assert.is(p.target.port, 2201);
  assert.is(p.target.user, 'deploy');
  assert.equal(p.jumps, []);
});

test('first match wins: web1 keeps its own Port and User although "web*" and "*" come later', () => {
  const c = sshConfig.compute('web1');
  assert.is(c.port, '2201');
  assert.is(c.user, 'deploy');
});

test('patterns: "web*" matches web2, "!web9" excludes web9, "*" catches the rest', () => {
  const web2 = plan({ web2: {} });
  assert.is(web2.target.address, 'web2', 'no HostName: the alias is the address');
  assert.is(web2.target.port, 2299);
  assert.is(web2.target.user, 'other');
  const web9 = plan({ web9: {} });
  assert.is(web9.target.port, 22);
  assert.is(web9.target.user, 'fallback');
});

test('HostName %h and IdentityFile tokens (~, %r, %h, %n) are expanded', () => {
  assert.is(plan({ 'printer.lan': {} }).target.address, 'printer.lan.example.invalid');
  const p = plan({ web2: { address: 'web2' } }, {}, 'web2');
  const home = require('node:os').homedir();
  assert.equal(
    p.target.keyRefs.map((k) => k.file),
    [`${home}/.ssh/web_other_web2`, '/keys/web2.key'],
  );
  assert.ok(p.target.keyRefs.every((k) => k.origin === 'ssh config'));
});

test('IdentityFile accumulates across matching blocks, in file order (as OpenSSH)', () => {
  const text = 'Host a\n  IdentityFile /k/one\nHost *\n  IdentityFile /k/two\n';
  assert.equal(lookupSshHost(parseSshConfig(text), 'a').identityFiles, ['/k/one', '/k/two']);
});

test('the inventory address is what the ssh config is looked up by, like ansible_host given to ssh', () => {
  const p = plan({ frontend: { address: 'web1' } });
  assert.is(p.target.address, '127.0.0.1');
  assert.is(p.target.port, 2201);
  assert.is(p.target.name, 'frontend');
});

test('precedence: the inventory\'s user and port (host or defaults) win over the ssh config, which wins over defaults', () => {
  assert.is(plan({ web1: { user: 'invuser', port: 2022 } }).target.user, 'invuser');
  assert.is(plan({ web1: { user: 'invuser', port: 2022 } }).target.port, 2022);
  const viaDefaults = plan({ web1: {} }, { user: 'defuser', port: 2023 });
  assert.is(viaDefaults.target.user, 'defuser');
  assert.is(viaDefaults.target.port, 2023);
  // Not in the inventory: the config's values; in neither: port 22 and the local user.
  const bare = new Connector({ sshConfig: parseSshConfig('Host other\n  Port 1\n'), env, sshDir: noKeys });
  const h = buildInventory({ hosts: { lone: {} } }).hosts[0];
  assert.is(bare.plan(h).target.port, 22);
  assert.is(bare.plan(h).target.user, 'localme');
});

test('precedence: an inventory keyFile is the only key (no agent), over the config\'s IdentityFile', () => {
  const p = new Connector({ sshConfig, env: { ...env, SSH_AUTH_SOCK: '/tmp/agent.sock' }, sshDir: noKeys }).plan(
    buildInventory({ hosts: { web2: { keyFile: '/inv/key' } } }).hosts[0],
  );
  assert.equal(p.target.keyRefs, [{ file: '/inv/key', origin: 'inventory' }]);
  assert.is(p.target.agent, undefined);
  const q = new Connector({ sshConfig, env: { ...env, SSH_AUTH_SOCK: '/tmp/agent.sock' }, sshDir: noKeys }).plan(
    buildInventory({ hosts: { web2: {} } }).hosts[0],
  );
  assert.is(q.target.agent, '/tmp/agent.sock', 'with IdentityFile from the config the agent is tried too, as OpenSSH does');
});

test('ProxyJump list: each hop resolved through the config; a hop\'s own ProxyJump comes before it', () => {
  const p = plan({ db: {} });
  assert.is(p.target.address, '198.18.7.6');
  // db: ProxyJump bastion,admin@relay:2222 → bastion, then relay (whose own ProxyJump is bastion,
  // but in a list only the first hop's own ProxyJump applies, as with `ssh -J bastion,relay`).
  assert.equal(
    p.jumps.map((j) => `${j.name}=${j.user}@${j.address}:${j.port}`),
    ['bastion=jumper@198.18.7.1:22', 'relay=admin@198.18.9.9:2222'],
  );
  const viaRelay = plan({ r: { address: 'relay' } });
  assert.equal(viaRelay.jumps.map((j) => j.name), ['bastion']);
  assert.equal(plan({ direct: {} }).jumps, [], 'ProxyJump none');
});

test('a hop whose own ProxyJump leads back is a loop: a UsageError, not a hang', () => {
  const msg = usageError(() => plan({ loop1: {} }));
  assert.match(msg, 'ProxyJump loop');
});

test('"Host *" with ProxyJump also matches the bastion: it does not jump through itself', () => {
  const cfg = parseSshConfig('Host bastion\n  HostName 198.18.7.1\nHost *\n  ProxyJump bastion\n');
  const p = new Connector({ sshConfig: cfg, env, sshDir: noKeys }).plan(buildInventory({ hosts: { app: {} } }).hosts[0]);
  assert.equal(p.jumps.map((j) => `${j.name}@${j.address}`), ['bastion@198.18.7.1']);
});

test('parseProxyJump: user@host:port, ssh:// URLs, IPv6, and bad entries', () => {
  assert.equal(parseProxyJump('a, bob@b:2222 ,ssh://c:23,[::1]:24'), [
    { host: 'a', user: undefined, port: undefined },
    { host: 'b', user: 'bob', port: 2222 },
    { host: 'c', user: undefined, port: 23 },
    { host: '::1', user: undefined, port: 24 },
  ]);
  assert.equal(parseProxyJump('none'), []);
  assert.match(usageError(() => parseProxyJump('a b')), '"a b" is not [user@]host[:port]');
  assert.match(usageError(() => parseProxyJump('a:99999')), 'port 99999 is not 1-65535');
});

test('an unparsable ssh config is a UsageError naming the file and line', () => {
  assert.match(usageError(() => parseSshConfig('Host a\n  Port\n', '/x/cfg')), 'ssh config /x/cfg: line 2: Port has no value');
  assert.match(usageError(() => parseSshConfig('Host "unterminated\n', '/x/cfg')), /ssh config \/x\/cfg: cannot parse it/);
  assert.match(usageError(() => parseSshConfig('Host a\n  {bad} line\n', '/x/cfg')), 'line 2: "{bad} line" is not a "Keyword value" line');
  const bin = usageError(() => parseSshConfig('\u0000\u0001\u0002binary', '/x/cfg'));
  assert.match(bin, 'line 1:');
  const badPort = usageError(() => lookupSshHost(parseSshConfig('Host a\n  Port ssh\n', '/x/cfg'), 'a'));
  assert.is(badPort, 'ssh config /x/cfg, host a: Port "ssh" is not a port number (1-65535)');
});

test('-F with a missing file is a UsageError; a missing ~/.ssh/config is no config at all', () => {
  assert.match(usageError(() => loadSshConfig(join(dir, 'nope'))), 'cannot read it (no such file)');
  const home = process.env.HOME;
  process.env.HOME = dir;
  try {
    assert.equal(loadSshConfig().compute('x'), {});
  } finally {
    process.env.HOME = home;
  }
});

test('default keys: without keyFile or IdentityFile, ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist, in that order', () => {
  assert.equal([...DEFAULT_KEY_NAMES], ['id_ed25519', 'id_ecdsa', 'id_rsa']);
  const sshDir = join(dir, 'ssh-with-keys');
  mkdirSync(sshDir);
  // Created in the reverse order, with one missing, so neither creation order nor listing order can pass the test.
  for (const n of ['id_rsa', 'id_ed25519']) writeFileSync(join(sshDir, n), 'x');
  const c = new Connector({ sshConfig: parseSshConfig(''), env, sshDir });
  const p = c.plan(buildInventory({ hosts: { h: {} } }).hosts[0]);
  assert.equal(p.target.keyRefs, [
    { file: join(sshDir, 'id_ed25519'), origin: 'default' },
    { file: join(sshDir, 'id_rsa'), origin: 'default' },
  ]);
  writeFileSync(join(sshDir, 'id_ecdsa'), 'x');
  const again = new Connector({ sshConfig: parseSshConfig(''), env, sshDir }).plan(buildInventory({ hosts: { h: {} } }).hosts[0]);
  assert.equal(again.target.keyRefs.map((k) => k.file.split('/').pop()), ['id_ed25519', 'id_ecdsa', 'id_rsa']);
});

test('the jump hosts use the target\'s known_hosts policy: every hop is checked against the same file', () => {
  const p = plan({ db: { knownHostsFile: '/kh/file' } });
  assert.ok(p.jumps.length === 2 && p.jumps.every((j) => j.hostKeys.file === '/kh/file'));
  assert.is(p.target.hostKeys.file, '/kh/file');
});

test('Include: relative to ~/.ssh (here: the base given), globs sorted, at the top and inside a Host block', () => {
  const base = join(dir, 'include-base');
  mkdirSync(join(base, 'conf.d'), { recursive: true });
  writeFileSync(join(base, 'conf.d', '20-db.conf'), 'Host db\n  HostName 198.18.7.20\n  Port 2020\n');
  writeFileSync(join(base, 'conf.d', '10-web.conf'), 'Host web\n  HostName 198.18.7.10\n');
  writeFileSync(join(base, 'conf.d', 'ignored.txt'), 'Host web\n  HostName wrong\n');
  writeFileSync(join(base, 'users'), 'User included-user\n');
  const cfg = parseSshConfig(
    [
      'Include conf.d/*.conf',
      // After an Include whose files open blocks, this line applies to every host again, as in OpenSSH.
      'Port 2200',
      'Host web',
      '  Include users',
      '  IdentityFile /k/web',
      'Include /nonexistent/*.conf',
    ].join('\n'),
    '/main/config',
    base,
  );
  const web = lookupSshHost(cfg, 'web');
  assert.is(web.hostName, '198.18.7.10');
  assert.is(web.user, 'included-user', 'an Include inside "Host web" applies to web');
  assert.equal(web.identityFiles, ['/k/web'], 'the Host web block goes on after its Include');
  assert.is(web.port, 2200);
  assert.is(lookupSshHost(cfg, 'db').port, 2020);
  assert.is(lookupSshHost(cfg, 'db').user, undefined, 'the Include inside Host web does not leak to db');
  assert.is(lookupSshHost(cfg, 'other').port, 2200);
});

test('Include: a problem in an included file names that file and its line; a loop ends', () => {
  const base = join(dir, 'include-bad');
  mkdirSync(base);
  writeFileSync(join(base, 'bad'), '# fine\nHost x\n  Port\n');
  assert.is(usageError(() => parseSshConfig('Include bad\n', '/main', base)), `ssh config ${join(base, 'bad')}: line 3: Port has no value`);
  writeFileSync(join(base, 'self'), 'Include self\n');
  assert.match(usageError(() => parseSshConfig('Include self\n', '/main', base)), 'Include nested more than 16 deep');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
