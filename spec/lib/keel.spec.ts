import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildInventory } from '../../lib/inventory';
import { graphText, listJson } from '../../lib/inventory-command';
import { repoRoot, runCli, runKeel, writeInventory, type CliRun } from '../helpers/cli';

/** Runs `keel ARGS` as a user would (bin/keel.js), in `cwd`. */
const keel = (args: string[], cwd = repoRoot): Promise<CliRun> => runKeel(args, { cwd });

const spec = {
  defaults: { user: 'admin', become: true },
  hosts: { n1: { address: '198.18.0.11', password: 'pw-n1-secret' }, n2: { port: 2222, becomeUser: 'postgres' }, stray: {} },
  groups: { cluster: { hosts: ['n1'], children: ['web'], vars: { role: 'cluster' } }, web: { hosts: ['n2'] }, empty: {} },
  vars: { site: 'lab' },
};
const withSecret = { ...spec, hosts: { n1: { vars: { pin: '42' } } }, groups: {}, secretVars: ['pin'] };

let scratch: string;
test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'keel-cli-'));
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('a TypeScript inventory lists as ansible-inventory would: all, ungrouped, connection as ansible_* vars', () => {
  const listing = buildInventory(spec).listing!;
  assert.equal(listJson(listing), {
    all: { children: ['ungrouped', 'cluster', 'empty'] },
    ungrouped: { hosts: ['stray'] },
    cluster: { hosts: ['n1'], children: ['web'] },
    web: { hosts: ['n2'] },
    _meta: {
      hostvars: {
        n1: { site: 'lab', role: 'cluster', ansible_host: '198.18.0.11', ansible_user: 'admin', ansible_password: '[secret]', ansible_become: true },
        n2: { site: 'lab', role: 'cluster', ansible_port: 2222, ansible_user: 'admin', ansible_become: true, ansible_become_user: 'postgres' },
        stray: { site: 'lab', ansible_user: 'admin', ansible_become: true },
      },
    },
  });
  assert.is(
    graphText(listing),
    ['@all:', '  |--@ungrouped:', '  |  |--stray', '  |--@cluster:', '  |  |--@web:', '  |  |  |--n2', '  |  |--n1', '  |--@empty:'].join('\n'),
  );
  assert.is(graphText(listing, 'web'), '@web:\n  |--n2');
  assert.equal(buildInventory(withSecret).listing!.hostvars.n1, { site: 'lab', pin: '[secret]', ansible_user: 'admin', ansible_become: true }, 'secretVars, even short ones');
});

test('keel inventory --list / --graph / --host on a .ts inventory, JSON with sorted keys and 4 spaces', async () => {
  const file = writeInventory(scratch, spec, 'inv.ts');
  const list = await keel(['inventory', '-i', file, '--list']);
  assert.is(list.code, 0, list.stderr);
  assert.equal(JSON.parse(list.stdout).cluster, { children: ['web'], hosts: ['n1'] });
  assert.ok(list.stdout.startsWith('{\n    "_meta": {\n        "hostvars": {'), list.stdout.slice(0, 80));
  assert.not.match(list.stdout, /pw-n1-secret/);
  const graph = await keel(['inventory', '-i', file, '--graph', 'cluster']);
  assert.is(graph.stdout, '@cluster:\n  |--@web:\n  |  |--n2\n  |--n1\n');
  const one = await keel(['inventory', '-i', file, '--host', 'n2']);
  assert.equal(JSON.parse(one.stdout), { ansible_become: true, ansible_become_user: 'postgres', ansible_port: 2222, ansible_user: 'admin', role: 'cluster', site: 'lab' });
});

