import { ValidationError } from '../../lib/errors';
import { hostsOf } from '../../lib/inventory';
import { declareSchema, validate } from '../../lib/validate';
import type { HostView } from '../../lib/types';
import type { CorosyncNode, CorosyncTransport } from '../corosync';

/** What the HA roles need, read from inventory vars (the group `cluster` gives the nodes). */
export interface HaClusterOptions {
  clusterName: string;
  transport?: CorosyncTransport;
  /** Every node in the cluster, in inventory order: nodeid is the position, from 1. */
  nodes: CorosyncNode[];
  floatingIp: string;
  floatingCidr: number;
  /** The managed service's resource agent: `lsb:asterisk` (runbook), `lsb:kamailio` (lab). */
  serviceAgent: string;
  /** Its init script name, which must not start at boot outside the cluster. */
  serviceName: string;
  /** Packages that provide the service. */
  servicePackages: string[];
  /** A line the service needs in a defaults file (kamailio: RUN_KAMAILIO=yes). */
  serviceDefaultFile?: { path: string; line: string; regexp?: string };
  tokenMs?: number;
}

const varsSchema = {
  type: 'object',
  required: ['cluster_name', 'floating_ip', 'floating_cidr'],
  properties: {
    cluster_name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    corosync_transport: { enum: ['udpu', 'knet', 'udp'] },
    floating_ip: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' },
    floating_cidr: { type: 'integer', minimum: 1, maximum: 32 },
    service_agent: { type: 'string' },
    service_name: { type: 'string' },
    service_packages: { type: 'array', items: { type: 'string' } },
    service_default_file: {
      type: 'object',
      required: ['path', 'line'],
      additionalProperties: false,
      properties: { path: { type: 'string' }, line: { type: 'string' }, regexp: { type: 'string' } },
    },
    corosync_token_ms: { type: 'integer', minimum: 1 },
  },
} as const;
declareSchema(varsSchema); // precompiled at build time (lib/validate.ts)

interface HaVars {
  cluster_name: string;
  corosync_transport?: CorosyncTransport;
  floating_ip: string;
  floating_cidr: number;
  service_agent?: string;
  service_name?: string;
  service_packages?: string[];
  service_default_file?: HaClusterOptions['serviceDefaultFile'];
  corosync_token_ms?: number;
}

/**
 * The HA options for a host, from its merged vars and the inventory's `cluster` group.
 * Bad or missing vars are a ValidationError naming each one, before any host is contacted.
 */
export function haClusterOptions(host: HostView, group = 'cluster'): HaClusterOptions {
  const v = validate<HaVars>(`vars of ${host.name}`, varsSchema, host.vars, 'vars');
  const members = hostsOf(host, group);
  if (members.length === 0) throw new ValidationError(`inventory`, [{ path: `groups.${group}`, message: 'has no hosts' }]);
  return {
    clusterName: v.cluster_name,
    transport: v.corosync_transport,
    nodes: members.map((m, i) => ({ name: m.name, address: clusterAddress(m), nodeid: i + 1 })),
    floatingIp: v.floating_ip,
    floatingCidr: v.floating_cidr,
    serviceAgent: v.service_agent ?? 'lsb:asterisk',
    serviceName: v.service_name ?? 'asterisk',
    servicePackages: v.service_packages ?? ['asterisk'],
    serviceDefaultFile: v.service_default_file,
    tokenMs: v.corosync_token_ms,
  };
}

/** A node's cluster (ring 0) address: the var `cluster_address`, else its inventory address. */
export function clusterAddress(host: Pick<HostView, 'address' | 'vars'>): string {
  const a = host.vars.cluster_address;
  return typeof a === 'string' ? a : host.address;
}

/** Whether a cluster of this many nodes (or these nodes) needs corosync's `two_node: 1`. */
export function isTwoNode(n: number | readonly unknown[]): boolean {
  return (typeof n === 'number' ? n : n.length) === 2;
}
