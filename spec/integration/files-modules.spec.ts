import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

const PLAYBOOK = join(__dirname, 'fixtures', 'files-modules-playbook.ts');
const PORTS: Record<string, number> = { host1: 5060, host2: 5070 };
let fleet: SshdFleet;
let blob: string;
type Result = { host: string; task: string; status: string; changes: { field: string; from?: string; to?: string }[]; diff?: string; message?: string };

const inventory = () =>
  writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts },
    hosts: Object.fromEntries(
      fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, blob, port: PORTS[h.name] } }]),
    ),
    groups: { sip: { hosts: fleet.hosts.map((h) => h.name) } },
  });
const resultsOf = (file: string): Result[] => JSON.parse(readFileSync(file, 'utf8')).plays.flatMap((p: { results: Result[] }) => p.results);
const run = async (name: string, args: string[] = []) => {
  const json = join(fleet.dir, `${name}.json`);
  const r = await runCli(PLAYBOOK, ['-i', inventory(), '--json', json, ...args]);
  return { ...r, results: resultsOf(json) };
};
/** One line per result whose status is `word`: host, task and exactly what changed. */
const changed = (results: Result[], word: string) =>
  results
    .filter((r) => r.status === word)
    .map((r) => JSON.stringify([r.host, r.task, r.changes]))
    .sort();
const appIni = (name: string, peer: string) =>
  `# Ansible managed (rendered by keel)\n; ${name} on ${hostname()}\n[sip]\nlisten = 127.0.0.1:${PORTS[name]}\nname = ${name}\npeer = ${peer}:${PORTS[peer]}\ndebug = False\n`;
const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);
const groupOf = (p: string) => readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(statSync(p).gid))?.split(':')[0];

const test = suiteUnless(sshdUnavailable());
test.before(async () => {
  fleet = await startSshdFleet(2);
  // Binary content with every byte value: what copy must carry unchanged.
  blob = join(fleet.dir, 'blob.bin');
  writeFileSync(blob, Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]));
  for (const h of fleet.hosts) {
    mkdirSync(join(h.root, 'old', 'deep'), { recursive: true });
    writeFileSync(join(h.root, 'old', 'deep', 'f'), 'to be removed\n');
    mkdirSync(join(h.root, 'data', 'sub'), { recursive: true });
    writeFileSync(join(h.root, 'data', 'a'), 'a');
    writeFileSync(join(h.root, 'data', 'sub', 'b'), 'b');
  }
});
test.after(async () => {
  await fleet?.stop();
});

