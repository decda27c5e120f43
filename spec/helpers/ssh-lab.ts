/**
 * Real OpenSSH servers for the ssh-config, key and ProxyJump specs: one sshd with its own host
 * key, log file and authorized keys, optionally inside a network namespace; and a two-namespace
 * network where a target is reachable only through a bastion. Everything here touches only
 * 127.0.0.1, 203.0.113.248/29 inside namespaces named `keelj-*` that it creates and deletes itself,
 * and processes it started. (Not 198.18.0.0/15: that is the lab's, whose bridge route would be
 * shadowed by ours while a lab or a benchmark runs. 203.0.113.0/24 is TEST-NET-3, documentation
 * only, never routed on the Internet.)
 */
import { NO_LOGIN_RC } from '../../lab/sshd-login-rc';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabSshd {
  name: string;
  address: string;
  port: number;
  /** `[address]:port` or `address` (port 22), with the key, as a known_hosts line. */
  knownHostsLine: string;
  /** The host key's SHA256 fingerprint as ssh-keygen -lf prints it. */
  fingerprint: string;
  logFile: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  name: string;
  dir: string;
  address: string;
  port: number;
  authorizedKeys: string;
  logLevel?: 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG1';
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
}

/** Starts sshd -D with its log in a file; resolves once it says it is listening. */
export async function startLabSshd(o: SshdOptions): Promise<LabSshd> {
  const hdir = join(o.dir, o.name);
  mkdirSync(hdir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = join(hdir, 'ssh_host_ed25519_key');
  if (!existsSync(hostKey)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const conf = join(hdir, 'sshd_config');
  const logFile = join(hdir, 'sshd.log');
  writeFileSync(logFile, '');
  writeFileSync(
    conf,
    [
      `Port ${o.port}`,
      `ListenAddress ${o.address}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(hdir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${o.authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'UsePAM no',
      'StrictModes no',
      'UseDNS no',
      ...NO_LOGIN_RC,
      `LogLevel ${o.logLevel ?? 'VERBOSE'}`,
      '',
    ].join('\n'),
  );
  const argv = ['/usr/sbin/sshd', '-D', '-f', conf, '-E', logFile];
  const proc = o.netns ? spawn('ip', ['netns', 'exec', o.netns, ...argv], { stdio: 'ignore' }) : spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  const pub = readFileSync(hostKey + '.pub', 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-lf', hostKey + '.pub']).toString().split(' ')[1];
  const log = () => readFileSync(logFile, 'utf8');
  const until = Date.now() + 10_000;
  while (!/Server listening on/.test(log())) {
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`sshd ${o.name} did not start: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: o.name,
    address: o.address,
    port: o.port,
    knownHostsLine: `${o.port === 22 ? o.address : `[${o.address}]:${o.port}`} ${pub}`,
    fingerprint,
    logFile,
    process: proc,
    log,
    stop: () => stopProcess(proc),
  };
}

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

export const JUMP_NS = { bastion: 'keelj-a', target: 'keelj-b' } as const;
/** The controller's side and the bastion's side of the first link (203.0.113.248/30). */
export const CONTROLLER_ADDRESS = '203.0.113.249';
export const BASTION_ADDRESS = '203.0.113.250';
/** The bastion's side and the target's side of the second link (203.0.113.252/30). */
export const BASTION_INNER_ADDRESS = '203.0.113.253';
export const TARGET_ADDRESS = '203.0.113.254';
const TARGET_NET = '203.0.113.252/30';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const quiet = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status === 0;

/**
 * controller (root namespace) ── keelj-0 / keelj-a0 ── keelj-a (bastion) ── keelj-a1 / keelj-b0 ── keelj-b (target)
 *
 * The root namespace has a route only to 203.0.113.248/30, and an `unreachable` route for the
 * target's network: without it, a packet for 203.0.113.254 would follow this machine's default
 * route off the machine. The bastion does not forward. So the target is reachable only through
 * a connection the bastion's sshd opens (direct-tcpip).
 */
export function createJumpNetwork(): { remove: () => void } {
  removeJumpNetwork();
  try {
    ip('netns', 'add', JUMP_NS.bastion);
    ip('netns', 'add', JUMP_NS.target);
    ip('link', 'add', 'keelj-0', 'type', 'veth', 'peer', 'name', 'keelj-a0');
    ip('link', 'set', 'keelj-a0', 'netns', JUMP_NS.bastion);
    ip('addr', 'add', `${CONTROLLER_ADDRESS}/30`, 'dev', 'keelj-0');
    ip('link', 'set', 'keelj-0', 'up');
    ip('route', 'add', 'unreachable', TARGET_NET);
    ip('-n', JUMP_NS.bastion, 'addr', 'add', `${BASTION_ADDRESS}/30`, 'dev', 'keelj-a0');
    ip('-n', JUMP_NS.bastion, 'link', 'set', 'keelj-a0', 'up');
    ip('-n', JUMP_NS.bastion, 'link', 'set', 'lo', 'up');
    ip('-n', JUMP_NS.bastion, 'link', 'add', 'keelj-a1', 'type', 'veth', 'peer', 'name', 'keelj-b0');
    ip('-n', JUMP_NS.bastion, 'link', 'set', 'keelj-b0', 'netns', JUMP_NS.target);
    ip('-n', JUMP_NS.bastion, 'addr', 'add', `${BASTION_INNER_ADDRESS}/30`, 'dev', 'keelj-a1');
    ip('-n', JUMP_NS.bastion, 'link', 'set', 'keelj-a1', 'up');
    ip('-n', JUMP_NS.target, 'addr', 'add', `${TARGET_ADDRESS}/30`, 'dev', 'keelj-b0');
    ip('-n', JUMP_NS.target, 'link', 'set', 'keelj-b0', 'up');
    ip('-n', JUMP_NS.target, 'link', 'set', 'lo', 'up');
    execFileSync('ip', ['netns', 'exec', JUMP_NS.bastion, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0']);
  } catch (err) {
    removeJumpNetwork();
    throw err;
  }
  return { remove: removeJumpNetwork };
}

/** Kills every process left in our namespaces (by pid: they can only be ours), then deletes them, the links and the route. */
export function removeJumpNetwork(): void {
  for (const ns of Object.values(JUMP_NS)) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    quiet('netns', 'del', ns);
  }
  quiet('link', 'del', 'keelj-0');
  quiet('route', 'del', 'unreachable', TARGET_NET);
}

/** Namespaces need root and ip(8); the reason they cannot be made here, or undefined. */
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, sshd)';
  if (!existsSync('/usr/sbin/sshd')) return 'needs /usr/sbin/sshd (apt-get install openssh-server)';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return 'needs ip netns (iproute2, namespaces)';
  return undefined;
}
