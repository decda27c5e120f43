/**
 * The runbook (../shared/seed/ha-pacemaker-corosync-asterisk.txt) as a playbook: a
 * Pacemaker/Corosync cluster that keeps a floating IP and a SIP service together.
 *
 *   npx ts-node playbooks/ha-asterisk.ts -i lab [--check] [--diff]
 */
import { playbook } from '../lib/playbook';
import { floatingService } from '../tasks/roles/floating-service';
import { haClusterOptions } from '../tasks/roles/ha-cluster-options';
import { pacemakerNode, pacemakerNodeHandlers } from '../tasks/roles/pacemaker-node';

export default playbook(
  'ha-asterisk',
  [
    {
      name: 'cluster nodes: packages, boot links, corosync, pacemaker (runbook 1-7)',
      hosts: 'cluster',
      tasks: (host) => pacemakerNode(haClusterOptions(host)),
      handlers: () => pacemakerNodeHandlers(),
    },
    {
      name: 'cluster configuration: properties, floating IP, service, constraints (runbook 8-13)',
      hosts: 'cluster',
      tasks: (host) => floatingService(haClusterOptions(host)),
    },
  ],
  module,
);
