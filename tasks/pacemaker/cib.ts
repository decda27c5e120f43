/**
 * Reading pacemaker's CIB: `cibadmin --query` XML into a typed model of the configuration that
 * keel's crm tasks compare against, and the value rules pacemaker itself applies (durations,
 * scores, booleans), so that `30s` and `30000ms` or `inf` and `INFINITY` are never reported as drift.
 */
import type * as FastXml from 'fast-xml-parser';

/** Name → value of one attribute set (`nvpair`s), in document order. */
export type NvPairs = Readonly<Record<string, string>>;

/**
 * One attribute set (`instance_attributes`, `meta_attributes`, `utilization`) as the CIB holds it.
 * An object may hold several sets of one kind; they are kept apart, never merged, because
 * `crm configure load update` replaces them with the one set it is sent.
 */
export interface NvSet {
  id: string;
  values: NvPairs;
}

export interface CibOp {
  name: string;
  /** As written in the CIB: `30s`, `30000`, `0`. Compare with `durationMs`. */
  interval: string;
  /** Every other XML attribute (`timeout`, `on-fail`, `role`...), without `id`, `name` and `interval`. */
  attrs: NvPairs;
  /**
   * The op's own instance_attributes: crmsh puts an op attribute that is not an op XML attribute
   * (`op monitor interval=10s OCF_CHECK_LEVEL=10`) in a nested set (crmsh parse.py, `match_op`).
   */
  params: NvSet[];
  /** The op's meta_attributes (crm `op_meta`). */
  meta: NvSet[];
}

export interface CibPrimitive {
  id: string;
  class: string;
  provider?: string;
  type: string;
  description?: string;
  /** instance_attributes: the agent's parameters, one entry per set. */
  params: NvSet[];
  meta: NvSet[];
  utilization: NvSet[];
  ops: CibOp[];
  /** The group, clone or master the primitive is a child of. */
  parent?: string;
}

export interface CibColocation {
  id: string;
  score?: string;
  rsc?: string;
  withRsc?: string;
  rscRole?: string;
  withRscRole?: string;
  /** Resource sets instead of rsc/with-rsc. */
  hasSets: boolean;
}

export interface CibOrder {
  id: string;
  kind?: string;
  score?: string;
  first?: string;
  then?: string;
  firstAction?: string;
  thenAction?: string;
  symmetrical?: string;
  hasSets: boolean;
}

export interface CibNode {
  id: string;
  uname: string;
  type?: string;
}

export interface Cib {
  /** The `<cib epoch>`: rises with every configuration change. */
  epoch?: string;
  /** crm_config cluster_property_set id → properties. */
  properties: Readonly<Record<string, NvPairs>>;
  /** rsc_defaults meta_attributes id → values. */
  rscDefaults: Readonly<Record<string, NvPairs>>;
  /** op_defaults meta_attributes id → values. */
  opDefaults: Readonly<Record<string, NvPairs>>;
  primitives: Readonly<Record<string, CibPrimitive>>;
  colocations: Readonly<Record<string, CibColocation>>;
  orders: Readonly<Record<string, CibOrder>>;
  nodes: CibNode[];
}

export function emptyCib(): Cib {
  return { properties: {}, rscDefaults: {}, opDefaults: {}, primitives: {}, colocations: {}, orders: {}, nodes: [] };
}

/** Elements that may repeat: always arrays, so one and many read the same. */
const REPEATED = new Set([
  'cluster_property_set',
  'meta_attributes',
  'instance_attributes',
  'utilization',
  'nvpair',
  'node',
  'primitive',
  'group',
  'clone',
  'master',
  'bundle',
  'op',
  'rsc_colocation',
  'rsc_order',
  'rsc_location',
  'rsc_ticket',
  'resource_set',
  'resource_ref',
]);

let xmlLib: { parser: FastXml.XMLParser; validator: typeof FastXml.XMLValidator } | undefined;

/**
 * The XML parser, made on the first CIB: loading it at start-up delayed every run's first
 * connection, while the first CIB arrives only after it (issue 13).
 */
function xmlTools(): NonNullable<typeof xmlLib> {
  if (xmlLib) return xmlLib;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { XMLParser, XMLValidator } = require('fast-xml-parser') as typeof FastXml;
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && REPEATED.has(name),
  });
  xmlLib = { parser, validator: XMLValidator };
  return xmlLib;
}

type El = Record<string, unknown>;

function children(el: El | undefined, tag: string): El[] {
  const v = el?.[tag];
  if (Array.isArray(v)) return v.filter((x): x is El => typeof x === 'object' && x !== null);
  if (typeof v === 'object' && v !== null) return [v as El];
  if (v === '') return [{}];
  return [];
}

