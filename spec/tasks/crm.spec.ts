import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import type { Task } from '../../lib/types';
import { parseCib } from '../../tasks/cib';
import {
  CIB_QUERY,
  CRM_LOAD_UPDATE,
  crmColocation,
  crmOpDefaults,
  crmOrder,
  crmPrimitive,
  crmProperty,
  crmRscDefaults,
  crmWord,
  type CibState,
} from '../../tasks/crm';
import { FakeConnection } from '../helpers/fake-connection';
import { debianFacts, runTask, testHost } from '../helpers/task-harness';

const CIB_XML = readFileSync(join(__dirname, '../fixtures/crm/cib-debian12-two-node.xml'), 'utf8');
const env = { host: testHost, facts: debianFacts };

/** The runbook's configuration, as the reference cluster has it (kamailio as the service). */
const runbook = {
  property: () => crmProperty({ properties: { 'stonith-enabled': false, 'no-quorum-policy': 'ignore' } }),
  stickiness: () => crmRscDefaults({ meta: { 'resource-stickiness': 100 } }),
  ip: (monitor = '30s') =>
    crmPrimitive({
      id: 'HA-Asterisk-IP',
      agent: 'ocf:heartbeat:IPaddr2',
      params: { ip: '198.18.0.100', cidr_netmask: 24 },
      ops: [{ name: 'monitor', interval: monitor }],
    }),
  service: () => crmPrimitive({ id: 'HA-Asterisk-Service', agent: 'lsb:kamailio', ops: [{ name: 'monitor', interval: '30s' }] }),
  colocation: (score: string | number = 'INFINITY') =>
    crmColocation({ id: 'Service-With-IP', score, rsc: 'HA-Asterisk-Service', withRsc: 'HA-Asterisk-IP' }),
  order: () => crmOrder({ id: 'Service-After-IP', kind: 'Mandatory', first: 'HA-Asterisk-IP', then: 'HA-Asterisk-Service' }),
};

function decide(task: Task, xml = CIB_XML) {
  const state: CibState = { cib: parseCib(xml) };
  return task.definition.decide(state, env);
}

function changes(task: Task, xml = CIB_XML) {
  return decide(task, xml).changes;
}

/** The reference CIB with one text replaced; fails if the text is not there. */
function edit(from: string | RegExp, to: string): string {
  const out = CIB_XML.replace(from, to);
  assert.is.not(out, CIB_XML, `fixture edit did not apply: ${from}`);
  return out;
}

const IP_PRIMITIVE = /<primitive id="HA-Asterisk-IP"[\s\S]*?<\/primitive>/;

// ---- no-op on the reference CIB ----------------------------------------------------------------

test("the runbook's whole configuration against the reference CIB has no changes", () => {
  for (const [name, make] of Object.entries(runbook)) {
    assert.equal(changes(make()), [], name);
  }
});

test('no-op decisions state the present', () => {
  assert.is(decide(runbook.property()).ok, 'properties stonith-enabled=false, no-quorum-policy=ignore are set');
  assert.is(decide(crmProperty({ properties: { 'stonith-enabled': 'false' } })).ok, 'property stonith-enabled=false is set');
  assert.is(decide(runbook.stickiness()).ok, 'rsc_defaults resource-stickiness=100 is set');
  assert.is(decide(runbook.ip()).ok, 'primitive HA-Asterisk-IP matches');
  assert.is(decide(runbook.colocation()).ok, 'colocation Service-With-IP matches');
  assert.is(decide(runbook.order()).ok, 'order Service-After-IP matches');
});

test('every crm task declares the one shared probe, cibadmin --query', () => {
  for (const make of Object.values(runbook)) assert.equal(make().definition.probes, [CIB_QUERY]);
  assert.is(CIB_QUERY, 'cibadmin --query');
});

// ---- properties and defaults -------------------------------------------------------------------

test('a changed property is one change from the CIB value to the wanted one', () => {
  const xml = edit('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="true"');
  assert.equal(changes(runbook.property(), xml), [{ field: 'stonith-enabled', from: 'true', to: 'false' }]);
});

test('a missing property is a change without a from', () => {
  const xml = edit(/<nvpair name="no-quorum-policy"[^>]*\/>/, '');
  assert.equal(changes(runbook.property(), xml), [{ field: 'no-quorum-policy', to: 'ignore' }]);
});

test('pacemaker booleans compare by meaning: stonith-enabled=no is already false', () => {
  const xml = edit('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="no"');
  assert.equal(changes(runbook.property(), xml), []);
});

