/**
 * ProxyJump with two real sshd: the target runs in a network namespace linked only to the
 * bastion's namespace, so the controller reaches it only through the bastion (spec/helpers/
 * ssh-lab.ts draws the network). Hosts are named only by ssh config aliases (-F, never the real
 * ~/.ssh/config): `web1` on 127.0.0.1, `inner` behind `bastion`, `deep` behind `bastion,relay`
 * (two jump hosts: `relay` is an sshd in the bastion's namespace on its inner address, which the
 * controller cannot reach either).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { probeConnect } from '../faults/support';
import { runCli, writeInventory } from '../helpers/cli';
import { freePort } from '../helpers/sshd';
import {
  BASTION_ADDRESS,
  BASTION_INNER_ADDRESS,
  CONTROLLER_ADDRESS,
  createJumpNetwork,
  JUMP_NS,
  namespacesUnavailable,
  removeJumpNetwork,
  startLabSshd,
  TARGET_ADDRESS,
  type LabSshd,
} from '../helpers/ssh-lab';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(__dirname, 'fixtures', 'engine-playbook.ts');
let dir: string;
let bastion: LabSshd;
let target: LabSshd;
let relay: LabSshd;
let web1: LabSshd;
let clientKey: string;
let sshConfig: string;
let inventory: string;
const roots: Record<string, string> = {};
const env = () => ({ HOME: join(dir, 'home'), SSH_AUTH_SOCK: '', KEEL_SSH_PASSPHRASE: '' });

const reason = namespacesUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keel-jump-'));
  mkdirSync(join(dir, 'home'));
  clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(clientKey + '.pub'));
  createJumpNetwork();
  bastion = await startLabSshd({ name: 'bastion', dir, address: BASTION_ADDRESS, port: 22, authorizedKeys: authorized, logLevel: 'DEBUG1', netns: JUMP_NS.bastion });
  target = await startLabSshd({ name: 'inner', dir, address: TARGET_ADDRESS, port: 22, authorizedKeys: authorized, netns: JUMP_NS.target });
  relay = await startLabSshd({ name: 'relay', dir, address: BASTION_INNER_ADDRESS, port: 2222, authorizedKeys: authorized, logLevel: 'DEBUG1', netns: JUMP_NS.bastion });
  web1 = await startLabSshd({ name: 'web1', dir, address: '127.0.0.1', port: await freePort(), authorizedKeys: authorized });
  writeFileSync(join(dir, 'known_hosts'), [bastion, target, relay, web1].map((s) => s.knownHostsLine).join('\n') + '\n');
  sshConfig = join(dir, 'ssh_config');
  writeFileSync(
    sshConfig,
    [
      'Host web1',
      '  HostName 127.0.0.1',
      `  Port ${web1.port}`,
      '',
      'Host inner',
      `  HostName ${TARGET_ADDRESS}`,
      '  ProxyJump bastion',
      '',
      'Host deep',
      `  HostName ${TARGET_ADDRESS}`,
      '  ProxyJump bastion,relay',
      '',
      'Host bastion',
      `  HostName ${BASTION_ADDRESS}`,
      '',
      'Host relay',
      `  HostName ${BASTION_INNER_ADDRESS}`,
      '  Port 2222',
      '',
      'Host *',
      '  User root',
      `  IdentityFile ${clientKey}`,
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '',
    ].join('\n'),
  );
  for (const h of ['web1', 'inner', 'deep']) {
    roots[h] = join(dir, 'roots', h);
    mkdirSync(roots[h], { recursive: true });
  }
  // No address, port, user, key or known_hosts in the inventory: all of it comes from -F.
  inventory = writeInventory(dir, {
    defaults: { connectTimeoutSeconds: 5 },
    hosts: Object.fromEntries(['web1', 'inner'].map((h) => [h, { vars: { root: roots[h], port: 80 } }])),
  });
});

test.after(async () => {
  await Promise.all([bastion, target, relay, web1].map((s) => s?.stop()));
  removeJumpNetwork();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the target is reachable only through the bastion: a direct TCP connect from here fails', async () => {
  const direct = await probeConnect(TARGET_ADDRESS, 22, 1500);
  assert.ok(direct !== 'connected', `direct connect to the target: ${direct}`);
  assert.is(await probeConnect(BASTION_ADDRESS, 22, 1500), 'connected');
});

test('a playbook on ssh config aliases, one behind the bastion: first run changes, second run changed=0', async () => {
  const json = join(dir, 'first.json');
  const r1 = await runCli(PLAYBOOK, ['-i', inventory, '-F', sshConfig, '--json', json], env());
  assert.is(r1.code, 0, r1.stdout + r1.stderr);
  const first = JSON.parse(readFileSync(json, 'utf8'));
  for (const h of ['web1', 'inner']) {
    assert.is(first.recap[h].changed, 3, `${h}: ${JSON.stringify(first.recap[h])}`);
    assert.is(readFileSync(join(roots[h], 'motd'), 'utf8'), `welcome to ${h}\n`);
  }
  const r2 = await runCli(PLAYBOOK, ['-i', inventory, '-F', sshConfig, '--json', json], env());
  assert.is(r2.code, 0, r2.stdout + r2.stderr);
  const second = JSON.parse(readFileSync(json, 'utf8'));
  for (const h of ['web1', 'inner']) assert.equal([second.recap[h].changed, second.recap[h].ok], [0, 2], h);
});

test("the bastion's sshd forwarded the connection: direct-tcpip to the target in its log, and the target saw the bastion", () => {
  assert.match(bastion.log(), new RegExp(`server_request_direct_tcpip: originator [^ ]+ port \\d+, target ${escape(TARGET_ADDRESS)} port 22`));
  // The target's sshd saw its client come from the bastion's inner address, not from the controller.
  assert.match(target.log(), new RegExp(`Accepted publickey for root from ${escape(BASTION_INNER_ADDRESS)} port \\d+`));
  assert.not.match(target.log(), new RegExp(`from ${escape(CONTROLLER_ADDRESS)} `));
});

test('without -F, ~/.ssh/config is read: the same aliases from $HOME/.ssh/config, the bastion forwarding again', async () => {
  const home = env().HOME;
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  copyFileSync(sshConfig, join(home, '.ssh', 'config'));
  try {
    const hosts: Record<string, { vars: Record<string, unknown> }> = {};
    for (const h of ['web1', 'inner']) {
      const root = join(dir, 'roots', `home-${h}`);
      mkdirSync(root, { recursive: true });
      hosts[h] = { vars: { root, port: 80 } };
    }
    const inv = writeInventory(dir, { defaults: { connectTimeoutSeconds: 5 }, hosts }, 'inv-home.ts');
    const forwardsBefore = countForwards();
    const r = await runCli(PLAYBOOK, ['-i', inv], env());
    assert.is(r.code, 0, r.stdout + r.stderr);
    for (const h of ['web1', 'inner']) assert.is(readFileSync(join(dir, 'roots', `home-${h}`, 'motd'), 'utf8'), `welcome to ${h}\n`);
    assert.ok(countForwards() > forwardsBefore, 'inner was reached through the bastion');
    // web1's port (a free port picked at random) is written nowhere but in the ssh config.
  } finally {
    rmSync(join(home, '.ssh', 'config'));
  }
});

test("the bastion's host key missing from known_hosts: the host behind it is unreachable, with the bastion's fingerprint", async () => {
  const partial = join(dir, 'known_hosts_no_bastion');
  writeFileSync(partial, [target, relay, web1].map((s) => s.knownHostsLine).join('\n') + '\n');
  const forwardedBefore = countForwards();
  // The inventory's knownHostsFile wins over the config's UserKnownHostsFile.
  const inv = writeInventory(dir, { defaults: { knownHostsFile: partial, connectTimeoutSeconds: 5 }, hosts: { web1: { vars: { root: roots.web1, port: 80 } }, inner: { vars: { root: roots.inner, port: 80 } } } }, 'inv-nobastion.ts');
  const json = join(dir, 'nobastion.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '-F', sshConfig, '--json', json], env());
  assert.is(r.code, 3, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const msg: string = report.unreachable.inner;
  assert.ok(msg.startsWith(`inner: unreachable: jump host bastion: unknown host key ssh-ed25519 ${bastion.fingerprint} for ${BASTION_ADDRESS}.`), msg);
  assert.ok(msg.includes(bastion.knownHostsLine), 'the line to add is the bastion\'s');
  assert.is(report.recap.web1.unreachable, 0, 'the direct host is not affected');
  assert.is(countForwards(), forwardedBefore, 'nothing was forwarded through an unverified bastion');
  assert.not.ok(readFileSync(partial, 'utf8').includes(bastion.knownHostsLine.split(' ')[2]), 'not added without --accept-new-host-keys');
});

test("the target's host key missing (the bastion's known): unreachable with the target's fingerprint, through the bastion", async () => {
  const partial = join(dir, 'known_hosts_no_target');
  writeFileSync(partial, [bastion, web1].map((s) => s.knownHostsLine).join('\n') + '\n');
  const inv = writeInventory(dir, { defaults: { knownHostsFile: partial, connectTimeoutSeconds: 5 }, hosts: { inner: { vars: { root: roots.inner, port: 80 } } } }, 'inv-notarget.ts');
  const json = join(dir, 'notarget.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '-F', sshConfig, '--json', json], env());
  assert.is(r.code, 3, r.stdout + r.stderr);
  const msg: string = JSON.parse(readFileSync(json, 'utf8')).unreachable.inner;
  assert.ok(msg.startsWith(`inner: unreachable: unknown host key ssh-ed25519 ${target.fingerprint} for ${TARGET_ADDRESS}.`), msg);
});

test('two jump hosts (ProxyJump bastion,relay): the bastion forwards to the relay, the relay to the target', async () => {
  assert.ok((await probeConnect(BASTION_INNER_ADDRESS, 2222, 1500)) !== 'connected', 'the relay is not reachable from here either');
  const inv = writeInventory(dir, { defaults: { connectTimeoutSeconds: 5 }, hosts: { deep: { vars: { root: roots.deep, port: 80 } } } }, 'inv-deep.ts');
  const [b, r, t] = [bastion, relay, target].map((s) => s.log().length);
  const run = await runCli(PLAYBOOK, ['-i', inv, '-F', sshConfig], env());
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.is(readFileSync(join(roots.deep, 'motd'), 'utf8'), 'welcome to deep\n');
  const bastionLog = bastion.log().slice(b);
  assert.match(bastionLog, new RegExp(`server_request_direct_tcpip: originator [^ ]+ port \\d+, target ${escape(BASTION_INNER_ADDRESS)} port 2222`));
  assert.not.match(bastionLog, new RegExp(`target ${escape(TARGET_ADDRESS)} port 22`), 'the bastion did not go to the target itself');
  assert.match(relay.log().slice(r), /Accepted publickey for root from /);
  assert.match(relay.log().slice(r), new RegExp(`server_request_direct_tcpip: originator [^ ]+ port \\d+, target ${escape(TARGET_ADDRESS)} port 22`));
  assert.match(target.log().slice(t), new RegExp(`Accepted publickey for root from ${escape(BASTION_INNER_ADDRESS)} port \\d+`));
});

test("two jump hosts, the second one's host key unknown: unreachable with the relay's fingerprint, nothing forwarded by it", async () => {
  const partial = join(dir, 'known_hosts_no_relay');
  writeFileSync(partial, [bastion, target, web1].map((s) => s.knownHostsLine).join('\n') + '\n');
  const inv = writeInventory(dir, { defaults: { knownHostsFile: partial, connectTimeoutSeconds: 5 }, hosts: { deep: { vars: { root: roots.deep, port: 80 } } } }, 'inv-norelay.ts');
  const forwardsBefore = (relay.log().match(/server_request_direct_tcpip/g) ?? []).length;
  const json = join(dir, 'norelay.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '-F', sshConfig, '--json', json], env());
  assert.is(r.code, 3, r.stdout + r.stderr);
  const msg: string = JSON.parse(readFileSync(json, 'utf8')).unreachable.deep;
  assert.ok(msg.startsWith(`deep: unreachable: jump host relay: unknown host key ssh-ed25519 ${relay.fingerprint} for [${BASTION_INNER_ADDRESS}]:2222.`), msg);
  assert.is((relay.log().match(/server_request_direct_tcpip/g) ?? []).length, forwardsBefore, 'nothing was forwarded through an unverified relay');
});

test.run();

function escape(address: string): string {
  return address.replace(/\./g, '\\.');
}

function countForwards(): number {
  return (bastion.log().match(/server_request_direct_tcpip/g) ?? []).length;
}
