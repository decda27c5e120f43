// The lab as a whole: up, down, kill, boot, status. The CLI (cli.ts) is a thin wrapper over these.
import { $ } from 'zx';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import {
  APT_PROXY, BRIDGE_ADDRESS, KEY_FILE, KNOWN_HOSTS_FILE, LAB_DIR, NODE_PREFIX, NODES_DIR,
  nodeIndex, type NodeKind, nodePaths, type NodePaths,
} from './paths';
import { ensureHostPackages, requireRootLinux } from './host';
import { hostMirror } from './mirror';
import { startAptCache, stopAptCache } from './aptcache';
import { ensureBase } from './base';
import { deleteBridge, deleteNetns, ensureBridge, linkExists, listNetns, unplug } from './network';
import { knownHostsLine, mountRoot, nodeKind, prepareNode, setNodeKind, unmountRoot, writeHosts } from './rootfs';
import { ensureSystemdLayer } from './systemd';
import { killAndRemoveCgroups, labCgroups, nodeCgroups } from './cgroup';
import { killNode, nodeRunning, startNode } from './node';
import { waitForPort } from './proc';
import { readLabState, removeLabState, writeLabState, type LabState } from './state';
import { stopLightHosts } from './lighthosts';
import { LabError } from './errors';
import { withLabLock } from './lock';
import { procRoot, killAndWait } from './proc';

export type { LabState } from './state';

const log = (s: string) => process.stderr.write(`lab: ${s}\n`);

/** Node numbers that have a directory (made by an earlier `up`), ascending. */
function knownNodes(): number[] {
  if (!existsSync(NODES_DIR)) return [];
  return readdirSync(NODES_DIR)
    .filter((d) => /^node[1-9][0-9]*$/.test(d))
    .map((d) => nodeIndex(d))
    .sort((a, b) => a - b);
}

async function ensureLabKey(): Promise<string> {
  mkdirSync(LAB_DIR, { recursive: true, mode: 0o700 });
  if (!existsSync(KEY_FILE)) {
    await $`ssh-keygen -q -t ed25519 -N ${''} -C keel-lab -f ${KEY_FILE}`;
  }
  return readFileSync(`${KEY_FILE}.pub`, 'utf8');
}

function writeKnownHosts(nodes: NodePaths[]): void {
  const lines = nodes.map(knownHostsLine).filter((l): l is string => l !== null);
  writeFileSync(KNOWN_HOSTS_FILE, lines.join('\n') + '\n');
}

function currentState(): LabState {
  return {
    bridgeAddress: BRIDGE_ADDRESS,
    aptProxy: APT_PROXY,
    keyFile: KEY_FILE,
    knownHostsFile: KNOWN_HOSTS_FILE,
    nodes: knownNodes().map((n) => {
      const p = nodePaths(n);
      return { name: p.name, address: p.address, prefix: NODE_PREFIX, running: nodeRunning(p), init: nodeKind(p) };
    }),
  };
}

function refreshState(): LabState {
  const s = currentState();
  writeLabState(s);
  return s;
}

/** Waits for sshd on each address; throws naming the nodes that never answered. */
async function waitForSsh(nodes: NodePaths[], timeoutMs = 60000): Promise<void> {
  const results = await Promise.all(nodes.map((p) => waitForPort(p.address, 22, timeoutMs)));
  const dead = nodes
    .filter((_, i) => !results[i])
    .map((p) =>
      nodeKind(p) === 'systemd'
        ? `${p.name} (see ${p.consoleLog}; journalctl -D ${p.root}/var/log/journal)`
        : `${p.name} (see ${p.root}/var/log/keel-init.log, ${p.consoleLog})`,
    );
  if (dead.length) throw new LabError(`sshd did not answer on: ${dead.join(', ')}`);
}

/**
 * The kind new nodes get: the one asked for, else the existing nodes' kind, else `keel`. A lab is
 * of one kind: asking for the other while nodes exist is refused (run `down` first).
 */
export function labKind(asked: NodeKind | undefined): NodeKind {
  const existing = knownNodes().map((n) => ({ name: nodePaths(n).name, kind: nodeKind(nodePaths(n)) }));
  const other = existing.find((e) => asked !== undefined && e.kind !== asked);
  if (other) {
    throw new LabError(`${other.name} is a ${other.kind} node; the lab has one kind of node: run \`lab down\` before \`up --init ${asked}\``, 2);
  }
  return asked ?? existing[0]?.kind ?? 'keel';
}

/**
 * Builds and starts node1..nodeN. Idempotent: running nodes are left alone, missing ones are added
 * (nodes beyond N that already exist are kept as they are). `kind` is what the nodes' PID 1 is:
 * `keel` (the lab's init script) or `systemd` (systemd-nspawn); unset, the existing nodes' kind.
 */
export async function up(count = 2, kind?: NodeKind): Promise<LabState> {
  return withLabLock(() => upLocked(count, kind));
}

