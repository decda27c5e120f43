// apt-cacher-ng on the bridge: nodes have no route out, so their apt goes through this proxy, and
// packages are downloaded once for all nodes (a shared /var/cache/apt/archives would lock instead).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { APT_PROXY_PORT, BRIDGE_ADDRESS, CACHE_DIR, LAB_DIR } from './paths';
import { alive, killAndWait, readPid, removePid, sleep, spawnDetached, waitForPort, writePid } from './proc';
import { LabError } from './errors';

const CONF_DIR = `${LAB_DIR}/apt-cacher-ng`;
const PID_FILE = `${CONF_DIR}/pid`;
const LOG_FILE = `${CONF_DIR}/console.log`;
// Outside LAB_DIR's per-run files so downloaded packages survive `down`.
const STORE_DIR = `${CACHE_DIR}/apt-cacher-ng`;

/** The lab's own config dir (not /etc/apt-cacher-ng): the host's apt-cacher-ng setup is left as it is. */
function writeConfig(mirror: string): void {
  mkdirSync(`${CONF_DIR}/log`, { recursive: true });
  mkdirSync(STORE_DIR, { recursive: true });
  const mirrorPrefix = mirror.replace(/^[a-z]+:\/\//, '');
  writeFileSync(
    `${CONF_DIR}/keel.conf`,
    [
      '# Written by keel lab (lab/aptcache.ts).',
      `CacheDir: ${STORE_DIR}`,
      `LogDir: ${CONF_DIR}/log`,
      'SupportDir: /usr/lib/apt-cacher-ng',
      `BindAddress: ${BRIDGE_ADDRESS}`,
      `Port: ${APT_PROXY_PORT}`,
      `SocketPath: ${CONF_DIR}/socket`,
      // Any Debian mirror name a node asks for is served from the host's own mirror, the only one
      // reachable here (the default backend list does not resolve).
      `Remap-debrep: file:deb_mirror*.gz /debian ${mirrorPrefix} ; ${mirror}/`,
      'ExThreshold: 4',
      '',
    ].join('\n'),
  );
}

export function aptCacheRunning(): boolean {
  const pid = readPid(PID_FILE);
  return pid !== null && alive(pid);
}

export async function startAptCache(mirror: string): Promise<void> {
  writeConfig(mirror);
  if (!aptCacheRunning()) {
    const pid = spawnDetached(['/usr/sbin/apt-cacher-ng', '-c', CONF_DIR, 'ForeGround=1'], LOG_FILE);
    writePid(PID_FILE, pid);
  }
  if (!(await waitForPort(BRIDGE_ADDRESS, APT_PROXY_PORT, 10000))) {
    throw new LabError(`apt-cacher-ng did not listen on ${BRIDGE_ADDRESS}:${APT_PROXY_PORT}; see ${LOG_FILE}`);
  }
}

/** Stops only the instance the lab started (its pid file), never a host-wide one. */
export async function stopAptCache(): Promise<void> {
  const pid = readPid(PID_FILE);
  if (pid !== null && alive(pid)) {
    await killAndWait(pid, 3000, 'SIGTERM');
    if (alive(pid)) await killAndWait(pid);
    // Its parent is the machine's PID 1, which reaps on its own schedule; give it a moment so
    // `down` leaves no <defunct> entry behind when it can.
    for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await sleep(100);
  }
  removePid(PID_FILE);
}
