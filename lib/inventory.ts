import deepmerge from 'deepmerge';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError, ValidationError, type FieldProblem } from './errors';
import { asConfigError, loadUserModule } from './load-module';
import { REDACTED, registerSecret } from './secrets';
import type { HostView, InventoryView } from './types';
import { declareSchema, toProblems, validatorFor } from './validate';

/** How to reach a host. Every field may also be set for all hosts in `defaults`. */
export interface ConnectionSpec {
  /**
   * Where to connect; defaults to the host's name. Either is looked up in the ssh config
   * (`~/.ssh/config` or `-F`), whose HostName, Port, User, IdentityFile and ProxyJump apply
   * where the inventory sets nothing.
   */
  address?: string;
  port?: number;
  user?: string;
  /**
   * A private key file: the only key tried. Without one: the ssh config's IdentityFile, else
   * ssh-agent (SSH_AUTH_SOCK) and ~/.ssh/id_ed25519, id_ecdsa, id_rsa, in that order.
   */
  keyFile?: string;
  /** Password authentication (secret: never printed). */
  password?: string;
  /** Run commands with sudo when the user is not root (or not `becomeUser`). */
  become?: boolean;
  /** With `become`: the user sudo runs commands as (`sudo -u`); default root. */
  becomeUser?: string;
  becomePassword?: string;
  connection?: 'ssh' | 'local';
  /** OpenSSH known_hosts file used to verify host keys; default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  connectTimeoutSeconds?: number;
}

export interface HostSpec extends ConnectionSpec {
  vars?: Record<string, unknown>;
}

export interface GroupSpec {
  hosts?: string[];
  children?: string[];
  vars?: Record<string, unknown>;
}

export interface InventorySpec {
  /** Inventory-wide vars: the lowest precedence. */
  vars?: Record<string, unknown>;
  defaults?: Omit<ConnectionSpec, 'address'>;
  hosts: Record<string, HostSpec>;
  groups?: Record<string, GroupSpec>;
  /** Names of vars whose values are secret: redacted from every output and report. */
  secretVars?: string[];
}

/** Typed identity: lets an inventory file get checking and completion. */
export function defineInventory(spec: InventorySpec): InventorySpec {
  return spec;
}

/** The connection fields the inventory itself set (on the host or in `defaults`): they win over the ssh config. */
export type GivenConnection = Pick<ConnectionSpec, 'address' | 'port' | 'user' | 'keyFile' | 'knownHostsFile'>;

export interface ResolvedHost extends HostView {
  readonly connection: Required<Pick<ConnectionSpec, 'port' | 'user' | 'become' | 'connection' | 'knownHostsFile' | 'connectTimeoutSeconds'>> &
    Pick<ConnectionSpec, 'keyFile' | 'password' | 'becomePassword' | 'becomeUser'> & {
      /**
       * What the inventory set, before defaults: lib/connect.ts lets these win over the ssh
       * config, and the config over the defaults above. Absent (hand-made hosts): all of the
       * above count as set.
       */
      given?: GivenConnection;
    };
}

export interface Inventory {
  hosts: ResolvedHost[];
  groups: Record<string, string[]>;
  /** The inventory as `keel inventory` shows it, in the shape of `ansible-inventory --list`. */
  listing?: InventoryListing;
  /** --shard: hosts of the inventory that other shards run; a pattern naming one selects nothing (lib/shard.ts). */
  otherShards?: ReadonlySet<string>;
}

/** Groups as Ansible has them (`all` and `ungrouped` included) and each host's vars. */
export interface InventoryListing {
  /** In the order Ansible shows them; `hosts` are the group's own, `children` its direct subgroups. */
  groups: { name: string; hosts: string[]; children: string[] }[];
  /** Merged vars per host, connection settings as Ansible's names (ansible_host, ansible_port, ...). */
  hostvars: Record<string, Record<string, unknown>>;
}

const name = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' } as const;
const connectionProps = {
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  user: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' },
  keyFile: { type: 'string', minLength: 1 },
  password: { type: 'string' },
  become: { type: 'boolean' },
  becomeUser: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' },
  becomePassword: { type: 'string' },
  connection: { enum: ['ssh', 'local'] },
  knownHostsFile: { type: 'string', minLength: 1 },
  connectTimeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
} as const;
const varsSchema = { type: 'object' } as const;

