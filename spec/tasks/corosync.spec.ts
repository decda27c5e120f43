import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHostFacts } from '../../lib/host-facts';
import type { ExecResult, HostFacts } from '../../lib/types';
import { bindNetAddr, bindnetaddrFor, clusterInterface } from '../../tasks/corosync/bindnetaddr';
import { corosyncConfig, type CorosyncConfigParams } from '../../tasks/corosync/corosync-config';
import { corosyncFact, corosyncMajorFromVersionText, corosyncMajorVersion, majorVersionFromFacts, parseCorosyncState } from '../../tasks/corosync/facts';
import { renderCorosyncConf } from '../../tasks/corosync/render';
import { atomicWriteScript } from '../../tasks/files/atomic-write';
import { applyPlan, debianFacts, decideOn, factCommand, testHost } from '../helpers/task-harness';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/corosync', name), 'utf8');

const twoNodes = [
  { name: 'node1', address: '198.18.0.11', nodeid: 1 },
  { name: 'node2', address: '198.18.0.12', nodeid: 2 },
];
const runbook: CorosyncConfigParams = { clusterName: 'ha-asterisk', transport: 'udpu', nodes: twoNodes };
const env = { host: testHost, facts: debianFacts };
const ubuntu1404: HostFacts = { ...debianFacts, os: { id: 'ubuntu', versionId: '14.04', codename: 'trusty', prettyName: 'Ubuntu 14.04.6 LTS' } };
const PATH = '/etc/corosync/corosync.conf';

const V3 = "Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.\n";
const V2 = "Corosync Cluster Engine, version '2.3.3'\nCopyright (c) 2006-2009 Red Hat, Inc.\n";
const M = '@@keel-corosync-conf@@\n';

/**
 * The corosync fact's output, in the format its command prints (checked against a real sh below):
 * `corosync -v` (empty when not installed), the mode or absent/noparent, then the content.
 */
