import type { Task } from '../../lib/types';
import { colocation, crmProperty, crmRscDefaults, crmTransaction, order, primitive, resourceStarted } from '../pacemaker';
import { waitFor } from '../wait';
import { isTwoNode, type HaClusterOptions } from './ha-cluster-options';

export const IP_RESOURCE = 'HA-Asterisk-IP';
export const SERVICE_RESOURCE = 'HA-Asterisk-Service';

/**
 * Runbook steps 8–13, cluster-wide (run once, on one node): no fencing, quorum policy,
 * stickiness, then the floating IP, the service, and the constraints that keep them together
 * and start the service after the IP, sent as one transaction; then waits until the service runs.
 */
export function floatingService(o: HaClusterOptions): Task[] {
  const once = { runOnce: true };
  return [
    crmProperty({ properties: { 'stonith-enabled': false } }, once),
    // Two nodes cannot have quorum after a failure; with three or more, pacemaker's default applies.
    crmProperty({ properties: { 'no-quorum-policy': isTwoNode(o.nodes) ? 'ignore' : 'stop' } }, once),
    crmRscDefaults({ meta: { 'resource-stickiness': 100 } }, once),
    crmTransaction(
      'floating IP and service, together',
      [
        primitive({
          id: IP_RESOURCE,
          agent: 'ocf:heartbeat:IPaddr2',
          params: { ip: o.floatingIp, cidr_netmask: o.floatingCidr },
          ops: [{ name: 'monitor', interval: '30s' }],
        }),
        primitive({ id: SERVICE_RESOURCE, agent: o.serviceAgent, ops: [{ name: 'monitor', interval: '30s' }] }),
        colocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: SERVICE_RESOURCE, withRsc: IP_RESOURCE }),
        order({ id: 'Service-After-IP', kind: 'Mandatory', first: IP_RESOURCE, then: SERVICE_RESOURCE }),
      ],
      once,
    ),
    // Pacemaker starts resources a moment after the commit: the play is done when the service runs.
    // From the same crm_mon read as the wait for the nodes: one pacemaker client per run, not two.
    waitFor(resourceStarted(SERVICE_RESOURCE), once),
  ];
}
