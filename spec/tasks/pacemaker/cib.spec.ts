import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { durationMs, emptyCib, normalizeScore, orderKind, pacemakerBoolean, parseCib, sameDuration, samePacemakerValue, sameOpValue } from '../../../tasks/pacemaker/cib';
import { CIB_XML, edit, IP_MONITOR } from '../../fixtures/crm/reference-cib';

const cib = parseCib(CIB_XML);

test('reads the cluster property set of the reference CIB by set id and name', () => {
  assert.equal(cib.properties, {
    'cib-bootstrap-options': {
      'have-watchdog': 'false',
      'dc-version': '2.1.5-a3f44794f94',
      'cluster-infrastructure': 'corosync',
      'cluster-name': 'ha-asterisk',
      'stonith-enabled': 'false',
      'no-quorum-policy': 'ignore',
    },
  });
});

test('reads rsc_defaults and finds no op_defaults', () => {
  assert.equal(cib.rscDefaults, { 'rsc-options': { 'resource-stickiness': '100' } });
  assert.equal(cib.opDefaults, {});
});

test('reads both primitives with class, provider, type, attribute sets by id, and ops', () => {
  assert.equal(cib.primitives, {
    'HA-Asterisk-IP': {
      id: 'HA-Asterisk-IP',
      class: 'ocf',
      provider: 'heartbeat',
      type: 'IPaddr2',
      params: [{ id: 'HA-Asterisk-IP-instance_attributes', values: { ip: '198.18.0.100', cidr_netmask: '24' } }],
      meta: [],
      utilization: [],
      ops: [{ name: 'monitor', interval: '30s', attrs: {}, params: [], meta: [] }],
    },
    'HA-Asterisk-Service': {
      id: 'HA-Asterisk-Service',
      class: 'lsb',
      type: 'kamailio',
      params: [],
      meta: [],
      utilization: [],
      ops: [{ name: 'monitor', interval: '30s', attrs: {}, params: [], meta: [] }],
    },
  });
});

test('reads the colocation and the order constraint', () => {
  assert.equal(cib.colocations, {
    'Service-With-IP': {
      id: 'Service-With-IP',
      score: 'INFINITY',
      rsc: 'HA-Asterisk-Service',
      withRsc: 'HA-Asterisk-IP',
      rscRole: undefined,
      withRscRole: undefined,
      hasSets: false,
    },
  });
  assert.equal(cib.orders, {
    'Service-After-IP': {
      id: 'Service-After-IP',
      kind: 'Mandatory',
      score: undefined,
      first: 'HA-Asterisk-IP',
      then: 'HA-Asterisk-Service',
      firstAction: undefined,
      thenAction: undefined,
      symmetrical: undefined,
      hasSets: false,
    },
  });
});

test('reads nodes and the epoch, and ignores the status section', () => {
  assert.equal(cib.nodes, [
    { id: '2', uname: 'node2' },
    { id: '1', uname: 'node1' },
  ]);
  assert.is(cib.epoch, '11');
});

test('a primitive inside a group is found, with its group as parent, and op attributes are kept', () => {
  const xml = edit(
    /<primitive id="HA-Asterisk-Service"[\s\S]*?<\/primitive>/,
    `<group id="grp"><primitive id="HA-Asterisk-Service" class="lsb" type="kamailio">
      <meta_attributes id="m"><nvpair id="m1" name="target-role" value="Stopped"/></meta_attributes>
      <operations><op name="monitor" interval="30s" timeout="20s" on-fail="restart" id="o1"/></operations>
    </primitive></group>`,
  );
  assert.equal(parseCib(xml).primitives['HA-Asterisk-Service'], {
    id: 'HA-Asterisk-Service',
    class: 'lsb',
    type: 'kamailio',
    params: [],
    meta: [{ id: 'm', values: { 'target-role': 'Stopped' } }],
    utilization: [],
    ops: [{ name: 'monitor', interval: '30s', attrs: { timeout: '20s', 'on-fail': 'restart' }, params: [], meta: [] }],
    parent: 'grp',
  });
});

test("an op's nested instance_attributes and meta_attributes (crmsh's OCF_CHECK_LEVEL=10, op_meta) are read", () => {
  // The shape crmsh's parser (parse.py, match_op) gives `op monitor interval=30s timeout=20s OCF_CHECK_LEVEL=10 op_meta record-pending=true`.
  const xml = edit(
    IP_MONITOR,
    `<op name="monitor" interval="30s" timeout="20s" id="HA-Asterisk-IP-monitor-30s">
       <instance_attributes id="HA-Asterisk-IP-monitor-30s-instance_attributes">
         <nvpair name="OCF_CHECK_LEVEL" value="10" id="HA-Asterisk-IP-monitor-30s-instance_attributes-OCF_CHECK_LEVEL"/>
       </instance_attributes>
       <meta_attributes id="HA-Asterisk-IP-monitor-30s-meta_attributes">
         <nvpair name="record-pending" value="true" id="HA-Asterisk-IP-monitor-30s-meta_attributes-record-pending"/>
       </meta_attributes>
     </op>`,
  );
  assert.equal(parseCib(xml).primitives['HA-Asterisk-IP'].ops, [
    {
      name: 'monitor',
      interval: '30s',
      attrs: { timeout: '20s' },
      params: [{ id: 'HA-Asterisk-IP-monitor-30s-instance_attributes', values: { OCF_CHECK_LEVEL: '10' } }],
      meta: [{ id: 'HA-Asterisk-IP-monitor-30s-meta_attributes', values: { 'record-pending': 'true' } }],
    },
  ]);
});