function hostSays(o: { version?: string; mode?: string; content?: string; noDir?: boolean }): string {
  const version = o.version ?? '';
  if (o.content === undefined) return `${version}${M}${o.noDir ? 'noparent' : 'absent'}\n${M}`;
  return `${version}${M}${o.mode ?? '644'}\n${M}${o.content}`;
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

function bracesBalanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === '{') depth++;
    if (ch === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

// ---- rendering --------------------------------------------------------------------------------

test("corosync 2 rendering of the runbook's two-node cluster is the runbook's file with its braces", () => {
  const text = renderCorosyncConf({ ...runbook, bindnetaddr: '198.18.0.0' }, 2);
  assert.is(text, fixture('two-node-v2.conf'));
  const l = lines(text);
  for (const want of ['version: 2', 'bindnetaddr: 198.18.0.0', 'mcastport: 5405', 'ttl: 1', 'transport: udpu', 'cluster_name: ha-asterisk', 'secauth: off', 'two_node: 1', 'ring0_addr: 198.18.0.11', 'ring0_addr: 198.18.0.12', 'provider: corosync_votequorum', 'to_syslog: yes']) {
    assert.ok(l.includes(want), want);
  }
  assert.not.ok(l.some((x) => x.startsWith('expected_votes')));
  assert.ok(bracesBalanced(text));
  assert.ok(text.endsWith('}\n'));
});

test('corosync 3 rendering has nodes with name and nodeid, two_node, and no bindnetaddr', () => {
  const text = renderCorosyncConf(runbook, 3);
  assert.is(text, fixture('two-node-v3-udpu.conf'));
  const l = lines(text);
  for (const want of ['version: 2', 'cluster_name: ha-asterisk', 'transport: udpu', 'name: node1', 'nodeid: 1', 'ring0_addr: 198.18.0.11', 'name: node2', 'nodeid: 2', 'two_node: 1', 'to_syslog: yes']) {
    assert.ok(l.includes(want), want);
  }
  assert.not.ok(text.includes('bindnetaddr'));
  assert.not.ok(text.includes('crypto_'), 'crypto_* are only valid with knet');
  assert.ok(bracesBalanced(text));
});

test('corosync 3 defaults to knet with crypto none; bindnetaddr given is not rendered', () => {
  const text = renderCorosyncConf({ clusterName: 'c', nodes: twoNodes, bindnetaddr: '198.18.0.0' }, 3);
  const l = lines(text);
  assert.ok(l.includes('transport: knet'));
  assert.ok(l.includes('crypto_cipher: none'));
  assert.ok(l.includes('crypto_hash: none'));
  assert.not.ok(text.includes('bindnetaddr'));
});

test('three nodes give expected_votes: 3 and no two_node', () => {
  const nodes = [...twoNodes, { name: 'node3', address: '198.18.0.13', nodeid: 3 }];
  for (const major of [2, 3] as const) {
    const text = renderCorosyncConf({ clusterName: 'c', nodes, bindnetaddr: '198.18.0.0' }, major);
    assert.ok(lines(text).includes('expected_votes: 3'));
    assert.not.ok(text.includes('two_node'));
  }
});

test('token timings are rendered from the options', () => {
  const text = renderCorosyncConf({ ...runbook, tokenMs: 5000, joinMs: 100, consensusMs: 6000, tokenRetransmitsBeforeLossConst: 4 }, 3);
  const l = lines(text);
  for (const want of ['token: 5000', 'join: 100', 'consensus: 6000', 'token_retransmits_before_loss_const: 4']) assert.ok(l.includes(want), want);
});

test('rendering refuses what corosync would refuse or misread', () => {
  assert.throws(() => renderCorosyncConf(runbook, 2), /bindnetaddr is required for corosync 2/);
  assert.throws(() => renderCorosyncConf({ ...runbook, transport: 'knet', bindnetaddr: '10.0.0.0' }, 2), /knet needs corosync 3/);
  assert.throws(() => renderCorosyncConf({ ...runbook, clusterName: 'a }\nquorum {' }, 3), /clusterName must be a single word/);
  assert.throws(() => renderCorosyncConf({ ...runbook, nodes: [twoNodes[0], { ...twoNodes[1], nodeid: 1 }] }, 3), /nodeid must be different/);
});

// ---- version and bindnetaddr ------------------------------------------------------------------

test('the major version comes from corosync -v', () => {
  assert.is(corosyncMajorVersion(V3), 3);
  assert.is(corosyncMajorVersion(V2), 2);
  assert.is(corosyncMajorVersion(''), undefined);
});

test('corosyncMajorFromVersionText reads the major version of corosync -v, and refuses anything else', () => {
  assert.is(corosyncMajorFromVersionText(V3), 3);
  assert.is(corosyncMajorFromVersionText("Corosync Cluster Engine, version '2.4.2'"), 2);
  assert.throws(() => corosyncMajorFromVersionText('bash: corosync: command not found'), /not corosync -v output: "bash: corosync: command not found"/);
});

test('without corosync the major version comes from the OS release', () => {
  const os = (id: string, versionId: string) => ({ os: { id, versionId, codename: '', prettyName: '' } });
  assert.is(majorVersionFromFacts(os('debian', '12')), 3);
  assert.is(majorVersionFromFacts(os('debian', '11')), 3);
  assert.is(majorVersionFromFacts(os('debian', '9')), 2);
  assert.is(majorVersionFromFacts(os('ubuntu', '14.04')), 2);
  assert.is(majorVersionFromFacts(os('ubuntu', '16.04')), 2);
  assert.is(majorVersionFromFacts(os('ubuntu', '22.04')), 3);
  assert.is(majorVersionFromFacts(os('alpine', '3.19')), 3);
});

test('clusterInterface finds the interface carrying the address; bindNetAddr is its network', () => {
  assert.equal(clusterInterface(debianFacts, '198.18.0.11'), { iface: 'eth0', address: '198.18.0.11', prefix: 24, network: '198.18.0.0' });
  assert.is(bindNetAddr(debianFacts, '198.18.0.11'), '198.18.0.0');
});

test('bindNetAddr on facts parsed from `ip -o -4 addr show` lines (Debian 12 format, a /25 network)', () => {
  const facts = parseHostFacts(
    'node2\n@@keel-facts@@\nID=debian\n@@keel-facts@@\nsysvinit\n@@keel-facts@@\n' +
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n' +
      '2: eth0    inet 10.1.2.130/25 brd 10.1.2.255 scope global eth0\\       valid_lft forever preferred_lft forever\n',
  );
  assert.is(bindNetAddr(facts, '10.1.2.130'), '10.1.2.128');
});

test('an address no interface carries is a clear error naming the address and interfaces', () => {
  assert.throws(
    () => bindNetAddr(debianFacts, '10.0.0.5'),
    (e: unknown) => (e as Error).message === 'no interface of node1 carries 10.0.0.5 (found: lo 127.0.0.1/8, eth0 198.18.0.11/24)',
  );
});

test("bindnetaddr is the network of the interface carrying the host's node address", () => {
  assert.is(bindnetaddrFor(twoNodes, env), '198.18.0.0');
});

test('bindnetaddr falls back to the host var cluster_address', () => {
  const host = { ...testHost, address: '10.9.9.9', name: 'mgmt', vars: { cluster_address: '198.18.0.11' } };
  assert.is(bindnetaddrFor(twoNodes, { host, facts: debianFacts }), '198.18.0.0');
  assert.throws(() => bindnetaddrFor(twoNodes, { host: { ...host, vars: {} }, facts: debianFacts }), /cannot tell its cluster address/);
});

// ---- the fact ---------------------------------------------------------------------------------

test('the fact reads version, mode and content; content is kept byte for byte even with marker-like lines', () => {
  const content = 'totem {\n@@keel-corosync-conf@@\n}\n';
  assert.equal(parseCorosyncState(PATH, hostSays({ version: V3, mode: '644', content })), {
    versionOutput: "Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.",
    parentExists: true,
    mode: '644',
    content,
  });
  assert.equal(parseCorosyncState(PATH, hostSays({})), { versionOutput: '', parentExists: true });
  assert.equal(parseCorosyncState(PATH, hostSays({ noDir: true })), { versionOutput: '', parentExists: false });
  assert.throws(() => parseCorosyncState(PATH, 'corosync: oops\n'), /missing its markers/);
});

test('the fact command, run in a real sh: a file, a missing file, a missing directory, a directory in the way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-corosync-'));
  try {
    // A stand-in corosync on PATH prints what corosync 3.1.7 prints for -v.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'corosync'), `#!/bin/sh\nprintf '%s' "${V3}"\n`);
    chmodSync(join(bin, 'corosync'), 0o755);
    const read = (path: string, withCorosync = true): ExecResult => {
      const p = spawnSync('sh', ['-c', corosyncFact(path).command(debianFacts)], {
        encoding: 'utf8',
        env: { ...process.env, PATH: withCorosync ? `${bin}:/usr/bin:/bin` : '/usr/bin:/bin' },
      });
      return { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
    };
    const parse = (path: string, r: ExecResult) => corosyncFact(path).parse(r, debianFacts);

    const etc = join(dir, "it's etc");
    mkdirSync(etc);
    const path = join(etc, 'corosync.conf');
    writeFileSync(path, 'a\n@@keel-corosync-conf@@\nb');
    chmodSync(path, 0o640);
    const file = read(path);
    assert.equal(file.stdout, hostSays({ version: V3, mode: '640', content: 'a\n@@keel-corosync-conf@@\nb' }), 'the format hostSays() imitates');
    assert.equal(parse(path, file), {
      versionOutput: "Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.",
      parentExists: true,
      mode: '640',
      content: 'a\n@@keel-corosync-conf@@\nb',
    });

    const none = join(etc, 'none.conf');
    assert.equal(read(none, false).stdout, hostSays({}));
    assert.equal(parse(none, read(none, false)), { versionOutput: '', parentExists: true });

    const fresh = join(dir, 'corosync', 'corosync.conf');
    assert.equal(parse(fresh, read(fresh, false)), { versionOutput: '', parentExists: false });

    mkdirSync(join(etc, 'dir.conf'));
    assert.throws(() => parse(join(etc, 'dir.conf'), read(join(etc, 'dir.conf'))), /dir\.conf exists but is not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable file fails the fact rather than reading as empty', () => {
  assert.throws(
    () => decideOn(corosyncConfig(runbook), { corosync: { code: 1, stdout: `${M}644\n${M}`, stderr: 'cat: /etc/corosync/corosync.conf: Permission denied\n' } }),
    /cannot read \/etc\/corosync\/corosync.conf: cat: .*Permission denied/,
  );
});

// ---- decide -----------------------------------------------------------------------------------

test('a missing file is one change: created, with a diff and a plan holding the rendered file', () => {
  const d = decideOn(corosyncConfig(runbook), { corosync: hostSays({ version: V3 }) });
  assert.equal(d.changes, [{ field: 'file', to: 'created' }]);
  assert.ok(d.diff?.includes('+\ttwo_node: 1'));
  assert.equal(d.plan, { content: fixture('two-node-v3-udpu.conf'), mode: '644' });
  assert.is(d.dependsOn, undefined, 'corosync installed and its directory there: nothing to wait for');
});

test('the rendered content with mode 644 is a no-op', () => {
  const d = decideOn(corosyncConfig(runbook), { corosync: hostSays({ version: V3, content: renderCorosyncConf(runbook, 3) }) });
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, '/etc/corosync/corosync.conf is up to date (corosync 3)');
});

