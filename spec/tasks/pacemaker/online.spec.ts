/** allNodesOnline and onlineListPattern (moved from tasks/wait.ts), on recorded `crm_mon -1` output. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../../lib/errors';
import { allNodesOnline, onlineListPattern, resourceStarted, resourceStartedPattern } from '../../../tasks/pacemaker/online';

const crmMon = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'wait', `${name}.txt`), 'utf8');
const matches = (nodes: string[], text: string) => new RegExp(onlineListPattern(nodes), 'm').test(text);

test('matches pacemaker 1.1 output (the runbook) with both nodes online, in any order', () => {
  assert.is(matches(['ha-asterisk-1', 'ha-asterisk-2'], crmMon('crm_mon-1.1-runbook')), true);
  assert.is(matches(['ha-asterisk-2', 'ha-asterisk-1'], crmMon('crm_mon-1.1-runbook')), true);
  assert.is(matches(['ha-asterisk-1', 'ha-asterisk-3'], crmMon('crm_mon-1.1-runbook')), false);
});

test('matches pacemaker 2.1 output in any order, and not while a node is OFFLINE', () => {
  assert.is(matches(['node1', 'node2'], crmMon('crm_mon-2.1-both-online')), true);
  assert.is(matches(['node2', 'node1'], crmMon('crm_mon-2.1-both-online')), true);
  assert.is(matches(['node1', 'node2'], crmMon('crm_mon-2.1-one-offline')), false);
  assert.is(matches(['node1'], crmMon('crm_mon-2.1-one-offline')), true);
});

test('node1 is not node10, RemoteOnline does not count, and a dot in a name is not a wildcard', () => {
  assert.is(matches(['node1'], '  * Online: [ node10 node2 ]\n'), false);
  assert.is(matches(['node1'], '  * RemoteOnline: [ node1 ]\n'), false);
  assert.is(matches(['node.1'], 'Online: [ nodeX1 ]\n'), false);
  assert.is(matches(['node.1'], 'Online: [ node.1 ]\n'), true);
});

test('gives waitFor parameters for crm_mon -1, with a default and a given timeout', () => {
  assert.equal(allNodesOnline(['node1', 'node2']), {
    cmd: 'crm_mon -1',
    until: onlineListPattern(['node1', 'node2']),
    timeoutSeconds: 120,
    intervalSeconds: 2,
    description: 'nodes node1, node2 are online',
  });
  assert.is(allNodesOnline(['node1'], 180).timeoutSeconds, 180);
  // The pattern compiles as waitFor compiles it (flag m).
  assert.ok(new RegExp(allNodesOnline(['node1', 'node2']).until, 'm').test(crmMon('crm_mon-2.1-both-online')));
});

test('no nodes, or names that are not node names, are refused before any host', () => {
  assert.throws(() => allNodesOnline([]), (e: unknown) => e instanceof ValidationError && /nodes: must name at least one node/.test(e.message));
  assert.throws(() => allNodesOnline(['node1', 'x; touch /tmp/canary']), /not node names: "x; touch \/tmp\/canary"/);
});

test('a resource started: matches 2.1 and 1.1 lines, not Stopped or FAILED, not a longer name; its wait reads the same crm_mon -1 as the nodes wait', () => {
  const started = (r: string, text: string) => new RegExp(resourceStartedPattern(r), 'm').test(text);
  assert.ok(started('HA-Asterisk-Service', crmMon('crm_mon-2.1-both-online')));
  assert.ok(started('HA-Asterisk-IP', crmMon('crm_mon-2.1-both-online')));
  assert.ok(started('HA-Asterisk-Service', ' HA-Asterisk-Service\t(lsb:asterisk):\tStarted ha-asterisk-1\n'), 'pacemaker 1.1');
  assert.not.ok(started('HA-Asterisk-Service', '  * HA-Asterisk-Service\t(lsb:kamailio):\t Stopped\n'));
  assert.not.ok(started('HA-Asterisk-Service', '  * HA-Asterisk-Service\t(lsb:kamailio):\t FAILED node1\n'));
  assert.not.ok(started('HA-Asterisk-Service', '  * HA-Asterisk-Service2\t(lsb:kamailio):\t Started node1\n'));
  assert.not.ok(started('HA-Asterisk-Service', crmMon('crm_mon-1.1-runbook')), 'no resources yet');
  const p = resourceStarted('HA-Asterisk-Service');
  assert.is(p.cmd, allNodesOnline(['node1']).cmd, 'one read answers both waits');
  assert.equal([p.timeoutSeconds, p.intervalSeconds, p.description], [60, 1, 'HA-Asterisk-Service is running']);
  assert.throws(() => resourceStarted('x; touch /tmp/canary'), /not a resource id/);
});

test.run();