test('properties not named by the task are left alone', () => {
  assert.equal(changes(crmProperty({ properties: { 'stonith-enabled': false } })), []);
});

test('changed stickiness is a change with a crm-syntax diff', () => {
  const xml = edit('name="resource-stickiness" value="100"', 'name="resource-stickiness" value="50"');
  const d = decide(runbook.stickiness(), xml);
  assert.equal(d.changes, [{ field: 'resource-stickiness', from: '50', to: '100' }]);
  assert.ok(d.diff?.includes('-rsc_defaults rsc-options: resource-stickiness=50\n'));
  assert.ok(d.diff?.includes('+rsc_defaults rsc-options: resource-stickiness=100\n'));
});

test('op_defaults that do not exist yet are all changes; timeouts compare as durations', () => {
  assert.equal(changes(crmOpDefaults({ meta: { timeout: '60s' } })), [{ field: 'timeout', to: '60s' }]);
  const xml = edit('</rsc_defaults>', '</rsc_defaults><op_defaults><meta_attributes id="op-options"><nvpair id="t" name="timeout" value="60000ms"/></meta_attributes></op_defaults>');
  assert.equal(changes(crmOpDefaults({ meta: { timeout: '60s' } }), xml), []);
});

// ---- primitives -------------------------------------------------------------------------------

test('a changed param is one change', () => {
  const xml = edit('value="198.18.0.100"', 'value="198.18.0.101"');
  assert.equal(changes(runbook.ip(), xml), [{ field: 'params.ip', from: '198.18.0.101', to: '198.18.0.100' }]);
});

test('a monitor interval of 30s wanted as 20s is an interval change', () => {
  assert.equal(changes(runbook.ip('20s')), [{ field: 'op monitor interval', from: '30s', to: '20s' }]);
});

test('30s, 30000ms and a bare 30 are the same interval: no change', () => {
  assert.equal(changes(runbook.ip('30000ms')), []);
  assert.equal(changes(runbook.ip('30')), []);
  const xml = edit('<op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s"/>', '<op name="monitor" interval="30" id="x"/>');
  assert.equal(changes(runbook.ip(), xml), []);
});

test('a bare 30000 in the configuration is seconds, as pacemaker reads it: not 30s', () => {
  const xml = edit('<op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s"/>', '<op name="monitor" interval="30000" id="x"/>');
  assert.equal(changes(runbook.ip(), xml), [{ field: 'op monitor interval', from: '30000', to: '30s' }]);
});

test('a missing resource is one change: created', () => {
  const xml = edit(IP_PRIMITIVE, '');
  const d = decide(runbook.ip(), xml);
  assert.equal(d.changes, [{ field: 'primitive HA-Asterisk-IP', to: 'created' }]);
  assert.ok(d.diff?.includes('+primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \\\n'));
});

test('an extra param in the CIB is a change to absent (load update replaces the primitive)', () => {
  const xml = edit('<nvpair name="cidr_netmask"', '<nvpair name="nic" value="eth0" id="n"/><nvpair name="cidr_netmask"');
  assert.equal(changes(runbook.ip(), xml), [{ field: 'params.nic', from: 'eth0' }]);
});

test('an extra meta attribute and an extra op are changes to absent', () => {
  const xml = edit(
    '<operations>\n          <op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s"/>',
    '<meta_attributes id="m"><nvpair id="m1" name="target-role" value="Stopped"/></meta_attributes><operations>\n          <op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s"/><op name="start" interval="0s" timeout="20s" id="s"/>',
  );
  assert.equal(changes(runbook.ip(), xml), [
    { field: 'meta.target-role', from: 'Stopped' },
    { field: 'op start', from: 'interval=0s timeout=20s' },
  ]);
});

test('a missing op and a changed op timeout are changes', () => {
  const task = crmPrimitive({
    id: 'HA-Asterisk-IP',
    agent: 'ocf:heartbeat:IPaddr2',
    params: { ip: '198.18.0.100', cidr_netmask: '24' },
    ops: [
      { name: 'monitor', interval: '30s', timeout: '20s' },
      { name: 'start', interval: 0, timeout: '20s' },
    ],
  });
  const xml = edit('<op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s"/>', '<op name="monitor" interval="30s" timeout="10s" id="x"/>');
  assert.equal(changes(task, xml), [
    { field: 'op start', to: 'interval=0 timeout=20s' },
    { field: 'op monitor timeout', from: '10s', to: '20s' },
  ]);
  const same = edit('<op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s"/>', '<op name="monitor" interval="30s" timeout="20000ms" id="x"/><op name="start" interval="0s" timeout="20" id="y"/>');
  assert.equal(changes(task, same), []);
});

