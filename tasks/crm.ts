/**
 * Pacemaker configuration through crmsh, idempotently: each task reads the CIB once per host
 * (`cibadmin --query`, batched and shared by every crm task), compares it with the wanted object,
 * and applies a difference as ONE transaction, `crm -F configure load update -`, with the object in
 * crm syntax on stdin. Per-object `crm configure primitive ...` commands fail when the object exists.
 *
 * What `load update` does (crmsh cibconfig.py, `update_from_cli`): property, rsc_defaults and
 * op_defaults sets are merged name by name (names not sent are kept); a primitive or constraint that
 * exists is replaced as a whole by the one sent. So a primitive's state here is exact: a param, meta
 * attribute or op in the CIB but not in the task is reported as a change and removed by the same load.
 *
 * Values compare exactly, except where pacemaker itself reads them: op intervals and timeouts (and
 * duration-named properties and meta attributes) as durations (`30s` = `30` = `30000ms`), scores
 * (`inf` = `INFINITY`), order kinds (score INFINITY = Mandatory), and pacemaker booleans in
 * properties, defaults and meta attributes (`false` = `no` = `off` = `0` = `n`). Resource agent
 * params are agent-defined and compare as text.
 */
import { createTwoFilesPatch } from 'diff';
import { KeelError, lastLines } from '../lib/errors';
import { defineModule } from '../lib/task';
import type { Change, Decision, ExecResult, TaskContext } from '../lib/types';
import {
  agentOf,
  durationMs,
  normalizeScore,
  orderKind,
  pacemakerBoolean,
  parseCib,
  emptyCib,
  sameDuration,
  type Cib,
  type CibPrimitive,
  type NvPairs,
} from './cib';

/** The one probe of every crm task: the engine runs it once per host and shares the answer. */
export const CIB_QUERY = 'cibadmin --query';
/** The one apply command: the object in crm syntax on stdin, as one CIB transaction. */
export const CRM_LOAD_UPDATE = 'crm -F configure load update -';

/** What the crm tasks read. `unavailable` is set in check mode when pacemaker is not there yet. */
export interface CibState {
  cib: Cib;
  unavailable?: string;
}

export type CrmValue = string | number | boolean;

// Pacemaker's id syntax (an XML NCName, ASCII only).
const ID = '^[A-Za-z_][A-Za-z0-9_.:-]*$';
// crmsh reads a set id only as `[\w-]+:`.
const SET_ID = '^[A-Za-z_][A-Za-z0-9_-]*$';
// Printable ASCII: no newline can end a crm statement, and crmsh turns non-ASCII into `&#NNN;`.
const VALUE = '^[\\x20-\\x7e]*$';

const valueSchema = { type: ['string', 'number', 'boolean'], pattern: VALUE } as const;
const nvSchema = (minProperties = 0) =>
  ({ type: 'object', minProperties, propertyNames: { pattern: ID }, additionalProperties: valueSchema }) as const;

// ---- reading ---------------------------------------------------------------------------------

/** Exit codes of a cibadmin that cannot reach a running cluster, or is not installed. */
const UNAVAILABLE_CODES = new Set([126, 127, 69, 102, 107, 111]);

function cibUnavailable(r: ExecResult): boolean {
  return (
    UNAVAILABLE_CODES.has(r.code) ||
    /not found|not connected|connection refused|could not connect|no such file/i.test(r.stderr)
  );
}

async function probeCib(ctx: TaskContext): Promise<CibState> {
  const r = await ctx.probe(CIB_QUERY);
  if (r.code === 0) return { cib: parseCib(r.stdout) };
  if (ctx.check && cibUnavailable(r)) {
    // A dry run of a fresh host plans against the empty CIB that the install will create.
    return { cib: emptyCib(), unavailable: (r.stderr || r.stdout).trim() || `exit ${r.code}` };
  }
  const said = lastLines(r.stderr || r.stdout);
  throw new KeelError(
    `cannot read the CIB: ${CIB_QUERY} exited ${r.code}${said ? `: ${said}` : ''}\n` +
      'Are pacemaker and corosync installed and running on this host? Start the cluster first (check mode works without it).',
  );
}

async function loadUpdate(ctx: TaskContext, crmText: string, what: string): Promise<void> {
  await ctx.run(CRM_LOAD_UPDATE, { stdin: crmText, what: `crm configure load update (${what})` });
}

