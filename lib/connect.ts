import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ParsedKey } from 'ssh2';
import { LocalConnection } from './connection/local';
import { SshConnection, type SshEndpoint, type SshKey, type SshTarget } from './connection/ssh';
import { keyParser } from './connection/ssh2';
import { UsageError } from './errors';
import type { ResolvedHost } from './inventory';
import { registerSecret } from './secrets';
import { expandTokens, loadSshConfig, lookupSshHost, type JumpSpec, type SshConfig } from './ssh-config';
import type { Connection } from './types';

/**
 * How keel finds a host, its user and its keys (README: "How keel finds hosts, keys and users"):
 *
 * 1. The inventory's explicit values (`address`, `port`, `user`, `keyFile`, `knownHostsFile`,
 *    on the host or in `defaults`).
 * 2. The ssh config (`~/.ssh/config`, or `-F FILE`), looked up by the inventory's address, else
 *    the host's name, as OpenSSH is given them: HostName, User, Port, IdentityFile, ProxyJump,
 *    IdentityAgent, UserKnownHostsFile.
 * 3. Defaults: port 22, the local user, ssh-agent (SSH_AUTH_SOCK) then ~/.ssh/id_ed25519,
 *    id_ecdsa and id_rsa, ~/.ssh/known_hosts.
 *
 * Everything is resolved, and every key read (and decrypted), before any host is contacted:
 * a missing key or a bad ssh config is a UsageError (exit 2).
 */

/** The keys OpenSSH tries when none is named, in its order. */
export const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const;

/** The environment variable that holds the passphrase of encrypted keys. */
export const PASSPHRASE_ENV = 'KEEL_SSH_PASSPHRASE';

export interface ConnectorOptions {
  /** `-F FILE`; the default is ~/.ssh/config (absent: nothing configured). */
  sshConfigFile?: string;
  /** An already loaded ssh config (tests). */
  sshConfig?: SshConfig;
  acceptNewHostKeys?: boolean;
  /** Environment (tests); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Asks for a passphrase on a terminal; undefined when there is no terminal. Default: stdin when it is a TTY. */
  askPassphrase?: (prompt: string) => Promise<string>;
  /** Directory of the default keys; ~/.ssh by default. */
  sshDir?: string;
}

/** Where a key file was named, for messages. */
type KeyOrigin = 'inventory' | 'ssh config' | 'default';

interface KeyRef {
  file: string;
  origin: KeyOrigin;
}

/** One endpoint resolved, its keys named but not yet read. */
interface EndpointPlan extends Omit<SshEndpoint, 'keys' | 'keyFile'> {
  keyRefs: KeyRef[];
}

export interface ConnectionPlan {
  host: string;
  target: EndpointPlan;
  jumps: EndpointPlan[];
}

/** The most jump hosts one connection may pass through (ProxyJump of ProxyJump ...): a loop ends here. */
const MAX_JUMPS = 8;

/**
 * Resolves every host's connection, reads every key, then opens connections on demand.
 * `prepare` does all the checking; `open` only connects.
 */
export class Connector {
  private readonly config: SshConfig;
  private readonly env: NodeJS.ProcessEnv;
  private readonly plans = new Map<string, ConnectionPlan>();
  /** Each key file is read once per run (one passphrase prompt per file). */
  private readonly keys = new Map<string, Promise<ParsedKey | undefined>>();
  private prompting: Promise<unknown> = Promise.resolve();

  get acceptsNewHostKeys(): boolean {
    return this.options.acceptNewHostKeys ?? false;
  }

  constructor(private readonly options: ConnectorOptions = {}) {
    this.config = options.sshConfig ?? loadSshConfig(options.sshConfigFile);
    this.env = options.env ?? process.env;
  }

  /** Resolves the hosts and reads their keys; throws a UsageError for the first bad one. */
  async prepare(hosts: readonly ResolvedHost[]): Promise<void> {
    const plans = hosts.filter((h) => h.connection.connection !== 'local').map((h) => this.plan(h));
    // Keys one after the other: a passphrase prompt must not interleave with another.
    for (const p of plans) for (const e of [...p.jumps, p.target]) for (const ref of e.keyRefs) await this.loadKey(ref, p.host, !!e.agent);
  }

  /** The resolved endpoints of one host (cached), without reading keys. */
  plan(host: ResolvedHost): ConnectionPlan {
    const cached = this.plans.get(host.name);
    if (cached) return cached;
    const c = host.connection;
    const given = c.given ?? { address: host.address, port: c.port, user: c.user, keyFile: c.keyFile, knownHostsFile: c.knownHostsFile };
    const lookup = given.address ?? host.name;
    const sc = lookupSshHost(this.config, lookup);
    const where = `host ${host.name}`;
    const address = sc.hostName ? expandHostName(sc.hostName, lookup) : lookup;
    const port = given.port ?? sc.port ?? 22;
    const user = given.user ?? sc.user ?? localUser(this.env);
    const knownHostsFile =
      given.knownHostsFile ??
      (sc.userKnownHostsFile
        ? expandTokens(sc.userKnownHostsFile, tokens(address, lookup, user, port), `${this.where()}, ${where}: UserKnownHostsFile`)
        : c.knownHostsFile);
    const hostKeys = { file: knownHostsFile, acceptNew: this.options.acceptNewHostKeys ?? false };
    const keyRefs: KeyRef[] = given.keyFile
      ? [{ file: given.keyFile, origin: 'inventory' }]
      : this.keyRefsFrom(sc.identityFiles, tokens(address, lookup, user, port), where);
    const target: EndpointPlan = {
      name: host.name,
      address,
      port,
      user,
      // A key named in the inventory is the only one tried (as before ssh config support).
      agent: given.keyFile ? undefined : this.agent(sc.identityAgent),
      password: c.password,
      hostKeys,
      keyRefs,
    };
    const jumps = this.jumpChain(sc.proxyJump, hostKeys, [lookup], where);
    const plan = { host: host.name, target, jumps };
    this.plans.set(host.name, plan);
    return plan;
  }

