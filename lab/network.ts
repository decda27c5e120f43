// The lab's wires: one bridge in the root namespace, one network namespace and veth per host.
// Lab addresses are 198.18.0.0/15 only; no default route, no NAT, ip_forward untouched.
import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { BRIDGE, BRIDGE_ADDRESS, BRIDGE_MAC, BRIDGE_PREFIX } from './paths';

// A second bridge address covering the whole /15, for the light hosts in 198.18.1.x, 198.18.2.x...
export const BRIDGE_WIDE_ADDRESS = '198.18.1.1';
export const BRIDGE_WIDE_PREFIX = 15;

export const linkExists = (name: string) => existsSync(`/sys/class/net/${name}`);
export const netnsExists = (ns: string) => existsSync(`/run/netns/${ns}`);

export async function ensureBridge(): Promise<void> {
  if (!linkExists(BRIDGE)) {
    await $`ip link add ${BRIDGE} address ${BRIDGE_MAC} type bridge`;
    // No STP and no forward delay: ports forward as soon as they are plugged in.
    await $`ip link set ${BRIDGE} type bridge stp_state 0 forward_delay 0`;
  }
  const addrs = (await $`ip -o -4 addr show dev ${BRIDGE}`).stdout;
  if (!addrs.includes(` ${BRIDGE_ADDRESS}/${BRIDGE_PREFIX} `)) {
    await $`ip addr add ${BRIDGE_ADDRESS}/${BRIDGE_PREFIX} dev ${BRIDGE}`;
  }
  await $`ip link set ${BRIDGE} up`;
}

/** Adds the /15 address used to reach light hosts outside 198.18.0.0/24. */
export async function ensureBridgeWide(): Promise<void> {
  await ensureBridge();
  const addrs = (await $`ip -o -4 addr show dev ${BRIDGE}`).stdout;
  if (!addrs.includes(` ${BRIDGE_WIDE_ADDRESS}/${BRIDGE_WIDE_PREFIX} `)) {
    await $`ip addr add ${BRIDGE_WIDE_ADDRESS}/${BRIDGE_WIDE_PREFIX} dev ${BRIDGE}`;
  }
}

export async function deleteBridge(): Promise<void> {
  if (linkExists(BRIDGE)) await $`ip link del ${BRIDGE}`;
}

export interface Plug {
  netns: string;
  hostVeth: string;
  address: string;
  prefix: number;
  mac: string;
  hostMac: string;
}

/** Creates the namespace (if needed) and plugs it into the bridge as eth0 with a fixed MAC. */
export async function plugIn(p: Plug): Promise<void> {
  if (!netnsExists(p.netns)) await $`ip netns add ${p.netns}`;
  await $`ip -n ${p.netns} link set lo up`;
  if (linkExists(p.hostVeth)) return;
  // Create the peer directly inside the namespace under a temporary name, then rename it eth0.
  const tmp = `${p.hostVeth}p`;
  await $`ip link add ${p.hostVeth} address ${p.hostMac} type veth peer name ${tmp} address ${p.mac} netns ${p.netns}`;
  await $`ip -n ${p.netns} link set ${tmp} name eth0`;
  await $`ip -n ${p.netns} addr add ${p.address}/${p.prefix} dev eth0`;
  await $`ip -n ${p.netns} link set eth0 up`;
  await $`ip link set ${p.hostVeth} master ${BRIDGE} up`;
}

/** Pulls the cable: deleting the host end deletes eth0 and every address on it (floating IPs too). */
export async function unplug(hostVeth: string): Promise<void> {
  if (linkExists(hostVeth)) await $`ip link del ${hostVeth}`.nothrow();
}

export async function deleteNetns(ns: string): Promise<void> {
  if (netnsExists(ns)) await $`ip netns del ${ns}`.nothrow();
}

export async function listNetns(prefix: string): Promise<string[]> {
  const out = (await $`ip netns list`.nothrow()).stdout;
  return out
    .split('\n')
    .map((l) => l.split(/\s+/)[0])
    .filter((n) => n && n.startsWith(prefix));
}
