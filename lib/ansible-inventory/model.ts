import { relative, isAbsolute } from 'node:path';
import { InventoryFileError } from '../errors';

/** Where a group, host or var was written: for errors that name the file and line. */
export interface Where {
  file: string;
  line?: number;
}

/** Vars with the place each one was set. */
export interface VarsLayer {
  values: Record<string, unknown>;
  origins: Record<string, Where>;
}

export interface ModelGroup {
  name: string;
  /** Hosts listed in the group itself, in the order they were added. */
  hosts: string[];
  children: string[];
  parents: string[];
  vars: VarsLayer;
  /** `ansible_group_priority`: among groups of the same depth, higher applies later. */
  priority: number;
  where?: Where;
}

export interface ModelHost {
  name: string;
  vars: VarsLayer;
  where: Where;
}

/** keel's rule for host and group names (the TypeScript inventory schema has the same). */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const emptyLayer = (): VarsLayer => ({ values: {}, origins: {} });

/** The file as the user would write it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function fail(where: Where, message: string): never {
  throw new InventoryFileError(displayPath(where.file), where.line, message);
}

/**
 * An Ansible inventory as its parsers build it (ansible-core's InventoryData): groups and hosts
 * in the order they were first seen, `all` and `ungrouped` from the start. One model is shared
 * by every file of an inventory directory.
 */
export class InventoryModel {
  readonly groups = new Map<string, ModelGroup>();
  readonly hosts = new Map<string, ModelHost>();

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped', { file: '(built in)' });
  }

  addGroup(name: string, where?: Where): ModelGroup {
    let g = this.groups.get(name);
    if (!g) {
      if (where && !NAME.test(name)) {
        fail(where, `group name "${name}" is not valid in keel (letters, digits, _ . -, not starting with . or -)`);
      }
      g = { name, hosts: [], children: [], parents: [], vars: emptyLayer(), priority: 1, where };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Adds a host (first definition wins its port) and puts it in `group`. */
  addHost(name: string, group: string | undefined, port: number | undefined, where: Where): void {
    if (!NAME.test(name)) fail(where, `host name "${name}" is not valid in keel (letters, digits, _ . -, not starting with . or -)`);
    if (!this.hosts.has(name)) {
      this.hosts.set(name, { name, vars: emptyLayer(), where });
      if (port !== undefined) this.setHostVar(name, 'ansible_port', port, where);
    }
    if (group) {
      const g = this.groups.get(group)!;
      if (!g.hosts.includes(name)) g.hosts.push(name);
    }
  }

  setHostVar(host: string, key: string, value: unknown, where: Where): void {
    const layer = this.hosts.get(host)!.vars;
    layer.values[key] = value;
    layer.origins[key] = where;
  }

  setGroupVar(group: string, key: string, value: unknown, where: Where): void {
    const g = this.groups.get(group)!;
    if (key === 'ansible_group_priority') {
      // Like Ansible, a group's priority is not a var.
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) fail(where, `ansible_group_priority must be a whole number, got ${JSON.stringify(value)}`);
      g.priority = n;
      return;
    }
    g.vars.values[key] = value;
    g.vars.origins[key] = where;
  }

  addChild(parent: string, child: string, where: Where): void {
    const p = this.groups.get(parent)!;
    const c = this.groups.get(child)!;
    if (parent === child) fail(where, `group "${child}" cannot be a child of itself`);
    if (child === 'all') fail(where, `group "all" cannot be a child of another group`);
    if (p.children.includes(child)) return;
    if (this.ancestors(parent).has(child)) {
      fail(where, `adding group "${child}" as a child of "${parent}" creates a loop`);
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  ancestors(group: string): Set<string> {
    const seen = new Set<string>();
    const walk = (g: string) => {
      for (const p of this.groups.get(g)!.parents) {
        if (!seen.has(p)) {
          seen.add(p);
          walk(p);
        }
      }
    };
    walk(group);
    return seen;
  }
}

const TEMPLATE = /\{\{|\{%|\{#/;

/**
 * keel does not template vars: a value with Jinja2 markers would reach tasks as its raw text,
 * so it is an error, naming the var and where it was written.
 */
export function checkNoTemplate(name: string, value: unknown, where: Where): void {
  if (typeof value === 'string') {
    if (TEMPLATE.test(value)) {
      fail(where, `${name}: Jinja2 templates are not supported (keel does not template vars): ${JSON.stringify(value)}`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkNoTemplate(`${name}[${i}]`, v, where));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkNoTemplate(`${name}.${k}`, v, where);
  }
}
