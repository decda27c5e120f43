// Types of validators.js, which tools/gen-validators.ts writes (ajv standalone code, plain
// JavaScript: ts-node would otherwise transpile its 250 KB on every start).
import type { ValidateFunction } from 'ajv';
/** Each schema's validator, by the schema's JSON: built when first asked for. */
export declare const validators: Record<string, () => ValidateFunction>;
