import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import pLimit from 'p-limit';
import type { AnyAuthMethod, AuthenticationType, Client, ConnectConfig, ParsedKey } from 'ssh2';
import { HostKeyError, TimeoutError, UnreachableError } from '../errors';
import { knownKeyTypes, parseKnownHosts, verifyHostKey, type HostKeyPolicy, type KnownKey } from '../known-hosts';
import { quote } from '../quote';
import { sshClient } from './ssh2';
import type { Connection, ExecOptions, ExecResult } from '../types';

/** A private key, already read (and decrypted) before any connection; `file` names it in messages. */
export interface SshKey {
  file: string;
  key: ParsedKey;
}

/** One SSH server on the way: a jump host (ProxyJump) or the target itself. */
export interface SshEndpoint {
  /** The name messages use: the inventory host, or the jump host as ProxyJump names it. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Keys tried in order (after the agent, if any). */
  keys?: SshKey[];
  /** A private key file read at connect time (older callers; `keys` is read up front). */
  keyFile?: string;
  /** An ssh-agent socket; its keys are tried first, as OpenSSH does. */
  agent?: string;
  /** Password authentication (secret: never printed). */
  password?: string;
  hostKeys: HostKeyPolicy;
}

export interface SshTarget extends SshEndpoint {
  /** Run commands through sudo (when the login user is not the become user). */
  become: boolean;
  /** The user sudo runs commands as (`sudo -u`); root when unset. */
  becomeUser?: string;
  becomePassword?: string;
  connectTimeoutMs: number;
  /** ProxyJump: the jump hosts, first hop first. Each one's host key is checked like the target's. */
  jumps?: SshEndpoint[];
}

/** OpenSSH allows 10 sessions per connection by default (MaxSessions); stay below it. */
const MAX_CHANNELS = 8;

/** One SSH connection per host for the whole run; every command is an exec channel on it. */
export class SshConnection implements Connection {
  /** Made once the first hop's TCP connection is under way (loading ssh2's client is ~30 ms). */
  private client!: Client;
  /** The jump hosts' connections, first hop first; the target's connection runs through the last. */
  private jumpClients: Client[] = [];
  private lost?: Error;
  private limit = pLimit(MAX_CHANNELS);

  private constructor(private readonly target: SshTarget) {}

  get host(): string {
    return this.target.name;
  }

