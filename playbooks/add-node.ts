/**
 * The runbook's last heading, "Add a node to an existing cluster": prepare the new node,
 * put it into every running node's corosync node list and reload their membership, start
 * corosync and pacemaker on it, wait until all are Online. The resources keep running on
 * their node throughout (stickiness), and the quorum settings follow the new size.
 *
 *   npm run lab -- up --nodes 3
 *   npx ts-node playbooks/add-node.ts -i lab -e new_node=node3
 */
import { UsageError } from '../lib/errors';
import { playbook } from '../lib/playbook';
import type { HostView, Step } from '../lib/types';
import { command } from '../tasks/command';
import { corosyncConfig } from '../tasks/corosync';
import { floatingService } from '../tasks/roles/floating-service';
import { haClusterOptions, type HaClusterOptions } from '../tasks/roles/ha-cluster-options';
import { pacemakerNodePrepare, pacemakerNodeStart, waitForAllOnline } from '../tasks/roles/pacemaker-node';

const RELOAD_MEMBERSHIP = 'reload corosync membership';

/** The node being added: `-e new_node=NAME`, which must be a host of the cluster group. */
function newNode(host: HostView): string {
  const name = host.vars.new_node;
  const cluster = host.inventory.groups.cluster ?? [];
  if (typeof name !== 'string' || !cluster.includes(name)) {
    throw new UsageError(
      `add-node needs -e new_node=NAME naming a host of the cluster group (${cluster.join(', ') || 'none'}); got ${JSON.stringify(name ?? null)}`,
    );
  }
  return name;
}

const onNew = (host: HostView, tasks: (o: HaClusterOptions) => Step[]): Step[] =>
  host.name === newNode(host) ? tasks(haClusterOptions(host)) : [];
const onRunning = (host: HostView, tasks: (o: HaClusterOptions) => Step[]): Step[] =>
  host.name !== newNode(host) ? tasks(haClusterOptions(host)) : [];

export default playbook(
  'add-node',
  [
    {
      name: 'prepare the new node (runbook 1-6)',
      hosts: 'cluster',
      // Its corosync is not running (never started, or stopped after a fresh install): no restart
      // to notify; play 3 starts it with this configuration.
      tasks: (host) => onNew(host, (o) => pacemakerNodePrepare(o, { restartOnChange: false })),
    },
    {
      name: 'running nodes: the new node list, membership reloaded in place',
      hosts: 'cluster',
      tasks: (host) =>
        onRunning(host, (o) => [
          corosyncConfig(
            { clusterName: o.clusterName, transport: o.transport, nodes: o.nodes, tokenMs: o.tokenMs },
            { notify: [RELOAD_MEMBERSHIP] },
          ),
        ]),
      // corosync-cfgtool -R makes every running corosync re-read corosync.conf: no restart, so
      // pacemaker and the resources on these nodes keep running.
      handlers: () => ({ [RELOAD_MEMBERSHIP]: command({ cmd: 'corosync-cfgtool -R' }) }),
    },
    {
      name: 'start the new node and wait for all nodes (runbook 7)',
      hosts: 'cluster',
      tasks: (host) => onNew(host, (o) => [...pacemakerNodeStart(), waitForAllOnline(o)]),
    },
    {
      name: 'cluster configuration for the new size (runbook 8-13)',
      hosts: 'cluster',
      tasks: (host) => floatingService(haClusterOptions(host)),
    },
  ],
  module,
);
