// Nodes whose PID 1 is systemd: Debian's own systemd booted by systemd-nspawn in the node's network
// namespace, over the node's overlay root (base + the systemd layer + the node's upper dir).
// docs/LAB-SYSTEMD.md says why each flag is there and what went wrong without it.
import { $ } from 'zx';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  APT_PROXY, BASE_DIR, BASE_STAMP, NODE_PREFIX, SYSTEMD_LAYER, SYSTEMD_LAYER_DIR, SYSTEMD_LAYER_STAMP, type NodePaths,
} from './paths';
import { plugIn } from './network';
import { alive, killAndWait, readPid, sleep, spawnDetached } from './proc';
import { isMounted } from './rootfs';
import { LabError } from './errors';
import { createNodeCgroups, killAndRemoveCgroups, nodeCgroups } from './cgroup';

/** What the systemd layer adds to the base: systemd as /sbin/init, and the system bus systemctl talks over. */
export const SYSTEMD_LAYER_PACKAGES = ['systemd-sysv', 'dbus'];

const NSPAWN = '/usr/bin/systemd-nspawn';

/** The stamp names the base it was built on: a rebuilt base makes the layer stale. */
function layerStampText(): string {
  return `base ${readFileSync(BASE_STAMP, 'utf8').trim()}\npackages ${SYSTEMD_LAYER_PACKAGES.join(' ')}\n`;
}

export function systemdLayerReady(): boolean {
  return existsSync(SYSTEMD_LAYER_STAMP) && existsSync(BASE_STAMP) && readFileSync(SYSTEMD_LAYER_STAMP, 'utf8') === layerStampText();
}

/**
 * Builds the systemd layer once: an overlay over the base whose upper dir (SYSTEMD_LAYER) gets
 * systemd-sysv and dbus through the lab's apt proxy, in a chroot with its own mount and PID
 * namespaces (no service is started: policy-rc.d says 101). The upper dir then serves as the
 * middle lowerdir of every systemd node, so `up --init systemd` installs nothing per node.
 */
