/**
 * A primitive compared exactly with the CIB: op instance and meta attributes, several attribute
 * sets, utilization and the description. Decided on the reference CIB with one edit each.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../../lib/errors';
import { parseCib } from '../../../tasks/pacemaker/cib';
import { crmPrimitive, primitive, type CrmOp, type PrimitiveParams } from '../../../tasks/pacemaker';
import { CIB_XML, edit, IP_MONITOR } from '../../fixtures/crm/reference-cib';
import { decideOn } from '../../helpers/task-harness';

const IP: PrimitiveParams = {
  id: 'HA-Asterisk-IP',
  agent: 'ocf:heartbeat:IPaddr2',
  params: { ip: '198.18.0.100', cidr_netmask: 24 },
  ops: [{ name: 'monitor', interval: '30s' }],
};

/** The IP primitive as wanted, with some fields replaced. */
const ip = (over: Partial<PrimitiveParams> = {}) => crmPrimitive({ ...IP, ...over });
const decide = (over: Partial<PrimitiveParams>, xml = CIB_XML) => decideOn(ip(over), { cib: xml });
const monitor = (extra: Omit<CrmOp, 'name' | 'interval'>): CrmOp[] => [{ name: 'monitor', interval: '30s', ...extra }];

/** The IP's monitor op as crmsh stores `op monitor interval=30s OCF_CHECK_LEVEL=N` (crmsh parse.py, match_op). */
const checkLevel = (level: string) =>
  edit(
    IP_MONITOR,
    `<op name="monitor" interval="30s" id="HA-Asterisk-IP-monitor-30s">
       <instance_attributes id="HA-Asterisk-IP-monitor-30s-instance_attributes">
         <nvpair name="OCF_CHECK_LEVEL" value="${level}" id="HA-Asterisk-IP-monitor-30s-instance_attributes-OCF_CHECK_LEVEL"/>
       </instance_attributes>
     </op>`,
  );

// ---- bug 1: op attributes that crmsh nests in the op's instance_attributes ---------------------

test('OCF_CHECK_LEVEL=10 wanted and stored nested in the op: no change (was a permanent false change)', () => {
  const d = decide({ ops: monitor({ OCF_CHECK_LEVEL: 10 }) }, checkLevel('10'));
  assert.equal(d.changes, []);
  assert.is(d.ok, 'primitive HA-Asterisk-IP matches');
});

test('a drifted nested op attribute is a change from the CIB value', () => {
  assert.equal(decide({ ops: monitor({ OCF_CHECK_LEVEL: 10 }) }, checkLevel('20')).changes, [
    { field: 'op monitor OCF_CHECK_LEVEL', from: '20', to: '10' },
  ]);
});

test('a nested op attribute in the CIB but not wanted is a change (was a false ok)', () => {
  assert.equal(decide({}, checkLevel('10')).changes, [{ field: 'op monitor OCF_CHECK_LEVEL', from: '10' }]);
});

test('the diff shows the nested op attribute the way crmsh reads it back', () => {
  const d = decide({ ops: monitor({ OCF_CHECK_LEVEL: 10 }) }, checkLevel('20'));
  assert.match(d.diff ?? '', '-\top monitor interval=30s OCF_CHECK_LEVEL=20\n');
  assert.match(d.diff ?? '', '+\top monitor interval=30s OCF_CHECK_LEVEL=10\n');
});

test('op XML attributes are rendered before instance attributes, whatever order they were given in', () => {
  // crmsh refuses `op monitor interval=10s OCF_CHECK_LEVEL=10 timeout=20s` ("Attribute order error:
  // timeout must appear before any instance attribute").
  const d = decide({ ops: [{ name: 'monitor', OCF_CHECK_LEVEL: 10, interval: '30s', 'on-fail': 'restart', timeout: '20s' }] });
  assert.equal(d.changes, [
    { field: 'op monitor on-fail', to: 'restart' },
    { field: 'op monitor timeout', to: '20s' },
    { field: 'op monitor OCF_CHECK_LEVEL', to: '10' },
  ]);
  assert.match(d.plan.text, '\top monitor interval=30s on-fail=restart timeout=20s OCF_CHECK_LEVEL=10\n');
});

