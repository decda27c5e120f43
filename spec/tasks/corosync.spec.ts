import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { atomicWriteScript } from '../../tasks/file-state';
import * as assert from 'uvu/assert';
import type { Facts } from '../../lib/types';
import {
  bindnetaddrFor,
  corosyncConfig,
  corosyncDecision,
  corosyncMajorVersion,
  corosyncProbeCommand,
  majorVersionFromFacts,
  parseCorosyncProbe,
  renderCorosyncConf,
  type CorosyncConfigParams,
  type CorosyncState,
} from '../../tasks/corosync';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask, testHost } from '../helpers/task-harness';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/corosync', name), 'utf8');

const twoNodes = [
  { name: 'node1', address: '198.18.0.11', nodeid: 1 },
  { name: 'node2', address: '198.18.0.12', nodeid: 2 },
];
const runbook: CorosyncConfigParams = { clusterName: 'ha-asterisk', transport: 'udpu', nodes: twoNodes };
const env = { host: testHost, facts: debianFacts };
const ubuntu1404: Facts = { ...debianFacts, os: { id: 'ubuntu', versionId: '14.04', codename: 'trusty', prettyName: 'Ubuntu 14.04.6 LTS' } };

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
  assert.is(corosyncMajorVersion("Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.\n"), 3);
  assert.is(corosyncMajorVersion("Corosync Cluster Engine, version '2.3.3'\nCopyright (c) 2006-2009 Red Hat, Inc.\n"), 2);
  assert.is(corosyncMajorVersion(''), undefined);
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

test("bindnetaddr is the network of the interface carrying the host's node address", () => {
  assert.is(bindnetaddrFor(twoNodes, env), '198.18.0.0');
});

test('bindnetaddr falls back to the host var cluster_address', () => {
  const host = { ...testHost, address: '10.9.9.9', name: 'mgmt', vars: { cluster_address: '198.18.0.11' } };
  assert.is(bindnetaddrFor(twoNodes, { host, facts: debianFacts }), '198.18.0.0');
  assert.throws(() => bindnetaddrFor(twoNodes, { host: { ...host, vars: {} }, facts: debianFacts }), /cannot tell its cluster address/);
});

// ---- probe and decide -------------------------------------------------------------------------

test('the probe reads version, mode and content; content is kept byte for byte even with marker-like lines', () => {
  const content = 'totem {\n@@keel-corosync-conf@@\n}\n';
  const out = `Corosync Cluster Engine, version '3.1.7'\n@@keel-corosync-conf@@\n644\n@@keel-corosync-conf@@\n${content}`;
  assert.equal(parseCorosyncProbe(out), { versionOutput: "Corosync Cluster Engine, version '3.1.7'", mode: '644', content });
  assert.equal(parseCorosyncProbe('@@keel-corosync-conf@@\nabsent\n@@keel-corosync-conf@@\n'), { versionOutput: '' });
});

test('the probe command runs against a real shell and reads a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-corosync-'));
  try {
    const path = join(dir, 'corosync.conf');
    spawnSync('sh', ['-c', `printf 'a\\nb' > '${path}'; chmod 640 '${path}'`]);
    const p = spawnSync('sh', ['-c', corosyncProbeCommand(path)], { encoding: 'utf8' });
    const state = parseCorosyncProbe(p.stdout);
    assert.is(state.mode, '640');
    assert.is(state.content, 'a\nb');
    const none = parseCorosyncProbe(spawnSync('sh', ['-c', corosyncProbeCommand(join(dir, 'none'))], { encoding: 'utf8' }).stdout);
    assert.is(none.content, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const v3: CorosyncState = { versionOutput: "Corosync Cluster Engine, version '3.1.7'" };

test('a missing file is one change: created', () => {
  const d = corosyncDecision(runbook, v3, env);
  assert.equal(d.changes, [{ field: 'file', to: 'created' }]);
  assert.ok(d.diff?.includes('+\ttwo_node: 1'));
});

test('the rendered content with mode 644 is a no-op', () => {
  const d = corosyncDecision(runbook, { ...v3, mode: '644', content: renderCorosyncConf(runbook, 3) }, env);
  assert.equal(d.changes, []);
  assert.is(d.ok, '/etc/corosync/corosync.conf is up to date (corosync 3)');
});

test('other content is a content change named by hashes; another mode is a mode change', () => {
  const d = corosyncDecision(runbook, { ...v3, mode: '600', content: 'totem {\n}\n' }, env);
  assert.equal(
    d.changes.map((c) => c.field),
    ['content', 'mode'],
  );
  assert.match(d.changes[0].from ?? '', /^sha256:[0-9a-f]{16}$/);
  assert.match(d.changes[0].to ?? '', /^sha256:[0-9a-f]{16}$/);
  assert.equal(d.changes[1], { field: 'mode', from: '600', to: '644' });
});

test('the installed version wins over the OS release: corosync 3 on Ubuntu 14.04 facts renders v3', () => {
  const d = corosyncDecision(runbook, { ...v3, mode: '644', content: renderCorosyncConf(runbook, 3) }, { host: testHost, facts: ubuntu1404 });
  assert.equal(d.changes, []);
});

test('Ubuntu 14.04 facts without corosync render v2 with bindnetaddr from facts', () => {
  const d = corosyncDecision(runbook, { versionOutput: '', mode: '644', content: fixture('two-node-v2.conf') }, { host: testHost, facts: ubuntu1404 });
  assert.equal(d.changes, []);
});

// ---- through the engine, and the write itself --------------------------------------------------

test('apply writes the corosync 2 file atomically with one command, content on stdin', async () => {
  const conn = new FakeConnection().on('corosync -v', {
    stdout: "Corosync Cluster Engine, version '2.3.3'\nCopyright\n@@keel-corosync-conf@@\nabsent\n@@keel-corosync-conf@@\n",
  }).on('mktemp', {});
  const r = await runTask(corosyncConfig(runbook), conn);
  assert.is(r.status, 'changed');
  assert.equal(r.changes, [{ field: 'file', to: 'created' }]);
  assert.equal(conn.commands.slice(1), [
    { command: atomicWriteScript('/etc/corosync/corosync.conf', { mode: '644' }), stdin: fixture('two-node-v2.conf') },
  ]);
});

test('check mode reports would change and writes nothing', async () => {
  const conn = new FakeConnection().on('corosync -v', { stdout: '@@keel-corosync-conf@@\nabsent\n@@keel-corosync-conf@@\n' });
  const r = await runTask(corosyncConfig(runbook), conn, { check: true });
  assert.is(r.status, 'would change');
  assert.is(conn.commands.length, 1);
});

test('parameters are validated: names and addresses are single words', () => {
  assert.throws(() => corosyncConfig({ ...runbook, clusterName: 'bad name' }), /clusterName: must match pattern/);
  assert.throws(() => corosyncConfig({ ...runbook, nodes: [] }), /nodes: must NOT have fewer than 1 items/);
  assert.throws(() => corosyncConfig({ ...runbook, transport: 'tcp' as never }), /transport: must be one of/);
});

test.run();
