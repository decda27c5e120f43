import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError, type FieldProblem } from './errors';

/** One ajv for the process: every problem at once, no coercion (a port "22" is an error, not 22). */
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

/** Validates `value` against a JSON schema; throws ValidationError naming every bad field. */
export function validate<T>(subject: string, schema: object, value: unknown, prefix = ''): T {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(schema, check);
  }
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