function child(el: El | undefined, tag: string): El | undefined {
  return children(el, tag)[0];
}

function attr(el: El | undefined, name: string): string | undefined {
  const v = el?.['@_' + name];
  return v === undefined ? undefined : String(v);
}

function attrs(el: El, skip: readonly string[]): Record<string, string> {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(el)) {
    if (!k.startsWith('@_')) continue;
    const name = k.slice(2);
    if (!skip.includes(name)) out.push([name, String(v)]);
  }
  return Object.fromEntries(out);
}

function nvpairs(set: El): Record<string, string> {
  const out: [string, string][] = [];
  for (const nv of children(set, 'nvpair')) {
    const name = attr(nv, 'name');
    if (name !== undefined) out.push([name, attr(nv, 'value') ?? '']);
  }
  return Object.fromEntries(out);
}

function nvSets(sets: El[], owner: string): NvSet[] {
  return sets.map((s, i) => ({ id: attr(s, 'id') ?? `${owner} (set ${i + 1})`, values: nvpairs(s) }));
}

function setsById(sets: El[]): Record<string, NvPairs> {
  return Object.fromEntries(sets.map((s, i) => [attr(s, 'id') ?? `(set ${i + 1})`, nvpairs(s)]));
}

/** Parses `cibadmin --query` output. Empty output is an empty CIB; anything not XML is a TypeError. */
export function parseCib(xml: string): Cib {
  if (xml.trim() === '') return emptyCib();
  const { parser, validator } = xmlTools();
  const valid = validator.validate(xml);
  if (valid !== true) {
    throw new TypeError(`CIB is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  const doc = parser.parse(xml) as El;
  const cib = child(doc, 'cib');
  if (!cib) throw new TypeError('CIB has no <cib> element');
  const conf = child(cib, 'configuration');
  const resources = child(conf, 'resources');

  const primitives: [string, CibPrimitive][] = [];
  const collect = (el: El | undefined, parent?: string): void => {
    for (const p of children(el, 'primitive')) {
      const prim = parsePrimitive(p, parent);
      primitives.push([prim.id, prim]);
    }
    for (const tag of ['group', 'clone', 'master', 'bundle']) {
      for (const c of children(el, tag)) collect(c, attr(c, 'id'));
    }
  };
  collect(resources);

  const constraints = child(conf, 'constraints');
  return {
    epoch: attr(cib, 'epoch'),
    properties: setsById(children(child(conf, 'crm_config'), 'cluster_property_set')),
    rscDefaults: setsById(children(child(conf, 'rsc_defaults'), 'meta_attributes')),
    opDefaults: setsById(children(child(conf, 'op_defaults'), 'meta_attributes')),
    primitives: Object.fromEntries(primitives),
    colocations: Object.fromEntries(
      children(constraints, 'rsc_colocation').map((c) => {
        const col: CibColocation = {
          id: attr(c, 'id') ?? '',
          score: attr(c, 'score'),
          rsc: attr(c, 'rsc'),
          withRsc: attr(c, 'with-rsc'),
          rscRole: attr(c, 'rsc-role'),
          withRscRole: attr(c, 'with-rsc-role'),
          hasSets: children(c, 'resource_set').length > 0,
        };
        return [col.id, col];
      }),
    ),
    orders: Object.fromEntries(
      children(constraints, 'rsc_order').map((o) => {
        const order: CibOrder = {
          id: attr(o, 'id') ?? '',
          kind: attr(o, 'kind'),
          score: attr(o, 'score'),
          first: attr(o, 'first'),
          then: attr(o, 'then'),
          firstAction: attr(o, 'first-action'),
          thenAction: attr(o, 'then-action'),
          symmetrical: attr(o, 'symmetrical'),
          hasSets: children(o, 'resource_set').length > 0,
        };
        return [order.id, order];
      }),
    ),
    nodes: children(child(conf, 'nodes'), 'node').map((n) => ({
      id: attr(n, 'id') ?? '',
      uname: attr(n, 'uname') ?? '',
      ...(attr(n, 'type') !== undefined ? { type: attr(n, 'type') } : {}),
    })),
  };
}

function parsePrimitive(p: El, parent: string | undefined): CibPrimitive {
  const id = attr(p, 'id') ?? '';
  const provider = attr(p, 'provider');
  const description = attr(p, 'description');
  return {
    id,
    class: attr(p, 'class') ?? '',
    ...(provider !== undefined ? { provider } : {}),
    type: attr(p, 'type') ?? '',
    ...(description !== undefined ? { description } : {}),
    params: nvSets(children(p, 'instance_attributes'), id),
    meta: nvSets(children(p, 'meta_attributes'), id),
    utilization: nvSets(children(p, 'utilization'), id),
    ops: children(child(p, 'operations'), 'op').map((op) => {
      const opId = attr(op, 'id') ?? id;
      return {
        name: attr(op, 'name') ?? '',
        interval: attr(op, 'interval') ?? '0',
        attrs: attrs(op, ['id', 'name', 'interval']),
        params: nvSets(children(op, 'instance_attributes'), opId),
        meta: nvSets(children(op, 'meta_attributes'), opId),
      };
    }),
    ...(parent !== undefined ? { parent } : {}),
  };
}

/** `ocf:heartbeat:IPaddr2`, `lsb:kamailio`. */
export function agentOf(p: Pick<CibPrimitive, 'class' | 'provider' | 'type'>): string {
  return p.provider !== undefined ? `${p.class}:${p.provider}:${p.type}` : `${p.class}:${p.type}`;
}

const UNIT_MS: Record<string, number> = {
  '': 1000,
  s: 1000,
  sec: 1000,
  ms: 1,
  msec: 1,
  us: 0.001,
  usec: 0.001,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

/**
 * A pacemaker duration in milliseconds, as pacemaker reads it: a bare number is seconds
 * (`30` = `30s` = `30000ms`), units ms/msec/us/usec/s/sec/m/min/h/hr, or ISO 8601 (`PT30S`).
 * Undefined when pacemaker would not accept it either: then values compare as text.
 */
export function durationMs(value: string): number | undefined {
  const s = value.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s);
  if (m) {
    const unit = UNIT_MS[m[2].toLowerCase()];
    return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, d = '0', h = '0', mi = '0', sec = '0'] = iso;
    return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(mi)) * 60_000 + Number(sec) * 1000);
  }
  return undefined;
}

export function sameDuration(a: string, b: string): boolean {
  if (a === b) return true;
  const x = durationMs(a);
  return x !== undefined && x === durationMs(b);
}

/**
 * A score as pacemaker reads it: `INFINITY`, `+INFINITY`, `inf` and `+inf` are `INFINITY`; values
 * at or beyond ±1000000 are (-)INFINITY too; integers lose a `+` and leading zeros.
 */
export function normalizeScore(score: string | number): string {
  const s = String(score).trim();
  if (/^\+?(INFINITY|inf)$/i.test(s)) return 'INFINITY';
  if (/^-(INFINITY|inf)$/i.test(s)) return '-INFINITY';
  if (/^[-+]?\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1_000_000) return 'INFINITY';
    if (n <= -1_000_000) return '-INFINITY';
    return String(n);
  }
  return s;
}

const ORDER_KINDS = ['Mandatory', 'Optional', 'Serialize'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** An order's kind: its `kind` attribute, else from its (deprecated) score as crmsh reads it, else Mandatory. */
export function orderKind(o: Pick<CibOrder, 'kind' | 'score'>): string {
  if (o.kind !== undefined) return ORDER_KINDS.find((k) => k.toLowerCase() === o.kind!.toLowerCase()) ?? o.kind;
  if (o.score !== undefined) return normalizeScore(o.score) === '0' ? 'Optional' : 'Mandatory';
  return 'Mandatory';
}

/** Pacemaker's booleans (crm_str_to_boolean): true/on/yes/y/1 and false/off/no/n/0, any case. */
export function pacemakerBoolean(value: string): boolean | undefined {
  const s = value.trim().toLowerCase();
  if (['true', 'on', 'yes', 'y', '1'].includes(s)) return true;
  if (['false', 'off', 'no', 'n', '0'].includes(s)) return false;
  return undefined;
}

/** Names of meta attributes and properties that pacemaker reads as durations. */
const DURATION_NAME = /(^|-)(timeout|interval|deadtime|delay|escalation)$/;

/** Equal as pacemaker reads a meta attribute, default or property of this name: booleans, durations. */
export function samePacemakerValue(name: string, a: string, b: string): boolean {
  if (a === b) return true;
  const x = pacemakerBoolean(a);
  if (x !== undefined && x === pacemakerBoolean(b)) return true;
  return DURATION_NAME.test(name) && sameDuration(a, b);
}

const OP_DURATIONS = new Set(['timeout', 'start-delay']);

/** Equal as pacemaker reads an op XML attribute of this name (`role` is a word, not a boolean). */
export function sameOpValue(name: string, a: string, b: string): boolean {
  if (a === b) return true;
  if (OP_DURATIONS.has(name)) return sameDuration(a, b);
  const x = pacemakerBoolean(a);
  return name !== 'role' && x !== undefined && x === pacemakerBoolean(b);
}

/** Resource agent parameters and utilization are agent-defined: they compare as text. */
export function sameText(_name: string, a: string, b: string): boolean {
  return a === b;
}
