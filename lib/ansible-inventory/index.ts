/**
 * Ansible inventories as keel inventories: an INI or YAML file, or a directory of them, with
 * group_vars/ and host_vars/. Vars merge as Ansible merges them (its "How variables are
 * merged"), lowest first:
 *
 *   1. the inventory file's `all` vars
 *   2. the inventory file's group vars, parent groups before child groups; groups of the same
 *      depth by `ansible_group_priority`, then by name
 *   3. group_vars/all
 *   4. group_vars/GROUP, in the same group order
 *   5. the inventory file's host vars
 *   6. host_vars/HOST
 *   7. -e key=value
 *
 * A var set again replaces the earlier value whole (Ansible's default hash_behaviour=replace;
 * keel's TypeScript inventories deep-merge). Connection vars (ansible_host, ansible_port, ...)
 * become the host's connection and leave its vars.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { buildInventory, type HostSpec, type Inventory, type InventoryListing, type InventorySpec } from '../inventory';
import { REDACTED } from '../secrets';
import { parseIniInventory } from './ini';
import { displayPath, fail, InventoryModel, type VarsLayer, type Where } from './model';
import { VarsFiles } from './vars-files';
import { parseYamlInventory } from './yaml';

const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];
// What ansible-core skips in an inventory directory (INVENTORY_IGNORE_EXTS and the names it always skips).
const IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED_NAMES = ['host_vars', 'group_vars', 'vars_plugins'];

/** Reads an Ansible inventory file or directory into a keel inventory. */
export function loadAnsibleInventory(path: string, extraVars: Record<string, unknown> = {}): Inventory {
  const model = readAnsibleInventory(path);
  return resolveAnsibleInventory(model, new VarsFiles(statSync(path).isDirectory() ? path : dirname(path)), extraVars, displayPath(path));
}

export function readAnsibleInventory(path: string): InventoryModel {
  const model = new InventoryModel();
  if (statSync(path).isDirectory()) readDirectory(path, model);
  else readFile(path, model);
  return model;
}

function readDirectory(dir: string, model: InventoryModel): void {
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || IGNORED_NAMES.includes(entry) || IGNORED_EXTENSIONS.some((e) => entry.endsWith(e))) continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) readDirectory(p, model);
    else readFile(p, model);
  }
}

