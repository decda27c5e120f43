/**
 * The precompiled validators (lib/generated/validators.js, written by tools/gen-validators.ts):
 * current with the schemas keel declares, used instead of compiling, and never wrong when a
 * schema is not in the table (it is then compiled, as before).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VALIDATORS_FILE, validatorsSource } from '../../tools/gen-validators';
import { declaredSchemas, isPrecompiled, runtimeCompileCount, schemaKey, validate, validatorFor } from '../../lib/validate';
import { writeFile } from '../../tasks/files';
import { ValidationError } from '../../lib/errors';
import { loadedCount, loadedFilesProbe } from '../helpers/loaded-files';

const root = join(__dirname, '..', '..');

test('lib/generated/validators.js is what tools/gen-validators.ts writes now (else: npm run gen:validators)', () => {
  assert.ok(readFileSync(VALIDATORS_FILE, 'utf8') === validatorsSource(), 'stale: run `npm run gen:validators` and commit lib/generated/validators.js');
});

test('every declared schema (all task modules, the inventory, task options) is precompiled: none is compiled at run time', () => {
  const schemas = declaredSchemas();
  assert.ok(schemas.length >= 25, `only ${schemas.length} declared schemas`);
  for (const s of schemas) assert.ok(isPrecompiled(s), `not in the table: ${schemaKey(s).slice(0, 120)}`);
  const before = runtimeCompileCount();
  for (const s of schemas) validatorFor(s);
  assert.is(runtimeCompileCount(), before);
});

test('every declared schema survives its JSON key unchanged (the table compiles JSON.parse(key))', () => {
  // Infinity, undefined in an array, a RegExp: JSON would change them, and the table would hold
  // another schema's validator. (TypeBox's symbol keys are not compared, nor seen by ajv.)
  for (const s of declaredSchemas()) assert.equal(JSON.parse(schemaKey(s)), s, schemaKey(s).slice(0, 120));
});

test('a precompiled validator names every bad field, as a compiled one did', () => {
  const before = runtimeCompileCount();
  assert.throws(
    () => writeFile({ path: 7, content: 'x', bogus: 1 } as never),
    (e: unknown) => e instanceof ValidationError && /path: must be string/.test(e.message) && /bogus: is not a known field/.test(e.message),
  );
  assert.is(runtimeCompileCount(), before, 'the table\'s validator answered, not a compiled one');
});

test('a schema not in the table (a user\'s own module) is compiled at run time and validates', () => {
  const mine = { type: 'object', properties: { port: { type: 'integer' } }, additionalProperties: false };
  const before = runtimeCompileCount();
  assert.equal(validate('mine', mine, { port: 22 }), { port: 22 });
  assert.throws(() => validate('mine', mine, { port: '22' }), /port: must be integer/);
  assert.is(runtimeCompileCount(), before + 1);
});

/** ajv's compiler: a run with every schema precompiled never loads it. */
const AJV_CORE = '/ajv/dist/core.js';

test('planning the HA playbook (--list-tasks) never loads ajv\'s compiler', () => {
  // The process reports, at exit, whether ajv's compiler (ajv/dist/core.js) was ever required.
  const r = spawnSync(process.execPath, ['-r', loadedFilesProbe(AJV_CORE), '-r', 'ts-node/register', 'playbooks/ha-asterisk.ts', '-i', 'prod', '--list-tasks'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', KEEL_PROD_NODES: 'ha-1=192.0.2.11,ha-2=192.0.2.12', KEEL_PROD_FLOATING_IP: '192.0.2.100' },
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'playbook: ha-asterisk');
  assert.is(loadedCount(r.stderr, AJV_CORE), 0);
});

test('loading the table builds no validator: each is built on first use, once (a run builds only those of what it plans)', () => {
  // What runs when the file loads: its top-level statements. Only declarations and the table may be there.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const file = ts.createSourceFile('validators.js', readFileSync(VALIDATORS_FILE, 'utf8'), ts.ScriptTarget.ES2022);
  const run = file.statements.filter((st) => !ts.isFunctionDeclaration(st) && !(ts.isVariableStatement(st) && st.declarationList.declarations.every((d) => !d.initializer)));
  const text = run.map((st) => st.getText(file).slice(0, 'exports.validators = {'.length));
  assert.equal(text, ['"use strict";', 'exports.validators = {'], 'top-level code besides the builders and the table');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { validators } = require(VALIDATORS_FILE) as typeof import('../../lib/generated/validators');
  const [key] = Object.keys(validators);
  const first = validators[key]();
  assert.type(first, 'function');
  assert.is(validators[key](), first, 'built once');
});

test.run();
