import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../../lib/errors';
import type { HostView } from '../../../lib/types';
import { haClusterOptions, isTwoNode } from '../../../tasks/roles/ha-cluster-options';

const host = (vars: Record<string, unknown>): HostView => {
  const nodes = ['node1', 'node2', 'node3'].map((name, i) => ({ name, address: `198.18.0.1${i + 1}`, groups: ['cluster'], vars }));
  return { ...nodes[0], inventory: { hosts: nodes, groups: { cluster: nodes.map((n) => n.name) } } };
};
const vars = { cluster_name: 'ha', floating_ip: '198.18.0.100', floating_cidr: 24 };

test('isTwoNode is true for exactly two nodes', () => {
  assert.equal([1, 2, 3].map((n) => isTwoNode(n)), [false, true, false]);
  assert.is(isTwoNode(['node1', 'node2']), true);
});

test('haClusterOptions: nodes from the cluster group in inventory order, nodeid from 1, runbook defaults', () => {
  const o = haClusterOptions(host(vars));
  assert.equal(o.nodes, [
    { name: 'node1', address: '198.18.0.11', nodeid: 1 },
    { name: 'node2', address: '198.18.0.12', nodeid: 2 },
    { name: 'node3', address: '198.18.0.13', nodeid: 3 },
  ]);
  assert.equal([o.serviceAgent, o.serviceName, o.servicePackages], ['lsb:asterisk', 'asterisk', ['asterisk']]);
});

test('haClusterOptions: missing or bad vars are one ValidationError naming each', () => {
  assert.throws(
    () => haClusterOptions(host({ cluster_name: 'bad name', floating_cidr: 33 })),
    (e: unknown) =>
      e instanceof ValidationError &&
      ['vars', 'vars.cluster_name', 'vars.floating_cidr'].every((p) => e.problems.some((x) => x.path === p)),
  );
});

test.run();
