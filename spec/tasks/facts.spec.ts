import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindNetAddr, clusterInterface, corosyncMajorFromVersionText, isTwoNode } from '../../tasks/facts';
import { debianFacts, parseFacts } from '../helpers/task-harness';

test('clusterInterface finds the interface carrying the address', () => {
  assert.equal(clusterInterface(debianFacts, '198.18.0.11'), { iface: 'eth0', address: '198.18.0.11', prefix: 24, network: '198.18.0.0' });
});

test('bindNetAddr is the network of that interface', () => {
  assert.is(bindNetAddr(debianFacts, '198.18.0.11'), '198.18.0.0');
});

test('bindNetAddr on facts parsed from `ip -o -4 addr show` lines (Debian 12 format, a /25 network)', () => {
  const facts = parseFacts(
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

test('corosyncMajorFromVersionText reads the major version of corosync -v', () => {
  assert.is(corosyncMajorFromVersionText("Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.\n"), 3);
  assert.is(corosyncMajorFromVersionText("Corosync Cluster Engine, version '2.4.2'"), 2);
  assert.throws(() => corosyncMajorFromVersionText('bash: corosync: command not found'), /not corosync -v output: "bash: corosync: command not found"/);
});

test('isTwoNode is true for exactly two nodes', () => {
  assert.equal([1, 2, 3].map((n) => isTwoNode(n)), [false, true, false]);
  assert.is(isTwoNode(['node1', 'node2']), true);
});

test.run();
