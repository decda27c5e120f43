import { basename, dirname, resolve } from 'node:path';
import type * as Nunjucks from 'nunjucks';
import { KeelError } from '../../lib/errors';
import { quote } from '../../lib/quote';
import type { HostFacts, HostView } from '../../lib/types';

/**
 * Jinja2 templates (an Ansible role's `.j2` files) rendered with nunjucks, set up as Ansible
 * sets up Jinja2 for its template module: no autoescape, `trim_blocks` on, `lstrip_blocks` off,
 * the trailing newline kept, an undefined variable an error. Python's spellings work through
 * nunjucks's Jinja compatibility (True/False/None, `dict.items()`, slices), and values print as
 * Python prints them (Ansible's output): True/False, lists and dicts as their repr, None as ''.
 * The filters Ansible roles use most that nunjucks lacks are added below.
 */

/** `{{ ansible_managed }}`, which many role templates put in their first line. */
export const ANSIBLE_MANAGED = 'Ansible managed (rendered by keel)';

type Runtime = { suppressValue(val: unknown, autoescape: boolean): unknown; ensureDefined(val: unknown, lineno: number, colno: number): unknown; SafeString: new (s: string) => object };
let installed = false;

/**
 * Installs nunjucks's Jinja compatibility and Python's printing, once per process. Both patch
 * the nunjucks runtime module, which keel uses for this alone.
 */
function install(): typeof Nunjucks {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nunjucks = require('nunjucks') as typeof Nunjucks;
  if (installed) return nunjucks;
  installed = true;
  nunjucks.installJinjaCompat();
  const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;
  const suppress = runtime.suppressValue;
  const ensure = runtime.ensureDefined;
  runtime.suppressValue = (val, autoescape) => suppress(val instanceof runtime.SafeString || typeof val === 'string' ? val : printed(val), autoescape);
  // Undefined stays an error (Ansible's default); None prints as '' (Ansible's finalize).
  runtime.ensureDefined = (val, lineno, colno) => (val === null ? '' : ensure(val, lineno, colno));
  return nunjucks;
}

/** What Python's str() makes of a value inside `{{ }}`. */
function printed(val: unknown): unknown {
  if (val === null || val === undefined) return '';
  if (typeof val === 'boolean' || Array.isArray(val) || isPlainObject(val)) return pyRepr(val);
  return val;
}

