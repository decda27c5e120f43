/** crmTransaction: several crm objects compared with one CIB read and sent as ONE `load update`. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../../lib/errors';
import { colocation, crmPrimitive, crmTransaction, order, primitive, property, rscDefaults, type CrmObject } from '../../../tasks/pacemaker';
import { CRM_LOAD_UPDATE } from '../../../tasks/pacemaker/tasks';
import { CIB_XML, edit, IP_PRIMITIVE } from '../../fixtures/crm/reference-cib';
import { applyPlan, decideOn, factCommand } from '../../helpers/task-harness';

/** The runbook's floating IP and service, as the reference cluster has them. */
const objects = {
  ip: () =>
    primitive({
      id: 'HA-Asterisk-IP',
      agent: 'ocf:heartbeat:IPaddr2',
      params: { ip: '198.18.0.100', cidr_netmask: 24 },
      ops: [{ name: 'monitor', interval: '30s' }],
    }),
  service: () => primitive({ id: 'HA-Asterisk-Service', agent: 'lsb:kamailio', ops: [{ name: 'monitor', interval: '30s' }] }),
  colocation: () => colocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'HA-Asterisk-Service', withRsc: 'HA-Asterisk-IP' }),
  order: () => order({ id: 'Service-After-IP', kind: 'Mandatory', first: 'HA-Asterisk-IP', then: 'HA-Asterisk-Service' }),
};

const floating = (members: CrmObject[] = [objects.ip(), objects.service(), objects.colocation(), objects.order()]) =>
  crmTransaction('floating IP and service', members, { runOnce: true });

test('a transaction is one task, titled by its name, reading the one CIB fact', () => {
  const t = floating();
  assert.is(t.definition.module, 'crmTransaction');
  assert.is(t.definition.name, 'crm transaction: floating IP and service');
  assert.equal(t.options, { runOnce: true });
  assert.equal(Object.keys(t.definition.facts), ['cib']);
  assert.is(factCommand(t, 'cib'), 'cibadmin --query');
});

test('nothing drifted: ok for every object, no plan', () => {
  const d = decideOn(floating(), { cib: CIB_XML });
  assert.equal(d.changes, []);
  assert.is(d.plan, undefined);
  assert.is(d.ok, 'primitive HA-Asterisk-IP matches; primitive HA-Asterisk-Service matches; colocation Service-With-IP matches; order Service-After-IP matches');
});

test('one object drifted: only its text is sent, and its changes are named by the object', async () => {
  const xml = edit('name="cidr_netmask" value="24"', 'name="cidr_netmask" value="25"');
  const t = floating();
  const d = decideOn(t, { cib: xml });
  assert.equal(d.changes, [{ field: 'HA-Asterisk-IP params.cidr_netmask', from: '25', to: '24' }]);
  assert.match(d.diff ?? '', '--- cib/primitive HA-Asterisk-IP');
  assert.not.match(d.diff ?? '', 'HA-Asterisk-Service');
  const { commands } = await applyPlan(t, d.plan);
  assert.equal(commands, [
    {
      command: CRM_LOAD_UPDATE,
      stdin: 'primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \\\n\tparams ip=198.18.0.100 cidr_netmask=24 \\\n\top monitor interval=30s\n',
    },
  ]);
});

test('a created resource and its constraints go in one plan, resources first, whatever the given order', async () => {
  const xml = edit(IP_PRIMITIVE, '').replace(/<constraints>[\s\S]*<\/constraints>/, '<constraints/>');
  const t = floating([objects.order(), objects.colocation(), objects.service(), objects.ip()]);
  const d = decideOn(t, { cib: xml });
  assert.equal(d.changes, [
    { field: 'primitive HA-Asterisk-IP', to: 'created' },
    { field: 'order Service-After-IP', to: 'created' },
    { field: 'colocation Service-With-IP', to: 'created' },
  ]);
  const { commands } = await applyPlan(t, d.plan);
  assert.equal(commands.length, 1, 'one load update: one CIB transaction');
  assert.is(
    commands[0].stdin,
    'primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \\\n\tparams ip=198.18.0.100 cidr_netmask=24 \\\n\top monitor interval=30s\n' +
      'order Service-After-IP Mandatory: HA-Asterisk-IP HA-Asterisk-Service\n' +
      'colocation Service-With-IP INFINITY: HA-Asterisk-Service HA-Asterisk-IP\n',
  );
});

