import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { KEY_FILE, KNOWN_HOSTS_FILE, type NodeKind } from '../../lab/paths';
import { readLabState } from '../../lab/state';
import { labCgroups } from '../../lab/cgroup';

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (process.getuid?.() !== 0) return 'the lab needs root (network, PID and mount namespaces)';
  if (!existsSync('/proc/self/ns/net')) return 'no network namespaces on this kernel';
  return undefined;
}

/** Why a lab of this kind of node cannot run here, or undefined when it can. */
export function kindUnavailable(kind: NodeKind): string | undefined {
  const lab = labUnavailable();
  if (lab || kind === 'keel') return lab;
  if (!existsSync('/usr/bin/systemd-nspawn')) return 'systemd lab nodes need systemd-nspawn (apt-get install systemd-container)';
  return undefined;
}

export function addressOf(node: string): string {
  const n = readLabState()?.nodes.find((x) => x.name === node);
  if (!n) throw new Error(`${node} is not in the lab`);
  return n.address;
}

/** Runs a command on a lab node over OpenSSH (the lab key and known_hosts, strict checking). */
export function labSsh(node: string, command: string): { code: number; stdout: string; stderr: string } {
  const p = spawnSync(
    'ssh',
    ['-i', KEY_FILE, '-o', `UserKnownHostsFile=${KNOWN_HOSTS_FILE}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=5', `root@${addressOf(node)}`, command],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: p.status ?? -1, stdout: p.stdout ?? '', stderr: p.stderr ?? '' };
}

/** Which namespace holds an address right now: the node really answering for the floating IP. */
export function nodeHolding(address: string): string | undefined {
  for (const node of readLabState()?.nodes.filter((n) => n.running) ?? []) {
    const out = spawnSync('ip', ['netns', 'exec', `keel-${node.name}`, 'ip', '-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
    if (out.includes(` ${address}/`)) return node.name;
  }
  return undefined;
}

/** Everything the lab could leave behind: namespaces, links, mounts, processes, cgroups. Empty when clean. */
export function labLeftovers(): string[] {
  const found: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const l of netns.split('\n')) if (/^keel-/.test(l)) found.push(`netns ${l.split(' ')[0]}`);
  for (const l of readdirSync('/sys/class/net')) if (/^keel/.test(l)) found.push(`link ${l}`);
  for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) if (l.includes('/keel-lab/')) found.push(`mount ${l.split(' ')[1]}`);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const root = require('node:fs').readlinkSync(`/proc/${pid}/root`);
      if (root.includes('/keel-lab/')) found.push(`process ${pid} (root ${root})`);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('apt-cacher-ng') && cmd.includes('keel')) found.push(`process ${pid} apt-cacher-ng`);
      // A systemd node's nspawn runs in this machine's root; its argv names the node's root.
      if (cmd.includes('systemd-nspawn') && cmd.includes('/keel-lab/')) found.push(`process ${pid} systemd-nspawn`);
    } catch {
      /* gone meanwhile */
    }
  }
  for (const d of labCgroups()) found.push(`cgroup ${d}`);
  for (const d of ['/run/systemd/nspawn/propagate']) {
    try {
      for (const m of readdirSync(d)) if (/^node\d+$/.test(m)) found.push(`nspawn dir ${d}/${m}`);
    } catch {
      /* no nspawn ever ran here */
    }
  }
  return found;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
