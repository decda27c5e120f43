/**
 * A resource (primitive) as a crm object.
 *
 * What `load update` does with it (crmsh cibconfig.py, `update_from_cli` → `update_element`): a
 * primitive that exists is replaced as a whole by the one sent. So a primitive's state here is
 * exact: a description, param, meta attribute, utilization value or op in the CIB but not wanted
 * is a change, removed by the same load; and several attribute sets of one kind become one.
 *
 * Values compare exactly, except where pacemaker itself reads them: op intervals and timeouts as
 * durations (`30s` = `30` = `30000ms`), meta attributes as pacemaker booleans and durations.
 * Resource agent params and utilization are agent-defined and compare as text.
 */
import { Type, type Static } from '../../lib/schema';
import { declareSchema, validate } from '../../lib/validate';
import type { Change } from '../../lib/types';
import { agentOf, durationMs, sameOpValue, samePacemakerValue, sameText, type Cib, type CibOp, type CibPrimitive, type NvPairs, type NvSet } from './cib';
import { crmWord, nvText, patch, statement } from './crm-syntax';
import { compareNv, compareSets, CrmId, CrmValue, differ, ID, NvRecord, stringify, VALUE, type CrmComparison, type CrmObject } from './object';

/** A pacemaker duration as keel accepts it: `30s`, `30`, `30000ms`, `PT30S`; no spaces. */
const Duration = Type.Unsafe<string | number>({ type: ['string', 'number'], pattern: '^[A-Za-z0-9.]+$' });

export const OpParams = Type.Object(
  {
    /** `monitor`, `start`, `stop`. */
    name: CrmId,
    /** `30s`; a bare number is seconds, as in pacemaker. */
    interval: Duration,
    timeout: Type.Optional(Duration),
    /** The op's meta attributes (crm `op_meta`). */
    meta: Type.Optional(NvRecord()),
  },
  // Other op attributes: `on-fail`, `role`, `start-delay`, and agent-specific ones such as
  // OCF_CHECK_LEVEL, which crmsh stores in the op's own instance_attributes.
  { additionalProperties: CrmValue, propertyNames: { pattern: ID } },
);

/** One op: `{ name: 'monitor', interval: '10s', timeout: '20s', OCF_CHECK_LEVEL: 10 }`. */
export type CrmOp = Static<typeof OpParams> & { readonly [attribute: string]: CrmValue | Readonly<Record<string, CrmValue>> | undefined };

export const PrimitiveParams = Type.Object(
  {
    id: CrmId,
    /** `class:[provider:]type`: `ocf:heartbeat:IPaddr2`, `lsb:kamailio`, `systemd:nginx`. */
    agent: Type.String({ pattern: '^[a-z][a-z0-9_-]*:(?:[A-Za-z0-9_.-]+:)?[A-Za-z0-9_.@-]+$' }),
    /** Free text (crm `description=`). */
    description: Type.Optional(Type.String({ minLength: 1, pattern: VALUE })),
    /** The agent's parameters (instance_attributes). */
    params: Type.Optional(NvRecord()),
    meta: Type.Optional(NvRecord()),
    /** What the resource uses of a node's capacity (`utilization`), for placement strategies. */
    utilization: Type.Optional(NvRecord()),
    ops: Type.Optional(Type.Array(OpParams)),
  },
  { additionalProperties: false },
);
declareSchema(PrimitiveParams); // precompiled at build time (lib/validate.ts)
export type PrimitiveParams = Omit<Static<typeof PrimitiveParams>, 'ops'> & { readonly ops?: readonly CrmOp[] };

/**
 * The op element's own XML attributes in pacemaker's schema (resources-3.x.rng), which crmsh reads
 * as `validator.op_attributes()`. crmsh's parser puts every other `op` attribute in a nested
 * `<instance_attributes>` of the op (crmsh parse.py, `match_op`: "if name in valid_attrs:
 * node.set(name, value) else: inst_attrs.append(nvp)"), and refuses an op attribute written after
 * an instance attribute ("Attribute order error"): the rendering puts these first.
 */
