/**
 * Which interface carries the cluster address, and corosync 2's bindnetaddr (the network address
 * of that interface), from the gathered host facts. Pure.
 *
 * @example bindNetAddr(facts, host.address) // '198.18.0.0' for 198.18.0.11/24
 */
import { KeelError } from '../../lib/errors';
import type { DecideEnv, HostFacts, InterfaceAddress } from '../../lib/types';
import type { CorosyncNode } from './render';

function listInterfaces(facts: HostFacts): string {
  return facts.interfaces.length === 0
    ? 'none'
    : facts.interfaces.map((i) => `${i.iface} ${i.address}/${i.prefix}`).join(', ');
}

/** The interface address entry carrying `address`; throws naming the interfaces found when none does. */
export function clusterInterface(facts: HostFacts, address: string): InterfaceAddress {
  const found = facts.interfaces.find((i) => i.address === address);
  if (!found) {
    throw new KeelError(`no interface of ${facts.hostname || 'this host'} carries ${address} (found: ${listInterfaces(facts)})`);
  }
  return found;
}

/** corosync's `bindnetaddr`: the network address of the interface carrying `address`. */
export function bindNetAddr(facts: HostFacts, address: string): string {
  return clusterInterface(facts, address).network;
}

/**
 * bindnetaddr: the network of the interface carrying this host's cluster address, which is its
 * node entry's address (by address, then by name), else the host var `cluster_address`.
 */
export function bindnetaddrFor(nodes: readonly CorosyncNode[], env: DecideEnv): string {
  const mine = nodes.find((n) => n.address === env.host.address) ?? nodes.find((n) => n.name === env.host.name);
  const varAddress = env.host.vars.cluster_address;
  const address = mine?.address ?? (typeof varAddress === 'string' ? varAddress : undefined);
  if (address === undefined) {
    throw new KeelError(
      `${env.host.name}: cannot tell its cluster address for bindnetaddr: no node has address ${env.host.address} or name ${env.host.name}, and no host var cluster_address is set`,
    );
  }
  return bindNetAddr(env.facts, address);
}
