import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../../lib/errors';
import type { ExecResult, Task } from '../../../lib/types';
import { crmColocation, crmOpDefaults, crmOrder, crmPrimitive, crmProperty, crmRscDefaults } from '../../../tasks/pacemaker';
import { crmWord } from '../../../tasks/pacemaker/crm-syntax';
import { CIB_QUERY, cibFact } from '../../../tasks/pacemaker/facts';
import { CRM_LOAD_UPDATE } from '../../../tasks/pacemaker/tasks';
import { CIB_XML, edit, IP_MONITOR, IP_PRIMITIVE } from '../../fixtures/crm/reference-cib';
import { applyPlan, decideOn, factCommand } from '../../helpers/task-harness';

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

/** Decides on the reference CIB, or on a CIB edited from it, or on a failed cibadmin. */
function decide(task: Task, cib: string | ExecResult = CIB_XML) {
  return decideOn(task, { cib });
}

function changes(task: Task, xml = CIB_XML) {
  return decide(task, xml).changes;
}

/** Decides, then applies the plan: the commands apply ran, with their stdin. */
async function applied(task: Task, xml = CIB_XML) {
  const d = decide(task, xml);
  assert.ok(d.plan, 'decide made a plan');
  return (await applyPlan(task, d.plan)).commands;
}

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

test('every crm task reads one fact, the shared CIB fact: cibadmin --query', () => {
  for (const make of Object.values(runbook)) {
    const task = make();
    assert.equal(Object.keys(task.definition.facts), ['cib']);
    assert.is(task.definition.facts.cib, cibFact);
    assert.is(factCommand(task, 'cib'), CIB_QUERY);
  }
  assert.is(CIB_QUERY, 'cibadmin --query');
});

test('module names and titles stay as playbooks and reports know them', () => {
  const named = Object.values(runbook).map((make) => [make().definition.module, make().definition.name]);
  assert.equal(named, [
    ['crmProperty', 'crmProperty stonith-enabled no-quorum-policy'],
    ['crmRscDefaults', 'crmRscDefaults resource-stickiness'],
    ['crmPrimitive', 'crmPrimitive HA-Asterisk-IP'],
    ['crmPrimitive', 'crmPrimitive HA-Asterisk-Service'],
    ['crmColocation', 'crmColocation Service-With-IP'],
    ['crmOrder', 'crmOrder Service-After-IP'],
  ]);
  assert.is(crmOpDefaults({ meta: { timeout: '60s' } }).definition.name, 'crmOpDefaults timeout');
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
  const xml = edit(IP_MONITOR, '<op name="monitor" interval="30" id="x"/>');
  assert.equal(changes(runbook.ip(), xml), []);
});

test('a bare 30000 in the configuration is seconds, as pacemaker reads it: not 30s', () => {
  const xml = edit(IP_MONITOR, '<op name="monitor" interval="30000" id="x"/>');
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
  const xml = edit(IP_MONITOR, '<op name="monitor" interval="30s" timeout="10s" id="x"/>');
  assert.equal(changes(task, xml), [
    { field: 'op start', to: 'interval=0 timeout=20s' },
    { field: 'op monitor timeout', from: '10s', to: '20s' },
  ]);
  const same = edit(IP_MONITOR, '<op name="monitor" interval="30s" timeout="20000ms" id="x"/><op name="start" interval="0s" timeout="20" id="y"/>');
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

// ---- plans and apply ---------------------------------------------------------------------------

test('a drifted object decides a plan; deciding needs no connection, only the CIB read', () => {
  const d = decide(runbook.stickiness(), edit('name="resource-stickiness" value="100"', 'name="resource-stickiness" value="50"'));
  assert.equal(d.changes, [{ field: 'resource-stickiness', from: '50', to: '100' }]);
  assert.equal(d.plan, { text: 'rsc_defaults rsc-options: resource-stickiness=100\n', what: 'rsc_defaults rsc-options' });
  assert.is(d.dependsOn, undefined);
});

test('apply of a missing primitive sends exactly one crm load update with the primitive on stdin', async () => {
  assert.equal(await applied(runbook.ip(), edit(IP_PRIMITIVE, '')), [
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
    const commands = await applied(task, xml);
    assert.equal(commands.map((c) => c.command), [CRM_LOAD_UPDATE]);
    sent.push(commands[0].stdin ?? '');
  }
  assert.equal(sent, [
    'property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=ignore\n',
    'rsc_defaults rsc-options: resource-stickiness=100\n',
    'colocation Service-With-IP INFINITY: HA-Asterisk-Service HA-Asterisk-IP\n',
    'order Service-After-IP Mandatory: HA-Asterisk-IP HA-Asterisk-Service\n',
  ]);
});

test('a no-op has no plan: nothing is sent', () => {
  for (const [name, make] of Object.entries(runbook)) {
    const d = decide(make());
    assert.equal(d.changes, [], name);
    assert.is(d.plan, undefined, name);
  }
});

test('a crm load the cluster refuses fails apply with crm\'s message', async () => {
  const task = runbook.order();
  const d = decide(task, edit(/<rsc_order [^>]*\/>/, ''));
  try {
    await applyPlan(task, d.plan, (cmd) => (cmd === CRM_LOAD_UPDATE ? { code: 1, stderr: "ERROR: references a resource No-Such-Resource which doesn't exist" } : undefined));
    assert.unreachable('apply should fail');
  } catch (err) {
    assert.match(String(err), 'crm configure load update (order Service-After-IP) failed (exit 1)');
  }
});

const NOT_INSTALLED: ExecResult = { code: 127, stdout: '', stderr: 'sh: 1: cibadmin: not found' };
const NOT_RUNNING: ExecResult = { code: 102, stdout: '', stderr: 'Could not connect to the CIB: Transport endpoint is not connected' };

test('a host without pacemaker plans against an empty CIB, and the plan depends on pacemaker running', () => {
  const d = decide(runbook.ip(), NOT_INSTALLED);
  assert.equal(d.changes, [{ field: 'primitive HA-Asterisk-IP', to: 'created' }]);
  assert.is(d.dependsOn, 'pacemaker is not running yet (cibadmin --query exited 127: sh: 1: cibadmin: not found)');
  const stopped = decide(runbook.property(), NOT_RUNNING);
  assert.equal(stopped.changes, [
    { field: 'stonith-enabled', to: 'false' },
    { field: 'no-quorum-policy', to: 'ignore' },
  ]);
  assert.match(stopped.dependsOn ?? '', /^pacemaker is not running yet \(cibadmin --query exited 102: Could not connect/);
});

test('apply without a readable CIB fails clearly and sends no crm command', async () => {
  const task = runbook.ip();
  const d = decide(task, NOT_RUNNING);
  const commands: string[] = [];
  try {
    await applyPlan(task, d.plan, (cmd) => {
      commands.push(cmd);
      return undefined;
    });
    assert.unreachable('apply should fail');
  } catch (err) {
    assert.ok(err instanceof KeelError);
    assert.is(
      (err as KeelError).message,
      'cannot read the CIB: cibadmin --query exited 102: Could not connect to the CIB: Transport endpoint is not connected\n' +
        'Are pacemaker and corosync installed and running on this host? Start the cluster first (check mode works without it).',
    );
  }
  assert.equal(commands, []);
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
  const [sent] = await applied(task);
  assert.is(sent.command, CRM_LOAD_UPDATE);
  assert.is(sent.stdin, 'primitive X ocf:heartbeat:Dummy \\\n\tparams state="x\\"; delete everything property foo=bar \\\\"\n');
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
