import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

/**
 * user, group, authorizedKey, cron and sysctl on real sshd hosts on 127.0.0.1.
 *
 * The sysctl module sets live kernel values, and this machine's must never change: the spec runs
 * itself again inside a network namespace of its own (`ip netns add keels-PID`), where
 * net.ipv4.ip_forward is the namespace's, and checks afterwards that the machine's value is what
 * it was. Where no namespace can be made, the sysctl tests report NOT RUN; the others still run.
 */
const NETNS_VAR = 'KEEL_SYSTEM_SPEC_NETNS';
const HOST_NETNS_VAR = 'KEEL_SYSTEM_SPEC_HOST_NETNS';
/** This process's net.ipv4.ip_forward: the machine's in the parent, the namespace's in the child. */
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

if (process.env[NETNS_VAR] === undefined && !sshdUnavailable()) reexecInNamespace();
else main();

/** Runs this file again inside a fresh network namespace; removes it and checks the machine's ip_forward after. */
function reexecInNamespace(): void {
  const ns = `keels-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (made.status !== 0) {
    process.env[NETNS_VAR] = `none: ip netns add failed: ${(made.stderr || made.error?.message || '').trim()}`;
    main();
    return;
  }
  const before = readFileSync(IP_FORWARD, 'utf8');
  const cleanup = () => spawnSync('ip', ['netns', 'del', ns]);
  execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-r', 'ts-node/register', __filename], {
    stdio: 'inherit',
    env: { ...process.env, [NETNS_VAR]: ns, [HOST_NETNS_VAR]: readlinkSync('/proc/self/ns/net') },
  });
  const stop = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', stop).on('SIGTERM', stop);
  child.on('exit', (code, signal) => {
    cleanup();
    const after = readFileSync(IP_FORWARD, 'utf8');
    if (after !== before) {
      console.error(`!!! the machine's net.ipv4.ip_forward changed from ${before.trim()} to ${after.trim()}: the namespace did not hold`);
      process.exit(1);
    }
    process.exit(code ?? (signal ? 1 : 0));
  });
}