test('other content is a content change named by hashes; another mode is a mode change', () => {
  const d = decideOn(corosyncConfig(runbook), { corosync: hostSays({ version: V3, mode: '600', content: 'totem {\n}\n' }) });
  assert.equal(
    d.changes.map((c) => c.field),
    ['content', 'mode'],
  );
  assert.match(d.changes[0].from ?? '', /^sha256:[0-9a-f]{16}$/);
  assert.match(d.changes[0].to ?? '', /^sha256:[0-9a-f]{16}$/);
  assert.equal(d.changes[1], { field: 'mode', from: '600', to: '644' });
  assert.equal(d.plan, { content: fixture('two-node-v3-udpu.conf'), mode: '644' });
});

test('the installed version wins over the OS release: corosync 3 on Ubuntu 14.04 facts renders v3', () => {
  const d = decideOn(corosyncConfig(runbook), { corosync: hostSays({ version: V3, content: renderCorosyncConf(runbook, 3) }) }, { facts: ubuntu1404 });
  assert.equal(d.changes, []);
});

test('Ubuntu 14.04 facts without corosync render v2 with bindnetaddr from facts', () => {
  const d = decideOn(corosyncConfig(runbook), { corosync: hostSays({ content: fixture('two-node-v2.conf') }) }, { facts: ubuntu1404 });
  assert.equal(d.changes, []);
  assert.is(d.ok, '/etc/corosync/corosync.conf is up to date (corosync 2)');
});