test('fresh hosts: check mode predicts the changes it can, marks what rests on earlier tasks, and the run does exactly that', async () => {
  const check = await run('check', ['--check']);
  assert.is(check.code, 4, check.stdout + check.stderr);
  const apply = await run('apply');
  assert.is(apply.code, 0, apply.stdout + apply.stderr);

  // The directories, the link, the removal and the recursive attributes are predicted exactly...
  const predicted = changed(check.results, 'would change');
  assert.is(predicted.length, 10, predicted.join('\n'));
  const happened = changed(apply.results, 'changed');
  assert.is(happened.length, 18, happened.join('\n'));
  for (const p of predicted) assert.ok(happened.includes(p), `predicted but not done: ${p}`);
  // ...and what needs a directory an earlier task makes is reported as depending on it, not as drift.
  const skipped = check.results.filter((r) => r.status === 'skipped');
  assert.equal(skipped.map((r) => r.task.replace(/^\S+ .*\/app\/conf\//, '')).sort(), ['blob.bin', 'blob.bin', 'app.ini', 'app.ini', 'log touch', 'log touch', 'motd', 'motd'].sort());
  for (const r of skipped) assert.match(r.message!, /^depends on earlier changes: /);

  for (const h of fleet.hosts) {
    const conf = join(h.root, 'app', 'conf');
    const peer = h.name === 'host1' ? 'host2' : 'host1';
    assert.ok(readFileSync(join(conf, 'blob.bin')).equals(readFileSync(blob)), 'the binary file arrived byte for byte');
    assert.is(modeOf(join(conf, 'blob.bin')), '640');
    assert.is(readFileSync(join(conf, 'motd'), 'utf8'), `welcome to ${h.name} (${hostname()})\n`);
    assert.is(readFileSync(join(conf, 'app.ini'), 'utf8'), appIni(h.name, peer));
    assert.is(readlinkSync(join(h.root, 'current')), 'app/conf');
    assert.is(readFileSync(join(conf, 'log'), 'utf8'), '');
    assert.is(modeOf(join(conf, 'log')), '600');
    assert.is(modeOf(join(h.root, 'app')), '750');
    assert.not.ok(existsSync(join(h.root, 'old')), 'the tree was removed');
    for (const p of ['data', 'data/a', 'data/sub', 'data/sub/b']) {
      assert.is(modeOf(join(h.root, p)), '750', p);
      assert.is(groupOf(join(h.root, p)), 'nogroup', p);
    }
    assert.equal(readdirSync(conf).filter((f) => f.endsWith('~')), [], 'no backup of files that did not exist');
  }
});

test('the second run changes nothing, and check mode agrees', async () => {
  const second = await run('second');
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.equal(changed(second.results, 'changed'), []);
  assert.is(second.results.filter((r) => r.status === 'ok').length, 18);
  const check = await run('check2', ['--check']);
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.equal(changed(check.results, 'would change'), []);
});

test('--check after hand edits reports exactly those edits; the run then changes exactly what check said, with backups', async () => {
  const [h1, h2] = fleet.hosts;
  const ini = join(h1.root, 'app', 'conf', 'app.ini');
  writeFileSync(ini, readFileSync(ini, 'utf8').replace('debug = False', 'debug = True'));
  chmodSync(join(h1.root, 'data', 'sub', 'b'), 0o644);
  rmSync(join(h1.root, 'current'));
  symlinkSync('/elsewhere', join(h1.root, 'current'));
  const bin = join(h2.root, 'app', 'conf', 'blob.bin');
  const edited = readFileSync(bin);
  edited[1000] ^= 0xff;
  writeFileSync(bin, edited);

  const check = await run('check3', ['--check', '--diff']);
  assert.is(check.code, 4, check.stdout + check.stderr);
  const predicted = check.results.filter((r) => r.status === 'would change');
  const byTask = Object.fromEntries(predicted.map((r) => [`${r.host} ${r.task.replace(h1.root, '').replace(h2.root, '')}`, r.changes]));
  assert.equal(Object.keys(byTask).sort(), ['host1 file /current link', 'host1 file /data directory', 'host1 template /app/conf/app.ini', 'host2 copy /app/conf/blob.bin']);
  assert.equal(byTask['host1 file /current link'], [{ field: 'link', from: '/elsewhere', to: 'app/conf' }]);
  assert.equal(byTask['host1 file /data directory'], [{ field: 'mode below', from: '1 entry differs', to: '750' }]);
  assert.equal(byTask['host1 template /app/conf/app.ini'].map((c) => c.field), ['content']);
  assert.equal(byTask['host2 copy /app/conf/blob.bin'].map((c) => c.field), ['content']);
  const iniDiff = predicted.find((r) => r.task.endsWith('app.ini'))!.diff!;
  assert.equal(iniDiff.split('\n').filter((l) => /^[-+][^-+]/.test(l)), ['-debug = True', '+debug = False'], iniDiff);
  assert.match(check.stdout, '+debug = False', 'the diff is shown with --diff');

  const apply = await run('apply3');
  assert.is(apply.code, 0, apply.stdout + apply.stderr);
  assert.equal(changed(apply.results, 'changed'), changed(check.results, 'would change'), 'check mode predicted the run exactly');
  assert.is(readFileSync(ini, 'utf8'), appIni('host1', 'host2'));
  assert.is(readlinkSync(join(h1.root, 'current')), 'app/conf');
  assert.is(modeOf(join(h1.root, 'data', 'sub', 'b')), '750');
  assert.ok(readFileSync(bin).equals(readFileSync(blob)));
  // Backups only where content changed, holding the hand-edited content.
  const iniBackups = readdirSync(join(h1.root, 'app', 'conf')).filter((f) => f.endsWith('~'));
  assert.is(iniBackups.length, 1, iniBackups.join(' '));
  assert.match(iniBackups[0], /^app\.ini\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
  assert.match(readFileSync(join(h1.root, 'app', 'conf', iniBackups[0]), 'utf8'), 'debug = True');
  const binBackups = readdirSync(join(h2.root, 'app', 'conf')).filter((f) => f.endsWith('~'));
  assert.is(binBackups.length, 1, binBackups.join(' '));
  assert.ok(readFileSync(join(h2.root, 'app', 'conf', binBackups[0])).equals(edited));
  assert.ok(lstatSync(join(h1.root, 'current')).isSymbolicLink());

  const again = await run('again');
  assert.equal(changed(again.results, 'changed'), []);
});

test.run();
