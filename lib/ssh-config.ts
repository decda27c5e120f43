import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { UsageError } from './errors';

/**
 * OpenSSH client configuration (`~/.ssh/config`, or `-F FILE`), read once per run. Parsing and
 * OpenSSH's matching (Host patterns with `*`, `?` and `!`, Match host/user, first value wins,
 * IdentityFile accumulates) are the `ssh-config` package's; this file only checks the text,
 * picks out the keywords keel uses and checks their values.
 */
export interface SshConfig {
  /** The file read, for messages; undefined when there was none. */
  file?: string;
  compute(name: string): Record<string, string | string[]>;
}

/** What the ssh config says about one name, before keel's own precedence is applied. */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** IdentityFile values in file order, with tokens (`~`, `%d`, `%h`, ...) not yet expanded. */
  identityFiles: string[];
  /** ProxyJump hops, first hop first. Empty for none (or `ProxyJump none`). */
  proxyJump: JumpSpec[];
  /** IdentityAgent: a socket path, `SSH_AUTH_SOCK`, or `none`. */
  identityAgent?: string;
  userKnownHostsFile?: string;
}

/** One ProxyJump entry: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

export const defaultSshConfigFile = (): string => join(homedir(), '.ssh', 'config');

/**
 * Reads and checks an ssh config. An explicit file (`-F`) must exist; the default one may be
 * absent (then nothing is configured). Any problem is a UsageError naming the file and line.
 */
export function loadSshConfig(explicitFile?: string): SshConfig {
  const file = explicitFile ?? defaultSshConfigFile();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicitFile) return { compute: () => ({}) };
    throw new UsageError(`ssh config ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message})`);
  }
  return parseSshConfig(text, file);
}

/**
 * Parses ssh config text. `Include` is followed as OpenSSH does (relative paths from `base`,
 * ~/.ssh for a user's config; globs; at most 16 deep; no match is no error).
 */
export function parseSshConfig(text: string, file = 'ssh config', base = join(homedir(), '.ssh')): SshConfig {
  const lines = expandIncludes(text, file, base, 0);
  checkLines(lines);
  let parsed: SSHConfig;
  try {
    parsed = SSHConfig.parse(lines.map((l) => l.text).join('\n'));
  } catch (err) {
    throw new UsageError(`ssh config ${file}: cannot parse it: ${(err as Error).message}`);
  }
  // Match exec is never run: resolving a host must not start programs (it would never match).
  return { file, compute: (name) => parsed.compute(name, { ignoreCase: true, matchExec: false }) };
}

interface SourceLine {
  text: string;
  file: string;
  line: number;
}

const MAX_INCLUDE_DEPTH = 16;

/**
 * The config with every Include replaced by the files it names. An Include inside a Host or
 * Match block applies there; after the included lines the enclosing block (or, at the top, the
 * part of the file before any block: `Host *`) is re-opened, so the lines after the Include
 * keep the condition they had, even when the included file has blocks of its own.
 */
function expandIncludes(text: string, file: string, base: string, depth: number): SourceLine[] {
  if (depth > MAX_INCLUDE_DEPTH) throw new UsageError(`ssh config ${file}: Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
  const out: SourceLine[] = [];
  let header: SourceLine | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const here = { text: raw, file, line: i + 1 };
    const m = /^\s*include(?:\s*=\s*|\s+)(.*)$/i.exec(raw);
    if (!m || !m[1].trim()) {
      if (/^\s*(host|match)(\s|=)/i.test(raw)) header = here;
      out.push(here);
      return;
    }
    let opensBlocks = false;
    for (const word of m[1].match(/"[^"]*"|\S+/g) ?? []) {
      const pattern = word.replace(/^"(.*)"$/, '$1').replace(/^~(?=\/|$)/, homedir());
      for (const f of globFiles(isAbsolute(pattern) ? pattern : join(base, pattern))) {
        let t: string;
        try {
          t = readFileSync(f, 'utf8');
        } catch (err) {
          throw new UsageError(`ssh config ${file}: line ${i + 1}: Include ${f}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        const lines = expandIncludes(t, f, base, depth + 1);
        opensBlocks ||= lines.some((l) => /^\s*(host|match)(\s|=)/i.test(l.text));
        out.push(...lines);
      }
    }
    if (opensBlocks) out.push(header ?? { text: 'Host *', file, line: i + 1 });
  });
  return out;
}