test('usage: --help, a missing mode, an unknown command', async () => {
  const help = await keel(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /keel inventory -i INVENTORY --list\|--graph\|--host NAME\s+the inventory/);
  const invHelp = await keel(['inventory', '--help']);
  assert.is(invHelp.code, 0);
  assert.match(invHelp.stdout, /usage: keel inventory -i INVENTORY \(--list \| --graph \[GROUP\] \| --host HOST\)/);
  const noMode = await keel(['inventory', '-i', 'x.ini']);
  assert.is(noMode.code, 2);
  assert.match(noMode.stderr, /give one of --list, --graph or --host/);
  const unknown = await keel(['inventroy']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "inventroy"/);
});

test('a bad Ansible inventory: exit 2, one line naming file and line, no stack trace (keel inventory and a playbook)', async () => {
  writeFileSync(join(scratch, 'bad.ini'), '[web]\nweb1 motd="{{ greeting }}"\n');
  const r = await keel(['inventory', '-i', 'bad.ini', '--list'], scratch);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.is(r.stderr, 'bad.ini:2: motd: Jinja2 templates are not supported (keel does not template vars): "{{ greeting }}"\n');
  const play = await runCli(join(repoRoot, 'playbooks', 'ha-asterisk.ts'), ['-i', join(scratch, 'bad.ini')]);
  assert.is(play.code, 2, play.stderr);
  assert.is(play.stderr.trim().split('\n').length, 1, play.stderr);
  assert.match(play.stderr, /bad.ini:2: motd: Jinja2 templates are not supported/);
  assert.not.match(play.stderr, /\n\s+at /);
});

test('keel audit: `keel audit PLAYBOOK ...` is an audit run, `keel audit diff OLD NEW` compares (exit 4 on new drift)', async () => {
  const help = await keel(['audit', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /usage: keel audit \[run\] PLAYBOOK -i INVENTORY --out DIR/);
  // The run form without the word "run": its own checks, before any host (no inventory of that name).
  const run = await keel(['audit', 'playbooks/ha-asterisk.ts', '-i', 'nosuch', '--out', join(scratch, 'audits')]);
  assert.is(run.code, 2, run.stderr);
  assert.match(run.stderr, /no inventory named "nosuch"/);
  const noOut = await keel(['audit', 'playbooks/ha-asterisk.ts', '-i', 'lab']);
  assert.is(noOut.code, 2);
  assert.match(noOut.stderr, /--out DIR is required/);
  const record = (status: string) => ({
    format: 'keel-run/1', playbook: 'pb', inventory: 'inv', limit: null, commit: null, check: true,
    startedAt: '2026-11-25T00:00:00.000Z', durationMs: 1, exitCode: 0, interrupted: false, recap: {}, unreachable: {},
    plays: [{ name: 'p', hosts: ['h1'], results: [{ host: 'h1', task: 'motd', status, module: 'm', durationMs: 1, play: 0, step: 0, handler: false, changes: status === 'ok' ? [] : [{ field: 'content', from: 'a', to: 'b' }] }] }],
  });
  writeFileSync(join(scratch, 'old.json'), JSON.stringify(record('ok')));
  writeFileSync(join(scratch, 'new.json'), JSON.stringify(record('would change')));
  const drift = await keel(['audit', 'diff', 'old.json', 'new.json'], scratch);
  assert.is(drift.code, 4, drift.stderr);
  assert.match(drift.stdout, /motd/);
  const fixed = await keel(['audit', 'diff', 'new.json', 'old.json'], scratch);
  assert.is(fixed.code, 0, fixed.stderr);
  const notAudit = await keel(['audit', 'diff', 'old.json', 'nope.json'], scratch);
  assert.is(notAudit.code, 2);
});

test('npm run keel runs where it was called from', async () => {
  writeFileSync(join(scratch, 'ok.ini'), '[web]\nweb1\n');
  const r = await new Promise<CliRun>((resolve) => {
    const child = spawn('npm', ['run', '--silent', '--prefix', repoRoot, 'keel', '--', 'inventory', '-i', 'ok.ini', '--graph'], {
      cwd: scratch,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '@all:\n  |--@ungrouped:\n  |--@web:\n  |  |--web1\n');
});

test.run();