async function upLocked(count: number, asked: NodeKind | undefined): Promise<LabState> {
  if (!Number.isInteger(count) || count < 1 || count > 200) {
    throw new TypeError(`node count must be an integer 1..200, got ${count}`);
  }
  requireRootLinux();
  const kind = labKind(asked);
  await ensureHostPackages(kind === 'systemd' ? { 'systemd-container': '/usr/bin/systemd-nspawn' } : {});
  const mirror = hostMirror();
  await ensureBridge();
  await startAptCache(mirror);
  await ensureBase(mirror, log);
  if (kind === 'systemd') await ensureSystemdLayer(log);
  const pub = await ensureLabKey();

  const wanted = [...new Set([...knownNodes(), ...Array.from({ length: count }, (_, i) => i + 1)])].sort((a, b) => a - b);
  const all = wanted.map(nodePaths);
  for (const p of all) {
    const isNew = !existsSync(`${p.upper}/etc/hostname`);
    if (isNew) setNodeKind(p, kind);
    await mountRoot(p);
    if (isNew) await prepareNode(p, mirror, pub);
    // Every node lists every lab node, including ones added by this `up`.
    writeHosts(p, all);
    if (!nodeRunning(p) && nodeIndex(p.name) <= count) {
      log(`starting ${p.name} at ${p.address} (${nodeKind(p)})`);
      await startNode(p);
    }
  }
  await waitForSsh(all.filter(nodeRunning));
  writeKnownHosts(all);
  return refreshState();
}

/** Power cut: SIGKILL the node's PID 1 and pull its cable. */
export async function kill(name: string): Promise<LabState> {
  requireRootLinux();
  return withLabLock(() => killLocked(name));
}

async function killLocked(name: string): Promise<LabState> {
  const p = nodePaths(nodeIndex(name));
  if (!existsSync(p.dir)) throw new LabError(`${name} is not part of the lab (run up first)`);
  await killNode(p);
  return refreshState();
}

/** Starts a killed node again: same root (upper dir kept), same MAC, same address. */
export async function boot(name: string): Promise<LabState> {
  requireRootLinux();
  return withLabLock(() => bootLocked(name));
}

async function bootLocked(name: string): Promise<LabState> {
  const p = nodePaths(nodeIndex(name));
  if (!existsSync(p.dir)) throw new LabError(`${name} is not part of the lab (run up first)`);
  await ensureBridge();
  await mountRoot(p);
  await startNode(p);
  await waitForSsh([p]);
  return refreshState();
}

/** The lab's nodes and whether each runs; also rewrites state.json to match. */
export function status(): LabState {
  requireRootLinux();
  if (!existsSync(NODES_DIR) && readLabState() === null) {
    return { bridgeAddress: BRIDGE_ADDRESS, aptProxy: APT_PROXY, keyFile: KEY_FILE, knownHostsFile: KNOWN_HOSTS_FILE, nodes: [] };
  }
  return refreshState();
}

/**
 * Stops everything the lab made: nodes, light hosts, mounts, namespaces, veths, bridge, apt cache.
 * Node upper dirs are removed (the next `up` starts clean); the base root and package cache stay.
 */
export async function down(): Promise<void> {
  requireRootLinux();
  await withLabLock(downLocked);
}

/**
 * SIGKILLs every process whose root is inside a node dir, and every systemd-nspawn booting a node
 * dir: strays the pid files do not know of.
 */
async function killStrays(): Promise<void> {
  for (const d of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const root = procRoot(Number(d));
    if (root !== null && root.startsWith(`${NODES_DIR}/`)) await killAndWait(Number(d), 3000);
    else if (nspawnOfNodes(Number(d))) await killAndWait(Number(d), 3000);
  }
}

/** nspawn makes /run/systemd/nspawn/{locks,propagate} and leaves them, empty, when it exits. */
function removeEmptyNspawnDirs(): void {
  for (const d of ['/run/systemd/nspawn/locks', '/run/systemd/nspawn/propagate', '/run/systemd/nspawn']) {
    try {
      rmdirSync(d);
    } catch {
      /* absent, or not empty: something else uses it */
    }
  }
}

function nspawnOfNodes(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[0].endsWith('systemd-nspawn') && argv.some((a) => a.startsWith(`--directory=${NODES_DIR}/`));
  } catch {
    return false;
  }
}

async function downLocked(): Promise<void> {
  await stopLightHosts();
  for (const n of knownNodes()) await killNode(nodePaths(n));
  await killStrays();
  for (const n of knownNodes()) {
    const p = nodePaths(n);
    await killAndRemoveCgroups(nodeCgroups(p));
    await unmountRoot(p);
    rmSync(p.dir, { recursive: true, force: true });
  }
  // Strays from an interrupted run.
  for (const ns of await listNetns('keel-')) await deleteNetns(ns);
  for (const l of readdirSync('/sys/class/net').filter((l) => /^keel-[a-z]\d+/.test(l))) await unplug(l);
  // Strays too: anything left in the lab's cgroups (a node dir removed by hand), then the tops.
  await killAndRemoveCgroups(labCgroups());
  removeEmptyNspawnDirs();
  await stopAptCache();
  await deleteBridge();
  removeLabState();
  rmSync(KNOWN_HOSTS_FILE, { force: true });
  if (linkExists('keelbr0')) throw new LabError('bridge keelbr0 still exists after down');
}