  static async open(target: SshTarget): Promise<SshConnection> {
    const conn = new SshConnection(target);
    try {
      await conn.connect();
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  }

  private async connect(): Promise<void> {
    const t = this.target;
    const known = parseKnownHosts(readIfExists(t.hostKeys.file));
    const hops = t.jumps ?? [];
    // The first hop's TCP connection opens before ssh2's client loads: see dial.
    const dialled = await dial(hops[0] ?? t);
    let sock: Duplex | undefined = dialled;
    try {
      this.client = new (sshClient())();
      for (const [i, hop] of hops.entries()) {
        const via = `jump host ${hop.name}`;
        const client = new (sshClient())();
        this.jumpClients.push(client);
        await this.handshake(client, hop, known, sock, via);
        // After set-up, a jump host's trouble shows as the target's connection closing.
        client.on('error', () => {});
        const next = hops[i + 1] ?? t;
        sock = await forward(client, next).catch((err: Error) => {
          throw new UnreachableError(t.name, `${via} could not reach ${next.address}:${next.port}: ${err.message}`);
        });
      }
      await this.handshake(this.client, t, known, sock);
    } catch (err) {
      // ssh2 closes a socket it has taken; one it never took (set-up failed before) is closed here.
      dialled?.destroy();
      throw err;
    }
  }

  /** Connects and authenticates one client to one endpoint, over `sock` when it is behind a jump host. */
  private handshake(client: Client, e: SshEndpoint, known: KnownKey[], sock: Duplex | undefined, via?: string): Promise<void> {
    const t = this.target;
    const isTarget = client === this.client;
    let hostKeyError: Error | undefined;
    const tried: string[] = [];
    const config: ConnectConfig = {
      username: e.user,
      readyTimeout: t.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        try {
          verifyHostKey(t.name, e.address, e.port, key, e.hostKeys);
          return true;
        } catch (err) {
          hostKeyError = via && err instanceof HostKeyError ? new HostKeyError(t.name, `${via}: ${err.reason}`) : (err as Error);
          return false;
        }
      },
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(known, e.address, e.port)) },
      authHandler: authHandler(e, tried),
    };
    if (sock) config.sock = sock;
    else {
      config.host = e.address;
      config.port = e.port;
    }
    const fail = (reason: string) => new UnreachableError(t.name, via ? `${via}: ${reason}` : reason);

    return new Promise((resolve, reject) => {
      let ready = false;
      client
        .on('ready', () => {
          ready = true;
          resolve();
        })
        .on('error', (err: Error & { level?: string }) => {
          if (ready) {
            if (isTarget) this.lost = new UnreachableError(t.name, `connection lost: ${err.message}`);
            return;
          }
          // An agent that cannot be reached (a stale SSH_AUTH_SOCK): ssh2 goes on with the next method.
          if (err.level === 'agent') {
            const i = tried.indexOf('ssh-agent');
            if (i >= 0) tried[i] = `ssh-agent (${err.message})`;
            return;
          }
          if (hostKeyError) return reject(hostKeyError);
          reject(fail(explainConnectError(err, e, t.connectTimeoutMs, tried)));
        })
        .on('close', () => {
          if (ready && isTarget && !this.lost) this.lost = new UnreachableError(t.name, 'connection closed by the host');
          if (!ready) reject(hostKeyError ?? fail('connection closed during set-up'));
        })
        .connect(config);
      // Without TCP_NODELAY, a channel opened right after another closed waits for the host's
      // delayed ACK of our close (~40 ms on Linux, measured): every round trip after the first paid it.
      client.setNoDelay(true);
    });
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.limit(() => this.execNow(command, options));
  }

  private execNow(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.lost) return Promise.reject(this.lost);
    const t = this.target;
    // A command that kills its own parts still runs in sh, whatever the login shell is.
    let remote = options.deadlinesOnHost ? `exec sh -c ${quote(command)}` : withRemoteDeadline(command, options.timeoutMs);
    // The password goes first on stdin (sudo reads one line), the command's input after it.
    let passwordLine: string | undefined;
    const becomeUser = t.becomeUser ?? 'root';
    if (t.become && t.user !== becomeUser) {
      // `-H -u USER` only for another user than root: the command to root stays as it always was.
      const as = becomeUser === 'root' ? '' : `-H -u ${quote(becomeUser)} `;
      remote = t.becomePassword
        ? `sudo -S -p '' ${as}-- sh -c ${quote(remote)}`
        : `sudo -n ${as}-- sh -c ${quote(remote)}`;
      if (t.becomePassword) passwordLine = t.becomePassword + '\n';
    }
    return new Promise((resolve, reject) => {
      this.client.exec(remote, (err, stream) => {
        if (err) return reject(this.lost ?? new UnreachableError(t.name, `cannot open a channel: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        let timedOut = false;
        if (options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs)) {
          timer = setTimeout(() => {
            timedOut = true;
            // Ask sshd to kill the command, then drop the channel either way.
            try {
              stream.signal('KILL');
            } catch {
              /* older servers: closing the channel is all we can do */
            }
            stream.close();
          }, options.timeoutMs);
        }
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('close', (code: number | null, signal?: string) => {
          clearTimeout(timer);
          if (timedOut) return reject(new TimeoutError(`command timed out after ${Math.round(options.timeoutMs! / 1000)}s`));
          if ((code === null || code === undefined) && !signal) {
            // No exit status: the session or the connection broke under the command (sshd killed).
            // Its outcome is unknown, so this is a lost host, not a failed command. The channel can
            // close before the client hears of the connection's end: let that event land first.
            setImmediate(() => reject(this.lost ?? new UnreachableError(t.name, 'connection lost: the channel closed without an exit status')));
            return;
          }
          const stdout = Buffer.concat(out);
          resolve({
            code: code ?? (signal ? 128 : 255),
            stdout: stdout.toString(),
            stderr: Buffer.concat(errOut).toString(),
            stdoutBytes: stdout,
          });
        });
        if (passwordLine !== undefined) stream.write(passwordLine);
        const input = options.stdin;
        if (input instanceof Readable) {
          // Streamed (a large file): never whole in memory. A source that fails drops the channel.
          input.on('error', (e) => {
            reject(new Error(`reading the input of ${command.split('\n')[0]} failed: ${e.message}`));
            stream.close();
          });
          input.pipe(stream);
        } else {
          stream.end(input ?? '');
        }
      });
    });
  }

  async close(): Promise<void> {
    this.client?.end();
    for (const c of [...this.jumpClients].reverse()) c.end();
  }
}

/**
 * A command that the host itself kills (with its whole process group) when its deadline
 * passes. Closing the channel does not end a command without a pty, and OpenSSH refuses
 * `signal` requests on sessions without post-auth privilege separation (every root login),
 * so the timeout has to be enforced on the host. Hosts without `timeout` run the command as is.
 */
export function withRemoteDeadline(command: string, timeoutMs: number | undefined): string {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return command;
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  // --verbose makes timeout say on stderr that it killed the command: how a kill is told from an exit 137.
  return `if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL --verbose ${seconds} sh -c ${quote(command)}; else exec sh -c ${quote(command)}; fi`;
}

/**
 * Opens a TCP connection to the first hop, then yields one turn of the event loop: every host of
 * the run's first wave given by address sends its SYN before this process spends ~30–40 ms loading
 * ssh2's client (a host name is looked up first, and may connect after), and
 * each host's sshd (a fork and an exec before its first byte: ~45 ms on the lab) starts meanwhile.
 * Keys were read and checked before (lib/connect.ts, with ssh2's key parser alone), so no host is
 * contacted before a bad key or parameter fails the run.
 *
 * Undefined when the connection failed within that turn (an error the system reports at once, such
 * as no route to the network; a refusal takes a round trip and reaches ssh2 as ever): ssh2 then
 * dials again itself, so such a host is reported exactly as ssh2 reports it.
 */
async function dial(e: SshEndpoint): Promise<Socket | undefined> {
  const sock = tcpConnect({ host: e.address, port: e.port });
  let failed = false;
  // Kept on: an error while ssh2 has the socket is ssh2's to report, this only notes the early ones.
  sock.on('error', () => (failed = true));
  await new Promise((resolve) => setImmediate(resolve));
  if (!failed) return sock;
  sock.destroy();
  return undefined;
}

/** A missing known_hosts file is an empty one; it is read once here, not once to test and again to parse. */
function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** OpenSSH asks first for a key type it already trusts for the host; so do we. */
function preferredHostKeyAlgorithms(knownTypes: string[]): ConnectConfig['algorithms'] extends infer A
  ? A extends { serverHostKey?: infer S }
    ? S
    : never
  : never {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const wanted = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  const order = [...wanted.filter((t) => all.includes(t)), ...all.filter((t) => !wanted.includes(t))];
  return order as never;
}

/** The methods tried in OpenSSH's order: the agent's keys, then each key file, then the password. */
function authHandler(e: SshEndpoint, tried: string[]) {
  const methods: (AnyAuthMethod & { label: string })[] = [];
  if (e.agent) methods.push({ type: 'agent', username: e.user, agent: e.agent, label: 'ssh-agent' });
  for (const k of e.keys ?? []) methods.push({ type: 'publickey', username: e.user, key: k.key, label: `key ${k.file}` });
  if (e.keyFile) methods.push({ type: 'publickey', username: e.user, key: readFileSync(e.keyFile), label: `key ${e.keyFile}` });
  if (e.password) methods.push({ type: 'password', username: e.user, password: e.password, label: 'password' });
  let next = 0;
  return (left: AuthenticationType[] | null): AnyAuthMethod | false => {
    while (next < methods.length) {
      const m = methods[next++];
      const kind = m.type === 'agent' ? 'publickey' : m.type;
      // `left` is null before the server has said which methods it takes.
      if (left && !left.includes(kind)) continue;
      tried.push(m.label);
      const { label: _label, ...method } = m;
      return method as AnyAuthMethod;
    }
    return false;
  };
}

/** Opens a TCP connection from a jump host to the next hop (OpenSSH's ProxyJump is `ssh -W`, the same request). */
function forward(client: Client, next: SshEndpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.address, next.port, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

function explainConnectError(err: Error & { code?: string; level?: string }, e: SshEndpoint, timeoutMs: number, tried: string[]): string {
  const where = `${e.user}@${e.address}:${e.port}`;
  if (err.code === 'ECONNREFUSED') return `connection refused by ${where}`;
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `no route to ${where}`;
  if (/Timed out while waiting for handshake/.test(err.message)) return `no answer from ${where} within ${timeoutMs / 1000}s`;
  if (err.level === 'client-authentication') {
    const what = tried.length ? tried.join(', ') : 'no key: no ssh-agent (SSH_AUTH_SOCK), no key file, no password';
    return `authentication failed for ${where} (${what}): check the user and key`;
  }
  return `${err.message} (${where})`;
}