const OP_XML_ATTRIBUTES = new Set(['id', 'name', 'interval', 'description', 'start-delay', 'interval-origin', 'timeout', 'enabled', 'record-pending', 'role', 'on-fail']);

/** One op in the one shape both sides are compared and rendered in. Sets are lists: the CIB may hold several. */
interface OpShape {
  name: string;
  interval: string;
  /** XML attributes besides name and interval. */
  attrs: NvPairs;
  /** instance_attributes of the op. */
  params: readonly NvSet[];
  meta: readonly NvSet[];
}

/** A primitive in the one shape both sides are compared and rendered in. */
interface PrimitiveShape {
  id: string;
  agent: string;
  description?: string;
  params: readonly NvSet[];
  meta: readonly NvSet[];
  utilization: readonly NvSet[];
  ops: readonly OpShape[];
}

/** The one set a wanted object sends, or none when it is empty. */
function oneSet(id: string, values: NvPairs): NvSet[] {
  return Object.keys(values).length > 0 ? [{ id, values }] : [];
}

function wantedPrimitive(p: PrimitiveParams): PrimitiveShape {
  return {
    id: p.id,
    agent: p.agent,
    ...(p.description !== undefined ? { description: p.description } : {}),
    params: oneSet(`${p.id}-instance_attributes`, stringify(p.params)),
    meta: oneSet(`${p.id}-meta_attributes`, stringify(p.meta)),
    utilization: oneSet(`${p.id}-utilization`, stringify(p.utilization)),
    ops: (p.ops ?? []).map((op) => {
      const { name, interval, meta, ...rest } = op;
      const attrs: Record<string, string> = {};
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(stringify(rest as Record<string, CrmValue>))) {
        if (OP_XML_ATTRIBUTES.has(k)) attrs[k] = v;
        else params[k] = v;
      }
      const opId = `${p.id}-${name}-${interval}`;
      return {
        name,
        interval: String(interval),
        attrs,
        params: oneSet(`${opId}-instance_attributes`, params),
        meta: oneSet(`${opId}-meta_attributes`, stringify(meta as Record<string, CrmValue> | undefined)),
      };
    }),
  };
}

function currentPrimitive(p: CibPrimitive): PrimitiveShape {
  return {
    id: p.id,
    agent: agentOf(p),
    ...(p.description !== undefined ? { description: p.description } : {}),
    params: p.params,
    meta: p.meta,
    utilization: p.utilization,
    ops: p.ops.map((op: CibOp) => ({ name: op.name, interval: op.interval, attrs: op.attrs, params: op.params, meta: op.meta })),
  };
}

/**
 * ```
 * primitive HA-Asterisk-IP ocf:heartbeat:IPaddr2 \
 * 	description="floating IP" \
 * 	params ip=198.18.0.100 cidr_netmask=24 \
 * 	meta target-role=Started \
 * 	utilization cpu=1 \
 * 	op monitor interval=30s timeout=20s OCF_CHECK_LEVEL=10
 * ```
 * in crmsh's own order (`crm configure show`): the description first, then the sets, then the ops.
 * Several sets of one kind (only in the CIB, never wanted) show as several clauses, as crmsh shows them.
 */
function renderPrimitive(p: PrimitiveShape): string {
  const clauses: string[] = [];
  if (p.description !== undefined) clauses.push(`description=${crmWord(p.description)}`);
  for (const s of p.params) clauses.push(`params ${nvText(s.values)}`);
  for (const s of p.meta) clauses.push(`meta ${nvText(s.values)}`);
  for (const s of p.utilization) clauses.push(`utilization ${nvText(s.values)}`);
  for (const op of p.ops) clauses.push(`op ${op.name} ${opText(op)}`);
  return statement(`primitive ${p.id} ${p.agent}`, clauses);
}

/**
 * `interval=10s timeout=20s OCF_CHECK_LEVEL=10 op_meta record-pending=true`: XML attributes first,
 * then the op's instance attributes as plain op attributes (as crmsh reads them, see
 * OP_XML_ATTRIBUTES); further instance sets as `op_params`, meta sets as `op_meta` (crmsh's names
 * for an op's sets, cibconfig.py `CibOp.set_names`).
 */
