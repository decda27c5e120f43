// A node's root filesystem: an overlay of the shared base, with the node's own files in its upper dir.
import { $ } from 'zx';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { APT_PROXY, BASE_DIR, type NodeKind, parseNodeKind, SYSTEMD_LAYER, type NodePaths } from './paths';
import { INIT_PATH, INIT_SCRIPT } from './initscript';

export function isMounted(path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === path);
}

/** The kind of init a node was made with; a node from before kinds existed is `keel`. */
export function nodeKind(p: NodePaths): NodeKind {
  return existsSync(p.kindFile) ? parseNodeKind(readFileSync(p.kindFile, 'utf8').trim()) : 'keel';
}

export function setNodeKind(p: NodePaths, kind: NodeKind): void {
  mkdirSync(p.dir, { recursive: true });
  writeFileSync(p.kindFile, `${kind}\n`);
}

/** The node's overlay: its upper dir over the base, and for a systemd node over the systemd layer too. */
export async function mountRoot(p: NodePaths): Promise<void> {
  if (isMounted(p.root)) return;
  for (const d of [p.upper, p.work, p.root]) mkdirSync(d, { recursive: true });
  const lower = nodeKind(p) === 'systemd' ? `${SYSTEMD_LAYER}:${BASE_DIR}` : BASE_DIR;
  await $`mount -t overlay ${'keel-' + p.name} -o ${`lowerdir=${lower},upperdir=${p.upper},workdir=${p.work}`} ${p.root}`;
}

export async function unmountRoot(p: NodePaths): Promise<void> {
  if (!isMounted(p.root)) return;
  const r = await $`umount ${p.root}`.nothrow();
  // Busy only if something outside the node still uses it; detach so `down` always completes.
  if (r.exitCode !== 0) await $`umount -l ${p.root}`;
}

/** /etc/hosts for every lab node, so corosync/pacemaker resolve node names without DNS. */
export function hostsFile(nodes: { name: string; address: string }[]): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    '',
    '# keel lab nodes',
    ...nodes.map((n) => `${n.address}\t${n.name}`),
    '',
  ].join('\n');
}

export function writeHosts(p: NodePaths, nodes: { name: string; address: string }[]): void {
  writeFileSync(`${p.root}/etc/hosts`, hostsFile(nodes));
}

const SSHD_CONF = `# Written by keel lab (lab/rootfs.ts).
PermitRootLogin prohibit-password
UseDNS no
`;

/** Files a new node needs; only ever adds to the upper dir, so a rebooted node keeps its changes. */
export async function prepareNode(p: NodePaths, mirror: string, labPublicKey: string): Promise<void> {
  const r = p.root;
  writeFileSync(`${r}/etc/hostname`, `${p.name}\n`);
  if (!existsSync(`${r}/etc/ssh/ssh_host_ed25519_key`)) {
    // The host's ssh-keygen with -f as an alternate root: keys land in this node's upper dir only.
    await $`ssh-keygen -A -f ${r}`;
  }
  mkdirSync(`${r}/root/.ssh`, { recursive: true, mode: 0o700 });
  chmodSync(`${r}/root/.ssh`, 0o700);
  writeFileSync(`${r}/root/.ssh/authorized_keys`, labPublicKey.trim() + '\n', { mode: 0o600 });
  mkdirSync(`${r}/etc/ssh/sshd_config.d`, { recursive: true });
  writeFileSync(`${r}/etc/ssh/sshd_config.d/keel.conf`, SSHD_CONF);
  writeFileSync(`${r}/etc/apt/apt.conf.d/01keel-proxy`, `Acquire::http::Proxy "${APT_PROXY}";\n`);
  writeFileSync(`${r}/etc/apt/sources.list`, `deb ${mirror} bookworm main\n`);
}

/** (Re)writes the lab's init before every start, so a node always boots with the current one. */
export function installInit(p: NodePaths): void {
  writeFileSync(`${p.root}${INIT_PATH}`, INIT_SCRIPT, { mode: 0o755 });
  chmodSync(`${p.root}${INIT_PATH}`, 0o755);
}

/** `198.18.0.11 ssh-ed25519 AAAA...` for known_hosts, from the node's own host key. */
export function knownHostsLine(p: NodePaths): string | null {
  const f = `${p.root}/etc/ssh/ssh_host_ed25519_key.pub`;
  if (!existsSync(f)) return null;
  const [type, key] = readFileSync(f, 'utf8').trim().split(/\s+/);
  return `${p.address} ${type} ${key}`;
}