  /** Opens the host's connection (SSH through its jump hosts, or local). */
  async open(host: ResolvedHost): Promise<Connection> {
    if (host.connection.connection === 'local') return new LocalConnection(host.name);
    const plan = this.plan(host);
    const withKeys = async (e: EndpointPlan): Promise<SshEndpoint> => {
      const keys: SshKey[] = [];
      for (const ref of e.keyRefs) {
        const key = await this.loadKey(ref, host.name, !!e.agent);
        if (key) keys.push({ file: ref.file, key });
      }
      const { keyRefs: _refs, ...rest } = e;
      return { ...rest, keys };
    };
    const c = host.connection;
    const target: SshTarget = {
      ...(await withKeys(plan.target)),
      become: c.become,
      becomeUser: c.becomeUser,
      becomePassword: c.becomePassword,
      connectTimeoutMs: c.connectTimeoutSeconds * 1000,
      jumps: await Promise.all(plan.jumps.map(withKeys)),
    };
    return SshConnection.open(target);
  }

  /**
   * ProxyJump `a,b`: connect to a (through a's own ProxyJump, if any), from there to b, from
   * there to the target. Each hop is looked up in the ssh config by its name.
   */
  private jumpChain(specs: JumpSpec[], hostKeys: SshEndpoint['hostKeys'], seen: string[], where: string): EndpointPlan[] {
    if (specs.length === 0) return [];
    const name = specs[0].host;
    // `Host *` / `ProxyJump bastion` also matches the bastion: a jump host never jumps through itself.
    const own = lookupSshHost(this.config, name).proxyJump.filter((j) => j.host !== name);
    const before = seen.includes(name) ? loop([...seen, name], where) : this.jumpChain(own, hostKeys, [...seen, name], where);
    const chain = [...before, ...specs.map((j) => this.jumpHost(j, hostKeys, where))];
    if (chain.length > MAX_JUMPS) throw new UsageError(`${where}: more than ${MAX_JUMPS} jump hosts (ProxyJump in ${this.where()}): is there a loop?`);
    return chain;
  }

  private jumpHost(j: JumpSpec, hostKeys: SshEndpoint['hostKeys'], where: string): EndpointPlan {
    const sc = lookupSshHost(this.config, j.host);
    const address = sc.hostName ? expandHostName(sc.hostName, j.host) : j.host;
    const port = j.port ?? sc.port ?? 22;
    const user = j.user ?? sc.user ?? localUser(this.env);
    return {
      name: j.host,
      address,
      port,
      user,
      agent: this.agent(sc.identityAgent),
      hostKeys,
      keyRefs: this.keyRefsFrom(sc.identityFiles, tokens(address, j.host, user, port), `${where}, jump host ${j.host}`),
    };
  }

  /** IdentityFile values, expanded; without any, the default keys that exist. */
  private keyRefsFrom(identityFiles: string[], t: Parameters<typeof expandTokens>[1], where: string): KeyRef[] {
    if (identityFiles.length) {
      return identityFiles.map((f) => ({ file: expandTokens(f, t, `${this.where()}, ${where}: IdentityFile`), origin: 'ssh config' as const }));
    }
    const dir = this.options.sshDir ?? join(homedir(), '.ssh');
    return DEFAULT_KEY_NAMES.map((n) => join(dir, n))
      .filter((f) => existsSync(f))
      .map((file) => ({ file, origin: 'default' as const }));
  }

