import { NO_LOGIN_RC } from '../../lab/sshd-login-rc';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real OpenSSH server on 127.0.0.1, with keys generated for this run only. */
export interface TestSshd {
  name: string;
  port: number;
  /** A directory of its own, standing in for the host's filesystem. */
  root: string;
  process: ChildProcess;
  hostPublicKey: string;
  stop(): Promise<void>;
}

export interface SshdFleet {
  dir: string;
  clientKey: string;
  knownHosts: string;
  hosts: TestSshd[];
  stop(): Promise<void>;
}

/** Why real-sshd tests cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (sshd with privilege separation)';
  if (!existsSync('/usr/sbin/sshd')) return 'needs /usr/sbin/sshd (apt-get install openssh-server)';
  return undefined;
}


export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts `count` sshd processes, each on its own port with its own host key. */
export async function startSshdFleet(count: number): Promise<SshdFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-sshd-'));
  const clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  mkdirSync('/run/sshd', { recursive: true });
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(clientKey + '.pub'), { mode: 0o644 });
  // sshd reads authorized_keys as the user logging in: non-root users (become tests) need to reach it.
  chmodSync(dir, 0o755);
  const hosts: TestSshd[] = [];
  const knownLines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `host${i}`;
    const hdir = join(dir, name);
    const root = join(hdir, 'root');
    mkdirSync(root, { recursive: true });
    const hostKey = join(hdir, 'ssh_host_ed25519_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    const port = await freePort();
    const conf = join(hdir, 'sshd_config');
    writeFileSync(
      conf,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(hdir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'UseDNS no',
        'LogLevel ERROR',
        ...NO_LOGIN_RC,
        '',
      ].join('\n'),
    );
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const pub = readFileSync(hostKey + '.pub', 'utf8').trim().split(' ').slice(0, 2).join(' ');
    knownLines.push(`[127.0.0.1]:${port} ${pub}`);
    const host: TestSshd = {
      name,
      port,
      root,
      process: proc,
      hostPublicKey: pub,
      stop: () => stopProcess(proc),
    };
    hosts.push(host);
  }
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownLines.join('\n') + '\n');
  await Promise.all(hosts.map((h) => waitForPort(h.port)));
  return {
    dir,
    clientKey,
    knownHosts,
    hosts,
    async stop() {
      await Promise.all(hosts.map((h) => h.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`sshd on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