export async function ensureSystemdLayer(log: (s: string) => void): Promise<void> {
  if (systemdLayerReady()) return;
  const work = `${SYSTEMD_LAYER_DIR}/work`;
  const root = `${SYSTEMD_LAYER_DIR}/root`;
  if (isMounted(root)) await $`umount ${root}`;
  rmSync(SYSTEMD_LAYER_DIR, { recursive: true, force: true });
  rmSync(SYSTEMD_LAYER_STAMP, { force: true });
  for (const d of [SYSTEMD_LAYER, work, root]) mkdirSync(d, { recursive: true });
  log(`installing ${SYSTEMD_LAYER_PACKAGES.join(' ')} over the base (once; cached in ${SYSTEMD_LAYER})`);
  await $`mount -t overlay keel-systemd-layer -o ${`lowerdir=${BASE_DIR},upperdir=${SYSTEMD_LAYER},workdir=${work}`} ${root}`;
  try {
    writeFileSync(`${root}/usr/sbin/policy-rc.d`, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const env = { ...process.env, http_proxy: APT_PROXY, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
    const install = `apt-get install -y --no-install-recommends ${SYSTEMD_LAYER_PACKAGES.join(' ')}`;
    const chroot = (cmd: string) =>
      $({ env })`unshare --mount --pid --fork ${`--mount-proc=${root}/proc`} chroot ${root} sh -c ${cmd}`;
    const first = await chroot(install).nothrow();
    if (first.exitCode !== 0) await chroot(`apt-get update && ${install}`);
    await chroot('apt-get clean');
    rmSync(`${root}/usr/sbin/policy-rc.d`, { force: true });
    // Each node gets its own machine id (prepareSystemdNode); dbus's follows /etc/machine-id.
    writeFileSync(`${root}/etc/machine-id`, '');
    rmSync(`${root}/var/lib/dbus/machine-id`, { force: true });
  } finally {
    await $`umount ${root}`;
  }
  rmSync(work, { recursive: true, force: true });
  writeFileSync(SYSTEMD_LAYER_STAMP, layerStampText());
}

/** A systemd node's own files: a machine id of its own (journald, dbus), kept across reboots. */
export function prepareSystemdNode(p: NodePaths): void {
  const f = `${p.root}/etc/machine-id`;
  if (readFileSync(f, 'utf8').trim() === '') writeFileSync(f, randomBytes(16).toString('hex') + '\n', { mode: 0o444 });
}

/** The arguments of the systemd-nspawn that boots a node; `--directory=ROOT` is how a node's nspawn is recognised. */
export function nspawnArgs(p: NodePaths): string[] {
  return [
    NSPAWN,
    `--directory=${p.root}`,
    '--boot',
    `--machine=${p.name}`,
    // No machined here (this machine's PID 1 is not systemd): without --keep-unit nspawn asks the
    // host's system bus for a scope unit and fails "Failed to open system bus".
    '--register=no',
    '--keep-unit',
    `--network-namespace-path=/run/netns/${p.netns}`,
    // IPaddr2 adds the floating IP: `ip addr add` needs CAP_NET_ADMIN in the node's namespace.
    '--capability=CAP_NET_ADMIN',
    '--console=pipe',
    // Nothing of this machine's own files inside the node: no resolv.conf, localtime or journal link.
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
  ];
}

/** True when `pid` is a live systemd-nspawn booting this node's root. */
function isNodeNspawn(pid: number, p: NodePaths): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--directory=${p.root}`);
  } catch {
    return false;
  }
}

/** The node's systemd-nspawn pid, or null when it is not running. */
export function nspawnPid(p: NodePaths): number | null {
  const pid = readPid(p.nspawnPidFile);
  return pid !== null && isNodeNspawn(pid, p) ? pid : null;
}

/** `NSpid:` of a process: its pid in each PID namespace, outermost first. */
function nsPids(pid: number): number[] {
  try {
    const line = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
    return line.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function parentOf(pid: number): number {
  try {
    return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * The container's PID 1 as this machine sees it: a descendant of the node's nspawn that is pid 1
 * in its own PID namespace. Killing it kills every process of the container at once.
 */
export function containerInitPid(p: NodePaths): number | null {
  const nspawn = nspawnPid(p);
  if (nspawn === null) return null;
  for (const d of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const pid = Number(d);
    const ns = nsPids(pid);
    if (ns.length < 2 || ns[ns.length - 1] !== 1) continue;
    for (let q = parentOf(pid), hops = 0; q > 1 && hops < 5; q = parentOf(q), hops++) {
      if (q === nspawn) return pid;
    }
  }
  return null;
}

/** Boots the node with systemd-nspawn, detached; returns the nspawn pid once the container's PID 1 exists. */
export async function startSystemdNode(p: NodePaths): Promise<number> {
  const existing = nspawnPid(p);
  if (existing !== null) return existing;
  if (!existsSync(NSPAWN)) throw new LabError(`${NSPAWN} is missing: apt-get install systemd-container`);
  prepareSystemdNode(p);
  await plugIn({ netns: p.netns, hostVeth: p.hostVeth, address: p.address, prefix: NODE_PREFIX, mac: p.mac, hostMac: p.hostMac });
  // A stale cgroup (a crashed lab command) goes first: the node starts with an empty one.
  await killAndRemoveCgroups(nodeCgroups(p));
  const cgroups = createNodeCgroups(p);
  // The shell joins the node's cgroups, then becomes nspawn (same pid): nspawn starts inside them.
  const joinThenExec = 'IFS=:; for d in $0; do echo $$ > "$d/cgroup.procs" || exit 1; done; exec "$@"';
  const pid = spawnDetached(['sh', '-c', joinThenExec, cgroups.join(':'), ...nspawnArgs(p)], p.consoleLog, {
    ...process.env,
    SYSTEMD_LOG_COLOR: '0',
    // nspawn mounts /proc/sys read-only, its net/ part included when it did not make the network
    // namespace itself (--network-namespace-path). The node owns that namespace, as a server owns
    // its network: net.* sysctls (playbooks/base.ts) must be settable there, and only those.
    SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network',
  });
  writeFileSync(p.nspawnPidFile, `${pid}\n`);
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    if (isNodeNspawn(pid, p) && containerInitPid(p) !== null) return pid;
    if (!alive(pid)) break;
    await sleep(20);
  }
  throw new LabError(`${p.name}: systemd-nspawn did not boot the container; see ${p.consoleLog}`);
}

/**
 * Power cut: SIGKILL the container's PID 1, which makes the kernel SIGKILL every process in its
 * PID namespace at once (no unit is stopped, nothing is synced). nspawn, which only has its own
 * mounts and its /run/systemd/nspawn/propagate/NODE left to drop, is given a moment to exit; then
 * whatever is left in the node's cgroups (nspawn included) is SIGKILLed and the cgroups removed.
 */
export async function killSystemdNode(p: NodePaths): Promise<void> {
  const init = containerInitPid(p);
  if (init !== null) await killAndWait(init);
  const nspawn = nspawnPid(p);
  if (nspawn !== null) {
    const end = Date.now() + 5000;
    while (alive(nspawn) && Date.now() < end) await sleep(20);
    if (alive(nspawn)) await killAndWait(nspawn);
  }
  await killAndRemoveCgroups(nodeCgroups(p));
  rmSync(p.nspawnPidFile, { force: true });
  // nspawn removes it when it exits; not when it had to be SIGKILLed.
  rmSync(`/run/systemd/nspawn/propagate/${p.name}`, { recursive: true, force: true });
}