  private agent(identityAgent: string | undefined): string | undefined {
    if (identityAgent === undefined || identityAgent === 'SSH_AUTH_SOCK') return this.env.SSH_AUTH_SOCK || undefined;
    if (identityAgent.toLowerCase() === 'none') return undefined;
    if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(identityAgent)) return this.env[identityAgent.slice(1)] || undefined;
    return identityAgent.replace(/^~(?=\/|$)/, homedir());
  }

  private where(): string {
    return `ssh config ${this.config.file ?? '(none)'}`;
  }

  /**
   * Reads one key file (once per run). A missing, unreadable or unparsable file is a UsageError;
   * so is an encrypted key without a passphrase, except a default key when an agent is there
   * to hold it (OpenSSH would only ask for it if the agent's keys failed).
   */
  private loadKey(ref: KeyRef, host: string, hasAgent: boolean): Promise<ParsedKey | undefined> {
    let p = this.keys.get(ref.file);
    if (!p) {
      p = this.readKey(ref, host, hasAgent);
      this.keys.set(ref.file, p);
    }
    return p;
  }

  private async readKey(ref: KeyRef, host: string, hasAgent: boolean): Promise<ParsedKey | undefined> {
    const named = ref.origin === 'inventory' ? `key file ${ref.file} (keyFile of host ${host})` : ref.origin === 'ssh config' ? `key file ${ref.file} (IdentityFile in ${this.config.file})` : `key file ${ref.file}`;
    let data: Buffer;
    try {
      data = readFileSync(ref.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (err as Error).message})`;
      throw new UsageError(`${named} ${why}`);
    }
    let parsed: ParsedKey | Error = firstKey(keyParser().parseKey(data));
    if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
      const decrypted = await this.decrypt(data, ref, named, hasAgent);
      if (decrypted === undefined) return undefined;
      parsed = decrypted;
    }
    if (parsed instanceof Error) throw new UsageError(`${named} is not a private key keel can read: ${parsed.message}`);
    if (!parsed.isPrivateKey()) throw new UsageError(`${named} is a public key: name the private key file (without .pub)`);
    return parsed;
  }

  private async decrypt(data: Buffer, ref: KeyRef, named: string, hasAgent: boolean): Promise<ParsedKey | Error | undefined> {
    const fromEnv = this.env[PASSPHRASE_ENV];
    if (fromEnv) {
      registerSecret(fromEnv);
      const parsed = firstKey(keyParser().parseKey(data, fromEnv));
      if (parsed instanceof Error) throw new UsageError(`${named} is encrypted and ${PASSPHRASE_ENV} does not decrypt it (wrong passphrase?)`);
      return parsed;
    }
    const ask = this.options.askPassphrase ?? (process.stdin.isTTY ? askOnTerminal : undefined);
    if (!ask) {
      if (ref.origin === 'default' && hasAgent) return undefined;
      throw new UsageError(`${named} is encrypted: set ${PASSPHRASE_ENV}, or run keel on a terminal to be asked for the passphrase`);
    }
    // One prompt at a time, and three tries, as ssh gives.
    const run = this.prompting.then(async () => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const pass = await ask(`Enter passphrase for key '${ref.file}': `);
        registerSecret(pass);
        const parsed = firstKey(keyParser().parseKey(data, pass));
        if (!(parsed instanceof Error)) return parsed;
      }
      throw new UsageError(`${named}: wrong passphrase, three times`);
    });
    this.prompting = run.catch(() => {});
    return run;
  }
}

/** parseKey returns several keys for some files; the first is the key. */
function firstKey(k: ParsedKey | Error | ParsedKey[]): ParsedKey | Error {
  return Array.isArray(k) ? k[0] : k;
}

function loop(chain: string[], where: string): never {
  throw new UsageError(`${where}: ProxyJump loop: ${chain.join(' → ')}`);
}

function tokens(host: string, alias: string, user: string, port: number) {
  return { host, alias, user, port };
}

/** HostName takes `%h` (the name looked up) and `%%`. */
function expandHostName(value: string, name: string): string {
  return value.replace(/%([%h])/g, (_, c: string) => (c === '%' ? '%' : name));
}

function localUser(env: NodeJS.ProcessEnv): string {
  if (env.USER) return env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

/** The terminal askOnTerminal reads from and writes to (tests pass their own). */
export interface PromptTerminal {
  stdin: Pick<NodeJS.ReadStream, 'isRaw' | 'setRawMode' | 'resume' | 'pause' | 'on' | 'off'>;
  stderr: Pick<NodeJS.WriteStream, 'write'>;
}

/**
 * Reads a line from the terminal without echo (stdin in raw mode). Ctrl-C or Ctrl-D gives up.
 * Echo goes off before the prompt is shown, as OpenSSH's readpassphrase does: whatever is typed
 * once the prompt is visible is never echoed (the other order leaves a moment where it is).
 */
export function askOnTerminal(prompt: string, term: PromptTerminal = { stdin: process.stdin, stderr: process.stderr }): Promise<string> {
  const { stdin, stderr } = term;
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('interrupted at the passphrase prompt'));
        if (ch === '\u0004') return done(new UsageError('no passphrase given (end of input at the prompt)'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015') value = '';
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stderr.write(prompt);
    stdin.resume();
    stdin.on('data', onData);
  });
}

let fallback: Connector | undefined;

/**
 * The runner's default way to open a host's connection, for callers that did not prepare a
 * Connector (the command line does, so that bad keys fail before any host is contacted).
 */
export function openConnection(host: ResolvedHost, options: { acceptNewHostKeys?: boolean }): Promise<Connection> {
  if (host.connection.connection === 'local') return Promise.resolve(new LocalConnection(host.name));
  const acceptNewHostKeys = options.acceptNewHostKeys ?? false;
  if (!fallback || fallback.acceptsNewHostKeys !== acceptNewHostKeys) fallback = new Connector({ acceptNewHostKeys });
  return fallback.open(host);
}
