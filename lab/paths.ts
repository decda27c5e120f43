// Where the lab keeps things and how node numbers map to names, addresses and MACs.
// One place for these constants, so `down` tears down exactly what `up` made.

export const LAB_DIR = '/var/lib/keel-lab';
export const CACHE_DIR = '/var/cache/keel-lab';
/** The debootstrapped root shared read-only by every node (overlay lowerdir). */
export const BASE_DIR = `${CACHE_DIR}/base-bookworm`;
/** Written only after debootstrap and base fix-ups succeed: a base without it is rebuilt. */
export const BASE_STAMP = `${CACHE_DIR}/base-bookworm.stamp`;
/**
 * The systemd layer: systemd-sysv and dbus installed over the base, once, as an overlay upper dir
 * of its own. A systemd node's root is an overlay with lowerdir=SYSTEMD_LAYER:BASE_DIR, so the
 * packages are not installed again per node, and the base is not copied.
 */
export const SYSTEMD_LAYER_DIR = `${CACHE_DIR}/systemd-layer-bookworm`;
export const SYSTEMD_LAYER = `${SYSTEMD_LAYER_DIR}/layer`;
/** Written only once the layer is complete; records the base stamp it was built on. */
export const SYSTEMD_LAYER_STAMP = `${CACHE_DIR}/systemd-layer-bookworm.stamp`;
export const NODES_DIR = `${LAB_DIR}/nodes`;
export const KEY_FILE = `${LAB_DIR}/id_ed25519`;
export const KNOWN_HOSTS_FILE = `${LAB_DIR}/known_hosts`;
export const STATE_FILE = `${LAB_DIR}/state.json`;

export const BRIDGE = 'keelbr0';
export const BRIDGE_ADDRESS = '198.18.0.1';
export const BRIDGE_PREFIX = 24;
// The bridge's MAC is fixed: otherwise it takes the lowest port MAC and changes as nodes come and
// go, leaving stale ARP entries for 198.18.0.1 (the apt proxy) in the nodes.
export const BRIDGE_MAC = '02:6b:65:ff:00:01';
export const NODE_PREFIX = 24;
export const APT_PROXY_PORT = 3142;
export const APT_PROXY = `http://${BRIDGE_ADDRESS}:${APT_PROXY_PORT}`;

const MAX_NODES = 200; // keeps 10+N inside 198.18.0.0/24

export function nodeIndex(name: string): number {
  const m = /^node([1-9][0-9]*)$/.exec(name);
  if (!m || Number(m[1]) > MAX_NODES) {
    throw new TypeError(`node name must be node1..node${MAX_NODES}, got ${JSON.stringify(name)}`);
  }
  return Number(m[1]);
}

export function nodeName(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) {
    throw new TypeError(`node number must be an integer 1..${MAX_NODES}, got ${n}`);
  }
  return `node${n}`;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function nodePaths(n: number) {
  const dir = `${NODES_DIR}/${nodeName(n)}`;
  return {
    name: nodeName(n),
    dir,
    upper: `${dir}/upper`,
    work: `${dir}/work`,
    root: `${dir}/root`,
    pidFile: `${dir}/init.pid`,
    /** systemd nodes: the pid of the systemd-nspawn that supervises the container. */
    nspawnPidFile: `${dir}/nspawn.pid`,
    /** The kind of init the node was made with (`keel` or `systemd`); kept across kill and boot. */
    kindFile: `${dir}/init-kind`,
    consoleLog: `${dir}/console.log`,
    netns: `keel-${nodeName(n)}`,
    hostVeth: `keel-v${n}`,
    address: `198.18.0.${10 + n}`,
    // Fixed MACs: a new random MAC after a reboot left stale ARP on the host (16 s to SSH instead of 0.4 s).
    mac: `02:6b:65:00:00:${hex2(n)}`,
    hostMac: `02:6b:65:01:00:${hex2(n)}`,
  };
}
export type NodePaths = ReturnType<typeof nodePaths>;

/**
 * What a node's PID 1 is: `keel`, the lab's own init script (lab/initscript.ts) in namespaces, or
 * `systemd`, Debian's systemd booted by systemd-nspawn (lab/systemd.ts).
 */
export const NODE_KINDS = ['keel', 'systemd'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export function parseNodeKind(v: string | undefined): NodeKind {
  if (!(NODE_KINDS as readonly string[]).includes(v ?? '')) {
    throw new TypeError(`--init must be one of ${NODE_KINDS.join(', ')}, got ${JSON.stringify(v ?? null)}`);
  }
  return v as NodeKind;
}
