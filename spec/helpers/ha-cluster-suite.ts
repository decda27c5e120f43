/**
 * The whole promise, for real: a lab of Debian 12 hosts (namespaces, real sshd), the HA playbook
 * building a real Pacemaker/Corosync cluster, a real SIP client on the floating IP, drift found
 * by check mode, a power cut and failover, a rejoin, a third node added, and a clean teardown.
 * One body for both kinds of lab node (`keel`: the lab's init script; `systemd`: systemd booted by
 * systemd-nspawn): spec/e2e/ha-cluster.spec.ts and ha-cluster-systemd.spec.ts run it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { boot, down, kill, up } from '../../lab/lab';
import type { NodeKind } from '../../lab/paths';
import { readLabState } from '../../lab/state';
import { sipOptions } from '../../lab/sip/options';
import { runCli } from './cli';
import { kindUnavailable, labLeftovers, labSsh, nodeHolding, sleep } from './lab';
import { suiteUnless } from './not-run';
import { browserUnavailable, withChromium } from './browser';
import { registerBasePlaybookTests } from './base-playbook-tests';
import { pathToFileURL } from 'node:url';

const HA = join(__dirname, '..', '..', 'playbooks', 'ha-asterisk.ts');
const ADD_NODE = join(__dirname, '..', '..', 'playbooks', 'add-node.ts');
const BAD_CRM = join(__dirname, '..', 'e2e', 'fixtures', 'bad-crm.ts');
const VIP = '198.18.0.100';
const BRIDGE = '198.18.0.1';
const BUSY = '/tmp/keel-lab-busy';
const tmp = (name: string) => join('/tmp', `keel-e2e-${process.pid}-${name}`);

type Report = {
  recap: Record<string, { ok: number; changed: number; wouldChange: number; failed: number; unreachable: number }>;
  plays: { results: { host: string; task: string; status: string; changes: { field: string; from?: string; to?: string }[] }[] }[];
};
const readReport = (file: string): Report => JSON.parse(readFileSync(file, 'utf8'));
const results = (r: Report) => r.plays.flatMap((p) => p.results);
const cibEpoch = (node: string) => /epoch="(\d+)"/.exec(labSsh(node, 'cibadmin --query --scope configuration >/dev/null; cibadmin --query | head -1').stdout)?.[1];

async function sipUntilOk(seconds: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    if ((await sipOptions(`${VIP}:5060`, { localIp: BRIDGE, timeoutSeconds: 2 })).ok) return (Date.now() - start) / 1000;
    await sleep(500);
  }
  return Infinity;
}

async function waitOnline(node: string, names: string[], seconds: number): Promise<boolean> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const out = labSsh(node, 'crm_mon -1').stdout;
    const line = out.split('\n').find((l) => /^\s*(\*\s+)?Online:/.test(l)) ?? '';
    if (names.every((n) => new RegExp(`\\s${n}\\s`).test(line))) return true;
    await sleep(2000);
  }
  return false;
}

/** `systemctl is-enabled` / `is-active` words of some units on a node, one line each. */
const systemctl = (node: string, verb: string, units: string[]) =>
  labSsh(node, `systemctl ${verb} ${units.join(' ')}`).stdout.trim().split('\n');

