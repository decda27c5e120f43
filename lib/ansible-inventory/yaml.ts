/**
 * Ansible's YAML inventory format (ansible-core's `yaml` inventory plugin), and the YAML of
 * group_vars/ and host_vars/ files, read with the `yaml` package.
 *
 * Ansible reads YAML 1.1 with PyYAML: `yes`/`on` are booleans, `0755` is octal, `1e3` and `08`
 * are strings. The scalar rules below are PyYAML's, so a value means here what it means there.
 * `!vault` values, other unknown tags and Jinja2 templates are errors naming the file and line;
 * `!unsafe` marks a plain string (Ansible never templates it), which keel reads as is.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type ScalarTag,
  type Tags,
  type YAMLMap,
} from 'yaml';
import { expandHostPattern, HostPatternError } from './host-pattern';
import { emptyLayer, fail, type InventoryModel, type VarsLayer, type Where } from './model';

const TEMPLATE = /\{\{|\{%|\{#/;

// PyYAML's implicit resolvers (yaml/resolver.py) and constructors (yaml/constructor.py).
const pyBool: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (s) => ['yes', 'true', 'on'].includes(s.toLowerCase()),
};
const pyInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  resolve: (s, onError) => {
    let v = s.replace(/_/g, '');
    const sign = v.startsWith('-') ? -1 : 1;
    if (v[0] === '-' || v[0] === '+') v = v.slice(1);
    let n: number;
    if (v === '0') n = 0;
    else if (v.startsWith('0b')) n = parseInt(v.slice(2), 2);
    else if (v.startsWith('0x')) n = parseInt(v.slice(2), 16);
    else if (v.startsWith('0')) n = parseInt(v, 8);
    else if (v.includes(':')) n = v.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
    else n = Number(v);
    if (!Number.isSafeInteger(n)) onError(`integer ${s} is too large for keel`);
    return sign * n;
  },
};
const pyFloat: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  test: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  resolve: (s, onError) => {
    let v = s.replace(/_/g, '').toLowerCase();
    const sign = v.startsWith('-') ? -1 : 1;
    if (v[0] === '-' || v[0] === '+') v = v.slice(1);
    if (v === '.inf' || v === '.nan') {
      onError(`${s} (infinity or NaN) is not supported`);
      return NaN;
    }
    if (v.includes(':')) return sign * v.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
    return sign * Number(v);
  },
};
// A timestamp stays the text it was (Ansible makes a date, printed back as the same text).
const pyTimestamp: ScalarTag = {
  tag: 'tag:yaml.org,2002:timestamp',
  default: true,
  test: /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  resolve: (s) => s,
};
const unsafeTag: ScalarTag = { tag: '!unsafe', resolve: (s) => s };
const vaultTag: ScalarTag = { tag: '!vault', resolve: (s) => s };

const REPLACED = new Set(['tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);
const customTags = (tags: Tags): Tags => [
  ...tags.filter((t) => !REPLACED.has((t as ScalarTag).tag)),
  pyBool,
  pyInt,
  pyFloat,
  pyTimestamp,
  unsafeTag,
  vaultTag,
];

const UNSUPPORTED_TAGS: Record<string, string> = {
  '!vault': 'vault-encrypted values (!vault) are not supported',
  'tag:yaml.org,2002:binary': '!!binary values are not supported',
  'tag:yaml.org,2002:set': '!!set values are not supported',
  'tag:yaml.org,2002:omap': '!!omap values are not supported',
  'tag:yaml.org,2002:pairs': '!!pairs values are not supported',
};
const KNOWN_TAGS = new Set([
  '!unsafe',
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:timestamp',
  'tag:yaml.org,2002:merge',
]);

export interface YamlFile {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** Parses one YAML file: syntax errors, unsupported tags and templates fail with the line. */
export function readYaml(text: string, file: string): YamlFile {
  if (text.startsWith('$ANSIBLE_VAULT;')) fail({ file, line: 1 }, 'vault-encrypted files are not supported');
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', customTags, lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const y: YamlFile = { file, doc, lines };
  const first = doc.errors[0];
  if (first) fail({ file, line: lines.linePos(first.pos[0]).line }, `YAML: ${first.message.split('\n')[0]}`);
  visit(doc, {
    Node(_key, node) {
      const tag = node.tag;
      if (tag && UNSUPPORTED_TAGS[tag]) fail(whereOf(y, node), UNSUPPORTED_TAGS[tag]);
      if (tag && !KNOWN_TAGS.has(tag)) fail(whereOf(y, node), `the YAML tag ${tag} is not supported`);
      if (tag === '!unsafe' && !isScalar(node)) fail(whereOf(y, node), '!unsafe is supported on strings only');
      if (isScalar(node) && typeof node.value === 'string' && tag !== '!unsafe' && TEMPLATE.test(node.value)) {
        fail(whereOf(y, node), `Jinja2 templates are not supported (keel does not template vars): ${JSON.stringify(node.value)}`);
      }
    },
  });
  const warning = doc.warnings[0];
  if (warning) fail({ file, line: lines.linePos(warning.pos[0]).line }, `YAML: ${warning.message.split('\n')[0]}`);
  return y;
}

export function whereOf(y: YamlFile, node: Node | null | undefined): Where {
  const offset = node?.range?.[0];
  return { file: y.file, line: offset === undefined ? undefined : y.lines.linePos(offset).line };
}

/** An alias stands for the node it names. */
function deref(y: YamlFile, node: unknown): Node | null {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return (node.resolve(y.doc) as Node | undefined) ?? null;
  return node as Node;
}