function opText(op: OpShape): string {
  const words = [nvText({ interval: op.interval, ...op.attrs })];
  op.params.forEach((s, i) => words.push(i === 0 ? nvText(s.values) : `op_params ${nvText(s.values)}`));
  for (const s of op.meta) words.push(`op_meta ${nvText(s.values)}`);
  return words.filter((w) => w !== '').join(' ');
}

function opKey(op: { name: string; interval: string }): string {
  return `${op.name}@${durationMs(op.interval) ?? op.interval}`;
}

/** An op's attributes, instance attributes and meta attributes: each part compared exactly. */
function compareOp(prefix: string, current: OpShape, wanted: OpShape): Change[] {
  return [
    ...compareNv(prefix, current.attrs, wanted.attrs, sameOpValue, true),
    // Instance attributes are written as plain op attributes, so their changes are named alike.
    ...compareSets(`${prefix}params`, prefix, current.params, wanted.params[0]?.values ?? {}, sameText),
    ...compareSets(`${prefix}meta`, `${prefix}meta.`, current.meta, wanted.meta[0]?.values ?? {}, sameOpValue),
  ];
}

/** Ops pair by name and interval (as durations); one unpaired op of a name on each side is an interval change. */
function compareOps(current: readonly OpShape[], wanted: readonly OpShape[]): Change[] {
  const label = (ops: readonly OpShape[], op: OpShape): string =>
    ops.filter((o) => o.name === op.name).length > 1 ? `op ${op.name} ${op.interval}` : `op ${op.name}`;
  const changes: Change[] = [];
  const unusedCurrent = [...current];
  const unpaired: OpShape[] = [];
  const pairs: [OpShape, OpShape][] = [];
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
  for (const [c, w] of pairs) changes.push(...compareOp(`${label(wanted, w)} `, c, w));
  for (const c of unusedCurrent) changes.push({ field: label(current, c), from: opText(c) });
  return changes;
}

function comparePrimitive(cib: Cib, wanted: PrimitiveShape): CrmComparison {
  const label = `primitive ${wanted.id}`;
  const ok = `${label} matches`;
  const have = Object.hasOwn(cib.primitives, wanted.id) ? cib.primitives[wanted.id] : undefined;
  const after = renderPrimitive(wanted);
  if (!have) return { changes: [{ field: label, to: 'created' }], diff: patch(label, '', after), ok };
  const current = currentPrimitive(have);
  const changes: Change[] = [];
  differ(changes, 'agent', current.agent, wanted.agent);
  differ(changes, 'description', current.description, wanted.description);
  changes.push(...compareSets('params', 'params.', current.params, wanted.params[0]?.values ?? {}, sameText));
  changes.push(...compareSets('meta', 'meta.', current.meta, wanted.meta[0]?.values ?? {}, samePacemakerValue));
  changes.push(...compareSets('utilization', 'utilization.', current.utilization, wanted.utilization[0]?.values ?? {}, sameText));
  changes.push(...compareOps(current.ops, wanted.ops));
  if (changes.length === 0) return { changes, ok };
  return { changes, diff: patch(label, renderPrimitive(current), after), ok };
}

export function buildPrimitive(params: PrimitiveParams, subject: string): CrmObject {
  validate(subject, PrimitiveParams, params);
  const wanted = wantedPrimitive(params);
  return {
    label: `primitive ${params.id}`,
    id: params.id,
    stage: 'resources',
    render: () => renderPrimitive(wanted),
    compare: (cib) => comparePrimitive(cib, wanted),
  };
}

/**
 * A resource (primitive), exactly as given: a description, params, meta attributes, utilization
 * and ops not listed here are removed. Created or updated in place; a running resource is never
 * deleted.
 *
 * @example primitive({
 *   id: 'HA-Asterisk-IP', agent: 'ocf:heartbeat:IPaddr2',
 *   params: { ip: '198.18.0.100', cidr_netmask: 24 },
 *   ops: [{ name: 'monitor', interval: '30s' }],
 * })
 */
export function primitive(params: PrimitiveParams): CrmObject {
  return buildPrimitive(params, 'primitive parameters');
}