const inventorySchema = {
  type: 'object',
  required: ['hosts'],
  additionalProperties: false,
  properties: {
    vars: varsSchema,
    defaults: { type: 'object', additionalProperties: false, properties: connectionProps },
    hosts: {
      type: 'object',
      minProperties: 1,
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...connectionProps,
          address: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$' },
          vars: varsSchema,
        },
      },
    },
    groups: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          hosts: { type: 'array', items: { type: 'string' } },
          children: { type: 'array', items: { type: 'string' } },
          vars: varsSchema,
        },
      },
    },
    secretVars: { type: 'array', items: { type: 'string' } },
  },
} as const;

declareSchema(inventorySchema);

/** What `-i` names: a TypeScript inventory module, or an Ansible inventory file or directory. */
export interface InventorySource {
  kind: 'typescript' | 'ansible';
  path: string;
}

const ANSIBLE_FILE = /\.(ini|ya?ml|json)$/;
const MODULE_FILE = /\.[cm]?[jt]s$/;

/**
 * `-i lab` → inventories/lab.ts (or .js) in the working directory, as Ansible resolves `-i`: the
 * user's own repository, never keel's. A path to a .ts or .js file works too. Anything else is an
 * Ansible inventory: `-i hosts.ini`, `-i hosts.yml`, `-i inventory/` (a directory), `-i hosts`
 * (an INI file without extension, when there is no inventories/hosts.ts).
 */
export function resolveInventorySource(arg: string, cwd = process.cwd()): InventorySource {
  const path = resolve(cwd, arg);
  if (MODULE_FILE.test(arg)) return { kind: 'typescript', path };
  if (!arg.includes('/') && !ANSIBLE_FILE.test(arg)) {
    for (const ext of ['.ts', '.js']) {
      const p = join(cwd, 'inventories', arg + ext);
      if (existsSync(p)) return { kind: 'typescript', path: p };
    }
    if (!existsSync(path)) {
      throw new UsageError(`no inventory named "${arg}": looked for ${join(cwd, 'inventories', arg)}.ts (or .js) and ${path}`);
    }
  }
  if (!existsSync(path)) throw new UsageError(`inventory not found: ${arg}`);
  return { kind: 'ansible', path };
}

/**
 * Loads an inventory: a TypeScript module (default export: a spec, or a function returning one),
 * or an Ansible INI or YAML inventory (lib/ansible-inventory).
 */
export async function loadInventory(arg: string, extraVars: Record<string, unknown> = {}): Promise<Inventory> {
  const source = resolveInventorySource(arg);
  if (source.kind === 'ansible') {
    // Loaded here, off the start-up path of TypeScript inventories.
    const { loadAnsibleInventory } = require('./ansible-inventory') as typeof import('./ansible-inventory');
    return loadAnsibleInventory(source.path, extraVars);
  }
  const { spec, file } = await loadInventorySpec(source.path);
  return buildInventory(spec, extraVars, file);
}

/** The inventory module's spec as written, not yet validated: for `keel inventory`. */
export async function loadInventorySpec(arg: string): Promise<{ spec: unknown; file: string }> {
  const file = resolveInventorySource(arg).path;
  const mod = loadUserModule(file, 'inventory') as { default?: unknown; inventory?: unknown };
  let spec = mod.default ?? mod.inventory ?? mod;
  if (typeof spec === 'function') {
    try {
      spec = await spec();
    } catch (err) {
      throw asConfigError(err, file, 'inventory');
    }
  }
  return { spec, file };
}