function isNull(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** A mapping of vars (group_vars/ file, `vars:` section, a host's vars) with each var's line. */
export function varsOf(y: YamlFile, node: Node | null, what: string): VarsLayer {
  const layer = emptyLayer();
  if (isNull(node)) return layer;
  if (!isMap(node)) fail(whereOf(y, node), `${what} must be a mapping of var: value`);
  const values = node.toJS(y.doc, { maxAliasCount: 100 }) as Record<string, unknown>;
  const mapWhere = whereOf(y, node);
  for (const key of Object.keys(values)) layer.origins[key] = mapWhere;
  for (const pair of node.items as Pair<Node, Node>[]) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key === '<<') {
      // Keys that come from a merge are placed at the `<<` line unless written here too.
      const merged = deref(y, pair.value);
      const sources = isSeq(merged) ? merged.items.map((i) => deref(y, i)) : [merged];
      for (const s of sources) if (isMap(s)) for (const k of Object.keys(s.toJS(y.doc) as object)) layer.origins[k] = whereOf(y, pair.key);
    }
  }
  for (const pair of node.items as Pair<Node, Node>[]) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key !== '<<' && key !== undefined && key !== null) layer.origins[String(key)] = whereOf(y, pair.key);
  }
  layer.values = values;
  return layer;
}

/** Reads a group_vars/ or host_vars/ file; undefined when it is empty. */
export function parseVarsFile(text: string, file: string): VarsLayer | undefined {
  const y = readYaml(text, file);
  const root = deref(y, y.doc.contents);
  if (isNull(root)) return undefined;
  if (!isMap(root)) fail(whereOf(y, root), 'a vars file must be a mapping of var: value');
  return varsOf(y, root, 'a vars file');
}

/** Reads one YAML inventory file into `model`, as ansible-core's yaml plugin does. */
export function parseYamlInventory(text: string, file: string, model: InventoryModel): void {
  const y = readYaml(text, file);
  const root = deref(y, y.doc.contents);
  if (isNull(root)) fail({ file, line: 1 }, 'the YAML inventory is empty');
  if (!isMap(root)) fail(whereOf(y, root), 'a YAML inventory must be a mapping of groups (all: {hosts: ..., children: ...})');
  for (const pair of root.items as Pair<Node, Node>[]) {
    if (isScalar(pair.key) && pair.key.value === 'plugin') {
      const plugin = isScalar(pair.value) ? String(pair.value.value) : '?';
      fail(whereOf(y, pair.key), `inventory plugins are not supported (plugin: ${plugin}): keel reads static INI and YAML inventories`);
    }
  }
  for (const pair of root.items as Pair<Node, Node>[]) parseGroup(y, pair, model);
}

/** A key and its value, from a mapping or from the string shorthand. */
interface Entry {
  key: Node | null;
  value: unknown;
}

function keyName(y: YamlFile, pair: Entry, what: string): string {
  const key = pair.key;
  if (!isScalar(key) || typeof key.value !== 'string' || key.value === '') {
    fail(whereOf(y, key), `${what} must be a string${isScalar(key) && typeof key.value === 'number' ? ' (quote numbers)' : ''}`);
  }
  return key.value;
}

function parseGroup(y: YamlFile, pair: Entry, model: InventoryModel): string {
  const name = keyName(y, pair, 'a group name');
  const where = whereOf(y, pair.key);
  const body = deref(y, pair.value);
  if (!isNull(body) && !isMap(body)) {
    fail(where, `group "${name}" must be a mapping with hosts, children or vars`);
  }
  model.addGroup(name, where);
  if (isNull(body)) return name;
  for (const item of (body as YAMLMap<Node, Node>).items as Pair<Node, Node>[]) {
    const section = keyName(y, item, 'a group key');
    const sectionWhere = whereOf(y, item.key);
    const value = deref(y, item.value);
    if (section !== 'hosts' && section !== 'children' && section !== 'vars') {
      fail(sectionWhere, `group "${name}" has an unexpected key "${section}": only hosts, children and vars are valid`);
    }
    if (isNull(value)) continue;
    // A string stands for a mapping with that one key: `hosts: web1` is `hosts: {web1: }`.
    let entries: Entry[];
    if (isScalar(value) && typeof value.value === 'string') entries = [{ key: value, value: null }];
    else if (isMap(value)) entries = (value.items as Pair<Node, Node>[]).map((p) => ({ key: p.key, value: deref(y, p.value) }));
    else fail(sectionWhere, `"${section}" of group "${name}" must be a mapping`);
    if (section === 'vars') {
      const layer = isMap(value) ? varsOf(y, value, `vars of group "${name}"`) : { values: { [String((value as { value: unknown }).value)]: null }, origins: {} };
      for (const [k, v] of Object.entries(layer.values)) model.setGroupVar(name, k, v, layer.origins[k] ?? whereOf(y, value));
    } else if (section === 'children') {
      for (const child of entries) {
        const childName = parseGroup(y, child, model);
        model.addChild(name, childName, whereOf(y, child.key));
      }
    } else {
      for (const host of entries) {
        const pattern = keyName(y, host, 'a host pattern');
        const hostWhere = whereOf(y, host.key);
        let expanded: { hosts: string[]; port?: number };
        try {
          expanded = expandHostPattern(pattern);
        } catch (err) {
          if (err instanceof HostPatternError) fail(hostWhere, err.message);
          throw err;
        }
        const layer = varsOf(y, deref(y, host.value), `vars of host "${pattern}"`);
        for (const h of expanded.hosts) {
          model.addHost(h, name, expanded.port, hostWhere);
          for (const [k, v] of Object.entries(layer.values)) model.setHostVar(h, k, v, layer.origins[k]);
        }
      }
    }
  }
  return name;
}
