/**
 * Pacemaker configuration through crmsh, idempotently. Every crm task reads the CIB once per host
 * (`cibadmin --query`, batched and shared by every crm task), compares each of its crm objects with
 * it, and applies the objects that differ as ONE transaction, `crm -F configure load update -`, with
 * their crm syntax on stdin. Per-object `crm configure primitive ...` commands fail when the object
 * exists; `load update` creates or updates in place, and with unchanged content changes nothing.
 */
import { Type, type Static } from '../../lib/schema';
import { KeelError, ValidationError, type FieldProblem } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { ApplyContext, Change, Decision, Task, TaskOptions } from '../../lib/types';
import { buildColocation, buildOrder, type ColocationParams, type OrderParams } from './constraints';
import { cannotReadCib, cibFact, type CibState } from './facts';
import { isCrmObject, STAGES, type CrmObject } from './object';
import { buildPrimitive, type PrimitiveParams } from './primitive';
import { buildOpDefaults, buildProperty, buildRscDefaults, type DefaultsParams, type PropertyParams } from './property-sets';

/** The one apply command: the changed objects in crm syntax on stdin, as one CIB transaction. */
export const CRM_LOAD_UPDATE = 'crm -F configure load update -';

/** What apply sends, worked out by decide. */
export interface CrmPlan {
  /** The crm text of the changed objects only, in crmsh's processing order. */
  text: string;
  /** The changed objects, for messages: `primitive HA-Asterisk-IP, colocation Service-With-IP`. */
  what: string;
  /** Set when the CIB could not be read (pacemaker not running): apply refuses instead of running crm. */
  cibUnavailable?: string;
}

const CrmTaskParams = Type.Object(
  {
    /** Names the task: `crm transaction: NAME`, or the object (`crmPrimitive HA-Asterisk-IP`). */
    name: Type.String({ minLength: 1 }),
    // Checked by `check`, member by member: a schema cannot say "a CrmObject".
    objects: Type.Array(Type.Unsafe<CrmObject>({}), { minItems: 1 }),
  },
  { additionalProperties: false },
);
type CrmTaskParams = Static<typeof CrmTaskParams>;

/** Refuses members that are not crm objects (a task such as crmPrimitive(...) is the usual mistake), and duplicates. */
function checkObjects(module: string, p: CrmTaskParams): void {
  const problems: FieldProblem[] = [];
  const seen = new Map<string, number>();
  p.objects.forEach((o: unknown, i) => {
    if (!isCrmObject(o)) {
      const task = typeof o === 'object' && o !== null && (o as Task).kind === 'task' ? (o as Task).definition?.module : undefined;
      problems.push({
        path: `objects.${i}`,
        message: task
          ? `is a task (${task}), not a crm object: use the object factories (primitive, colocation, order, property...)`
          : 'is not a crm object (made by primitive, colocation, order, property, rscDefaults or opDefaults)',
      });
      return;
    }
    const first = seen.get(o.label);
    if (first !== undefined) problems.push({ path: `objects.${i}`, message: `${o.label} is already objects.${first}` });
    else seen.set(o.label, i);
  });
  if (problems.length > 0) throw new ValidationError(`${module} parameters`, problems);
}

/**
 * Compares every object with the CIB. The plan holds the crm text of the changed objects only,
 * resources before the constraints that name them (crmsh sorts a load the same way). `qualify`
 * names each change by its object (`HA-Asterisk-IP params.ip`), for tasks of several objects.
 */
export function decideObjects(objects: readonly CrmObject[], state: CibState, qualify: boolean): Decision<CrmPlan> {
  const parts = objects.map((o) => ({ o, r: o.compare(state.cib) }));
  const changed = STAGES.flatMap((stage) => parts.filter((p) => p.o.stage === stage && p.r.changes.length > 0));
  if (changed.length === 0) return { changes: [], ok: parts.map((p) => p.r.ok).join('; ') };
  const changes: Change[] = changed.flatMap(({ o, r }) =>
    r.changes.map((c) => (qualify && c.field !== o.label ? { ...c, field: `${o.id} ${c.field}` } : c)),
  );
  const plan: CrmPlan = {
    text: changed.map((p) => p.o.render()).join(''),
    what: changed.map((p) => p.o.label).join(', '),
    ...(state.unavailable !== undefined ? { cibUnavailable: state.unavailable } : {}),
  };
  return {
    changes,
    diff: changed.map((p) => p.r.diff ?? '').join('') || undefined,
    plan,
    // In check mode after an earlier task (the package install, the cluster start) changed the
    // host, this is reported skipped rather than as drift against a cluster that is not up yet.
    ...(state.unavailable !== undefined ? { dependsOn: `pacemaker is not running yet (${state.unavailable})` } : {}),
  };
}

async function loadUpdate(ctx: ApplyContext, plan: CrmPlan): Promise<void> {
  if (plan.cibUnavailable !== undefined) throw new KeelError(cannotReadCib(plan.cibUnavailable));
  await ctx.run(CRM_LOAD_UPDATE, { stdin: plan.text, what: `crm configure load update (${plan.what})` });
}