test('an explicit version wins over the installed one (as its doc comment says)', () => {
  const v2 = decideOn(corosyncConfig({ ...runbook, version: 2 }), { corosync: hostSays({ version: V3, content: fixture('two-node-v2.conf') }) });
  assert.equal(v2.changes, []);
  assert.is(v2.ok, '/etc/corosync/corosync.conf is up to date (corosync 2)');
  const v3 = decideOn(corosyncConfig({ ...runbook, version: 3 }), { corosync: hostSays({ version: V2 }) });
  assert.equal(v3.plan, { content: fixture('two-node-v3-udpu.conf'), mode: '644' });
});

test('a fresh host (no corosync, no /etc/corosync) is predicted created, resting on the package', () => {
  const d = decideOn(corosyncConfig(runbook), { corosync: hostSays({ noDir: true }) });
  assert.equal(d.changes, [{ field: 'file', to: 'created' }]);
  assert.is(d.dependsOn, '/etc/corosync does not exist yet; corosync is not installed yet (its version is guessed from the OS release)');
  assert.equal(d.plan, { content: fixture('two-node-v3-udpu.conf'), mode: '644' });
  // With the version given, only the directory is waited for; with corosync gone but the directory left, only the version.
  assert.is(decideOn(corosyncConfig({ ...runbook, version: 3 }), { corosync: hostSays({ noDir: true }) }).dependsOn, '/etc/corosync does not exist yet');
  assert.is(decideOn(corosyncConfig({ ...runbook, version: 3 }), { corosync: hostSays({}) }).dependsOn, undefined);
  assert.is(
    decideOn(corosyncConfig(runbook), { corosync: hostSays({}) }).dependsOn,
    'corosync is not installed yet (its version is guessed from the OS release)',
  );
});

// ---- apply ------------------------------------------------------------------------------------

test('apply writes the corosync 2 file atomically with one command, content on stdin', async () => {
  const task = corosyncConfig(runbook);
  const d = decideOn(task, { corosync: hostSays({ version: V2 }) });
  assert.equal(d.changes, [{ field: 'file', to: 'created' }]);
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(commands, [{ command: atomicWriteScript(PATH, { mode: '644' }), stdin: fixture('two-node-v2.conf') }]);
});

test('apply writes exactly the planned content, to the configured path, without rendering again', async () => {
  const task = corosyncConfig({ ...runbook, path: '/etc/corosync/test.conf' });
  const { commands } = await applyPlan(task, { content: 'planned\n', mode: '644' });
  assert.equal(commands, [{ command: atomicWriteScript('/etc/corosync/test.conf', { mode: '644' }), stdin: 'planned\n' }]);
});

test('check mode only reads: the fact is one read-only command, and a failed write fails apply', async () => {
  const read = factCommand(corosyncConfig(runbook), 'corosync');
  assert.ok(read.startsWith('corosync -v 2>/dev/null; '), read);
  for (const write of ['mktemp', 'mv ', 'chmod', '>']) assert.not.ok(read.replace('2>/dev/null', '').includes(write), write);
  const task = corosyncConfig(runbook);
  try {
    await applyPlan(task, { content: 'x\n', mode: '644' }, () => ({ code: 3, stderr: 'parent directory /etc/corosync does not exist\n' }));
    assert.unreachable('apply should have failed');
  } catch (err) {
    assert.match((err as Error).message, /^write \/etc\/corosync\/corosync.conf failed \(exit 3\)/);
  }
});

test('parameters are validated: names and addresses are single words', () => {
  assert.throws(() => corosyncConfig({ ...runbook, clusterName: 'bad name' }), /clusterName: must match pattern/);
  assert.throws(() => corosyncConfig({ ...runbook, nodes: [] }), /nodes: must NOT have fewer than 1 items/);
  assert.throws(() => corosyncConfig({ ...runbook, transport: 'tcp' as never }), /transport: must be one of "udpu", "knet", "udp"/);
  assert.throws(() => corosyncConfig({ ...runbook, version: 4 as never }), /version: must be one of 2, 3/);
  assert.throws(() => corosyncConfig({ ...runbook, nodes: [{ ...twoNodes[0], address: '1.2.3.4; reboot' }] }), /nodes\.0\.address: must match pattern/);
});

test.run();