/** The HA cluster suite on lab nodes of this kind. */
export function haClusterSuite(kind: NodeKind): void {
  const reason = kindUnavailable(kind);
  const e2e = suiteUnless(reason, `HA cluster end to end (${kind} nodes)`);

  e2e.before(async () => {
    writeFileSync(BUSY, String(process.pid));
    await down();
  });
  e2e.after(async () => {
    rmSync(BUSY, { force: true });
  });

  e2e(`lab up with two ${kind} nodes gives two reachable Debian 12 hosts`, async () => {
    const state = await up(2, kind);
    assert.equal(
      state.nodes.map((n) => [n.name, n.address, n.running, n.init]),
      [['node1', '198.18.0.11', true, kind], ['node2', '198.18.0.12', true, kind]],
    );
    assert.match(labSsh('node2', 'cat /etc/os-release').stdout, 'VERSION_ID="12"');
    // `up` twice is harmless: the same nodes keep running (same boot, same host keys).
    const bootId = labSsh('node1', 'cat /proc/1/stat | cut -d" " -f22').stdout;
    const keys = readFileSync(state.knownHostsFile, 'utf8');
    const again = await up(2);
    assert.equal(again.nodes.map((n) => n.running), [true, true]);
    assert.is(labSsh('node1', 'cat /proc/1/stat | cut -d" " -f22').stdout, bootId, 'node1 was not restarted');
    assert.is(readFileSync(again.knownHostsFile, 'utf8'), keys);
    if (kind === 'systemd') {
      for (const node of ['node1', 'node2']) {
        assert.is(labSsh(node, 'cat /proc/1/comm').stdout.trim(), 'systemd', `${node}: PID 1`);
        // is-system-running waits for the boot to finish; every unit started, none failed.
        const state = labSsh(node, 'systemctl is-system-running --wait; systemctl --failed --no-legend --plain');
        assert.is(state.stdout.trim(), 'running', `${node}: ${state.stdout}${state.stderr}`);
      }
    }
  });

  e2e('the HA playbook builds the cluster and exits 0', async () => {
    const r = await runCli(HA, ['-i', 'lab', '--json', tmp('first.json')]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = readReport(tmp('first.json'));
    assert.ok(report.recap.node1.changed > 0 && report.recap.node2.changed > 0);
  });

  e2e('crm_mon shows both nodes Online, with the IP and the service started on one node', async () => {
    assert.ok(await waitOnline('node1', ['node1', 'node2'], 60), 'both Online');
    // The playbook's last task waited for the service; nothing to wait for here.
    const out = labSsh('node1', 'crm_mon -1').stdout;
    const ip = /HA-Asterisk-IP\s.*Started (node\d)/.exec(out)?.[1];
    const svc = /HA-Asterisk-Service\s.*Started (node\d)/.exec(out)?.[1];
    assert.ok(ip, out);
    assert.is(svc, ip, 'service runs where the IP is');
    assert.is(nodeHolding(VIP), ip);
    if (kind === 'systemd') {
      // rcEnable/rcDisable and service went through systemctl (keel's host facts said systemd).
      for (const node of ['node1', 'node2']) {
        assert.equal(systemctl(node, 'is-enabled', ['corosync', 'pacemaker', 'kamailio']), ['enabled', 'enabled', 'disabled'], node);
        assert.equal(systemctl(node, 'is-active', ['corosync', 'pacemaker']), ['active', 'active'], node);
      }
    }
  });

  e2e('sipp sends SIP OPTIONS to the floating IP on UDP 5060 and gets 200', async () => {
    const answer = await sipOptions(`${VIP}:5060`, { localIp: BRIDGE });
    assert.ok(answer.ok, answer.output);
  });

  e2e('a second run reports changed=0 on every host', async () => {
    const r = await runCli(HA, ['-i', 'lab', '--json', tmp('second.json')]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = readReport(tmp('second.json'));
    for (const h of ['node1', 'node2']) assert.is(report.recap[h].changed, 0, `${h}: ${JSON.stringify(report.recap[h])}`);
  });

  e2e('drift: --check reports exactly stickiness, a primitive param and /etc/default/corosync, exits 4 and changes nothing', async () => {
    assert.is(labSsh('node1', 'crm_attribute --type rsc_defaults --name resource-stickiness --update 50').code, 0);
    assert.is(labSsh('node1', 'crm_resource --resource HA-Asterisk-IP --set-parameter cidr_netmask --parameter-value 25').code, 0);
    assert.is(labSsh('node2', "printf 'START=no\\n' > /etc/default/corosync").code, 0);
    const epoch = cibEpoch('node1');
    const r = await runCli(HA, ['-i', 'lab', '--check', '--diff', '--json', tmp('drift.json')]);
    assert.is(r.code, 4, r.stdout + r.stderr);
    const report = readReport(tmp('drift.json'));
    const drift = results(report).filter((x) => x.status !== 'ok' && x.status !== 'skipped');
    assert.equal(
      drift.map((d) => [d.host, d.task, d.status]),
      [
        ['node2', 'writeFile /etc/default/corosync', 'would change'],
        ['node1', 'crmRscDefaults resource-stickiness', 'would change'],
        ['node1', 'crm transaction: floating IP and service, together', 'would change'],
      ],
    );
    assert.equal(drift[1].changes, [{ field: 'resource-stickiness', from: '50', to: '100' }]);
    assert.equal(drift[2].changes, [{ field: 'HA-Asterisk-IP params.cidr_netmask', from: '25', to: '24' }]);
    // A wait is never drift: the service runs, so the wait is ok (or skipped while pacemaker reacts), never "would change".
    const wait = results(report).find((x) => x.host === 'node1' && x.task === 'waitFor HA-Asterisk-Service is running');
    assert.ok(wait && ['ok', 'skipped'].includes(wait.status), JSON.stringify(wait));
    assert.is(Object.values(report.recap).reduce((n, h) => n + h.wouldChange, 0), 3);
    assert.match(r.stdout, '-START=no');
    assert.is(cibEpoch('node1'), epoch, 'the CIB was not touched');
    assert.is(labSsh('node2', 'cat /etc/default/corosync').stdout, 'START=no\n');
  });

  e2e('an apply changes exactly what check mode predicted, and the next check finds no drift', async () => {
    const r = await runCli(HA, ['-i', 'lab', '--json', tmp('restore.json')]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const report = readReport(tmp('restore.json'));
    const changed = results(report).filter((x) => x.status === 'changed');
    assert.equal(changed.map((c) => [c.host, c.task]), [
      ['node2', 'writeFile /etc/default/corosync'],
      ['node1', 'crmRscDefaults resource-stickiness'],
      ['node1', 'crm transaction: floating IP and service, together'],
    ]);
    assert.is(Object.values(report.recap).reduce((n, h) => n + h.changed, 0), 3, 'as many changes as check mode predicted');
    const check = await runCli(HA, ['-i', 'lab', '--check']);
    assert.is(check.code, 0, check.stdout + check.stderr);
  });

  // Reviewed plans (issue 14) on the live cluster: the CIB's status section and num_updates move
  // all the time; only its configuration and epoch may refuse a plan.
  const stickiness = () => labSsh('node1', 'crm_attribute --type rsc_defaults --name resource-stickiness --query --quiet').stdout.trim();

  e2e('a plan made by --check --plan-out is applied exactly (too old: refused unless forced), though the CIB status moved meanwhile', async () => {
    assert.is(labSsh('node1', 'crm_attribute --type rsc_defaults --name resource-stickiness --update 50').code, 0);
    assert.is(labSsh('node2', "printf 'START=no\\n' > /etc/default/corosync").code, 0);
    const plan = tmp('plan.json');
    const check = await runCli(HA, ['-i', 'lab', '--check', '--plan-out', plan, '--html', tmp('drift.html')]);
    assert.is(check.code, 4, check.stdout + check.stderr);
    assert.match(check.stderr, `plan written to ${plan}: 2 changes`);
    // The cluster lives on: a transient node attribute lands in the status section and bumps num_updates.
    const updates = (n: string) => /num_updates="(\d+)"/.exec(labSsh(n, 'cibadmin --query | head -1').stdout)?.[1];
    const before = updates('node1');
    assert.is(labSsh('node1', `crm_attribute --node node1 --name keel-e2e --update ${Date.now()} --lifetime reboot`).code, 0);
    await sleep(1500);
    assert.is.not(updates('node1'), before, 'num_updates moved');
    // Older than --plan-max-age: refused before any host is contacted, nothing changed.
    const old = await runCli(HA, ['-i', 'lab', '--plan', plan, '--plan-max-age', '0']);
    assert.is(old.code, 5, old.stdout + old.stderr);
    assert.match(old.stderr, 'plan refused');
    assert.is(stickiness(), '50');
    // Forced: its facts are still compared, and they hold (the configuration did not move).
    const r = await runCli(HA, ['-i', 'lab', '--plan', plan, '--plan-max-age', '0', '--force-plan', '--json', tmp('planned.json')]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const changed = results(readReport(tmp('planned.json'))).filter((x) => x.status === 'changed');
    assert.equal(changed.map((c) => [c.host, c.task]), [
      ['node2', 'writeFile /etc/default/corosync'],
      ['node1', 'crmRscDefaults resource-stickiness'],
    ]);
    assert.is(stickiness(), '100');
    assert.is(labSsh('node2', 'grep -c START=yes /etc/default/corosync').stdout.trim(), '1');
  });

  e2e('the HTML report of that drifted lab run, in Chromium: the two drifted cells and their changes, the host filter, nothing fetched', async () => {
    const missing = browserUnavailable();
    if (missing) throw new Error(`cannot open the report: ${missing}`);
    await withChromium(async (browser) => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      context.on('request', (req) => requests.push(req.url()));
      const page = await context.newPage();
      const url = pathToFileURL(tmp('drift.html')).href;
      await page.goto(url, { waitUntil: 'load' });
      const drifted: string[] = await page.$$eval('td.cell[data-status="would change"]', (tds: any[]) =>
        tds.map((td) => `${td.getAttribute('data-host')} ${td.closest('tr').querySelector('th.task').getAttribute('title')}`),
      );
      assert.equal(drifted.sort(), ['node1 crmRscDefaults resource-stickiness', 'node2 writeFile /etc/default/corosync']);
      const cell = page.locator('tr.row', { hasText: 'resource-stickiness' }).locator('td.cell[data-host="node1"] button');
      await cell.click();
      const detail = await page.locator(`#${await cell.getAttribute('aria-controls')}`).innerText();
      assert.match(detail, 'resource-stickiness');
      assert.match(detail, /resource-stickiness\s+50\s+100/, detail);
      await page.selectOption('#f-host', 'node2');
      assert.not.ok(await page.locator('td.cell[data-host="node1"]').first().isVisible(), 'node1 hidden by the host filter');
      assert.equal([...new Set(requests)], [url], 'the page fetched nothing but itself');
    });
  });

  e2e('a plan whose CIB was hand-edited since is refused (exit 5): the CIB epoch and every file stay as they were', async () => {
    assert.is(labSsh('node1', 'crm_attribute --type rsc_defaults --name resource-stickiness --update 50').code, 0);
    const plan = tmp('plan2.json');
    const check = await runCli(HA, ['-i', 'lab', '--check', '--plan-out', plan]);
    assert.is(check.code, 4, check.stdout + check.stderr);
    // Someone edits the cluster by hand after the review.
    assert.is(labSsh('node1', 'crm_resource --resource HA-Asterisk-IP --set-parameter cidr_netmask --parameter-value 25').code, 0);
    const epoch = cibEpoch('node1');
    const corosync = labSsh('node2', 'sha256sum /etc/default/corosync /etc/corosync/corosync.conf').stdout;
    const r = await runCli(HA, ['-i', 'lab', '--plan', plan]);
    assert.is(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stderr, 'plan refused');
    assert.match(r.stderr, /node1 \| .*fact "the CIB \(cibadmin --query\)" moved since the plan/);
    assert.is(cibEpoch('node1'), epoch, 'the CIB was not touched');
    assert.is(stickiness(), '50');
    assert.is(labSsh('node2', 'sha256sum /etc/default/corosync /etc/corosync/corosync.conf').stdout, corosync);
    // A plain apply repairs both, and the cluster is converged again.
    const fix = await runCli(HA, ['-i', 'lab', '--json', tmp('fix.json')]);
    assert.is(fix.code, 0, fix.stdout + fix.stderr);
    assert.is(results(readReport(tmp('fix.json'))).filter((x) => x.status === 'changed').length, 2);
    const again = await runCli(HA, ['-i', 'lab', '--check']);
    assert.is(again.code, 0, again.stdout + again.stderr);
  });

  let killed = '';
  e2e('failover: the node holding the IP loses power; SIP answers from the other node within 30 s', async () => {
    killed = nodeHolding(VIP) ?? '';
    assert.ok(killed, 'someone holds the IP');
    const survivor = killed === 'node1' ? 'node2' : 'node1';
    await kill(killed);
    const seconds = await sipUntilOk(30);
    assert.ok(seconds < 30, 'SIP answered again within 30 s');
    console.log(`    failover: SIP answered again ${seconds.toFixed(1)} s after the power cut`);
    assert.is(nodeHolding(VIP), survivor);
    assert.is(readLabState()?.nodes.find((n) => n.name === killed)?.running, false, `${killed} is down`);
  });

  e2e('the killed node boots and rejoins by itself; the resources stay put', async () => {
    const holder = nodeHolding(VIP);
    await boot(killed);
    assert.ok(await waitOnline(killed, ['node1', 'node2'], 120), `${killed} rejoined`);
    if (kind === 'systemd') {
      // Nobody started them but systemd at boot: the units are enabled.
      assert.equal(systemctl(killed, 'is-active', ['corosync', 'pacemaker']), ['active', 'active']);
      assert.is(labSsh(killed, 'cat /proc/1/comm').stdout.trim(), 'systemd');
    }
    await sleep(5000);
    assert.is(nodeHolding(VIP), holder, 'stickiness keeps the IP where it is');
    assert.ok((await sipOptions(`${VIP}:5060`, { localIp: BRIDGE })).ok);
  });

  e2e('add-node grows the cluster to three Online nodes with the resources running throughout', async () => {
    const three = await up(3);
    assert.equal(three.nodes.map((n) => n.init), [kind, kind, kind], 'up keeps the lab\'s kind');
    let polls = 0;
    let failures = 0;
    let running = true;
    const poller = (async () => {
      while (running) {
        polls++;
        if (!(await sipOptions(`${VIP}:5060`, { localIp: BRIDGE, timeoutSeconds: 2 })).ok) failures++;
        await sleep(1000);
      }
    })();
    const r = await runCli(ADD_NODE, ['-i', 'lab', '-e', 'new_node=node3']);
    running = false;
    await poller;
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.ok(await waitOnline('node3', ['node1', 'node2', 'node3'], 60));
    assert.ok(polls > 5, `SIP polled ${polls} times`);
    assert.is(failures, 0, `SIP failed ${failures} of ${polls} times during add-node`);
    const again = await runCli(HA, ['-i', 'lab', '--json', tmp('three.json')]);
    assert.is(again.code, 0, again.stdout + again.stderr);
    for (const [h, c] of Object.entries(readReport(tmp('three.json')).recap)) assert.is(c.changed, 0, `${h} changed after add-node`);
  });

  registerBasePlaybookTests(e2e, ['node1', 'node2', 'node3']);

  e2e('a crm change the cluster refuses fails the task and leaves the CIB exactly as it was', async () => {
    const before = labSsh('node1', 'cibadmin --query --scope configuration').stdout;
    const r = await runCli(BAD_CRM, ['-i', 'lab']);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, "references a resource No-Such-Resource which doesn't exist");
    assert.is(labSsh('node1', 'cibadmin --query --scope configuration').stdout, before);
  });

  e2e('lab down leaves no process, mount, namespace, link or bridge behind', async () => {
    await down();
    assert.equal(labLeftovers(), []);
    for (const f of ['first', 'second', 'drift', 'restore', 'three']) rmSync(tmp(`${f}.json`), { force: true });
  });

  e2e.run();
}