test('a different agent is one change', () => {
  const task = crmPrimitive({ id: 'HA-Asterisk-Service', agent: 'lsb:asterisk', ops: [{ name: 'monitor', interval: '30s' }] });
  assert.equal(changes(task), [{ field: 'agent', from: 'lsb:kamailio', to: 'lsb:asterisk' }]);
});

test('the diff of a primitive shows both renderings in crm syntax', () => {
  const d = decide(runbook.ip('20s'));
  assert.ok(d.diff?.includes('-\top monitor interval=30s\n'));
  assert.ok(d.diff?.includes('+\top monitor interval=20s\n'));
});

// ---- constraints ------------------------------------------------------------------------------

test('a changed colocation score is one change; inf and INFINITY are equal', () => {
  assert.equal(changes(runbook.colocation(100)), [{ field: 'score', from: 'INFINITY', to: '100' }]);
  assert.equal(changes(runbook.colocation('inf')), []);
  assert.equal(changes(runbook.colocation('+INFINITY')), []);
});

test('colocation members compare by role: rsc and with-rsc swapped are two changes', () => {
  const task = crmColocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'HA-Asterisk-IP', withRsc: 'HA-Asterisk-Service' });
  assert.equal(changes(task), [
    { field: 'rsc', from: 'HA-Asterisk-Service', to: 'HA-Asterisk-IP' },
    { field: 'with-rsc', from: 'HA-Asterisk-IP', to: 'HA-Asterisk-Service' },
  ]);
});

test('a changed order kind is one change', () => {
  const xml = edit('kind="Mandatory"', 'kind="Optional"');
  assert.equal(changes(runbook.order(), xml), [{ field: 'kind', from: 'Optional', to: 'Mandatory' }]);
});

test('an order written with score INFINITY (crm inf:) is Mandatory: no change', () => {
  const xml = edit('kind="Mandatory"', 'score="INFINITY"');
  assert.equal(changes(runbook.order(), xml), []);
});

test('missing constraints are created', () => {
  const xml = edit(/<constraints>[\s\S]*<\/constraints>/, '<constraints/>');
  assert.equal(changes(runbook.colocation(), xml), [{ field: 'colocation Service-With-IP', to: 'created' }]);
  assert.equal(changes(runbook.order(), xml), [{ field: 'order Service-After-IP', to: 'created' }]);
});

// ---- through the engine -----------------------------------------------------------------------

function cluster(xml = CIB_XML): FakeConnection {
  return new FakeConnection().on(CIB_QUERY, { stdout: xml }).on(CRM_LOAD_UPDATE, { stdout: '' });
}

test('check mode reports would change and sends no crm command', async () => {
  const conn = cluster(edit('name="resource-stickiness" value="100"', 'name="resource-stickiness" value="50"'));
  const r = await runTask(runbook.stickiness(), conn, { check: true });
  assert.is(r.status, 'would change');
  assert.equal(r.changes, [{ field: 'resource-stickiness', from: '50', to: '100' }]);
  assert.equal(conn.commands.map((c) => c.command), [CIB_QUERY]);
});

test('apply of a missing primitive sends exactly one crm load update with the primitive on stdin', async () => {
  const conn = cluster(edit(IP_PRIMITIVE, ''));
  const r = await runTask(runbook.ip(), conn);
  assert.is(r.status, 'changed');
  assert.equal(conn.commands, [
    { command: CIB_QUERY, stdin: undefined },
    {
      command: 'crm -F configure load update -',
      stdin: 'primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \\\n\tparams ip=198.18.0.100 cidr_netmask=24 \\\n\top monitor interval=30s\n',
    },
  ]);
});