test('several instance_attributes sets stay apart, in document order, with their ids', () => {
  const xml = edit(
    '</instance_attributes>',
    '</instance_attributes><instance_attributes id="extra"><nvpair id="e1" name="ip" value="198.18.0.101"/></instance_attributes>',
  );
  assert.equal(parseCib(xml).primitives['HA-Asterisk-IP'].params, [
    { id: 'HA-Asterisk-IP-instance_attributes', values: { ip: '198.18.0.100', cidr_netmask: '24' } },
    { id: 'extra', values: { ip: '198.18.0.101' } },
  ]);
});

test('utilization sets and the description of a primitive are read', () => {
  const xml = edit(
    '<primitive id="HA-Asterisk-IP" class="ocf" provider="heartbeat" type="IPaddr2">',
    '<primitive id="HA-Asterisk-IP" class="ocf" provider="heartbeat" type="IPaddr2" description="the floating &quot;VIP&quot;"><utilization id="u"><nvpair id="u1" name="cpu" value="2"/></utilization>',
  );
  const ip = parseCib(xml).primitives['HA-Asterisk-IP'];
  assert.is(ip.description, 'the floating "VIP"');
  assert.equal(ip.utilization, [{ id: 'u', values: { cpu: '2' } }]);
});

test('attribute values with XML entities are decoded', () => {
  const xml = edit('value="198.18.0.100"', 'value="a &quot;b&quot; &amp; &lt;c&gt;"');
  assert.is(parseCib(xml).primitives['HA-Asterisk-IP'].params[0].values.ip, 'a "b" & <c>');
});

test('empty output is an empty CIB; output that is not XML is a TypeError', () => {
  assert.equal(parseCib(''), emptyCib());
  assert.throws(() => parseCib('<cib><configuration>'), (e: unknown) => e instanceof TypeError && /not well-formed/.test(String(e)));
});

test('durations read as pacemaker reads them: a bare number is seconds', () => {
  assert.is(durationMs('30s'), 30000);
  assert.is(durationMs('30'), 30000);
  assert.is(durationMs('30000ms'), 30000);
  assert.is(durationMs('30000msec'), 30000);
  assert.is(durationMs('1m'), 60000);
  assert.is(durationMs('2min'), 120000);
  assert.is(durationMs('1h'), 3600000);
  assert.is(durationMs('PT30S'), 30000);
  assert.is(durationMs('PT1M30S'), 90000);
  assert.is(durationMs('0'), 0);
  assert.is(durationMs('soon'), undefined);
  assert.is(durationMs('30x'), undefined);
  assert.ok(sameDuration('30s', '30000ms'));
  assert.not.ok(sameDuration('30s', '20s'));
});

test('scores: INFINITY, +INFINITY, inf and +inf are one value', () => {
  assert.equal(['INFINITY', '+INFINITY', 'inf', '+inf', 'Inf'].map(normalizeScore), Array(5).fill('INFINITY'));
  assert.is(normalizeScore('-inf'), '-INFINITY');
  assert.is(normalizeScore('+100'), '100');
  assert.is(normalizeScore(100), '100');
  assert.is(normalizeScore(1000000), 'INFINITY');
});

test('order kind: the kind attribute, else score INFINITY is Mandatory and 0 Optional, else Mandatory', () => {
  assert.is(orderKind({ kind: 'Mandatory' }), 'Mandatory');
  assert.is(orderKind({ kind: 'optional' }), 'Optional');
  assert.is(orderKind({ score: 'INFINITY' }), 'Mandatory');
  assert.is(orderKind({ score: 'inf' }), 'Mandatory');
  assert.is(orderKind({ score: '0' }), 'Optional');
  assert.is(orderKind({}), 'Mandatory');
});

test('pacemaker booleans: false, no, off, n, 0 are false; true, yes, on, y, 1 are true', () => {
  assert.equal(['false', 'no', 'OFF', 'n', '0'].map(pacemakerBoolean), Array(5).fill(false));
  assert.equal(['true', 'Yes', 'on', 'y', '1'].map(pacemakerBoolean), Array(5).fill(true));
  assert.is(pacemakerBoolean('ignore'), undefined);
});

test('meta attributes and properties compare as pacemaker reads them; op attributes by their own rules', () => {
  assert.ok(samePacemakerValue('is-managed', 'false', 'no'));
  assert.ok(samePacemakerValue('migration-timeout', '1m', '60s'));
  assert.not.ok(samePacemakerValue('resource-stickiness', '100', '50'));
  // 60 is not a duration for a name that is not one.
  assert.not.ok(samePacemakerValue('resource-stickiness', '60', '1m'));
  assert.ok(sameOpValue('timeout', '20s', '20000ms'));
  assert.ok(sameOpValue('enabled', 'true', 'yes'));
  assert.not.ok(sameOpValue('role', 'Started', 'Stopped'));
});

test.run();
