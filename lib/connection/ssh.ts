import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { Client, type ConnectConfig } from 'ssh2';
import { TimeoutError, UnreachableError } from '../errors';
import { knownKeyTypes, parseKnownHosts, verifyHostKey, type HostKeyPolicy } from '../known-hosts';
import { quote } from '../quote';
import type { Connection, ExecOptions, ExecResult } from '../types';

export interface SshTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  keyFile?: string;
  password?: string;
  /** Run commands through sudo (when the login user is not root). */
  become: boolean;
  becomePassword?: string;
  hostKeys: HostKeyPolicy;
  connectTimeoutMs: number;
}

/** OpenSSH allows 10 sessions per connection by default (MaxSessions); stay below it. */
const MAX_CHANNELS = 8;

/** One SSH connection per host for the whole run; every command is an exec channel on it. */
export class SshConnection implements Connection {
  private client = new Client();
  private lost?: Error;
  private limit = pLimit(MAX_CHANNELS);

  private constructor(private readonly target: SshTarget) {}

  get host(): string {
    return this.target.name;
  }

  static async open(target: SshTarget): Promise<SshConnection> {
    const conn = new SshConnection(target);
    await conn.connect();
    return conn;
  }

  private connect(): Promise<void> {
    const t = this.target;
    let hostKeyError: Error | undefined;
    const known = parseKnownHosts(readIfExists(t.hostKeys.file));
    const config: ConnectConfig = {
      host: t.address,
      port: t.port,
      username: t.user,
      readyTimeout: t.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        try {
          verifyHostKey(t.name, t.address, t.port, key, t.hostKeys);
          return true;
        } catch (err) {
          hostKeyError = err as Error;
          return false;
        }
      },
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(known, t.address, t.port)) },
    };
    if (t.keyFile) config.privateKey = readFileSync(t.keyFile);
    else if (process.env.SSH_AUTH_SOCK) config.agent = process.env.SSH_AUTH_SOCK;
    if (t.password) config.password = t.password;

    return new Promise((resolve, reject) => {
      let ready = false;
      this.client
        .on('ready', () => {
          ready = true;
          resolve();
        })
        .on('error', (err: Error & { level?: string }) => {
          if (ready) {
            this.lost = new UnreachableError(t.name, `connection lost: ${err.message}`);
            return;
          }
          if (hostKeyError) return reject(hostKeyError);
          reject(new UnreachableError(t.name, explainConnectError(err, t)));
        })
        .on('close', () => {
          if (ready && !this.lost) this.lost = new UnreachableError(t.name, 'connection closed by the host');
          if (!ready) reject(hostKeyError ?? new UnreachableError(t.name, 'connection closed during set-up'));
        })
        .connect(config);
    });
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.limit(() => this.execNow(command, options));
  }

  private execNow(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.lost) return Promise.reject(this.lost);
    const t = this.target;
    let remote = withRemoteDeadline(command, options.timeoutMs);
    // The password goes first on stdin (sudo reads one line), the command's input after it.
    let passwordLine: string | undefined;
    if (t.become && t.user !== 'root') {
      remote = t.becomePassword
        ? `sudo -S -p '' -- sh -c ${quote(remote)}`
        : `sudo -n -- sh -c ${quote(remote)}`;
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
    this.client.end();
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

function explainConnectError(err: Error & { code?: string; level?: string }, t: SshTarget): string {
  const where = `${t.user}@${t.address}:${t.port}`;
  if (err.code === 'ECONNREFUSED') return `connection refused by ${where}`;
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `no route to ${where}`;
  if (/Timed out while waiting for handshake/.test(err.message)) return `no answer from ${where} within ${t.connectTimeoutMs / 1000}s`;
  if (err.level === 'client-authentication') {
    return `authentication failed for ${where} (${t.keyFile ? `key ${t.keyFile}` : t.password ? 'password' : 'ssh-agent'}): check the user and key`;
  }
  return `${err.message} (${where})`;
}