/** The files a glob(3) pattern names (`*`, `?` and `[...]` in any component), sorted; none is no error. */
function globFiles(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => p || i === 0);
  let paths = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => join(p, part));
      continue;
    }
    const re = new RegExp('^' + part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    paths = paths.flatMap((p) => {
      try {
        return readdirSync(p)
          .filter((e) => re.test(e) && (!e.startsWith('.') || part.startsWith('.')))
          .sort()
          .map((e) => join(p, e));
      } catch {
        return [];
      }
    });
  }
  return paths.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * The package accepts almost any text; OpenSSH does not. Every line must be empty, a comment,
 * or `Keyword value` / `Keyword=value` with a keyword made of letters (and digits).
 */
function checkLines(lines: SourceLine[]): void {
  for (const { text, file, line: n } of lines) {
    const line = text.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^\s=]+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    const keyword = m?.[1] ?? line;
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(keyword)) {
      throw new UsageError(`ssh config ${file}: line ${n}: "${printable(line)}" is not a "Keyword value" line`);
    }
    if (!m || !m[2].trim()) throw new UsageError(`ssh config ${file}: line ${n}: ${keyword} has no value`);
  }
}

function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 60 ? clean.slice(0, 57) + '...' : clean;
}

/** The settings keel uses for `name`, with their values checked. */
export function lookupSshHost(cfg: SshConfig, name: string): SshHostConfig {
  const c = cfg.compute(name);
  const where = `ssh config ${cfg.file}, host ${name}`;
  const one = (k: string): string | undefined => {
    const v = c[k];
    return v === undefined ? undefined : Array.isArray(v) ? v.join(' ') : v;
  };
  let port: number | undefined;
  const rawPort = one('port');
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || port < 1 || port > 65535) throw new UsageError(`${where}: Port "${rawPort}" is not a port number (1-65535)`);
  }
  const user = one('user');
  if (user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/.test(user)) throw new UsageError(`${where}: User "${user}" is not a user name`);
  const ids = c.identityfile;
  const proxy = one('proxyjump');
  return {
    hostName: one('hostname'),
    user,
    port,
    identityFiles: ids === undefined ? [] : Array.isArray(ids) ? ids : [ids],
    proxyJump: proxy === undefined ? [] : parseProxyJump(proxy, where),
    identityAgent: one('identityagent'),
    userKnownHostsFile: (() => {
      const v = c.userknownhostsfile;
      return Array.isArray(v) ? v[0] : v;
    })(),
  };
}

/** `ProxyJump a,user@b:2222,ssh://c` → three hops; `none` → no hop. */
export function parseProxyJump(value: string, where = 'ProxyJump'): JumpSpec[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    const m = /^(?:ssh:\/\/)?(?:([^@\s:/]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d+))?\/?$/.exec(entry);
    if (!m) throw new UsageError(`${where}: ProxyJump "${value}": "${entry}" is not [user@]host[:port]`);
    const port = m[3] === undefined ? undefined : Number(m[3]);
    if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`${where}: ProxyJump "${value}": port ${m[3]} is not 1-65535`);
    return { host: m[2].replace(/^\[(.*)\]$/, '$1'), user: m[1], port };
  });
}

export interface TokenValues {
  /** The remote host name (after HostName). */
  host: string;
  /** The name the host was looked up by (the alias). */
  alias: string;
  user: string;
  port: number;
}

/**
 * OpenSSH's tokens in IdentityFile and the like: `~`, `%d` home, `%u` local user, `%h` host,
 * `%n` alias, `%r` remote user, `%p` port, `%l` local host name, `%i` uid, `%%`.
 */
export function expandTokens(value: string, t: TokenValues, where: string): string {
  const home = homedir();
  const local = process.env.USER ?? safeUserName();
  let out = value.replace(/^~(?=\/|$)/, home);
  out = out.replace(/%(.)/g, (_, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return home;
      case 'u':
        return local;
      case 'h':
        return t.host;
      case 'n':
        return t.alias;
      case 'r':
        return t.user;
      case 'p':
        return String(t.port);
      case 'l':
        return hostname().split('.')[0];
      case 'i':
        return String(process.getuid?.() ?? '');
      default:
        throw new UsageError(`${where}: "${value}": keel does not know the token %${c}`);
    }
  });
  if (/%$/.test(value.replace(/%%/g, ''))) throw new UsageError(`${where}: "${value}" ends in a lone %`);
  return out;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}