/** A task module over crm objects: one fact (the CIB), one decide, one `load update`. */
function crmModule(module: string, title: (p: CrmTaskParams) => string, qualify: boolean) {
  return defineTask({
    module,
    params: CrmTaskParams,
    title,
    check: (p) => checkObjects(module, p),
    facts: () => ({ cib: cibFact }),
    decide: (p, { cib }) => decideObjects(p.objects, cib, qualify),
    apply: (ctx, plan) => loadUpdate(ctx, plan),
  });
}

const transactionTask = crmModule('crmTransaction', (p) => `crm transaction: ${p.name}`, true);

/**
 * Several crm objects applied as ONE CIB transaction. Pacemaker acts on every commit: created
 * one at a time, a service can start on the wrong node before its colocation exists and then
 * move. Sent together, the resources and their constraints arrive at once. Each object still
 * compares itself on its own, so check mode and --diff name exactly which object differs, and
 * only the objects that differ are sent.
 *
 * @example crmTransaction('floating IP and service', [
 *   primitive({ id: 'IP', agent: 'ocf:heartbeat:IPaddr2', params: { ip } }),
 *   primitive({ id: 'Service', agent: 'lsb:asterisk' }),
 *   colocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'Service', withRsc: 'IP' }),
 *   order({ id: 'Service-After-IP', first: 'IP', then: 'Service' }),
 * ], { runOnce: true })
 */
export function crmTransaction(name: string, objects: readonly CrmObject[], options?: TaskOptions): Task {
  return transactionTask({ name, objects: objects as CrmObject[] }, options);
}

const primitiveTask = crmModule('crmPrimitive', (p) => `crmPrimitive ${p.name}`, false);
const colocationTask = crmModule('crmColocation', (p) => `crmColocation ${p.name}`, false);
const orderTask = crmModule('crmOrder', (p) => `crmOrder ${p.name}`, false);
const propertyTask = crmModule('crmProperty', (p) => `crmProperty ${p.name}`, false);
const rscDefaultsTask = crmModule('crmRscDefaults', (p) => `crmRscDefaults ${p.name}`, false);
const opDefaultsTask = crmModule('crmOpDefaults', (p) => `crmOpDefaults ${p.name}`, false);

/**
 * A resource (primitive), exactly as given: a description, params, meta attributes, utilization
 * and ops not listed here are removed. Created or updated in place in one transaction; a running
 * resource is never deleted. A resource with constraints belongs in a crmTransaction.
 *
 * @example crmPrimitive({
 *   id: 'HA-Asterisk-IP', agent: 'ocf:heartbeat:IPaddr2',
 *   params: { ip: '198.18.0.100', cidr_netmask: 24 },
 *   ops: [{ name: 'monitor', interval: '30s' }],
 * }, { runOnce: true })
 */
export function crmPrimitive(params: PrimitiveParams, options?: TaskOptions): Task {
  const object = buildPrimitive(params, 'crmPrimitive parameters');
  return primitiveTask({ name: params.id, objects: [object] }, options);
}

/**
 * A colocation constraint: keep `rsc` on the node where `withRsc` runs.
 *
 * @example crmColocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'HA-Asterisk-Service', withRsc: 'HA-Asterisk-IP' }, { runOnce: true })
 */
export function crmColocation(params: ColocationParams, options?: TaskOptions): Task {
  const object = buildColocation(params, 'crmColocation parameters');
  return colocationTask({ name: params.id, objects: [object] }, options);
}

/**
 * An order constraint: start `then` after `first` (and, when symmetrical, stop it before).
 *
 * @example crmOrder({ id: 'Service-After-IP', kind: 'Mandatory', first: 'HA-Asterisk-IP', then: 'HA-Asterisk-Service' }, { runOnce: true })
 */
export function crmOrder(params: OrderParams, options?: TaskOptions): Task {
  const object = buildOrder(params, 'crmOrder parameters');
  return orderTask({ name: params.id, objects: [object] }, options);
}

/**
 * Cluster properties (crm_config). Only the named properties are managed; others stay as they are.
 *
 * @example crmProperty({ properties: { 'stonith-enabled': false, 'no-quorum-policy': 'ignore' } }, { runOnce: true })
 */
export function crmProperty(params: PropertyParams, options?: TaskOptions): Task {
  const object = buildProperty(params, 'crmProperty parameters');
  return propertyTask({ name: Object.keys(params.properties).join(' '), objects: [object] }, options);
}

/**
 * Resource defaults (rsc_defaults). Only the named attributes are managed.
 *
 * @example crmRscDefaults({ meta: { 'resource-stickiness': 100 } }, { runOnce: true })
 */
export function crmRscDefaults(params: DefaultsParams, options?: TaskOptions): Task {
  const object = buildRscDefaults(params, 'crmRscDefaults parameters');
  return rscDefaultsTask({ name: Object.keys(params.meta).join(' '), objects: [object] }, options);
}

/**
 * Operation defaults (op_defaults). Only the named attributes are managed; `timeout` compares as a duration.
 *
 * @example crmOpDefaults({ meta: { timeout: '60s' } }, { runOnce: true })
 */
export function crmOpDefaults(params: DefaultsParams, options?: TaskOptions): Task {
  const object = buildOpDefaults(params, 'crmOpDefaults parameters');
  return opDefaultsTask({ name: Object.keys(params.meta).join(' '), objects: [object] }, options);
}