/** Validates a spec (every problem at once) and resolves each host's connection and merged vars. */
export function buildInventory(spec: unknown, extraVars: Record<string, unknown> = {}, source = 'inventory'): Inventory {
  const checkInventory = validatorFor(inventorySchema);
  if (!checkInventory(spec)) throw new ValidationError(`inventory ${source}`, toProblems(checkInventory.errors ?? []));
  const inv = spec as InventorySpec;
  const problems: FieldProblem[] = [];
  const groups = inv.groups ?? {};
  for (const [g, group] of Object.entries(groups)) {
    if (Object.hasOwn(inv.hosts, g)) problems.push({ path: `groups.${g}`, message: `has the same name as a host` });
    if (g === 'all') problems.push({ path: `groups.${g}`, message: `"all" is reserved` });
    group.hosts?.forEach((h, i) => {
      if (!Object.hasOwn(inv.hosts, h)) problems.push({ path: `groups.${g}.hosts.${i}`, message: `unknown host "${h}"` });
    });
    group.children?.forEach((c, i) => {
      if (!Object.hasOwn(groups, c)) problems.push({ path: `groups.${g}.children.${i}`, message: `unknown group "${c}"` });
    });
  }
  const cycle = findCycle(groups);
  if (cycle) problems.push({ path: `groups.${cycle[0]}.children`, message: `cycle: ${cycle.join(' → ')}` });
  if (problems.length) throw new ValidationError(`inventory ${source}`, problems);

  const membership = groupMembership(inv);
  const depth = groupDepths(groups);
  const secretNames = new Set(inv.secretVars ?? []);
  // Filled in once every host is resolved; each host refers to it.
  const view: { hosts: InventoryView['hosts']; groups: InventoryView['groups'] } = { hosts: [], groups: {} };
  const hosts: ResolvedHost[] = Object.entries(inv.hosts).map(([hostName, h]) => {
    const mine = Object.keys(groups)
      .filter((g) => membership[g].has(hostName))
      .sort((a, b) => depth[a] - depth[b] || a.localeCompare(b));
    const layers = [inv.vars ?? {}, ...mine.map((g) => groups[g].vars ?? {}), h.vars ?? {}, extraVars];
    const vars = deepmerge.all(layers, { arrayMerge: (_, source) => source }) as Record<string, unknown>;
    for (const key of secretNames) registerSecret(vars[key]);
    const d = inv.defaults ?? {};
    const pick = <K extends keyof ConnectionSpec>(k: K) => (h[k] !== undefined ? h[k] : d[k as keyof typeof d]) as ConnectionSpec[K];
    const password = pick('password');
    const becomePassword = pick('becomePassword');
    registerSecret(password);
    registerSecret(becomePassword);
    return {
      name: hostName,
      address: h.address ?? hostName,
      groups: mine,
      vars,
      inventory: view,
      connection: {
        port: pick('port') ?? 22,
        user: pick('user') ?? process.env.USER ?? 'root',
        become: pick('become') ?? false,
        connection: pick('connection') ?? 'ssh',
        knownHostsFile: pick('knownHostsFile') ?? join(homedir(), '.ssh', 'known_hosts'),
        connectTimeoutSeconds: pick('connectTimeoutSeconds') ?? 10,
        keyFile: pick('keyFile'),
        password,
        becomeUser: pick('becomeUser'),
        becomePassword,
        given: {
          address: h.address,
          port: pick('port'),
          user: pick('user'),
          keyFile: pick('keyFile'),
          knownHostsFile: pick('knownHostsFile'),
        },
      },
    };
  });
  const order = hosts.map((h) => h.name);
  const groupLists = Object.fromEntries(
    Object.entries(membership).map(([g, members]) => [g, order.filter((h) => members.has(h))]),
  );
  view.hosts = hosts.map(({ name, address, groups: g, vars }) => ({ name, address, groups: g, vars }));
  view.groups = groupLists;
  return { hosts, groups: groupLists, listing: listingOf(inv, hosts) };
}

/**
 * A TypeScript inventory as Ansible would show it: parentless groups under `all`, hosts in no
 * group under `ungrouped`, connection settings under Ansible's names.
 */
function listingOf(inv: InventorySpec, hosts: ResolvedHost[]): InventoryListing {
  const groups = inv.groups ?? {};
  const isChild = new Set(Object.values(groups).flatMap((g) => g.children ?? []));
  const grouped = new Set(Object.values(groups).flatMap((g) => g.hosts ?? []));
  const listed: InventoryListing['groups'] = [
    { name: 'all', hosts: [], children: ['ungrouped', ...Object.keys(groups).filter((g) => !isChild.has(g))] },
    { name: 'ungrouped', hosts: hosts.map((h) => h.name).filter((h) => !grouped.has(h)), children: [] },
    ...Object.entries(groups).map(([name, g]) => ({ name, hosts: [...new Set(g.hosts ?? [])], children: [...new Set(g.children ?? [])] })),
  ];
  const hostvars: InventoryListing['hostvars'] = {};
  for (const h of hosts) {
    const spec = inv.hosts[h.name];
    const d = inv.defaults ?? {};
    const set = <K extends keyof ConnectionSpec>(k: K) => (spec[k] !== undefined ? spec[k] : d[k as keyof typeof d]) as ConnectionSpec[K];
    const connection: Record<string, unknown> = {
      ansible_host: spec.address,
      ansible_port: set('port'),
      ansible_user: set('user'),
      ansible_ssh_private_key_file: set('keyFile'),
      ansible_password: set('password') === undefined ? undefined : REDACTED,
      ansible_become: set('become'),
      ansible_become_user: set('becomeUser'),
      ansible_become_password: set('becomePassword') === undefined ? undefined : REDACTED,
      ansible_connection: set('connection'),
    };
    const vars: Record<string, unknown> = { ...h.vars };
    // Secrets are never shown, however short (redact() leaves values under 4 characters alone).
    for (const key of inv.secretVars ?? []) if (Object.hasOwn(vars, key)) vars[key] = REDACTED;
    hostvars[h.name] = { ...vars, ...Object.fromEntries(Object.entries(connection).filter(([, v]) => v !== undefined)) };
  }
  return { groups: listed, hostvars };
}