test('op meta attributes (crm op_meta) are compared and rendered as op_meta', () => {
  const xml = edit(
    IP_MONITOR,
    '<op name="monitor" interval="30s" id="m"><meta_attributes id="m-meta"><nvpair id="m-rp" name="record-pending" value="true"/></meta_attributes></op>',
  );
  assert.equal(decide({}, xml).changes, [{ field: 'op monitor meta.record-pending', from: 'true' }]);
  assert.equal(decide({ ops: monitor({ meta: { 'record-pending': 'yes' } }) }, xml).changes, [], 'true and yes are one boolean');
  const d = decide({ ops: monitor({ meta: { 'record-pending': true } }) });
  assert.equal(d.changes, [{ field: 'op monitor meta.record-pending', to: 'true' }]);
  assert.match(d.plan.text, '\top monitor interval=30s op_meta record-pending=true\n');
});

// ---- bug 2: several attribute sets of one kind -------------------------------------------------

const secondParams = (nvpairs: string) =>
  edit('</instance_attributes>', `</instance_attributes><instance_attributes id="extra">${nvpairs}</instance_attributes>`);

test('a drifted param in a second instance_attributes set is found (was hidden by the first set)', () => {
  const xml = secondParams('<nvpair id="e-ip" name="ip" value="198.18.0.101"/>');
  assert.equal(decide({}, xml).changes, [
    { field: 'params sets', from: '2 (HA-Asterisk-IP-instance_attributes, extra)', to: '1' },
    { field: 'params.ip in extra', from: '198.18.0.101', to: '198.18.0.100' },
  ]);
});

test('more than one set is a change even when every value agrees: load update makes them one', () => {
  const d = decide({}, secondParams('<nvpair id="e-ip" name="ip" value="198.18.0.100"/>'));
  assert.equal(d.changes, [{ field: 'params sets', from: '2 (HA-Asterisk-IP-instance_attributes, extra)', to: '1' }]);
  // Both sets show as crmsh shows them; the second one goes.
  assert.match(d.diff ?? '', ' \tparams ip=198.18.0.100 cidr_netmask=24 \\\n-\tparams ip=198.18.0.100 \\\n \top monitor interval=30s\n');
});

test('a param only in a second set, not wanted, is a change', () => {
  assert.equal(decide({}, secondParams('<nvpair id="e-nic" name="nic" value="eth0"/>')).changes, [
    { field: 'params sets', from: '2 (HA-Asterisk-IP-instance_attributes, extra)', to: '1' },
    { field: 'params.nic in extra', from: 'eth0' },
  ]);
});

test('meta attributes: every set is compared too, as pacemaker values', () => {
  const xml = edit(
    '<operations>\n          ' + IP_MONITOR,
    '<meta_attributes id="m1"><nvpair id="a" name="target-role" value="Started"/></meta_attributes>' +
      '<meta_attributes id="m2"><nvpair id="b" name="target-role" value="Stopped"/><nvpair id="c" name="is-managed" value="yes"/></meta_attributes>' +
      '<operations>\n          ' + IP_MONITOR,
  );
  assert.equal(decide({ meta: { 'target-role': 'Started', 'is-managed': true } }, xml).changes, [
    { field: 'meta sets', from: '2 (m1, m2)', to: '1' },
    { field: 'meta.target-role in m2', from: 'Stopped', to: 'Started' },
  ]);
});

// ---- bug 3: utilization and description --------------------------------------------------------

const IP_HEAD = '<primitive id="HA-Asterisk-IP" class="ocf" provider="heartbeat" type="IPaddr2">';
const withHead = (attrs: string, inner = '') => edit(IP_HEAD, `<primitive id="HA-Asterisk-IP" class="ocf" provider="heartbeat" type="IPaddr2"${attrs}>${inner}`);

test('utilization is compared exactly: wanted, matching, drifted, and present but not wanted', () => {
  const xml = withHead('', '<utilization id="u"><nvpair id="u1" name="cpu" value="2"/></utilization>');
  assert.equal(decide({ utilization: { cpu: 2 } }).changes, [{ field: 'utilization.cpu', to: '2' }]);
  assert.equal(decide({ utilization: { cpu: 2 } }, xml).changes, []);
  assert.equal(decide({ utilization: { cpu: 4 } }, xml).changes, [{ field: 'utilization.cpu', from: '2', to: '4' }]);
  assert.equal(decide({}, xml).changes, [{ field: 'utilization.cpu', from: '2' }]);
});

test('the description is compared exactly: wanted, matching, drifted, and present but not wanted', () => {
  const xml = withHead(' description="floating IP"');
  assert.equal(decide({ description: 'floating IP' }).changes, [{ field: 'description', to: 'floating IP' }]);
  assert.equal(decide({ description: 'floating IP' }, xml).changes, []);
  assert.equal(decide({ description: 'the VIP' }, xml).changes, [{ field: 'description', from: 'floating IP', to: 'the VIP' }]);
  assert.equal(decide({}, xml).changes, [{ field: 'description', from: 'floating IP' }]);
});

