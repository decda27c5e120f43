import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

/** `audit run` and `audit diff` as cron or a systemd timer runs them, on two real sshd hosts. */
const AUDIT = join(__dirname, '..', '..', 'lib', 'audit', 'cli.ts');
const PLAYBOOK = join(__dirname, 'fixtures', 'plan-playbook.ts');
let fleet: SshdFleet;
let inv = '';
let out = '';

const test = suiteUnless(sshdUnavailable());
test.before(async () => {
  fleet = await startSshdFleet(2);
  inv = writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, connectTimeoutSeconds: 3 },
    hosts: Object.fromEntries(fleet.hosts.map((h, i) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, port: 8000 + i } }])),
  });
  out = join(fleet.dir, 'audits');
});
test.after(async () => {
  await fleet?.stop();
});

const path = (host: number, file: string) => join(fleet.hosts[host].root, file);
const audits = () => readdirSync(out).sort();
const audit = () => runCli(AUDIT, ['run', PLAYBOOK, '-i', inv, '--out', out, '--keep', '2']);

test('the first audit of drifted hosts stores JSON and HTML and exits 4, changing nothing', async () => {
  const converge = await runCli(PLAYBOOK, ['-i', inv]);
  assert.is(converge.code, 0, converge.stdout + converge.stderr);
  writeFileSync(path(0, 'motd'), 'hand edit\n');
  const r = await audit();
  assert.is(r.code, 4, r.stdout + r.stderr);
  const files = audits();
  assert.is(files.length, 2, files.join(' '));
  assert.match(files[0], /^\d{4}-\d{2}-\d{2}T\d{6}Z\.html$/);
  assert.match(files[1], /^\d{4}-\d{2}-\d{2}T\d{6}Z\.json$/);
  const record = JSON.parse(readFileSync(join(out, files[1]), 'utf8'));
  assert.is(record.format, 'keel-run/1');
  assert.equal(record.plays[0].results.filter((x: { status: string }) => x.status === 'would change').map((x: { host: string; task: string }) => `${x.host} ${x.task}`), [`host1 writeFile ${path(0, 'motd')}`]);
  assert.match(readFileSync(join(out, files[0]), 'utf8'), 'would change');
  assert.is(readFileSync(path(0, 'motd'), 'utf8'), 'hand edit\n', 'an audit changes nothing');
});

test('the next audit says what drifted since, what was fixed, and keeps the newest --keep audits', async () => {
  writeFileSync(path(0, 'motd'), 'welcome to host1\n');
  writeFileSync(path(1, 'app.conf'), 'port=1\n');
  const second = await audit();
  assert.is(second.code, 4, second.stdout + second.stderr);
  assert.match(second.stdout, `new drift since the last audit (1):\n  host2 | writeFile ${path(1, 'app.conf')} | would change | content:`);
  assert.match(second.stdout, `fixed since the last audit (1):\n  host1 | writeFile ${path(0, 'motd')} | ok`);
  assert.match(second.stdout, 'still drifted (0):');
  await new Promise((r) => setTimeout(r, 1100)); // a new second: a new name
  const third = await audit();
  assert.is(third.code, 4, third.stdout + third.stderr);
  assert.match(third.stdout, 'new drift since the last audit (0):');
  assert.match(third.stdout, `still drifted (1):\n  host2 | writeFile ${path(1, 'app.conf')}`);
  assert.match(third.stdout, '1 older audit removed, keeping 2');
  const json = audits().filter((f) => f.endsWith('.json'));
  assert.is(json.length, 2, audits().join(' '));
  assert.is(audits().filter((f) => f.endsWith('.html')).length, 2);

  const [older, newer] = json.map((f) => join(out, f));
  const same = await runCli(AUDIT, ['diff', older, newer]);
  assert.is(same.code, 0, 'nothing new drifted between the last two\n' + same.stdout + same.stderr);
  const back = await runCli(AUDIT, ['diff', newer, older]);
  assert.is(back.code, 0, back.stdout + back.stderr);
});

test.run();