// ---- crm syntax -------------------------------------------------------------------------------

/**
 * A value as one crm word. crmsh splits a statement with Python's shlex (POSIX): inside double
 * quotes only `\` and `"` need a backslash. Values never hold a newline (the schema refuses it),
 * so a value cannot end a statement, and a quoted value cannot end in a continuation backslash.
 */
export function crmWord(value: string): string {
  if (/^[A-Za-z0-9_.:\/+@%,-]+$/.test(value)) return value;
  return '"' + value.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function nvText(values: NvPairs): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${crmWord(v)}`)
    .join(' ');
}

function stringify(values: Readonly<Record<string, CrmValue>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, String(v)]));
}

function patch(label: string, before: string, after: string): string {
  return createTwoFilesPatch(`cib/${label}`, `wanted/${label}`, before, after);
}

const DURATION_NAME = /(^|-)(timeout|interval|deadtime|delay|escalation)$/;

/** Equal as pacemaker reads a meta attribute or property of this name. */
function samePacemakerValue(name: string, a: string, b: string): boolean {
  if (a === b) return true;
  const x = pacemakerBoolean(a);
  if (x !== undefined && x === pacemakerBoolean(b)) return true;
  return DURATION_NAME.test(name) && sameDuration(a, b);
}

/**
 * Changes between two attribute sets. `exact`: names only in `current` are changes too (they go
 * when the object is replaced); otherwise they are kept and ignored.
 */
function compareNv(
  prefix: string,
  current: NvPairs,
  wanted: NvPairs,
  same: (name: string, a: string, b: string) => boolean,
  exact: boolean,
): Change[] {
  const changes: Change[] = [];
  for (const [k, v] of Object.entries(wanted)) {
    const have = Object.hasOwn(current, k) ? current[k] : undefined;
    if (have === undefined) changes.push({ field: prefix + k, to: v });
    else if (!same(k, have, v)) changes.push({ field: prefix + k, from: have, to: v });
  }
  if (exact) {
    for (const [k, v] of Object.entries(current)) {
      if (!Object.hasOwn(wanted, k)) changes.push({ field: prefix + k, from: v });
    }
  }
  return changes;
}

// ---- property, rsc_defaults, op_defaults ------------------------------------------------------

type NvSetKind = 'property' | 'rsc_defaults' | 'op_defaults';

function currentSet(sets: Readonly<Record<string, NvPairs>>, id: string, defaultId: string): NvPairs {
  if (Object.hasOwn(sets, id)) return sets[id];
  // crmsh writes to the last existing set when the default id is not there.
  const ids = Object.keys(sets);
  if (id === defaultId && ids.length > 0) return sets[ids[ids.length - 1]];
  return {};
}

function nvSetDecision(kind: NvSetKind, setId: string, current: NvPairs, wanted: NvPairs): Decision {
  const changes = compareNv('', current, wanted, samePacemakerValue, false);
  const pairs = Object.entries(wanted).map(([k, v]) => `${k}=${v}`);
  if (changes.length === 0) {
    const subject = kind === 'property' ? (pairs.length > 1 ? 'properties' : 'property') : kind;
    return { changes, ok: `${subject} ${pairs.join(', ')} ${pairs.length > 1 ? 'are' : 'is'} set` };
  }
  const have = Object.fromEntries(Object.keys(wanted).flatMap((k) => (Object.hasOwn(current, k) ? [[k, current[k]]] : [])));
  const before = Object.keys(have).length > 0 ? renderNvSet(kind, setId, have) : '';
  return { changes, diff: patch(`${kind} ${setId}`, before, renderNvSet(kind, setId, wanted)) };
}

/** `property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=ignore` */
export function renderNvSet(kind: NvSetKind, setId: string, values: NvPairs): string {
  return `${kind} ${setId}: ${nvText(values)}\n`;
}

function nvSetModule<P>(
  module: string,
  kind: NvSetKind,
  defaultSetId: string,
  field: 'properties' | 'meta',
  sets: (cib: Cib) => Readonly<Record<string, NvPairs>>,
) {
  return defineModule<P, CibState>({
    module,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: [field],
      properties: { [field]: nvSchema(1), set: { type: 'string', pattern: SET_ID } },
    },
    title: (p) => `${module} ${Object.keys((p as Record<string, object>)[field]).join(' ')}`,
    build: (p) => {
      const params = p as unknown as { set?: string } & Record<string, Readonly<Record<string, CrmValue>>>;
      const setId = params.set ?? defaultSetId;
      const wanted = stringify(params[field]);
      return {
        probes: [CIB_QUERY],
        probe: probeCib,
        decide: (state) => nvSetDecision(kind, setId, currentSet(sets(state.cib), setId, defaultSetId), wanted),
        apply: (ctx) => loadUpdate(ctx, renderNvSet(kind, setId, wanted), `${kind} ${setId}`),
      };
    },
  });
}

export interface CrmPropertyParams {
  /** Cluster options; values may be numbers or booleans (`false` is sent as `false`). */
  readonly properties: Readonly<Record<string, CrmValue>>;
  /** The cluster_property_set id; default `cib-bootstrap-options`. */
  readonly set?: string;
}

/**
 * Cluster properties (crm_config). Only the named properties are managed; others stay as they are.
 *
 * @example crmProperty({ properties: { 'stonith-enabled': false, 'no-quorum-policy': 'ignore' } }, { runOnce: true })
 */
export const crmProperty = nvSetModule<CrmPropertyParams>(
  'crmProperty',
  'property',
  'cib-bootstrap-options',
  'properties',
  (cib) => cib.properties,
);

export interface CrmDefaultsParams {
  /** Meta attribute defaults; values may be numbers or booleans. */
  readonly meta: Readonly<Record<string, CrmValue>>;
  /** The meta_attributes set id; default `rsc-options` (rsc_defaults) or `op-options` (op_defaults). */
  readonly set?: string;
}

/**
 * Resource defaults (rsc_defaults). Only the named attributes are managed.
 *
 * @example crmRscDefaults({ meta: { 'resource-stickiness': 100 } }, { runOnce: true })
 */
export const crmRscDefaults = nvSetModule<CrmDefaultsParams>(
  'crmRscDefaults',
  'rsc_defaults',
  'rsc-options',
  'meta',
  (cib) => cib.rscDefaults,
);

/**
 * Operation defaults (op_defaults). Only the named attributes are managed; `timeout` compares as a duration.
 *
 * @example crmOpDefaults({ meta: { timeout: '60s' } }, { runOnce: true })
 */
export const crmOpDefaults = nvSetModule<CrmDefaultsParams>(
  'crmOpDefaults',
  'op_defaults',
  'op-options',
  'meta',
  (cib) => cib.opDefaults,
);

// ---- primitive --------------------------------------------------------------------------------

export interface CrmOp {
  /** `monitor`, `start`, `stop`. */
  readonly name: string;
  /** `30s`; a bare number is seconds, as in pacemaker. */
  readonly interval: string | number;
  readonly timeout?: string | number;
  /** Other op attributes: `on-fail`, `role`, `start-delay`... */
  readonly [attribute: string]: CrmValue | undefined;
}

export interface CrmPrimitiveParams {
  readonly id: string;
  /** `class:[provider:]type`: `ocf:heartbeat:IPaddr2`, `lsb:kamailio`, `systemd:nginx`. */
  readonly agent: string;
  readonly params?: Readonly<Record<string, CrmValue>>;
  readonly meta?: Readonly<Record<string, CrmValue>>;
  readonly ops?: readonly CrmOp[];
}

/** A primitive in the one shape both sides are compared and rendered in. */
export interface PrimitiveSpec {
  id: string;
  agent: string;
  params: NvPairs;
  meta: NvPairs;
  ops: { name: string; interval: string; attrs: NvPairs }[];
}

function wantedPrimitive(p: CrmPrimitiveParams): PrimitiveSpec {
  return {
    id: p.id,
    agent: p.agent,
    params: stringify(p.params),
    meta: stringify(p.meta),
    ops: (p.ops ?? []).map((op) => {
      const { name, interval, ...rest } = op;
      return { name, interval: String(interval), attrs: stringify(rest as Record<string, CrmValue>) };
    }),
  };
}

function currentPrimitive(p: CibPrimitive): PrimitiveSpec {
  return { id: p.id, agent: agentOf(p), params: p.params, meta: p.meta, ops: p.ops };
}

/**
 * ```
 * primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \
 * 	params ip=198.18.0.100 cidr_netmask=24 \
 * 	op monitor interval=30s
 * ```
 */
export function renderPrimitive(p: PrimitiveSpec): string {
  const lines = [`primitive ${p.id} ${p.agent}`];
  if (Object.keys(p.params).length > 0) lines.push(`params ${nvText(p.params)}`);
  if (Object.keys(p.meta).length > 0) lines.push(`meta ${nvText(p.meta)}`);
  for (const op of p.ops) lines.push(`op ${op.name} ${opText(op)}`);
  return lines.join(' \\\n\t') + '\n';
}

function opText(op: PrimitiveSpec['ops'][number]): string {
  return nvText({ interval: op.interval, ...op.attrs });
}

function opKey(op: { name: string; interval: string }): string {
  return `${op.name}@${durationMs(op.interval) ?? op.interval}`;
}

const OP_DURATIONS = new Set(['timeout', 'start-delay']);

function sameOpAttr(name: string, a: string, b: string): boolean {
  if (a === b) return true;
  if (OP_DURATIONS.has(name)) return sameDuration(a, b);
  const x = pacemakerBoolean(a);
  return name !== 'role' && x !== undefined && x === pacemakerBoolean(b);
}

/** Ops pair by name and interval (as durations); one unpaired op of a name on each side is an interval change. */
function compareOps(current: PrimitiveSpec['ops'], wanted: PrimitiveSpec['ops']): Change[] {
  const label = (ops: PrimitiveSpec['ops'], op: PrimitiveSpec['ops'][number]): string =>
    ops.filter((o) => o.name === op.name).length > 1 ? `op ${op.name} ${op.interval}` : `op ${op.name}`;
  const changes: Change[] = [];
  const unusedCurrent = [...current];
  const unpaired: PrimitiveSpec['ops'] = [];
  const pairs: [PrimitiveSpec['ops'][number], PrimitiveSpec['ops'][number]][] = [];
  for (const w of wanted) {
    const i = unusedCurrent.findIndex((c) => opKey(c) === opKey(w));
    if (i >= 0) pairs.push([unusedCurrent.splice(i, 1)[0], w]);
    else unpaired.push(w);
  }
  for (const w of unpaired) {
    const sameName = unusedCurrent.filter((c) => c.name === w.name);
    if (sameName.length === 1 && unpaired.filter((u) => u.name === w.name).length === 1) {
      unusedCurrent.splice(unusedCurrent.indexOf(sameName[0]), 1);
      changes.push({ field: `${label(wanted, w)} interval`, from: sameName[0].interval, to: w.interval });
      pairs.push([sameName[0], w]);
    } else {
      changes.push({ field: label(wanted, w), to: opText(w) });
    }
  }
  for (const [c, w] of pairs) {
    changes.push(...compareNv(`${label(wanted, w)} `, c.attrs, w.attrs, sameOpAttr, true));
  }
  for (const c of unusedCurrent) changes.push({ field: label(current, c), from: opText(c) });
  return changes;
}

export function primitiveDecision(cib: Cib, wanted: PrimitiveSpec): Decision {
  const have = Object.hasOwn(cib.primitives, wanted.id) ? cib.primitives[wanted.id] : undefined;
  const after = renderPrimitive(wanted);
  if (!have) {
    return { changes: [{ field: `primitive ${wanted.id}`, to: 'created' }], diff: patch(`primitive ${wanted.id}`, '', after) };
  }
  const current = currentPrimitive(have);
  const changes: Change[] = [];
  if (current.agent !== wanted.agent) changes.push({ field: 'agent', from: current.agent, to: wanted.agent });
  changes.push(...compareNv('params.', current.params, wanted.params, (_k, a, b) => a === b, true));
  changes.push(...compareNv('meta.', current.meta, wanted.meta, samePacemakerValue, true));
  changes.push(...compareOps(current.ops, wanted.ops));
  if (changes.length === 0) return { changes, ok: `primitive ${wanted.id} matches` };
  return { changes, diff: patch(`primitive ${wanted.id}`, renderPrimitive(current), after) };
}

const opSchema = {
  type: 'object',
  required: ['name', 'interval'],
  propertyNames: { pattern: ID },
  properties: {
    name: { type: 'string', pattern: ID },
    interval: { type: ['string', 'number'], pattern: '^[A-Za-z0-9.]+$' },
    timeout: { type: ['string', 'number'], pattern: '^[A-Za-z0-9.]+$' },
  },
  additionalProperties: valueSchema,
} as const;

/**
 * A resource (primitive), exactly as given: params, meta attributes and ops not listed here are
 * removed. Created or updated in place in one transaction; a running resource is never deleted.
 *
 * @example crmPrimitive({
 *   id: 'HA-Asterisk-IP', agent: 'ocf:heartbeat:IPaddr2',
 *   params: { ip: '198.18.0.100', cidr_netmask: 24 },
 *   ops: [{ name: 'monitor', interval: '30s' }],
 * }, { runOnce: true })
 */
export const crmPrimitive = defineModule<CrmPrimitiveParams, CibState>({
  module: 'crmPrimitive',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'agent'],
    properties: {
      id: { type: 'string', pattern: ID },
      agent: { type: 'string', pattern: '^[a-z][a-z0-9_-]*:(?:[A-Za-z0-9_.-]+:)?[A-Za-z0-9_.@-]+$' },
      params: nvSchema(),
      meta: nvSchema(),
      ops: { type: 'array', items: opSchema },
    },
  },
  title: (p) => `crmPrimitive ${p.id}`,
  build: (p) => {
    const wanted = wantedPrimitive(p);
    return {
      probes: [CIB_QUERY],
      probe: probeCib,
      decide: (state) => primitiveDecision(state.cib, wanted),
      apply: (ctx) => loadUpdate(ctx, renderPrimitive(wanted), `primitive ${p.id}`),
    };
  },
});

// ---- colocation -------------------------------------------------------------------------------

export interface CrmColocationParams {
  readonly id: string;
  /** `INFINITY` (`inf`), `-INFINITY`, or an integer. */
  readonly score: string | number;
  /** The resource placed... */
  readonly rsc: string;
  /** ...with this one (placed first). */
  readonly withRsc: string;
}

const withRole = (rsc: string | undefined, role: string | undefined): string =>
  role !== undefined ? `${rsc}:${role}` : String(rsc);

/** `colocation Service-With-IP INFINITY: HA-Asterisk-Service HA-Asterisk-IP` */
export function renderColocation(c: { id: string; score: string; rsc?: string; withRsc?: string; rscRole?: string; withRscRole?: string }): string {
  return `colocation ${c.id} ${c.score}: ${withRole(c.rsc, c.rscRole)} ${withRole(c.withRsc, c.withRscRole)}\n`;
}

function colocationDecision(cib: Cib, p: CrmColocationParams): Decision {
  const wanted = { id: p.id, score: normalizeScore(p.score), rsc: p.rsc, withRsc: p.withRsc };
  const after = renderColocation(wanted);
  const have = Object.hasOwn(cib.colocations, p.id) ? cib.colocations[p.id] : undefined;
  if (!have) {
    return { changes: [{ field: `colocation ${p.id}`, to: 'created' }], diff: patch(`colocation ${p.id}`, '', after) };
  }
  const score = have.score === undefined ? undefined : normalizeScore(have.score);
  const changes: Change[] = [];
  const differ = (field: string, from: string | undefined, to: string | undefined): void => {
    if (from !== to) changes.push({ field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  };
  differ('score', score, wanted.score);
  differ('rsc', have.rsc, wanted.rsc);
  differ('with-rsc', have.withRsc, wanted.withRsc);
  differ('rsc-role', have.rscRole, undefined);
  differ('with-rsc-role', have.withRscRole, undefined);
  if (have.hasSets) changes.push({ field: 'resource sets', from: 'present' });
  if (changes.length === 0) return { changes, ok: `colocation ${p.id} matches` };
  const before = renderColocation({ ...have, score: score ?? '(none)' });
  return { changes, diff: patch(`colocation ${p.id}`, before, after) };
}

/**
 * A colocation constraint: keep `rsc` on the node where `withRsc` runs.
 *
 * @example crmColocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'HA-Asterisk-Service', withRsc: 'HA-Asterisk-IP' }, { runOnce: true })
 */
export const crmColocation = defineModule<CrmColocationParams, CibState>({
  module: 'crmColocation',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'score', 'rsc', 'withRsc'],
    properties: {
      id: { type: 'string', pattern: ID },
      score: { type: ['string', 'integer'], pattern: '^[-+]?(INFINITY|inf|[0-9]+)$' },
      rsc: { type: 'string', pattern: ID },
      withRsc: { type: 'string', pattern: ID },
    },
  },
  title: (p) => `crmColocation ${p.id}`,
  build: (p) => ({
    probes: [CIB_QUERY],
    probe: probeCib,
    decide: (state) => colocationDecision(state.cib, p),
    apply: (ctx) =>
      loadUpdate(ctx, renderColocation({ id: p.id, score: normalizeScore(p.score), rsc: p.rsc, withRsc: p.withRsc }), `colocation ${p.id}`),
  }),
});

// ---- order ------------------------------------------------------------------------------------

export interface CrmOrderParams {
  readonly id: string;
  /** Default `Mandatory` (crm `mandatory:`/`inf:`). */
  readonly kind?: 'Mandatory' | 'Optional' | 'Serialize';
  readonly first: string;
  readonly then: string;
  /** Stop in reverse order too; default true. */
  readonly symmetrical?: boolean;
}

/** `order Service-After-IP Mandatory: HA-Asterisk-IP HA-Asterisk-Service` */
export function renderOrder(o: { id: string; kind: string; first?: string; then?: string; firstAction?: string; thenAction?: string; symmetrical?: string }): string {
  const sym = o.symmetrical !== undefined ? ` symmetrical=${crmWord(o.symmetrical)}` : '';
  return `order ${o.id} ${o.kind}: ${withRole(o.first, o.firstAction)} ${withRole(o.then, o.thenAction)}${sym}\n`;
}

function orderDecision(cib: Cib, p: CrmOrderParams): Decision {
  const kind = p.kind ?? 'Mandatory';
  const symmetrical = p.symmetrical === false ? 'false' : undefined;
  const after = renderOrder({ id: p.id, kind, first: p.first, then: p.then, symmetrical });
  const have = Object.hasOwn(cib.orders, p.id) ? cib.orders[p.id] : undefined;
  if (!have) {
    return { changes: [{ field: `order ${p.id}`, to: 'created' }], diff: patch(`order ${p.id}`, '', after) };
  }
  const changes: Change[] = [];
  const differ = (field: string, from: string | undefined, to: string | undefined): void => {
    if (from !== to) changes.push({ field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  };
  const haveKind = orderKind(have);
  differ('kind', haveKind, kind);
  differ('first', have.first, p.first);
  differ('then', have.then, p.then);
  differ('first-action', have.firstAction, undefined);
  differ('then-action', have.thenAction, undefined);
  const haveSym = have.symmetrical === undefined ? true : pacemakerBoolean(have.symmetrical) ?? have.symmetrical;
  differ('symmetrical', String(haveSym), String(p.symmetrical ?? true));
  if (have.hasSets) changes.push({ field: 'resource sets', from: 'present' });
  if (changes.length === 0) return { changes, ok: `order ${p.id} matches` };
  return { changes, diff: patch(`order ${p.id}`, renderOrder({ ...have, kind: haveKind }), after) };
}

/**
 * An order constraint: start `then` after `first` (and, when symmetrical, stop it before).
 *
 * @example crmOrder({ id: 'Service-After-IP', kind: 'Mandatory', first: 'HA-Asterisk-IP', then: 'HA-Asterisk-Service' }, { runOnce: true })
 */
export const crmOrder = defineModule<CrmOrderParams, CibState>({
  module: 'crmOrder',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'first', 'then'],
    properties: {
      id: { type: 'string', pattern: ID },
      kind: { enum: ['Mandatory', 'Optional', 'Serialize'] },
      first: { type: 'string', pattern: ID },
      then: { type: 'string', pattern: ID },
      symmetrical: { type: 'boolean' },
    },
  },
  title: (p) => `crmOrder ${p.id}`,
  build: (p) => ({
    probes: [CIB_QUERY],
    probe: probeCib,
    decide: (state) => orderDecision(state.cib, p),
    apply: (ctx) =>
      loadUpdate(
        ctx,
        renderOrder({ id: p.id, kind: p.kind ?? 'Mandatory', first: p.first, then: p.then, symmetrical: p.symmetrical === false ? 'false' : undefined }),
        `order ${p.id}`,
      ),
  }),
});