function readFile(file: string, model: InventoryModel): void {
  const ext = extname(file);
  const text = readFileSync(file, 'utf8');
  if (text.startsWith('#!') && isExecutable(file)) {
    fail({ file, line: 1 }, 'dynamic inventory scripts are not supported: keel reads static INI and YAML inventories');
  }
  // Like Ansible, a file without extension is YAML when it reads as a YAML mapping, else INI.
  if (YAML_EXTENSIONS.includes(ext) || (ext === '' && looksLikeYamlMapping(text))) parseYamlInventory(text, file, model);
  else if (ext === '.toml') fail({ file }, 'TOML inventories are not supported: keel reads INI and YAML inventories');
  else parseIniInventory(text, file, model);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Ansible's reconcile step: parentless groups join `all`; hosts in no group are `ungrouped`. */
function reconcile(model: InventoryModel): void {
  for (const g of model.groups.values()) {
    if (g.name !== 'all' && g.parents.length === 0) model.addChild('all', g.name, { file: '(built in)' });
  }
  const inRealGroup = new Set<string>();
  for (const g of model.groups.values()) {
    if (g.name !== 'all' && g.name !== 'ungrouped') for (const h of g.hosts) inRealGroup.add(h);
  }
  const ungrouped = model.groups.get('ungrouped')!;
  ungrouped.hosts = ungrouped.hosts.filter((h) => !inRealGroup.has(h));
  for (const h of model.hosts.keys()) if (!inRealGroup.has(h) && !ungrouped.hosts.includes(h)) ungrouped.hosts.push(h);
  for (const g of model.groups.values()) {
    if (model.hosts.has(g.name)) fail(model.hosts.get(g.name)!.where, `"${g.name}" is both a host and a group`);
  }
}

function resolveAnsibleInventory(model: InventoryModel, files: VarsFiles, extraVars: Record<string, unknown>, source: string): Inventory {
  reconcile(model);
  const depth = new Map<string, number>();
  const depthOf = (g: string): number => {
    if (g === 'all') return 0;
    let d = depth.get(g);
    if (d === undefined) {
      d = Math.max(...model.groups.get(g)!.parents.map(depthOf)) + 1;
      depth.set(g, d);
    }
    return d;
  };
  // Ansible's sort_groups: by depth, then priority, then name (Python's code point order).
  const order = (a: string, b: string) => {
    const ga = model.groups.get(a)!;
    const gb = model.groups.get(b)!;
    return depthOf(a) - depthOf(b) || ga.priority - gb.priority || (a < b ? -1 : a > b ? 1 : 0);
  };
  const membersOf = new Map<string, Set<string>>();
  const members = (g: string): Set<string> => {
    let m = membersOf.get(g);
    if (!m) {
      const group = model.groups.get(g)!;
      m = new Set(group.hosts);
      for (const c of group.children) for (const h of members(c)) m.add(h);
      membersOf.set(g, m);
    }
    return m;
  };

  const extra: VarsLayer = { values: extraVars, origins: Object.fromEntries(Object.keys(extraVars).map((k) => [k, { file: '-e' }])) };
  const all = model.groups.get('all')!;
  const hostvars: Record<string, Record<string, unknown>> = {};
  const hosts: Record<string, HostSpec> = {};
  for (const host of model.hosts.values()) {
    const groups = [...model.groups.keys()].filter((g) => g !== 'all' && members(g).has(host.name)).sort(order);
    const layers: VarsLayer[] = [
      all.vars,
      ...groups.map((g) => model.groups.get(g)!.vars),
      files.group('all'),
      ...groups.map((g) => files.group(g)),
      host.vars,
      files.host(host.name),
    ];
    const merged = merge(layers);
    hostvars[host.name] = { ...merged.values };
    // Passwords are never shown, whatever their type or length.
    for (const key of [...PASSWORD, ...BECOME_PASSWORD]) if (Object.hasOwn(hostvars[host.name], key)) hostvars[host.name][key] = REDACTED;
    const withExtra = merge([merged, extra]);
    hosts[host.name] = toHostSpec(host.name, withExtra);
  }

  const spec: InventorySpec = {
    hosts,
    groups: Object.fromEntries(
      [...model.groups.values()]
        .filter((g) => g.name !== 'all')
        .map((g) => [g.name, { hosts: [...g.hosts], children: [...g.children] }]),
    ),
  };
  const inventory = buildInventory(spec, {}, source);
  const listing: InventoryListing = {
    groups: [...model.groups.values()].map((g) => ({ name: g.name, hosts: g.name === 'all' ? [] : [...g.hosts], children: [...g.children] })),
    hostvars,
  };
  return { ...inventory, listing };
}

/** Later layers replace earlier values whole, as Ansible's combine_vars does by default. */
function merge(layers: VarsLayer[]): VarsLayer {
  const out: VarsLayer = { values: {}, origins: {} };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer.values)) {
      out.values[k] = v;
      out.origins[k] = layer.origins[k] ?? out.origins[k];
    }
  }
  return out;
}

// Ansible's names for keel's connection fields (with their older spellings).
const ADDRESS = ['ansible_host', 'ansible_ssh_host'];
const PORT = ['ansible_port', 'ansible_ssh_port'];
const USER = ['ansible_user', 'ansible_ssh_user'];
const KEY_FILE = ['ansible_ssh_private_key_file', 'ansible_private_key_file'];
const PASSWORD = ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'];
const BECOME = ['ansible_become', 'ansible_sudo'];
const BECOME_USER = ['ansible_become_user', 'ansible_sudo_user'];
const BECOME_PASSWORD = ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass', 'ansible_sudo_password'];
const TIMEOUT = ['ansible_ssh_timeout'];
/** sudo as keel runs it: the `sudo` on the PATH, its own flags. Ansible's defaults mean the same. */
const sudoExe = (v: unknown) => (v === 'sudo' ? undefined : `keel runs "sudo" from the PATH, not "${String(v)}"`);
const sudoFlags = (v: unknown) => (v === '' || v === '-H -S -n' ? undefined : `keel gives sudo its own flags (-H -u USER, -S or -n), not "${String(v)}"`);
const hostKeyChecking = (v: unknown) =>
  v === true || TRUE.includes(String(v).toLowerCase()) ? undefined : 'keel always checks host keys: run with --accept-new-host-keys to trust and record unknown ones';
/** Connection settings keel cannot honour: connecting without them would not be what was asked. */
const REFUSED: Record<string, (v: unknown) => string | undefined> = {
  ansible_connection: (v) => (['ssh', 'smart', 'paramiko', 'local'].includes(String(v)) ? undefined : `keel connects over ssh or local only, not "${String(v)}"`),
  ansible_become_method: (v) => (v === 'sudo' ? undefined : `keel becomes another user with sudo only, not "${String(v)}"`),
  ansible_ssh_common_args: () => 'extra ssh arguments are not supported (keel connects with its own SSH client)',
  ansible_ssh_extra_args: () => 'extra ssh arguments are not supported (keel connects with its own SSH client)',
  ansible_ssh_args: () => 'extra ssh arguments are not supported (keel connects with its own SSH client)',
  ansible_ssh_executable: () => 'keel connects with its own SSH client, not an ssh executable',
  ansible_become_exe: sudoExe,
  ansible_sudo_exe: sudoExe,
  ansible_become_flags: sudoFlags,
  ansible_sudo_flags: sudoFlags,
  ansible_host_key_checking: hostKeyChecking,
  ansible_ssh_host_key_checking: hostKeyChecking,
  ansible_ssh_pkcs11_provider: () => 'PKCS#11 keys are not supported (put the key in ssh-agent)',
};