test('property and defaults sets join a transaction too, after resources and constraints, as crmsh orders a load', () => {
  const xml = edit('name="resource-stickiness" value="100"', 'name="resource-stickiness" value="50"').replace(
    'name="cidr_netmask" value="24"',
    'name="cidr_netmask" value="25"',
  );
  const t = crmTransaction('everything', [property({ properties: { 'stonith-enabled': false } }), rscDefaults({ meta: { 'resource-stickiness': 100 } }), objects.ip()]);
  const d = decideOn(t, { cib: xml });
  assert.equal(d.changes, [
    { field: 'HA-Asterisk-IP params.cidr_netmask', from: '25', to: '24' },
    { field: 'rsc-options resource-stickiness', from: '50', to: '100' },
  ]);
  assert.match(d.plan.text, /^primitive HA-Asterisk-IP [\s\S]*\nrsc_defaults rsc-options: resource-stickiness=100\n$/);
  assert.is(d.plan.what, 'primitive HA-Asterisk-IP, rsc_defaults rsc-options');
});

test('without a readable CIB: planned against the empty CIB, depends on pacemaker, and apply refuses', async () => {
  const t = floating();
  const d = decideOn(t, { cib: { code: 127, stdout: '', stderr: 'sh: 1: cibadmin: not found' } });
  assert.is(d.changes.length, 4);
  assert.is(d.dependsOn, 'pacemaker is not running yet (cibadmin --query exited 127: sh: 1: cibadmin: not found)');
  try {
    await applyPlan(t, d.plan, (command) => {
      throw new Error(`no command may run, but apply ran ${command}`);
    });
    assert.unreachable('apply should fail');
  } catch (err) {
    assert.ok(err instanceof KeelError, String(err));
    assert.match((err as Error).message, /^cannot read the CIB: cibadmin --query exited 127: sh: 1: cibadmin: not found\nAre pacemaker and corosync installed and running/);
  }
});

// ---- refused when built ------------------------------------------------------------------------

const refused = (make: () => unknown, path: string, message: RegExp) =>
  assert.throws(
    make,
    (e: unknown) => e instanceof ValidationError && e.subject === 'crmTransaction parameters' && e.problems.some((p) => p.path === path && message.test(p.message)),
  );

test('a task as a member (the old call shape) is refused at build time, naming the member', () => {
  const task = crmPrimitive({ id: 'X', agent: 'lsb:x' });
  refused(() => crmTransaction('old shape', [objects.ip(), task as never]), 'objects.1', /is a task \(crmPrimitive\), not a crm object/);
});

test('anything else that is not a crm object is refused at build time', () => {
  refused(() => crmTransaction('x', [{ label: 'primitive X', render: () => '' } as never]), 'objects.0', /is not a crm object/);
  refused(() => crmTransaction('x', [undefined as never]), 'objects.0', /is not a crm object/);
  refused(() => crmTransaction('x', []), 'objects', /must NOT have fewer than 1 items/);
  refused(() => crmTransaction('', [objects.ip()]), 'name', /must NOT have fewer than 1 characters/);
});

test('the same object twice is refused: one transaction sends each object once', () => {
  refused(() => crmTransaction('x', [objects.ip(), objects.service(), objects.ip()]), 'objects.2', /primitive HA-Asterisk-IP is already objects\.0/);
});

test('bad engine options are refused like parameters', () => {
  assert.throws(() => crmTransaction('x', [objects.ip()], { runonce: true } as never), /crmTransaction options is invalid:\n {2}- runonce: is not a known field/);
});

test('members validate their own parameters when built, before the transaction', () => {
  assert.throws(
    () => crmTransaction('x', [colocation({ id: 'c', score: 'always', rsc: 'a', withRsc: 'b' })]),
    (e: unknown) => e instanceof ValidationError && e.subject === 'colocation parameters' && /score: must match pattern/.test(e.message),
  );
});

test.run();
