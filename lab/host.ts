// Preconditions on the machine that runs the lab: Linux, root, and the Debian tools the lab calls.
import { $ } from 'zx';
import { LabError } from './errors';

export function requireRootLinux(): void {
  if (process.platform !== 'linux') {
    throw new LabError(`keel lab needs Linux (network namespaces, overlayfs); this is ${process.platform}`, 2);
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new LabError('keel lab needs root (namespaces, mounts, bridges): run it as root', 2);
  }
}

/** Package name -> a file it provides, so we only call apt-get when something is missing. */
const NEEDED: Record<string, string> = {
  debootstrap: '/usr/sbin/debootstrap',
  'apt-cacher-ng': '/usr/sbin/apt-cacher-ng',
  iproute2: '/usr/bin/ip',
  'openssh-client': '/usr/bin/ssh-keygen',
  psmisc: '/usr/bin/killall',
};

const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Installs missing Debian packages non-interactively; `extra` adds more name -> file pairs. */
export async function ensureHostPackages(extra: Record<string, string> = {}): Promise<void> {
  const { existsSync } = await import('node:fs');
  const all = { ...NEEDED, ...extra };
  const missing = Object.keys(all).filter((p) => !existsSync(all[p]));
  if (missing.length === 0) return;
  process.stderr.write(`lab: installing host packages: ${missing.join(' ')}\n`);
  // Without an init system the packages' postinst cannot start daemons (invoke-rc.d blocks),
  // so apt-cacher-ng is not running afterwards; the lab starts its own instance.
  const install = () =>
    $({ env })`apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ${missing}`;
  try {
    await install();
  } catch {
    await $({ env })`apt-get update`;
    await install();
  }
}
