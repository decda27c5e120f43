/**
 * Ansible's INI inventory format, as ansible-core's `ini` inventory plugin reads it.
 *
 * This is not the INI the `ini` package reads: a host line is a host pattern followed by
 * shell-quoted `key=value` pairs (`web[01:03] ansible_user=admin motd="hello world"`), sections
 * are `[group]`, `[group:vars]` and `[group:children]`, lines before any section are ungrouped
 * hosts, and every value is read as a Python literal (`8080` a number, `'8080'` a string).
 */
import { HostPatternError, expandHostPattern } from './host-pattern';
import { checkNoTemplate, fail, type InventoryModel, type Where } from './model';
import { UnsupportedLiteral, pythonValue } from './python-literal';
import { shlexSplit } from './shlex';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  parents: string[];
}

/** Reads one INI inventory file into `model`. */
export function parseIniInventory(text: string, file: string, model: InventoryModel): void {
  if (text.startsWith('$ANSIBLE_VAULT;')) fail({ file, line: 1 }, 'vault-encrypted inventory files are not supported');
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const where: Where = { file, line: index + 1 };
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;

    const section = SECTION.exec(line);
    if (section) {
      group = section[1];
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        fail(where, `section [${section[1]}:${kind}] has an unknown type: ${kind} (use :vars or :children)`);
      }
      state = kind;
      if (!model.groups.has(group)) {
        // [g] or [g:children] declares a group; [g:vars] needs a declaration somewhere in the file.
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: where.line!, state: 'vars', parents: [] });
        model.addGroup(group, where);
      }
      const waiting = pending.get(group);
      if (waiting && state !== 'vars') {
        if (waiting.state === 'children') addPendingChildren(group, pending, model, where);
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(where, `invalid section "${line}": a section is [group], [group:vars] or [group:children], without spaces`);
    }

    if (state === 'hosts') {
      parseHostLine(line, group, model, where);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(where, `expected key=value in [${group}:vars], got: ${line}`);
      const key = line.slice(0, eq).trim();
      const value = literal(line.slice(eq + 1).trim(), key, where);
      checkNoTemplate(key, value, where);
      model.setGroupVar(group, key, value, where);
    } else {
      const m = GROUP_NAME.exec(line);
      if (!m) fail(where, `expected a group name in [${group}:children], got: ${line}`);
      const child = m[1];
      if (!model.groups.has(child)) {
        const p = pending.get(child);
        if (p) p.parents.push(group);
        else pending.set(child, { line: where.line!, state: 'children', parents: [group] });
      } else {
        model.addChild(group, child, where);
      }
    }
  });
  for (const [name, p] of pending) {
    if (p.state === 'vars') fail({ file, line: p.line }, `section [${name}:vars] is for a group that is not defined: ${name}`);
    fail({ file, line: p.line }, `section [${p.parents.at(-1)}:children] names a group that is not defined: ${name}`);
  }
}

function addPendingChildren(group: string, pending: Map<string, Pending>, model: InventoryModel, where: Where): void {
  for (const parent of pending.get(group)!.parents) {
    model.addChild(parent, group, where);
    if (pending.get(parent)?.state === 'children') addPendingChildren(parent, pending, model, where);
  }
  pending.delete(group);
}

function parseHostLine(line: string, group: string, model: InventoryModel, where: Where): void {
  let tokens: string[];
  try {
    tokens = shlexSplit(line);
  } catch (err) {
    fail(where, `cannot split host line (${(err as Error).message}): ${line}`);
  }
  if (tokens.length === 0) return;
  const pattern = tokens[0];
  let expanded: { hosts: string[]; port?: number };
  try {
    expanded = expandHostPattern(pattern);
  } catch (err) {
    if (err instanceof HostPatternError) fail(where, err.message);
    throw err;
  }
  if (pattern.trim().endsWith(':') && expanded.port === undefined) {
    fail(where, `host pattern "${pattern}" ends in ":" (":" gives a port: host:2222)`);
  }
  if (expanded.hosts.some((h) => h.trim() === '---')) fail(where, `"---" is not a host: is this a YAML file? Name it .yml or .yaml`);
  const vars: [string, unknown][] = [];
  for (const token of tokens.slice(1)) {
    const eq = token.indexOf('=');
    if (eq < 0) fail(where, `expected key=value after the host, got: ${token}`);
    const key = token.slice(0, eq);
    const value = literal(token.slice(eq + 1), key, where);
    checkNoTemplate(key, value, where);
    vars.push([key, value]);
  }
  for (const host of expanded.hosts) {
    model.addHost(host, group, expanded.port, where);
    for (const [k, v] of vars) model.setHostVar(host, k, v, where);
  }
}

function literal(text: string, key: string, where: Where): unknown {
  try {
    return pythonValue(text);
  } catch (err) {
    if (err instanceof UnsupportedLiteral) fail(where, `${key}: ${err.message}: ${text}`);
    throw err;
  }
}
