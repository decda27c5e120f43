/**
 * Pure helpers over gathered facts, for templates and `when` conditions: which interface carries
 * the cluster address, corosync's bindnetaddr, the corosync major version, two-node clusters.
 *
 * @example bindNetAddr(facts, host.address) // '198.18.0.0' for 198.18.0.11/24
 */
import { KeelError } from '../lib/errors';
import type { Facts, InterfaceAddress } from '../lib/types';

function listInterfaces(facts: Facts): string {
  return facts.interfaces.length === 0
    ? 'none'
    : facts.interfaces.map((i) => `${i.iface} ${i.address}/${i.prefix}`).join(', ');
}

/** The interface address entry carrying `address`; throws naming the interfaces found when none does. */
export function clusterInterface(facts: Facts, address: string): InterfaceAddress {
  const found = facts.interfaces.find((i) => i.address === address);
  if (!found) {
    throw new KeelError(`no interface of ${facts.hostname || 'this host'} carries ${address} (found: ${listInterfaces(facts)})`);
  }
  return found;
}

/** corosync's `bindnetaddr`: the network address of the interface carrying `address`. */
export function bindNetAddr(facts: Facts, address: string): string {
  return clusterInterface(facts, address).network;
}

/** 3 from `Corosync Cluster Engine, version '3.1.7'` (the first line of `corosync -v`). */
export function corosyncMajorFromVersionText(text: string): number {
  const m = /Corosync Cluster Engine,\s*version\s*'?(\d+)\.\d+/i.exec(text);
  if (!m) throw new KeelError(`not corosync -v output: ${JSON.stringify(text.trim().split('\n')[0] ?? '')}`);
  return Number(m[1]);
}

/** Whether a cluster of this many nodes (or these nodes) needs corosync's `two_node: 1`. */
export function isTwoNode(n: number | readonly unknown[]): boolean {
  return (typeof n === 'number' ? n : n.length) === 2;
}
