import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError } from '../../../lib/errors';
import { emptyCib } from '../../../tasks/pacemaker/cib';
import { CIB_QUERY, cibFact, cibFingerprint } from '../../../tasks/pacemaker/facts';
import { factHash } from '../../../lib/fingerprint';
import { CIB_XML } from '../../fixtures/crm/reference-cib';
import { debianFacts } from '../../helpers/task-harness';

const parse = (r: { code: number; stdout?: string; stderr?: string }) => cibFact.parse({ stdout: '', stderr: '', ...r }, debianFacts);

test('the CIB fact runs cibadmin --query', () => {
  assert.is(cibFact.command(debianFacts), 'cibadmin --query');
  assert.is(CIB_QUERY, 'cibadmin --query');
});

test('a readable CIB is parsed, with no unavailable reason', () => {
  const state = parse({ code: 0, stdout: CIB_XML });
  assert.is(state.unavailable, undefined);
  assert.equal(Object.keys(state.cib.primitives), ['HA-Asterisk-IP', 'HA-Asterisk-Service']);
});

test('every crm task of a run reads the same CIB: it is parsed once, frozen (a task cannot change what the next decides on); another CIB is parsed anew', () => {
  const a = parse({ code: 0, stdout: CIB_XML }).cib;
  assert.is(parse({ code: 0, stdout: CIB_XML }).cib, a, 'the same object for the same output');
  // Frozen all the way down: primitives' params and ops, property sets' values.
  const unfrozen: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (!v || typeof v !== 'object') return;
    if (!Object.isFrozen(v)) unfrozen.push(path);
    for (const [k, c] of Object.entries(v)) walk(c, `${path}.${k}`);
  };
  walk(a, 'cib');
  assert.equal(unfrozen, []);
  assert.ok(Object.values(a.primitives).some((p) => Object.keys(p).length > 2), 'the fixture has primitives with fields to freeze');
  assert.throws(() => {
    (a.properties as Record<string, unknown>).x = {};
  }, TypeError);
  const other = CIB_XML.replace(/epoch="(\d+)"/, (_, n) => `epoch="${Number(n) + 1}"`);
  assert.is.not(other, CIB_XML);
  assert.is.not(parse({ code: 0, stdout: other }).cib, a);
});

test('cibadmin not installed: the empty CIB and the reason, not an error', () => {
  assert.equal(parse({ code: 127, stderr: 'sh: 1: cibadmin: not found\n' }), {
    cib: emptyCib(),
    unavailable: 'cibadmin --query exited 127: sh: 1: cibadmin: not found',
  });
});

test('pacemaker not running: the empty CIB and the reason, not an error', () => {
  const state = parse({ code: 102, stderr: 'Could not connect to the CIB: Transport endpoint is not connected' });
  assert.equal(state.cib, emptyCib());
  assert.is(state.unavailable, 'cibadmin --query exited 102: Could not connect to the CIB: Transport endpoint is not connected');
  // An exit code that is not on the list, but a message that says the same.
  assert.is(parse({ code: 1, stderr: 'Connection refused' }).unavailable, 'cibadmin --query exited 1: Connection refused');
});

test('any other failure throws a clear KeelError', () => {
  assert.throws(
    () => parse({ code: 13, stderr: 'Permission denied' }),
    (e: unknown) =>
      e instanceof KeelError &&
      e.message ===
        'cannot read the CIB: cibadmin --query exited 13: Permission denied\n' +
          'Are pacemaker and corosync installed and running on this host? Start the cluster first (check mode works without it).',
  );
});

test('output that is not XML throws a KeelError naming the CIB', () => {
  assert.throws(
    () => parse({ code: 0, stdout: '<cib><configuration>' }),
    (e: unknown) => e instanceof KeelError && /^cannot read the CIB: cibadmin --query printed something that is not a CIB: CIB is not well-formed XML/.test(e.message),
  );
});

test('the plan fingerprint of the CIB: status, num_updates and cib-last-written move freely; configuration and epoch do not', () => {
  const hash = (xml: string, code = 0) => factHash(CIB_QUERY, { code, stdout: xml, stderr: '' }, cibFingerprint({ code, stdout: xml, stderr: '' }));
  assert.ok(CIB_XML.includes('<status>'), 'the recorded CIB has a status section');
  const base = hash(CIB_XML);
  // A live cluster: monitors ran (status), the update counter and the write time moved.
  const live = CIB_XML.replace(/num_updates="\d+"/, 'num_updates="999"')
    .replace(/cib-last-written="[^"]*"/, 'cib-last-written="Wed Nov 25 03:00:00 2026"')
    .replace(/<status>[\s\S]*<\/status>/, '<status><node_state id="1" uname="node1" crmd="online"/></status>');
  assert.is.not(live, CIB_XML);
  assert.is(hash(live), base, 'nothing the tasks decide on moved');
  // A hand edit: crm configure changes the value and raises the epoch.
  const edited = CIB_XML.replace('name="cidr_netmask" value="24"', 'name="cidr_netmask" value="25"');
  assert.is.not(edited, CIB_XML);
  assert.is.not(hash(edited), base, 'a configuration value moved');
  assert.is.not(hash(CIB_XML.replace(/ epoch="(\d+)"/, (_m, n) => ` epoch="${Number(n) + 1}"`)), base, 'the epoch moved');
  assert.is.not(hash(CIB_XML.replace(/admin_epoch="\d+"/, 'admin_epoch="7"')), base, 'the admin epoch moved');
  // Not a CIB (pacemaker stopped): the whole result is compared, as for any fact.
  assert.is.not(hash('', 102), hash('', 107));
  assert.is(cibFact.fingerprint, cibFingerprint);
});

test.run();