/** Python's repr, for lists and dicts printed whole: `['a', 'b']`, `{'k': True}`. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** nunjucks passes `f(x, name=1)` keyword arguments as a last object marked `__keywords`. */
function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (isPlainObject(last) && last.__keywords) {
    const { __keywords, ...keywords } = last;
    void __keywords;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** Python's `%` formatting, for Jinja2's `format` filter: %s %d %i %f %r %%, with flags, width and precision. */
export function pyFormat(template: string, args: unknown[]): string {
  let i = 0;
  return template.replace(/%([-0+ ]*)(\d*)(?:\.(\d+))?([sdifr%])/g, (_m, flags: string, width: string, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const a = args[i++];
    let s: string;
    if (conv === 'd' || conv === 'i') s = String(Math.trunc(Number(a)));
    else if (conv === 'f') s = Number(a).toFixed(precision === undefined ? 6 : Number(precision));
    else if (conv === 'r') s = pyRepr(a);
    else s = typeof a === 'string' ? a : String(printed(a));
    if (conv === 's' && precision !== undefined) s = s.slice(0, Number(precision));
    if (flags.includes('+') && /[dif]/.test(conv) && Number(a) >= 0) s = '+' + s;
    const w = Number(width || 0);
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && conv !== 's' ? s.padStart(w, '0') : s.padStart(w);
    return s;
  });
}

/** Python's re replacement syntax (`\1`, `\g<name>`) in JavaScript's (`$1`, `$<name>`). */
function pyReplacement(r: string): string {
  return r.replace(/\$/g, '$$$$').replace(/\\g<(\w+)>/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`)).replace(/\\(\d+)/g, '$$$1');
}

/** Python's truthiness of a string, as Ansible's `bool` filter reads it. */
function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  return ['yes', 'on', '1', 'true', 'y', 't'].includes(String(v).trim().toLowerCase());
}

const FILTERS: Record<string, (...args: any[]) => unknown> = {
  // Jinja2 built-ins that nunjucks lacks.
  map(seq: unknown[], ...rest: unknown[]) {
    const { positional, keywords } = splitKeywords(rest);
    const list = Array.from(seq ?? []);
    if (typeof keywords.attribute === 'string') return list.map((x) => attribute(x, keywords.attribute as string, keywords.default));
    const name = positional[0];
    if (typeof name !== 'string') throw new Error('map needs a filter name or attribute=');
    const f = byName[name];
    if (!f) throw new Error(`map: no filter ${name}`);
    return list.map((x) => f(x, ...positional.slice(1)));
  },
  unique: (seq: unknown[]) => [...new Set(Array.from(seq ?? []))],
  min: (seq: unknown[]) => Array.from(seq).reduce((a, b) => ((b as number) < (a as number) ? b : a)),
  max: (seq: unknown[]) => Array.from(seq).reduce((a, b) => ((b as number) > (a as number) ? b : a)),
  format: (template: string, ...args: unknown[]) => pyFormat(String(template), args),
  tojson: (v: unknown) => JSON.stringify(v),
  attr: (v: unknown, name: string) => attribute(v, name),
  // Ansible's most used filters.
  bool: toBool,
  ternary: (v: unknown, yes: unknown, no: unknown, none?: unknown) => (v === null && none !== undefined ? none : v ? yes : no),
  mandatory(v: unknown, message?: string) {
    if (v === undefined) throw new Error(message ?? 'Mandatory variable has not been overridden');
    return v;
  },
  to_json: (v: unknown) => JSON.stringify(v),
  to_nice_json: (v: unknown, ...rest: unknown[]) => JSON.stringify(v, null, Number(splitKeywords(rest).keywords.indent ?? 4)),
  regex_replace: (v: unknown, pattern: string, replacement = '', ...rest: unknown[]) => {
    const { keywords } = splitKeywords(rest);
    const flags = 'g' + (keywords.ignorecase ? 'i' : '') + (keywords.multiline ? 'm' : '');
    return String(v).replace(new RegExp(pattern, flags), pyReplacement(String(replacement)));
  },
  regex_search: (v: unknown, pattern: string) => new RegExp(pattern).exec(String(v))?.[0] ?? null,
  b64encode: (v: unknown) => Buffer.from(String(v), 'utf8').toString('base64'),
  b64decode: (v: unknown) => Buffer.from(String(v), 'base64').toString('utf8'),
  basename: (v: unknown) => basename(String(v)),
  dirname: (v: unknown) => dirname(String(v)),
  quote: (v: unknown) => quote(String(v)),
  dict2items: (d: Record<string, unknown>) => Object.entries(d ?? {}).map(([key, value]) => ({ key, value })),
  items2dict: (items: { key: string; value: unknown }[]) => Object.fromEntries(items.map((i) => [i.key, i.value])),
  combine: (...dicts: Record<string, unknown>[]) => Object.assign({}, ...dicts.filter((d) => !(isPlainObject(d) && d.__keywords))),
};
/** Filters `map` can apply by name: ours and nunjucks's own (filled in when the environment is made). */
const byName: Record<string, (...args: any[]) => unknown> = {};

function attribute(v: unknown, path: string, fallback?: unknown): unknown {
  let cur: unknown = v;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return fallback;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined ? fallback : cur;
}

/**
 * Jinja2's trim_blocks also drops the newline after a comment (`{# ... #}`); nunjucks's only after
 * a block tag. This loader drops it from the source, where `#}` can only end a comment.
 */
function jinjaLoader(nunjucks: typeof Nunjucks, dir: string): Nunjucks.FileSystemLoader {
  class JinjaLoader extends nunjucks.FileSystemLoader {
    override getSource(name: string): Nunjucks.LoaderSource {
      const source = super.getSource(name);
      if (source) source.src = source.src.replace(/#\}\r?\n/g, '#}');
      return source;
    }
  }
  return new JinjaLoader(dir, { noCache: true });
}

const environments = new Map<string, Nunjucks.Environment>();

/** One environment per template directory, so `{% include %}` and `{% extends %}` find their siblings. */
function environment(dir: string): Nunjucks.Environment {
  let env = environments.get(dir);
  if (env) return env;
  // nunjucks is loaded on the first render, not at start-up (issue 13): most runs render none.
  const nunjucks = install();
  env = new nunjucks.Environment(jinjaLoader(nunjucks, dir), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: false,
  });
  for (const [name, f] of Object.entries(FILTERS)) env.addFilter(name, f);
  for (const name of ['lower', 'upper', 'trim', 'int', 'float', 'string', 'length', 'first', 'last', 'capitalize', 'title', 'replace', 'join']) {
    byName[name] = env.getFilter(name);
  }
  Object.assign(byName, FILTERS);
  environments.set(dir, env);
  return env;
}

/** Renders a Jinja2 template file with these variables; a template error names the file and line. */
export function renderJinja(file: string, vars: Record<string, unknown>): string {
  const abs = resolve(file);
  try {
    return environment(dirname(abs)).render(basename(abs), vars);
  } catch (err) {
    throw new KeelError(`template ${file}: ${(err as Error).message.replace(/^\(unknown path\)\s*/, '').trim()}`);
  }
}

/** Ansible's distribution names for os-release ids. */
const DISTRIBUTIONS: Record<string, string> = { debian: 'Debian', ubuntu: 'Ubuntu', centos: 'CentOS', rhel: 'RedHat', fedora: 'Fedora', rocky: 'Rocky', almalinux: 'AlmaLinux', alpine: 'Alpine' };
const FAMILIES: Record<string, string> = { debian: 'Debian', ubuntu: 'Debian', centos: 'RedHat', rhel: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', alpine: 'Alpine' };

/**
 * What an Ansible template sees: the host's vars at the top level, Ansible's magic variables
 * (inventory_hostname, groups, group_names, hostvars) and the facts keel gathers under Ansible's
 * names (ansible_hostname, ansible_distribution..., also inside ansible_facts without the prefix).
 */
export function ansibleVars(host: HostView, facts: HostFacts): Record<string, unknown> {
  const distribution = DISTRIBUTIONS[facts.os.id] ?? facts.os.id.charAt(0).toUpperCase() + facts.os.id.slice(1);
  const gathered: Record<string, unknown> = {
    hostname: facts.hostname,
    nodename: facts.hostname,
    distribution,
    distribution_version: facts.os.versionId,
    distribution_major_version: facts.os.versionId.split('.')[0],
    distribution_release: facts.os.codename,
    os_family: FAMILIES[facts.os.id] ?? distribution,
    service_mgr: facts.initSystem === 'unknown' ? 'service' : facts.initSystem,
    interfaces: [...new Set(facts.interfaces.map((i) => i.iface))],
    all_ipv4_addresses: facts.interfaces.filter((i) => i.iface !== 'lo' && !i.address.startsWith('127.')).map((i) => i.address),
  };
  const prefixed = Object.fromEntries(Object.entries(gathered).map(([k, v]) => [`ansible_${k}`, v]));
  const magic = (h: { name: string; address: string; groups: readonly string[] }) => ({
    inventory_hostname: h.name,
    inventory_hostname_short: h.name.split('.')[0],
    ansible_host: h.address,
    group_names: [...h.groups],
  });
  const hostvars = Object.fromEntries(host.inventory.hosts.map((h) => [h.name, { ...magic(h), ...h.vars }]));
  return {
    ansible_managed: ANSIBLE_MANAGED,
    ...prefixed,
    ansible_facts: gathered,
    ...host.vars,
    ...magic(host),
    groups: { all: host.inventory.hosts.map((h) => h.name), ...host.inventory.groups },
    hostvars,
  };
}
