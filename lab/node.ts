// Starting and power-cutting one node: its PID 1 runs in private PID/mount/UTS/IPC namespaces inside
// the node's network namespace, chrooted into its overlay root.
import { INIT_PATH } from './initscript';
import { NODE_PREFIX, type NodePaths } from './paths';
import { deleteNetns, plugIn, unplug } from './network';
import { alive, childrenOf, killAndWait, procRoot, readPid, removePid, sleep, spawnDetached, writePid } from './proc';
import { LabError } from './errors';
import { installInit, nodeKind } from './rootfs';
import { killSystemdNode, nspawnPid, startSystemdNode } from './systemd';

/** The node's PID 1 as seen from the host, or null when the node is not running. */
export function nodeInitPid(p: NodePaths): number | null {
  const pid = readPid(p.pidFile);
  // Check the process's root too: a recycled pid must not be mistaken for the node.
  return pid !== null && alive(pid) && procRoot(pid) === p.root ? pid : null;
}

/** Whether the node runs: its keel init, or for a systemd node its systemd-nspawn. */
export const nodeRunning = (p: NodePaths) => (nodeKind(p) === 'systemd' ? nspawnPid(p) !== null : nodeInitPid(p) !== null);

/** Plugs the node in and boots it with the init it was made with, detached. */
export async function startNode(p: NodePaths): Promise<number> {
  return nodeKind(p) === 'systemd' ? startSystemdNode(p) : startKeelInit(p);
}

/** Plugs the node in and starts the lab's init, detached. Returns the init's host pid. */
async function startKeelInit(p: NodePaths): Promise<number> {
  const existing = nodeInitPid(p);
  if (existing !== null) return existing;
  installInit(p);
  await plugIn({ netns: p.netns, hostVeth: p.hostVeth, address: p.address, prefix: NODE_PREFIX, mac: p.mac, hostMac: p.hostMac });
  // `ip netns exec` execs unshare in place, so `launcher` is unshare's pid; its only child is PID 1.
  const launcher = spawnDetached(
    ['ip', 'netns', 'exec', p.netns,
      'unshare', '--pid', '--mount', '--uts', '--ipc', '--fork', `--mount-proc=${p.root}/proc`,
      'chroot', p.root, INIT_PATH],
    p.consoleLog,
  );
  const end = Date.now() + 10000;
  while (Date.now() < end) {
    for (const child of childrenOf(launcher)) {
      if (procRoot(child) === p.root) {
        writePid(p.pidFile, child);
        return child;
      }
    }
    if (!alive(launcher)) break;
    await sleep(10);
  }
  throw new LabError(`${p.name}: init did not start; see ${p.consoleLog}`);
}

/**
 * Power cut: pull the cable first (so the node stops answering ARP for its address and any floating
 * IP at once), then SIGKILL its PID 1, which makes the kernel kill everything in its PID namespace.
 * Both kinds are looked for whatever the node's kind, so `down` finds a node's processes even if
 * its kind file is gone.
 */
export async function killNode(p: NodePaths): Promise<void> {
  await unplug(p.hostVeth);
  await killSystemdNode(p);
  const pid = nodeInitPid(p);
  if (pid !== null) await killAndWait(pid);
  removePid(p.pidFile);
  // A fresh network namespace at the next boot, as a real reboot gives fresh network state.
  await deleteNetns(p.netns);
}
