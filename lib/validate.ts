import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { ValidationError, type FieldProblem } from './errors';

/**
 * One set of ajv options for every schema: every problem at once, no coercion (a port "22" is an
 * error, not 22). The precompiled validators (lib/generated/validators.js) are made with these too.
 */
export const AJV_OPTIONS: Options = { allErrors: true, strict: true, allowUnionTypes: true };

/**
 * The schemas keel itself declares (every task module's parameters, the inventory, the engine's
 * task options): tools/gen-validators.ts compiles these ahead of time with ajv's standalone code,
 * because compiling them at start-up cost ~190 ms of a 0.7 s no-change run (the 17 that ha-asterisk
 * uses; issue 13).
 */
const declared = new Set<object>();

/** Declares a schema keel validates against, so that the build can precompile it. Returns it. */
export function declareSchema<T extends object>(schema: T): T {
  declared.add(schema);
  return schema;
}

/** Whether the precompiled table holds this schema (for its tests). */
export function isPrecompiled(schema: object): boolean {
  return precompiled(schema) !== undefined;
}

export function declaredSchemas(): object[] {
  return [...declared];
}

/** The precompile table's key: the schema's JSON (TypeBox's symbol keys are not part of it). */
export function schemaKey(schema: object): string {
  return JSON.stringify(schema);
}

let table: Record<string, () => ValidateFunction> | undefined;

/** The table's validator for this schema, if it has one (the table is loaded on first use). */
function precompiled(schema: object): ValidateFunction | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  table ??= (require('./generated/validators') as typeof import('./generated/validators')).validators;
  const key = schemaKey(schema);
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key]() : undefined;
}
const compiled = new WeakMap<object, ValidateFunction>();
let ajv: import('ajv').default | undefined;
let compiledAtRuntime = 0;

/**
 * The validator for a schema: the precompiled one when the schema's JSON matches (a schema that
 * changed since the table was generated simply misses, and is compiled here: slower, never wrong),
 * else ajv, loaded only then (a user's own task module, or a stale table).
 */
export function validatorFor(schema: object): ValidateFunction {
  let check = compiled.get(schema);
  if (check) return check;
  check = precompiled(schema);
  if (!check) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ajv ??= new (require('ajv').default as typeof import('ajv').default)(AJV_OPTIONS);
    check = ajv.compile(schema);
    compiledAtRuntime++;
  }
  compiled.set(schema, check);
  return check;
}

/** How many schemas this process compiled at run time (not precompiled): for the tests of the table. */
export function runtimeCompileCount(): number {
  return compiledAtRuntime;
}

/** Validates `value` against a JSON schema; throws ValidationError naming every bad field. */
export function validate<T>(subject: string, schema: object, value: unknown, prefix = ''): T {
  const check = validatorFor(schema);
  if (!check(value)) throw new ValidationError(subject, toProblems(check.errors ?? [], prefix));
  return value as T;
}
/** ajv's `/hosts/node2/port` + "must be integer" becomes `hosts.node2.port: must be integer`. */
export function toProblems(errors: ErrorObject[], prefix = ''): FieldProblem[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const e of errors) {
    let path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      path = [...path, extra];
      message = 'is not a known field';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const full = [prefix, ...path].filter(Boolean).join('.') || '(root)';
    const key = `${full}: ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path: full, message });
  }
  return problems;
}
