// Light hosts for fan-out benchmarks: many network namespaces on the lab bridge, each running the
// host's own sshd (no separate root filesystem), so hundreds of SSH targets cost a few MB each.
import { NO_LOGIN_RC } from './sshd-login-rc';
import { $ } from 'zx';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { KEY_FILE, LAB_DIR } from './paths';
import { deleteNetns, ensureBridgeWide, listNetns, plugIn, unplug, BRIDGE_WIDE_PREFIX } from './network';
import { alive, killAndWait, readPid, spawnDetached, waitForPort } from './proc';
import { ensureHostPackages, requireRootLinux } from './host';
import { LabError } from './errors';

const LIGHT_DIR = `${LAB_DIR}/light`;
export const LIGHT_KNOWN_HOSTS = `${LIGHT_DIR}/known_hosts`;
const AUTHORIZED_KEYS = `${LIGHT_DIR}/authorized_keys`;
const PER_SUBNET = 250; // .2 .. .251 in each of 198.18.1.x, 198.18.2.x, ...

export interface LightHost {
  name: string;
  address: string;
}
export interface LightHosts {
  hosts: LightHost[];
  keyFile: string;
  knownHostsFile: string;
}

/** Light host i (1-based) -> 198.18.1.2, ..., 198.18.1.251, 198.18.2.2, ...: all inside 198.18.0.0/15. */
export function lightAddress(i: number): string {
  if (!Number.isInteger(i) || i < 1 || i > PER_SUBNET * 254) throw new TypeError(`light host index out of range: ${i}`);
  const third = 1 + Math.floor((i - 1) / PER_SUBNET);
  if (third > 255) throw new TypeError(`light host index out of range: ${i}`);
  return `198.18.${third}.${2 + ((i - 1) % PER_SUBNET)}`;
}

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');

function lightPaths(i: number) {
  const dir = `${LIGHT_DIR}/lh${i}`;
  return {
    name: `lh${i}`,
    dir,
    netns: `keel-lh${i}`,
    hostVeth: `keel-l${i}`,
    address: lightAddress(i),
    mac: `02:6b:66:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`,
    hostMac: `02:6b:67:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`,
    hostKey: `${dir}/ssh_host_ed25519_key`,
    conf: `${dir}/sshd_config`,
    pidFile: `${dir}/sshd.pid`,
    log: `${dir}/sshd.log`,
  };
}

function sshdConfig(p: ReturnType<typeof lightPaths>): string {
  return [
    '# Written by keel lab (lab/lighthosts.ts).',
    `ListenAddress ${p.address}`,
    'Port 22',
    `HostKey ${p.hostKey}`,
    `PidFile ${p.pidFile}`,
    `AuthorizedKeysFile ${AUTHORIZED_KEYS}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    ...NO_LOGIN_RC,
    // Fan-out opens many connections at once; don't let sshd drop them as a flood.
    'MaxStartups 1000:30:2000',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/** Starts `count` light hosts lh<firstIndex>..; already-running ones are left alone. */
export async function startLightHosts(count: number, opts: { firstIndex?: number } = {}): Promise<LightHosts> {
  const first = opts.firstIndex ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`count must be a positive integer, got ${count}`);
  if (!Number.isInteger(first) || first < 1) throw new TypeError(`firstIndex must be a positive integer, got ${first}`);
  requireRootLinux();
  await ensureHostPackages({ 'openssh-server': '/usr/sbin/sshd' });
  await ensureBridgeWide();
  mkdirSync(LIGHT_DIR, { recursive: true, mode: 0o700 });
  if (!existsSync(KEY_FILE)) {
    mkdirSync(LAB_DIR, { recursive: true, mode: 0o700 });
    await $`ssh-keygen -q -t ed25519 -N ${''} -C keel-lab -f ${KEY_FILE}`;
  }
  writeFileSync(AUTHORIZED_KEYS, readFileSync(`${KEY_FILE}.pub`, 'utf8'), { mode: 0o600 });
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory

  const all = Array.from({ length: count }, (_, k) => lightPaths(first + k));
  for (const p of all) {
    mkdirSync(p.dir, { recursive: true });
    if (!existsSync(p.hostKey)) await $`ssh-keygen -q -t ed25519 -N ${''} -C ${p.name} -f ${p.hostKey}`;
    writeFileSync(p.conf, sshdConfig(p));
    await plugIn({ netns: p.netns, hostVeth: p.hostVeth, address: p.address, prefix: BRIDGE_WIDE_PREFIX, mac: p.mac, hostMac: p.hostMac });
    const pid = readPid(p.pidFile);
    if (pid === null || !alive(pid)) {
      spawnDetached(['ip', 'netns', 'exec', p.netns, '/usr/sbin/sshd', '-D', '-f', p.conf, '-E', p.log], '/dev/null');
    }
  }
  const ok = await Promise.all(all.map((p) => waitForPort(p.address, 22, 30000)));
  const dead = all.filter((_, i) => !ok[i]).map((p) => p.name);
  if (dead.length) throw new LabError(`light hosts did not answer ssh: ${dead.join(', ')}`);

  // Known hosts for every light host present, not only this batch.
  const lines = readdirSync(LIGHT_DIR)
    .filter((d) => /^lh\d+$/.test(d))
    .map((d) => lightPaths(Number(d.slice(2))))
    .filter((p) => existsSync(`${p.hostKey}.pub`))
    .map((p) => {
      const [type, key] = readFileSync(`${p.hostKey}.pub`, 'utf8').trim().split(/\s+/);
      return `${p.address} ${type} ${key}`;
    });
  writeFileSync(LIGHT_KNOWN_HOSTS, lines.join('\n') + '\n');
  return { hosts: all.map((p) => ({ name: p.name, address: p.address })), keyFile: KEY_FILE, knownHostsFile: LIGHT_KNOWN_HOSTS };
}

/** Stops every light host and removes its namespace, veth and files. */
export async function stopLightHosts(): Promise<void> {
  if (existsSync(LIGHT_DIR)) {
    for (const d of readdirSync(LIGHT_DIR).filter((d) => /^lh\d+$/.test(d))) {
      const p = lightPaths(Number(d.slice(2)));
      const pid = readPid(p.pidFile);
      if (pid !== null && alive(pid)) await killAndWait(pid, 3000, 'SIGTERM');
      await unplug(p.hostVeth);
      await deleteNetns(p.netns);
    }
  }
  for (const ns of await listNetns('keel-lh')) await deleteNetns(ns);
  rmSync(LIGHT_DIR, { recursive: true, force: true });
}
