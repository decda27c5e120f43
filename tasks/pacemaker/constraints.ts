/**
 * Colocation and order constraints as crm objects. Like a primitive, a constraint that exists is
 * replaced as a whole by `load update`: roles, actions and resource sets not wanted are changes.
 * Scores compare as pacemaker reads them (`inf` = `INFINITY`), order kinds as crmsh reads them
 * (score INFINITY = Mandatory).
 */
import { Type, type Static } from '../../lib/schema';
import { declareSchema, validate } from '../../lib/validate';
import type { Change } from '../../lib/types';
import { normalizeScore, orderKind, pacemakerBoolean, type Cib } from './cib';
import { crmWord, patch } from './crm-syntax';
import { CrmId, differ, type CrmComparison, type CrmObject } from './object';

export const ColocationParams = Type.Object(
  {
    id: CrmId,
    /** `INFINITY` (`inf`), `-INFINITY`, or an integer. */
    score: Type.Unsafe<string | number>({ type: ['string', 'integer'], pattern: '^[-+]?(INFINITY|inf|[0-9]+)$' }),
    /** The resource placed... */
    rsc: CrmId,
    /** ...with this one (placed first). */
    withRsc: CrmId,
  },
  { additionalProperties: false },
);
declareSchema(ColocationParams); // precompiled at build time (lib/validate.ts)
export type ColocationParams = Static<typeof ColocationParams>;

export const OrderParams = Type.Object(
  {
    id: CrmId,
    /** Default `Mandatory` (crm `mandatory:`/`inf:`). */
    // An enum rather than a union of literals: one message naming the allowed kinds.
    kind: Type.Optional(Type.Unsafe<'Mandatory' | 'Optional' | 'Serialize'>({ enum: ['Mandatory', 'Optional', 'Serialize'] })),
    first: CrmId,
    then: CrmId,
    /** Stop in reverse order too; default true. */
    symmetrical: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
declareSchema(OrderParams); // precompiled at build time (lib/validate.ts)
export type OrderParams = Static<typeof OrderParams>;

const withRole = (rsc: string | undefined, role: string | undefined): string => (role !== undefined ? `${rsc}:${role}` : String(rsc));

/** `colocation Service-With-IP INFINITY: HA-Asterisk-Service HA-Asterisk-IP` */
export function renderColocation(c: { id: string; score: string; rsc?: string; withRsc?: string; rscRole?: string; withRscRole?: string }): string {
  return `colocation ${c.id} ${c.score}: ${withRole(c.rsc, c.rscRole)} ${withRole(c.withRsc, c.withRscRole)}\n`;
}

/** `order Service-After-IP Mandatory: HA-Asterisk-IP HA-Asterisk-Service` */
export function renderOrder(o: { id: string; kind: string; first?: string; then?: string; firstAction?: string; thenAction?: string; symmetrical?: string }): string {
  const sym = o.symmetrical !== undefined ? ` symmetrical=${crmWord(o.symmetrical)}` : '';
  return `order ${o.id} ${o.kind}: ${withRole(o.first, o.firstAction)} ${withRole(o.then, o.thenAction)}${sym}\n`;
}

export function buildColocation(params: ColocationParams, subject: string): CrmObject {
  validate(subject, ColocationParams, params);
  const wanted = { id: params.id, score: normalizeScore(params.score), rsc: params.rsc, withRsc: params.withRsc };
  const label = `colocation ${params.id}`;
  const render = () => renderColocation(wanted);
  return {
    label,
    id: params.id,
    stage: 'constraints',
    render,
    compare(cib: Cib): CrmComparison {
      const ok = `${label} matches`;
      const have = Object.hasOwn(cib.colocations, params.id) ? cib.colocations[params.id] : undefined;
      if (!have) return { changes: [{ field: label, to: 'created' }], diff: patch(label, '', render()), ok };
      const score = have.score === undefined ? undefined : normalizeScore(have.score);
      const changes: Change[] = [];
      differ(changes, 'score', score, wanted.score);
      differ(changes, 'rsc', have.rsc, wanted.rsc);
      differ(changes, 'with-rsc', have.withRsc, wanted.withRsc);
      differ(changes, 'rsc-role', have.rscRole, undefined);
      differ(changes, 'with-rsc-role', have.withRscRole, undefined);
      if (have.hasSets) changes.push({ field: 'resource sets', from: 'present' });
      if (changes.length === 0) return { changes, ok };
      return { changes, diff: patch(label, renderColocation({ ...have, score: score ?? '(none)' }), render()), ok };
    },
  };
}

export function buildOrder(params: OrderParams, subject: string): CrmObject {
  validate(subject, OrderParams, params);
  const kind = params.kind ?? 'Mandatory';
  const symmetrical = params.symmetrical === false ? 'false' : undefined;
  const label = `order ${params.id}`;
  const render = () => renderOrder({ id: params.id, kind, first: params.first, then: params.then, symmetrical });
  return {
    label,
    id: params.id,
    stage: 'constraints',
    render,
    compare(cib: Cib): CrmComparison {
      const ok = `${label} matches`;
      const have = Object.hasOwn(cib.orders, params.id) ? cib.orders[params.id] : undefined;
      if (!have) return { changes: [{ field: label, to: 'created' }], diff: patch(label, '', render()), ok };
      const changes: Change[] = [];
      const haveKind = orderKind(have);
      differ(changes, 'kind', haveKind, kind);
      differ(changes, 'first', have.first, params.first);
      differ(changes, 'then', have.then, params.then);
      differ(changes, 'first-action', have.firstAction, undefined);
      differ(changes, 'then-action', have.thenAction, undefined);
      const haveSym = have.symmetrical === undefined ? true : (pacemakerBoolean(have.symmetrical) ?? have.symmetrical);
      differ(changes, 'symmetrical', String(haveSym), String(params.symmetrical ?? true));
      if (have.hasSets) changes.push({ field: 'resource sets', from: 'present' });
      if (changes.length === 0) return { changes, ok };
      return { changes, diff: patch(label, renderOrder({ ...have, kind: haveKind }), render()), ok };
    },
  };
}

/**
 * A colocation constraint: keep `rsc` on the node where `withRsc` runs.
 *
 * @example colocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'HA-Asterisk-Service', withRsc: 'HA-Asterisk-IP' })
 */
export function colocation(params: ColocationParams): CrmObject {
  return buildColocation(params, 'colocation parameters');
}

/**
 * An order constraint: start `then` after `first` (and, when symmetrical, stop it before).
 *
 * @example order({ id: 'Service-After-IP', kind: 'Mandatory', first: 'HA-Asterisk-IP', then: 'HA-Asterisk-Service' })
 */
export function order(params: OrderParams): CrmObject {
  return buildOrder(params, 'order parameters');
}
