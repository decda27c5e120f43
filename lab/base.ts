// The base root: debootstrapped once, shared read-only by all nodes as their overlay lowerdir.
import { $ } from 'zx';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { APT_PROXY, BASE_DIR, BASE_STAMP, CACHE_DIR } from './paths';

export const BASE_PACKAGES = ['openssh-server', 'iproute2', 'procps', 'iputils-ping', 'psmisc', 'ca-certificates'];

export const baseReady = () => existsSync(BASE_STAMP);

/**
 * Debootstraps bookworm into BASE_DIR through the lab's apt cache (so a rebuild costs no
 * downloads). A base without the stamp file is a half-made one from an interrupted run: rebuilt.
 */
export async function ensureBase(mirror: string, log: (s: string) => void): Promise<void> {
  if (baseReady()) return;
  mkdirSync(CACHE_DIR, { recursive: true });
  rmSync(BASE_DIR, { recursive: true, force: true });
  log(`debootstrap bookworm from ${mirror} (once; cached in ${BASE_DIR})`);
  const env = { ...process.env, http_proxy: APT_PROXY, DEBIAN_FRONTEND: 'noninteractive' };
  await $({ env })`debootstrap --variant=minbase --include=${BASE_PACKAGES.join(',')} bookworm ${BASE_DIR} ${mirror}`;
  // Each node gets its own host keys (in its upper dir); a shared set would make all nodes one host to ssh.
  await $`sh -c ${'rm -f "$1"/etc/ssh/ssh_host_*'} sh ${BASE_DIR}`;
  // Leftovers of the build host that must not leak into nodes.
  rmSync(`${BASE_DIR}/etc/hostname`, { force: true });
  writeFileSync(`${BASE_DIR}/etc/resolv.conf`, '# keel lab: no DNS; lab names are in /etc/hosts\n');
  writeFileSync(BASE_STAMP, `${new Date().toISOString()} ${mirror}\n`);
}