const TRUE = ['y', 'yes', 'on', '1', 'true', 't'];
const FALSE = ['n', 'no', 'off', '0', 'false', 'f'];

/** The merged vars of a host as keel's host spec: connection fields out, the rest as vars. */
function toHostSpec(host: string, merged: VarsLayer): HostSpec {
  const vars = { ...merged.values };
  const spec: HostSpec = {};
  const take = (names: string[]): { value: unknown; where: Where; name: string } | undefined => {
    let found: { value: unknown; where: Where; name: string } | undefined;
    for (const name of names) {
      if (Object.hasOwn(vars, name)) {
        // The first spelling wins when several are set, as in Ansible's connection plugins.
        found ??= { value: vars[name], where: merged.origins[name] ?? { file: '?' }, name };
        delete vars[name];
      }
    }
    return found;
  };
  const bad = (f: { where: Where; name: string }, message: string): never => fail(f.where, `${host}: ${f.name}: ${message}`);
  const str = (f: { value: unknown; where: Where; name: string }): string => {
    if (typeof f.value === 'string' && f.value !== '') return f.value;
    if (typeof f.value === 'number') return String(f.value);
    return bad(f, `must be a non-empty string, got ${JSON.stringify(f.value)}`);
  };
  /** ansible_user and ansible_become_user: a user name sudo and ssh accept. */
  const userName = (f: { value: unknown; where: Where; name: string }): string => {
    const name = str(f);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) bad(f, `"${name}" is not a valid user name`);
    return name;
  };
  for (const [name, check] of Object.entries(REFUSED)) {
    if (Object.hasOwn(vars, name)) {
      const problem = check(vars[name]);
      if (problem) bad({ name, where: merged.origins[name] ?? { file: '?' } }, problem);
    }
  }
  const connection = vars.ansible_connection;
  // What passed the checks above means what keel does anyway.
  for (const name of Object.keys(REFUSED)) delete vars[name];
  if (connection !== undefined) spec.connection = connection === 'local' ? 'local' : 'ssh';

  const address = take(ADDRESS);
  if (address) {
    spec.address = str(address);
    if (!/^[A-Za-z0-9_.:-]+$/.test(spec.address)) bad(address, `"${spec.address}" is not a host name or address`);
  }
  const port = take(PORT);
  if (port) {
    const n = typeof port.value === 'number' ? port.value : typeof port.value === 'string' && /^\d+$/.test(port.value.trim()) ? Number(port.value) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) bad(port, `must be a port number from 1 to 65535, got ${JSON.stringify(port.value)}`);
    spec.port = n;
  }
  const user = take(USER);
  if (user) spec.user = userName(user);
  const keyFile = take(KEY_FILE);
  if (keyFile) {
    const p = str(keyFile);
    spec.keyFile = p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
  }
  const password = take(PASSWORD);
  if (password) spec.password = str(password);
  const become = take(BECOME);
  if (become) {
    const v = become.value;
    const text = typeof v === 'string' ? v.toLowerCase() : typeof v === 'number' ? String(v) : undefined;
    if (v === true || (text !== undefined && TRUE.includes(text))) spec.become = true;
    else if (v === false || (text !== undefined && FALSE.includes(text))) spec.become = false;
    else bad(become, `must be a boolean (true/false, yes/no), got ${JSON.stringify(v)}`);
  }
  const becomeUser = take(BECOME_USER);
  if (becomeUser) spec.becomeUser = userName(becomeUser);
  const timeout = take(TIMEOUT);
  if (timeout) {
    const n = typeof timeout.value === 'number' ? timeout.value : typeof timeout.value === 'string' && /^\d+$/.test(timeout.value.trim()) ? Number(timeout.value) : NaN;
    if (!(n > 0 && n <= 600)) bad(timeout, `must be a number of seconds from 1 to 600, got ${JSON.stringify(timeout.value)}`);
    spec.connectTimeoutSeconds = n;
  }
  const becomePassword = take(BECOME_PASSWORD);
  if (becomePassword) spec.becomePassword = str(becomePassword);
  spec.vars = vars;
  return spec;
}

function looksLikeYamlMapping(text: string): boolean {
  const doc = parseDocument(text, { version: '1.1' });
  return doc.errors.length === 0 && isMap(doc.contents);
}
