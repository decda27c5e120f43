/**
 * The typed crm object: one piece of pacemaker configuration as wanted (a primitive, a
 * constraint, a property set), that renders itself in crm syntax and compares itself with the CIB.
 * Objects are built by factories (`primitive`, `colocation`...) that validate their parameters
 * when called, before any host is contacted; tasks (`crmTransaction`) send them to the cluster.
 */
import { Type } from '../../lib/schema';
import type { Change } from '../../lib/types';
import type { Cib, NvPairs, NvSet } from './cib';

/** What an object's comparison with the CIB found. No changes: `ok` says what is true now. */
export interface CrmComparison {
  /** Fields relative to the object (`params.ip`); a whole-object change is named by the label. */
  changes: Change[];
  /** The object's crm text in the CIB and as wanted, as a unified diff. */
  diff?: string;
  ok: string;
}

/**
 * Where crmsh processes an object in one load: resources first, then constraints, then property
 * and defaults sets (crmsh xmlutil.py, `_sort_cli_order`, used by `processing_sort`). A
 * transaction's text keeps that order, so it reads as crmsh will apply it.
 */
export type CrmStage = 'resources' | 'constraints' | 'options';
export const STAGES: readonly CrmStage[] = ['resources', 'constraints', 'options'];

export interface CrmObject {
  /** The crm keyword and the object's id, e.g. 'primitive HA-Asterisk-IP'; unique in a transaction. */
  readonly label: string;
  /** The object's id: a transaction names its changes by it (`HA-Asterisk-IP params.ip`). */
  readonly id: string;
  readonly stage: CrmStage;
  /** The object in crm syntax, one statement ending in a newline, for `crm configure load update`. */
  render(): string;
  /** Pure: what differs between the CIB and this object. */
  compare(cib: Cib): CrmComparison;
}

/** Structurally a CrmObject (a Task or a plain object is not). */
export function isCrmObject(value: unknown): value is CrmObject {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return (
    typeof o.label === 'string' &&
    typeof o.id === 'string' &&
    STAGES.includes(o.stage as CrmStage) &&
    typeof o.render === 'function' &&
    typeof o.compare === 'function'
  );
}

// ---- parameter schemas shared by the object factories --------------------------------------------

/** Pacemaker's id syntax (an XML NCName, ASCII only). */
export const ID = '^[A-Za-z_][A-Za-z0-9_.:-]*$';
/** crmsh reads a set id only as `[\w-]+:`. */
export const SET_ID = '^[A-Za-z_][A-Za-z0-9_-]*$';
/** Printable ASCII: no newline can end a crm statement, and crmsh turns non-ASCII into `&#NNN;`. */
export const VALUE = '^[\\x20-\\x7e]*$';

export type CrmValue = string | number | boolean;

export const CrmId = Type.String({ pattern: ID });

/** A value: a string (printable ASCII), a number or a boolean; sent as its text (`false`, `24`). */
// One schema with a type list rather than a union: a bad value gets one message, not three.
export const CrmValue = Type.Unsafe<CrmValue>({ type: ['string', 'number', 'boolean'], pattern: VALUE });

/**
 * Name → value. Names are checked with propertyNames, so a bad name is reported at the set's
 * path (`params: must match pattern`), never as a path holding the bad name itself.
 */
export function NvRecord(minProperties = 0) {
  return Type.Record(Type.String(), CrmValue, { propertyNames: { pattern: ID }, ...(minProperties > 0 ? { minProperties } : {}) });
}

export function stringify(values: Readonly<Record<string, CrmValue>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, String(v)]));
}

// ---- comparing attribute sets -----------------------------------------------------------------

export type SameValue = (name: string, a: string, b: string) => boolean;

function change(field: string, from: string | undefined, to: string | undefined): Change {
  return { field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/**
 * Changes between two attribute sets. `exact`: names only in `current` are changes too (they go
 * when the object is replaced); otherwise they are kept and ignored.
 */
export function compareNv(prefix: string, current: NvPairs, wanted: NvPairs, same: SameValue, exact: boolean): Change[] {
  const changes: Change[] = [];
  for (const [k, v] of Object.entries(wanted)) {
    const have = Object.hasOwn(current, k) ? current[k] : undefined;
    if (have === undefined) changes.push(change(prefix + k, undefined, v));
    else if (!same(k, have, v)) changes.push(change(prefix + k, have, v));
  }
  if (exact) {
    for (const [k, v] of Object.entries(current)) {
      if (!Object.hasOwn(wanted, k)) changes.push(change(prefix + k, v, undefined));
    }
  }
  return changes;
}

/**
 * Changes between the sets of one kind an object has in the CIB and the one set wanted, exactly:
 * `load update` replaces the object, and with it all its sets by the one it is sent. So each set
 * is compared on its own (a drifted value in a second set is not hidden by the first), a wanted
 * name must have its value in every set that names it, names not wanted are changes, and more
 * than one set is itself a change. `label` names the kind: `params`, `meta`, `utilization`.
 */
export function compareSets(label: string, prefix: string, sets: readonly NvSet[], wanted: NvPairs, same: SameValue): Change[] {
  if (sets.length <= 1) return compareNv(prefix, sets[0]?.values ?? {}, wanted, same, true);
  const changes: Change[] = [change(`${label} sets`, `${sets.length} (${sets.map((s) => s.id).join(', ')})`, Object.keys(wanted).length > 0 ? '1' : '0')];
  for (const [k, v] of Object.entries(wanted)) {
    const naming = sets.filter((s) => Object.hasOwn(s.values, k));
    if (naming.length === 0) changes.push(change(prefix + k, undefined, v));
    for (const s of naming) {
      if (!same(k, s.values[k], v)) changes.push(change(`${prefix}${k} in ${s.id}`, s.values[k], v));
    }
  }
  for (const s of sets) {
    for (const [k, v] of Object.entries(s.values)) {
      if (!Object.hasOwn(wanted, k)) changes.push(change(`${prefix}${k} in ${s.id}`, v, undefined));
    }
  }
  return changes;
}

/** A change from one value to another, or none when they are the same (`undefined` = absent). */
export function differ(changes: Change[], field: string, from: string | undefined, to: string | undefined): void {
  if (from !== to) changes.push(change(field, from, to));
}