/** The hosts of a group as a role sees them: `hostsOf(host, 'cluster')` for a cluster's node list. */
export function hostsOf(host: HostView, group: string): InventoryView['hosts'] {
  const names = host.inventory.groups[group];
  if (!names) throw new UsageError(`the inventory has no group "${group}"`);
  return host.inventory.hosts.filter((h) => names.includes(h.name));
}

function groupMembership(inv: InventorySpec): Record<string, Set<string>> {
  const groups = inv.groups ?? {};
  const memo: Record<string, Set<string>> = {};
  const members = (g: string): Set<string> => {
    if (memo[g]) return memo[g];
    memo[g] = new Set(groups[g].hosts ?? []);
    for (const c of groups[g].children ?? []) for (const h of members(c)) memo[g].add(h);
    return memo[g];
  };
  for (const g of Object.keys(groups)) members(g);
  return memo;
}

/** A parent's vars apply before a child's: depth 0 for top-level groups. */
function groupDepths(groups: Record<string, GroupSpec>): Record<string, number> {
  const parents: Record<string, string[]> = {};
  for (const [g, spec] of Object.entries(groups)) for (const c of spec.children ?? []) (parents[c] ??= []).push(g);
  const depth: Record<string, number> = {};
  const of = (g: string): number => (depth[g] ??= Math.max(-1, ...(parents[g] ?? []).map(of)) + 1);
  for (const g of Object.keys(groups)) of(g);
  return depth;
}

function findCycle(groups: Record<string, GroupSpec>): string[] | undefined {
  const state: Record<string, 'visiting' | 'done'> = {};
  const walk = (g: string, path: string[]): string[] | undefined => {
    if (state[g] === 'visiting') return [...path.slice(path.indexOf(g)), g];
    if (state[g] === 'done' || !Object.hasOwn(groups, g)) return undefined;
    state[g] = 'visiting';
    for (const c of groups[g].children ?? []) {
      const found = walk(c, [...path, g]);
      if (found) return found;
    }
    state[g] = 'done';
    return undefined;
  };
  for (const g of Object.keys(groups)) {
    const found = walk(g, []);
    if (found) return found;
  }
  return undefined;
}

/**
 * Host patterns as Ansible has them: `all`, a group or host name, unions `a:b` (or `a,b`),
 * exclusions `!x`, intersections `&x`, globs `node*`. Order follows the inventory.
 */
export function selectHosts(inv: Inventory, pattern: string): ResolvedHost[] {
  const names = [...inv.hosts.map((h) => h.name), ...(inv.otherShards ?? [])];
  const expand = (term: string): Set<string> => {
    if (term === 'all' || term === '*') return new Set(names);
    if (Object.hasOwn(inv.groups, term)) return new Set(inv.groups[term]);
    if (names.includes(term)) return new Set([term]);
    if (/[*?]/.test(term)) {
      const re = new RegExp('^' + term.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
      return new Set([...names, ...Object.keys(inv.groups)].filter((n) => re.test(n)).flatMap((n) => inv.groups[n] ?? [n]));
    }
    throw new UsageError(`host pattern "${pattern}": no host or group named "${term}"`);
  };
  let selected = new Set<string>();
  const terms = pattern.split(/[:,]/).map((t) => t.trim()).filter(Boolean);
  for (const term of terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'))) for (const h of expand(term)) selected.add(h);
  for (const term of terms.filter((t) => t.startsWith('&'))) {
    const keep = expand(term.slice(1));
    selected = new Set([...selected].filter((h) => keep.has(h)));
  }
  for (const term of terms.filter((t) => t.startsWith('!'))) for (const h of expand(term.slice(1))) selected.delete(h);
  return inv.hosts.filter((h) => selected.has(h.name));
}
