/**
 * Name/value sets of the whole cluster: cluster properties (crm_config), resource defaults
 * (rsc_defaults) and operation defaults (op_defaults).
 *
 * `load update` merges these sets name by name (crmsh cibconfig.py, `update_from_cli` →
 * `merge_from_cli`): names not sent are kept. So only the named values are managed here, and
 * values compare as pacemaker reads them (booleans, and durations for duration-named options).
 */
import { Type, type Static } from '../../lib/schema';
import { declareSchema, validate } from '../../lib/validate';
import { samePacemakerValue, type Cib, type NvPairs } from './cib';
import { nvText, patch } from './crm-syntax';
import { compareNv, NvRecord, SET_ID, stringify, type CrmComparison, type CrmObject } from './object';

export const PropertyParams = Type.Object(
  {
    /** Cluster options; values may be numbers or booleans (`false` is sent as `false`). */
    properties: NvRecord(1),
    /** The cluster_property_set id; default `cib-bootstrap-options`. */
    set: Type.Optional(Type.String({ pattern: SET_ID })),
  },
  { additionalProperties: false },
);
declareSchema(PropertyParams); // precompiled at build time (lib/validate.ts)
export type PropertyParams = Static<typeof PropertyParams>;

export const DefaultsParams = Type.Object(
  {
    /** Meta attribute defaults; values may be numbers or booleans. */
    meta: NvRecord(1),
    /** The meta_attributes set id; default `rsc-options` (rsc_defaults) or `op-options` (op_defaults). */
    set: Type.Optional(Type.String({ pattern: SET_ID })),
  },
  { additionalProperties: false },
);
declareSchema(DefaultsParams); // precompiled at build time (lib/validate.ts)
export type DefaultsParams = Static<typeof DefaultsParams>;

type NvSetKind = 'property' | 'rsc_defaults' | 'op_defaults';

/** `property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=ignore` */
export function renderNvSet(kind: NvSetKind, setId: string, values: NvPairs): string {
  return `${kind} ${setId}: ${nvText(values)}\n`;
}

function currentSet(sets: Readonly<Record<string, NvPairs>>, id: string, defaultId: string): NvPairs {
  if (Object.hasOwn(sets, id)) return sets[id];
  // crmsh writes to the last existing set when the default id is not there.
  const ids = Object.keys(sets);
  if (id === defaultId && ids.length > 0) return sets[ids[ids.length - 1]];
  return {};
}

function nvSetObject(kind: NvSetKind, setId: string, defaultSetId: string, wanted: NvPairs, sets: (cib: Cib) => Readonly<Record<string, NvPairs>>): CrmObject {
  const label = `${kind} ${setId}`;
  const render = () => renderNvSet(kind, setId, wanted);
  return {
    label,
    id: setId,
    stage: 'options',
    render,
    compare(cib): CrmComparison {
      const current = currentSet(sets(cib), setId, defaultSetId);
      const changes = compareNv('', current, wanted, samePacemakerValue, false);
      const pairs = Object.entries(wanted).map(([k, v]) => `${k}=${v}`);
      const subject = kind === 'property' ? (pairs.length > 1 ? 'properties' : 'property') : kind;
      const ok = `${subject} ${pairs.join(', ')} ${pairs.length > 1 ? 'are' : 'is'} set`;
      if (changes.length === 0) return { changes, ok };
      const have = Object.fromEntries(Object.keys(wanted).flatMap((k) => (Object.hasOwn(current, k) ? [[k, current[k]]] : [])));
      const before = Object.keys(have).length > 0 ? renderNvSet(kind, setId, have) : '';
      return { changes, diff: patch(label, before, render()), ok };
    },
  };
}

export function buildProperty(params: PropertyParams, subject: string): CrmObject {
  validate(subject, PropertyParams, params);
  const setId = params.set ?? 'cib-bootstrap-options';
  return nvSetObject('property', setId, 'cib-bootstrap-options', stringify(params.properties), (cib) => cib.properties);
}

export function buildRscDefaults(params: DefaultsParams, subject: string): CrmObject {
  validate(subject, DefaultsParams, params);
  return nvSetObject('rsc_defaults', params.set ?? 'rsc-options', 'rsc-options', stringify(params.meta), (cib) => cib.rscDefaults);
}

export function buildOpDefaults(params: DefaultsParams, subject: string): CrmObject {
  validate(subject, DefaultsParams, params);
  return nvSetObject('op_defaults', params.set ?? 'op-options', 'op-options', stringify(params.meta), (cib) => cib.opDefaults);
}

/**
 * Cluster properties (crm_config). Only the named properties are managed; others stay as they are.
 *
 * @example property({ properties: { 'stonith-enabled': false, 'no-quorum-policy': 'ignore' } })
 */
export function property(params: PropertyParams): CrmObject {
  return buildProperty(params, 'property parameters');
}

/**
 * Resource defaults (rsc_defaults). Only the named attributes are managed.
 *
 * @example rscDefaults({ meta: { 'resource-stickiness': 100 } })
 */
export function rscDefaults(params: DefaultsParams): CrmObject {
  return buildRscDefaults(params, 'rscDefaults parameters');
}

/**
 * Operation defaults (op_defaults). Only the named attributes are managed; `timeout` compares as a duration.
 *
 * @example opDefaults({ meta: { timeout: '60s' } })
 */
export function opDefaults(params: DefaultsParams): CrmObject {
  return buildOpDefaults(params, 'opDefaults parameters');
}
