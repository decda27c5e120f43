// One cgroup per systemd node. systemd-nspawn --keep-unit places the container below the cgroup it
// was started in (it makes `payload` and `supervisor` there); started in this machine's root
// cgroup, two nodes would share /payload/system.slice/ssh.service and each node's systemd would see
// (and stop, and kill) the other's processes. So each node's nspawn starts in keel-lab/NODE of
// every hierarchy nspawn uses, and a power cut can kill the whole cgroup at once.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodePaths } from './paths';
import { alive, sleep } from './proc';

/** The top cgroup of the lab in each hierarchy. */
export const LAB_CGROUP = 'keel-lab';

/**
 * Mount points of the hierarchies nspawn puts a container in: the cgroup2 one (/sys/fs/cgroup or,
 * on a hybrid machine, /sys/fs/cgroup/unified) and the v1 `name=systemd` one when there is one.
 */
export function cgroupHierarchies(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, at, type, opts = ''] = line.split(' ');
    if (type === 'cgroup2' || (type === 'cgroup' && opts.split(',').includes('name=systemd'))) out.push(at);
  }
  return out;
}

export const nodeCgroups = (p: NodePaths): string[] => cgroupHierarchies().map((h) => join(h, LAB_CGROUP, p.name));

/** The lab's cgroup tops that exist (for `down` and the leftovers check). */
export const labCgroups = (): string[] => cgroupHierarchies().map((h) => join(h, LAB_CGROUP)).filter((d) => existsSync(d));

export function createNodeCgroups(p: NodePaths): string[] {
  const dirs = nodeCgroups(p);
  for (const d of dirs) mkdirSync(d, { recursive: true });
  return dirs;
}

function subtree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...subtree(join(dir, e.name)));
  return out;
}

/** Every process in a cgroup and below it. */
export function cgroupPids(dir: string): number[] {
  const pids = new Set<number>();
  for (const d of subtree(dir)) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {
      /* removed meanwhile */
    }
  }
  return [...pids];
}

/**
 * SIGKILLs every process in the node's cgroups (cgroup.kill where the kernel has it, else each
 * pid), waits until they are gone, then removes the cgroups, deepest first.
 */
export async function killAndRemoveCgroups(dirs: string[], ms = 5000): Promise<void> {
  for (const d of dirs.filter((x) => existsSync(join(x, 'cgroup.kill')))) {
    try {
      writeFileSync(join(d, 'cgroup.kill'), '1');
    } catch {
      /* gone meanwhile */
    }
  }
  const end = Date.now() + ms;
  for (;;) {
    const left = dirs.flatMap(cgroupPids).filter(alive);
    if (left.length === 0 || Date.now() > end) break;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(20);
  }
  for (const d of dirs) {
    for (const sub of subtree(d).reverse()) {
      try {
        rmdirSync(sub);
      } catch {
        /* a zombie not yet reaped keeps it busy for a moment */
      }
    }
  }
}