function main(): void {
  const inNamespace = process.env[NETNS_VAR] ?? '';
  /** Live kernel values may be set only in a namespace that is not the machine's. */
  const netnsReason = inNamespace.startsWith('none')
    ? `needs a network namespace for live sysctl values (${inNamespace})`
    : !inNamespace || readlinkSync('/proc/self/ns/net') === process.env[HOST_NETNS_VAR]
      ? 'needs a network namespace of its own for live sysctl values'
      : undefined;

  const PLAYBOOK = join(__dirname, 'fixtures', 'system-playbook.ts');
  const USER = `keelit${process.pid}`;
  const GROUP = `keelitg${process.pid}`;
  type Result = { host: string; task: string; module: string; status: string; changes: { field: string; from?: string; to?: string }[]; message?: string };
  const resultsOf = (file: string): Result[] => JSON.parse(readFileSync(file, 'utf8')).plays.flatMap((p: { results: Result[] }) => p.results);
  /** The host's recap in a JSON report: the counts the run closed with. */
  const recapOf = (file: string) => {
    const { changed, ok, wouldChange, failed } = JSON.parse(readFileSync(file, 'utf8')).recap.host1;
    return { changed, ok, wouldChange, failed };
  };
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });

  // ---- users, groups, authorized keys and cron ------------------------------------------------
  {
    let fleet: SshdFleet;
    let key: string;
    const root = () => fleet.hosts[0].root;
    const home = () => join(root(), `home-${USER}`);
    const cronFile = () => join(root(), `keelit-${USER}`);
    const inventory = () =>
      writeInventory(fleet.dir, {
        defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts },
        hosts: { host1: { address: '127.0.0.1', port: fleet.hosts[0].port, vars: { root: root(), user: USER, group: GROUP, key, part: 'accounts' } } },
      });
    /** Runs the playbook; returns the exit code, output and the per-task results. */
    const play = async (name: string, ...args: string[]) => {
      const json = join(fleet.dir, `${name}.json`);
      const r = await runCli(PLAYBOOK, ['-i', inventory(), '--json', json, ...args]);
      return { ...r, results: existsSync(json) ? resultsOf(json) : [] };
    };
    const byModule = (results: Result[]) => Object.fromEntries(results.map((r) => [r.module, r]));

    const test = suiteUnless(sshdUnavailable(), 'users and cron');
    test.before(async () => {
      fleet = await startSshdFleet(1);
      key = readFileSync(fleet.clientKey + '.pub', 'utf8').trim();
    });
    test.after(async () => {
      spawnSync('userdel', ['-r', USER], { stdio: 'ignore' });
      spawnSync('groupdel', [GROUP], { stdio: 'ignore' });
      await fleet?.stop();
    });

    test('fresh host: check mode changes nothing; what rests on the new group and user is skipped, not drift', async () => {
      const r = await play('check-fresh', '--check');
      assert.is(r.code, 4, r.stdout + r.stderr);
      const m = byModule(r.results);
      assert.equal(m.group.status, 'would change');
      assert.equal(m.group.changes, [{ field: `group ${GROUP}`, from: 'absent', to: 'created' }]);
      assert.is(m.user.status, 'skipped');
      assert.is(m.user.message, `depends on earlier changes: group ${GROUP} does not exist yet`);
      assert.is(m.authorizedKey.status, 'skipped');
      assert.is(m.authorizedKey.message, `depends on earlier changes: user ${USER} does not exist yet`);
      assert.is(m.cron.status, 'would change');
      assert.is(sh(`getent group ${GROUP}`).status, 2, 'check mode created no group');
      assert.not.ok(existsSync(cronFile()), 'check mode wrote no cron file');
    });

    test('first run creates group, user, key and cron file as asked; the second run changes nothing', async () => {
      const first = await play('first');
      assert.is(first.code, 0, first.stdout + first.stderr);
      assert.equal(first.results.map((x) => x.status), ['changed', 'changed', 'changed', 'changed']);
      assert.match(sh(`getent passwd ${USER}`).stdout, `:keel integration test:${home()}:/bin/bash\n`);
      assert.is(sh(`id -Gn ${USER}`).stdout.trim(), `${USER} ${GROUP}`);
      const ssh = join(home(), '.ssh');
      const uid = Number(sh(`id -u ${USER}`).stdout);
      assert.is((statSync(ssh).mode & 0o777).toString(8), '700');
      assert.is(statSync(ssh).uid, uid);
      assert.is((statSync(join(ssh, 'authorized_keys')).mode & 0o777).toString(8), '600');
      assert.is(statSync(join(ssh, 'authorized_keys')).uid, uid);
      assert.is(readFileSync(join(ssh, 'authorized_keys'), 'utf8'), `${key}\n`);
      assert.is(readFileSync(cronFile(), 'utf8'), `MAILTO=""\n*/10 1-5 * * * ${USER} true\n`);
      assert.is((statSync(cronFile()).mode & 0o777).toString(8), '644');
      assert.is(statSync(cronFile()).uid, 0);

      const second = await play('second');
      assert.is(second.code, 0, second.stdout + second.stderr);
      assert.equal(second.results.map((x) => x.status), ['ok', 'ok', 'ok', 'ok']);
      assert.equal(recapOf(join(fleet.dir, 'second.json')), { changed: 0, ok: 4, wouldChange: 0, failed: 0 });
    });

    test('hand edits: --check reports exactly them, and the run changes exactly what check predicted', async () => {
      execFileSync('usermod', ['-s', '/bin/sh', '-a', '-G', 'users', USER]);
      const keys = join(home(), '.ssh', 'authorized_keys');
      const other = readFileSync(join(__dirname, '..', 'fixtures', 'users', 'rsa.pub'), 'utf8');
      writeFileSync(keys, readFileSync(keys, 'utf8') + other);
      writeFileSync(cronFile(), readFileSync(cronFile(), 'utf8').replace('*/10', '*/20'));

      const check = await play('check-edited', '--check', '--diff');
      assert.is(check.code, 4, check.stdout + check.stderr);
      const m = byModule(check.results);
      assert.equal(m.user.changes, [
        { field: 'groups', from: `${GROUP},users`, to: GROUP },
        { field: 'shell', from: '/bin/sh', to: '/bin/bash' },
      ]);
      assert.is(m.authorizedKey.status, 'ok', 'an extra key line of someone else is no drift');
      assert.equal(m.cron.changes.map((c) => c.field), [`${cronFile()} content`]);
      assert.match(check.stdout, `-*/20 1-5 * * * ${USER} true`);
      const predicted = check.results.filter((x) => x.status === 'would change');
      assert.equal(predicted.map((x) => x.module), ['user', 'cron']);

      const run = await play('apply-edited');
      assert.is(run.code, 0, run.stdout + run.stderr);
      const changed = run.results.filter((x) => x.status === 'changed');
      assert.equal(
        changed.map((x) => [x.task, x.changes]),
        predicted.map((x) => [x.task, x.changes]),
      );
      assert.is(recapOf(join(fleet.dir, 'apply-edited.json')).changed, recapOf(join(fleet.dir, 'check-edited.json')).wouldChange);
      assert.match(sh(`getent passwd ${USER}`).stdout, /:\/bin\/bash\n$/);
      assert.is(sh(`id -Gn ${USER}`).stdout.trim(), `${USER} ${GROUP}`, 'groups are exact: users was taken away');
      assert.is(readFileSync(keys, 'utf8'), `${key}\n${other}`, 'the other key line was kept');
      assert.match(readFileSync(cronFile(), 'utf8'), '*/10 1-5');
    });

    test('state absent removes key, cron file, user with its home, and group; again is ok', async () => {
      const r = await play('remove', '-e', 'state=absent');
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.results.map((x) => [x.module, x.status]), [
        ['authorizedKey', 'changed'],
        ['cron', 'changed'],
        ['user', 'changed'],
        ['group', 'changed'],
      ]);
      assert.is(sh(`getent passwd ${USER}`).status, 2);
      assert.is(sh(`getent group ${GROUP}`).status, 2);
      assert.not.ok(existsSync(home()), 'removeHome removed the home');
      assert.not.ok(existsSync(cronFile()));
      const again = await play('remove-again', '-e', 'state=absent');
      assert.is(again.code, 0, again.stdout + again.stderr);
      assert.equal(again.results.map((x) => x.status), ['ok', 'ok', 'ok', 'ok']);
    });

    test.run();
  }

  // ---- sysctl: the file and the live value, in the namespace --------------------------------
  {
    let fleet: SshdFleet;
    const file = () => join(fleet.hosts[0].root, 'keelit.conf');
    const inventory = () =>
      writeInventory(fleet.dir, {
        defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts },
        hosts: { host1: { address: '127.0.0.1', port: fleet.hosts[0].port, vars: { root: fleet.hosts[0].root, user: USER, group: GROUP, part: 'sysctl' } } },
      });
    const play = async (name: string, ...args: string[]) => {
      const json = join(fleet.dir, `${name}.json`);
      const r = await runCli(PLAYBOOK, ['-i', inventory(), '--json', json, ...args]);
      return { ...r, results: existsSync(json) ? resultsOf(json) : [] };
    };
    const live = () => readFileSync(IP_FORWARD, 'utf8').trim();

    const test = suiteUnless(sshdUnavailable() ?? netnsReason, 'sysctl in a network namespace');
    test.before(async () => {
      fleet = await startSshdFleet(1);
      // A fresh namespace starts at 0; make sure, in case the kernel lets it inherit the machine's.
      writeFileSync(IP_FORWARD, '0\n');
    });
    test.after(async () => {
      await fleet?.stop();
    });

    test('sysctl: check predicts the file and the live value, the run sets both, the second run is ok', async () => {
      const check = await play('check', '--check');
      assert.is(check.code, 4, check.stdout + check.stderr);
      assert.equal(check.results[0].changes, [
        { field: file(), to: 'created' },
        { field: 'net.ipv4.ip_forward', from: '0', to: '1' },
      ]);
      assert.is(live(), '0', 'check mode set nothing');
      const run = await play('run');
      assert.is(run.code, 0, run.stdout + run.stderr);
      assert.equal(run.results[0].changes, check.results[0].changes);
      assert.is(live(), '1');
      assert.is(readFileSync(file(), 'utf8'), 'net.ipv4.ip_forward = 1\n');
      assert.is((statSync(file()).mode & 0o777).toString(8), '644');
      const again = await play('again');
      assert.is(again.results[0].status, 'ok', again.stdout);
    });

    test('sysctl: a value reset by hand is the one change check reports and the run makes', async () => {
      execFileSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0']);
      const inode = statSync(file()).ino;
      const check = await play('check-reset', '--check');
      assert.equal(check.results[0].changes, [{ field: 'net.ipv4.ip_forward', from: '0', to: '1' }]);
      const run = await play('run-reset');
      assert.equal(run.results[0].changes, check.results[0].changes);
      assert.is(live(), '1');
      assert.is(statSync(file()).ino, inode, 'the file was not rewritten (an atomic write makes a new inode)');
    });

    test.run();
  }
}