test("a full primitive renders in crmsh's order: description, params, meta, utilization, ops", () => {
  const d = decideOn(
    crmPrimitive({
      id: 'Web',
      agent: 'ocf:heartbeat:apache',
      description: 'the "web" server',
      params: { configfile: '/etc/apache2/apache2.conf' },
      meta: { 'target-role': 'Started' },
      utilization: { cpu: 1, memory: 512 },
      ops: [{ name: 'monitor', interval: '10s', timeout: '20s', OCF_CHECK_LEVEL: 10 }],
    }),
    { cib: CIB_XML },
  );
  assert.equal(d.changes, [{ field: 'primitive Web', to: 'created' }]);
  assert.is(
    d.plan.text,
    'primitive Web ocf:heartbeat:apache \\\n' +
      '\tdescription="the \\"web\\" server" \\\n' +
      '\tparams configfile=/etc/apache2/apache2.conf \\\n' +
      '\tmeta target-role=Started \\\n' +
      '\tutilization cpu=1 memory=512 \\\n' +
      '\top monitor interval=10s timeout=20s OCF_CHECK_LEVEL=10\n',
  );
});

test('what a primitive renders, parsed back from the CIB crmsh would write, compares as no change', () => {
  // The XML crmsh's parser makes of the rendering above (parse.py: match_op, try_match_description).
  const xml = edit(
    '</resources>',
    `<primitive id="Web" class="ocf" provider="heartbeat" type="apache" description="the &quot;web&quot; server">
       <instance_attributes id="Web-instance_attributes"><nvpair name="configfile" value="/etc/apache2/apache2.conf" id="Web-instance_attributes-configfile"/></instance_attributes>
       <meta_attributes id="Web-meta_attributes"><nvpair name="target-role" value="Started" id="Web-meta_attributes-target-role"/></meta_attributes>
       <utilization id="Web-utilization"><nvpair name="cpu" value="1" id="Web-utilization-cpu"/><nvpair name="memory" value="512" id="Web-utilization-memory"/></utilization>
       <operations><op name="monitor" interval="10s" timeout="20s" id="Web-monitor-10s"><instance_attributes id="Web-monitor-10s-instance_attributes"><nvpair name="OCF_CHECK_LEVEL" value="10" id="Web-monitor-10s-instance_attributes-OCF_CHECK_LEVEL"/></instance_attributes></op></operations>
     </primitive></resources>`,
  );
  assert.ok(parseCib(xml).primitives.Web);
  const d = decideOn(
    crmPrimitive({
      id: 'Web',
      agent: 'ocf:heartbeat:apache',
      description: 'the "web" server',
      params: { configfile: '/etc/apache2/apache2.conf' },
      meta: { 'target-role': 'Started' },
      utilization: { cpu: 1, memory: 512 },
      ops: [{ name: 'monitor', interval: '10s', timeout: '20s', OCF_CHECK_LEVEL: 10 }],
    }),
    { cib: xml },
  );
  assert.equal(d.changes, []);
});

// ---- the object factory -----------------------------------------------------------------------

test('primitive() validates when called, before any host: every bad field named', () => {
  assert.throws(
    () => primitive({ id: '1bad', agent: 'IPaddr2', description: 'a\nb', utilization: { 'bad name': 1 } }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.subject === 'primitive parameters' &&
      ['id', 'agent', 'description', 'utilization'].every((path) => e.problems.some((p) => p.path === path)),
  );
  assert.throws(() => primitive({ ...IP, ops: [{ name: 'monitor', interval: '30s', meta: 'x' as never }] }), /ops\.0\.meta: must be object/);
  assert.throws(() => primitive({ ...IP, ops: [{ name: 'monitor', interval: '30s', OCF_CHECK_LEVEL: 'a\nb' }] }), /ops\.0\.OCF_CHECK_LEVEL: must match pattern/);
});

test('a primitive object renders and compares on its own, without a task', () => {
  const o = primitive(IP);
  assert.is(o.label, 'primitive HA-Asterisk-IP');
  assert.is(o.id, 'HA-Asterisk-IP');
  assert.is(o.render(), 'primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \\\n\tparams ip=198.18.0.100 cidr_netmask=24 \\\n\top monitor interval=30s\n');
  assert.equal(o.compare(parseCib(CIB_XML)), { changes: [], ok: 'primitive HA-Asterisk-IP matches' });
});

test.run();