test('apply of properties, defaults and constraints sends their crm statements', async () => {
  const xml = edit(/<constraints>[\s\S]*<\/constraints>/, '<constraints/>')
    .replace('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="true"')
    .replace('name="resource-stickiness" value="100"', 'name="resource-stickiness" value="50"');
  const sent: string[] = [];
  for (const task of [runbook.property(), runbook.stickiness(), runbook.colocation(), runbook.order()]) {
    const conn = cluster(xml);
    assert.is((await runTask(task, conn)).status, 'changed');
    sent.push(...conn.commands.filter((c) => c.command === CRM_LOAD_UPDATE).map((c) => c.stdin ?? ''));
  }
  assert.equal(sent, [
    'property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=ignore\n',
    'rsc_defaults rsc-options: resource-stickiness=100\n',
    'colocation Service-With-IP INFINITY: HA-Asterisk-Service HA-Asterisk-IP\n',
    'order Service-After-IP Mandatory: HA-Asterisk-IP HA-Asterisk-Service\n',
  ]);
});

test('a no-op sends nothing after the CIB query', async () => {
  for (const make of Object.values(runbook)) {
    const conn = cluster();
    const r = await runTask(make(), conn);
    assert.is(r.status, 'ok');
    assert.equal(conn.commands.map((c) => c.command), [CIB_QUERY]);
  }
});

test('check mode on a host without pacemaker plans against an empty CIB', async () => {
  const conn = new FakeConnection().on(CIB_QUERY, { code: 127, stderr: 'sh: 1: cibadmin: not found' });
  const r = await runTask(runbook.ip(), conn, { check: true });
  assert.is(r.status, 'would change');
  assert.equal(r.changes, [{ field: 'primitive HA-Asterisk-IP', to: 'created' }]);
  const stopped = new FakeConnection().on(CIB_QUERY, { code: 102, stderr: 'Could not connect to the CIB: Transport endpoint is not connected' });
  assert.is((await runTask(runbook.property(), stopped, { check: true })).status, 'would change');
});

test('outside check mode an unreachable CIB fails clearly and sends no crm command', async () => {
  const conn = new FakeConnection().on(CIB_QUERY, { code: 102, stderr: 'Could not connect to the CIB: Transport endpoint is not connected' });
  const r = await runTask(runbook.ip(), conn);
  assert.is(r.status, 'failed');
  assert.is(
    r.error,
    'cannot read the CIB: cibadmin --query exited 102: Could not connect to the CIB: Transport endpoint is not connected\n' +
      'Are pacemaker and corosync installed and running on this host? Start the cluster first (check mode works without it).',
  );
  assert.not.ok(conn.ran('crm '));
});

// ---- parameters and hostile values ------------------------------------------------------------

test('a param value with a newline is refused by the schema: it cannot start a second crm statement', () => {
  assert.throws(
    () => crmPrimitive({ id: 'X', agent: 'ocf:heartbeat:IPaddr2', params: { ip: 'x"; delete everything\nproperty foo=bar' } }),
    (e: unknown) => e instanceof ValidationError && e.message.includes('params.ip: must match pattern'),
  );
});

test('quotes and semicolons in a value are escaped inside one double-quoted crm word', async () => {
  const task = crmPrimitive({ id: 'X', agent: 'ocf:heartbeat:Dummy', params: { state: 'x"; delete everything property foo=bar \\' } });
  const conn = cluster();
  await runTask(task, conn);
  const stdin = conn.commands.find((c) => c.command === CRM_LOAD_UPDATE)?.stdin;
  assert.is(stdin, 'primitive X ocf:heartbeat:Dummy \\\n\tparams state="x\\"; delete everything property foo=bar \\\\"\n');
});

test('crm words: safe values stay bare, others are double-quoted with \\ and " escaped', () => {
  assert.is(crmWord('198.18.0.100'), '198.18.0.100');
  assert.is(crmWord('a b'), '"a b"');
  assert.is(crmWord(''), '""');
  assert.is(crmWord('say "hi"'), '"say \\"hi\\""');
  assert.is(crmWord('ends\\'), '"ends\\\\"');
});

test('ids outside pacemaker id syntax, bad agents and unknown fields are refused', () => {
  assert.throws(() => crmPrimitive({ id: '1bad', agent: 'lsb:x' }), /id: must match pattern/);
  assert.throws(() => crmPrimitive({ id: 'ok', agent: 'IPaddr2' }), /agent: must match pattern/);
  assert.throws(() => crmOrder({ id: 'o', first: 'a b', then: 'c' }), /first: must match pattern/);
  assert.throws(() => crmColocation({ id: 'c', score: 'always', rsc: 'a', withRsc: 'b' }), /score: must match pattern/);
  assert.throws(() => crmProperty({ properties: {}, extra: 1 } as never), /extra: is not a known field/);
  assert.throws(() => crmProperty({ properties: {} }), /properties: must NOT have fewer than 1 properties/);
});

test.run();
