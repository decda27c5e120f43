/**
 * Shared helpers for the fault-injection specs (spec/faults/*.spec.ts). Not a spec itself.
 * Everything here only touches 127.0.0.1, processes this run started, and network namespaces
 * named `keelf-*` that it creates and deletes itself.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type CliRun } from '../helpers/cli';
import type { SshdFleet } from '../helpers/sshd';

export const FIXTURES = join(__dirname, 'fixtures');

/** An inventory for a fleet: every host on 127.0.0.1 with `vars.root` its own directory. */
export function fleetInventory(
  fleet: SshdFleet,
  opts: { defaults?: Record<string, unknown>; vars?: (name: string, root: string) => Record<string, unknown>; extra?: Record<string, unknown> } = {},
): Record<string, unknown> & { hosts: Record<string, Record<string, unknown>> } {
  return {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, connectTimeoutSeconds: 3, ...opts.defaults },
    hosts: Object.fromEntries(
      fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root, ...opts.vars?.(h.name, h.root) } }]),
    ),
    ...opts.extra,
  };
}

/** The parent of every process, read from /proc. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(entry), ppid);
    } catch {
      /* exited meanwhile */
    }
  }
  return map;
}

/** Every live (non-zombie) descendant of `pid`, with its command line. */
export function descendants(pid: number): { pid: number; cmdline: string }[] {
  const ppids = parents();
  const out: { pid: number; cmdline: string }[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of ppids) {
      if (parent !== p) continue;
      let cmdline = '';
      let zombie = false;
      try {
        cmdline = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim();
        zombie = / Z /.test(readFileSync(`/proc/${child}/stat`, 'utf8').slice(-200).replace(/^.*\) /, ' '));
      } catch {
        continue;
      }
      if (!zombie) out.push({ pid: child, cmdline });
      walk(child);
    }
  };
  walk(pid);
  return out;
}

/**
 * Kills an sshd listener and every sshd process under it (the per-connection monitor and
 * session processes): the host's SSH side dies, as on a crash. The users' commands are left
 * alone, as a real sshd crash leaves them: SIGKILLing a login shell can leave a lock of the
 * shell's start-up files behind (pyenv's rehash lock did, on this machine).
 */
export function killSshdTree(listenerPid: number): number[] {
  const comm = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const tree = descendants(listenerPid).map((d) => d.pid).filter((pid) => comm(pid) === 'sshd');
  const killed: number[] = [];
  for (const pid of [listenerPid, ...tree]) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      /* already gone */
    }
  }
  return killed;
}

/** Every `.keel.*` temporary file under `dir`. */
export function keelTempFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      if (e.startsWith('.keel.')) found.push(p);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch {
        /* gone */
      }
    }
  };
  walk(dir);
  return found;
}

/** A CLI run whose child the test can signal; `done` resolves with its outcome and wall time. */
export function spawnCli(playbookFile: string, args: string[]): { child: ChildProcess; output: () => string; done: Promise<CliRun & { ms: number }> } {
  const started = Date.now();
  const child = spawn(process.execPath, ['-r', 'ts-node/register', playbookFile, ...args], {
    cwd: repoRoot,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun & { ms: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : -2), stdout, stderr, ms: Date.now() - started })),
  );
  return { child, output: () => stdout + stderr, done };
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const BLACKHOLE_NS = 'keelf-blackhole';
export const BLACKHOLE_ADDRESS = '198.19.250.2';

/**
 * An address where TCP SYNs vanish without an answer (no RST, no ICMP): a veth pair into a
 * namespace of our own whose end has no address, with a permanent neighbour entry so the
 * host never even waits on ARP. The namespace (and with it the veth pair) is deleted by `remove`.
 */
export function createBlackhole(): { address: string; remove: () => void } {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const remove = () => {
    try {
      ip('netns', 'del', BLACKHOLE_NS);
    } catch {
      /* not there */
    }
    try {
      ip('link', 'del', 'keelf-bh0');
    } catch {
      /* went with the namespace */
    }
  };
  remove();
  try {
    ip('netns', 'add', BLACKHOLE_NS);
    ip('link', 'add', 'keelf-bh0', 'type', 'veth', 'peer', 'name', 'keelf-bh1');
    ip('link', 'set', 'keelf-bh1', 'netns', BLACKHOLE_NS);
    ip('addr', 'add', '198.19.250.1/30', 'dev', 'keelf-bh0');
    ip('link', 'set', 'keelf-bh0', 'up');
    ip('-n', BLACKHOLE_NS, 'link', 'set', 'keelf-bh1', 'up');
    const mac = /link\/ether ([0-9a-f:]+)/.exec(ip('-n', BLACKHOLE_NS, '-o', 'link', 'show', 'keelf-bh1'))![1];
    ip('neigh', 'replace', BLACKHOLE_ADDRESS, 'lladdr', mac, 'dev', 'keelf-bh0', 'nud', 'permanent');
  } catch (err) {
    remove();
    throw err;
  }
  return { address: BLACKHOLE_ADDRESS, remove };
}

/** Resolves with how a TCP connect to address:port ends within `ms`: 'connected', an error code, or 'pending'. */
export async function probeConnect(address: string, port: number, ms: number): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, address);
    const timer = setTimeout(() => {
      s.destroy();
      resolve('pending');
    }, ms);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? e.message);
    });
  });
}
