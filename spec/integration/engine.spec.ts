import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { freePort, sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(__dirname, 'fixtures', 'engine-playbook.ts');
let fleet: SshdFleet;

function inventory(extra: Record<string, unknown> = {}, knownHosts = fleet.knownHosts) {
  return {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: knownHosts, connectTimeoutSeconds: 3 },
    hosts: Object.fromEntries(
      fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, port: 8000 + h.port % 100 } }]),
    ),
    ...extra,
  };
}

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(3);
});
test.after(async () => {
  await fleet?.stop();
});

test('first run changes every file on three real sshd hosts and runs the notified handler', async () => {
  const inv = writeInventory(fleet.dir, inventory());
  const json = join(fleet.dir, 'first.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--json', json]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  for (const h of fleet.hosts) {
    assert.equal(report.recap[h.name], { ok: 0, changed: 3, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
    assert.is(readFileSync(join(h.root, 'motd'), 'utf8'), `welcome to ${h.name}\n`);
    assert.is(readFileSync(join(h.root, 'handler-ran'), 'utf8'), 'yes\n');
  }
});

test('second run reports changed=0 on every host', async () => {
  const inv = writeInventory(fleet.dir, inventory());
  const json = join(fleet.dir, 'second.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--json', json]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  for (const h of fleet.hosts) assert.equal(report.recap[h.name], { ok: 2, changed: 0, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
});

test('--check after manual edits reports exactly those tasks and the handler they notify, with diffs, and modifies nothing', async () => {
  const target = join(fleet.hosts[1].root, 'app.conf');
  writeFileSync(target, 'port=1\nname=edited\n');
  const motd = join(fleet.hosts[2].root, 'motd');
  writeFileSync(motd, 'edited\n');
  const handlerMark = join(fleet.hosts[2].root, 'handler-ran');
  rmSync(handlerMark);
  const inv = writeInventory(fleet.dir, inventory());
  const json = join(fleet.dir, 'check.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--check', '--diff', '--json', json]);
  assert.is(r.code, 4, 'drift exit code\n' + r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const drift = report.plays[0].results.filter((x: { status: string }) => x.status !== 'ok');
  assert.equal(
    drift.map((x: { host: string; task: string; status: string }) => [x.host, x.task, x.status]).sort(),
    [
      ['host2', `writeFile ${target}`, 'would change'],
      ['host3', `writeFile ${motd}`, 'would change'],
      ['host3', 'mark', 'would change'],
    ].sort(),
  );
  const app = drift.find((x: { task: string }) => x.task === `writeFile ${target}`);
  assert.ok(app.diff.includes('-port=1') && app.diff.includes('+name=host2'), app.diff);
  assert.ok(r.stdout.includes('-name=edited'), 'diff printed with --diff');
  assert.is(readFileSync(target, 'utf8'), 'port=1\nname=edited\n', 'check mode changed nothing');
  assert.is(readFileSync(motd, 'utf8'), 'edited\n', 'check mode changed nothing');
  assert.not.ok(existsSync(handlerMark), 'check mode ran no handler');
  assert.is(Object.values(report.recap).reduce((n: number, h) => n + (h as { wouldChange: number }).wouldChange, 0), 3);
});

test('the apply then changes exactly what check mode predicted (handlers included), and the next check finds no drift', async () => {
  const inv = writeInventory(fleet.dir, inventory());
  const json = join(fleet.dir, 'apply.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--json', json]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const changed = report.plays[0].results.filter((x: { status: string }) => x.status === 'changed');
  assert.equal(
    changed.map((x: { host: string; task: string }) => [x.host, x.task]).sort(),
    [
      ['host2', `writeFile ${join(fleet.hosts[1].root, 'app.conf')}`],
      ['host3', `writeFile ${join(fleet.hosts[2].root, 'motd')}`],
      ['host3', 'mark'],
    ].sort(),
  );
  assert.is(readFileSync(join(fleet.hosts[2].root, 'handler-ran'), 'utf8'), 'yes\n');
  const again = await runCli(PLAYBOOK, ['-i', inv, '--check']);
  assert.is(again.code, 0, again.stdout + again.stderr);
});

test('a host whose port is closed is reported unreachable while the other hosts finish', async () => {
  const closed = await freePort();
  const spec = inventory();
  (spec.hosts as Record<string, unknown>).host4 = { address: '127.0.0.1', port: closed, vars: { root: '/nonexistent' } };
  const inv = writeInventory(fleet.dir, spec);
  const json = join(fleet.dir, 'unreachable.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--json', json]);
  assert.is(r.code, 3, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(report.recap.host4.unreachable, 1);
  assert.match(report.unreachable.host4, 'connection refused');
  for (const h of fleet.hosts) assert.is(report.recap[h.name].ok, 2);
});

test('an unknown host key is refused with its fingerprint unless --accept-new-host-keys', async () => {
  const empty = join(fleet.dir, 'empty_known_hosts');
  writeFileSync(empty, '');
  const inv = writeInventory(fleet.dir, inventory({}, empty));
  const r = await runCli(PLAYBOOK, ['-i', inv, '--limit', 'host1']);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /unknown host key ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}/);
  assert.ok(r.stdout.includes(`[127.0.0.1]:${fleet.hosts[0].port} ${fleet.hosts[0].hostPublicKey}`), 'prints the line to add');
  const ok = await runCli(PLAYBOOK, ['-i', inv, '--limit', 'host1', '--accept-new-host-keys']);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.ok(readFileSync(empty, 'utf8').includes(fleet.hosts[0].hostPublicKey));
});

test('a changed host key is refused even with --accept-new-host-keys', async () => {
  const wrong = join(fleet.dir, 'wrong_known_hosts');
  // host2's key filed under host1's name: same type, different key.
  writeFileSync(wrong, `[127.0.0.1]:${fleet.hosts[0].port} ${fleet.hosts[1].hostPublicKey}\n`);
  const inv = writeInventory(fleet.dir, inventory({}, wrong));
  const r = await runCli(PLAYBOOK, ['-i', inv, '--limit', 'host1', '--accept-new-host-keys']);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, 'HOST KEY CHANGED');
  assert.is(readFileSync(wrong, 'utf8').split('\n').filter(Boolean).length, 1, 'known_hosts left alone');
});

test.run();
