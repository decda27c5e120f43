/**
 * lib/schema.ts: TypeBox's builders from one generated file (tools/gen-typebox.js) instead of the
 * package's ~200 CommonJS files. Current, the same TypeBox, and the only TypeBox keel loads.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Type as Package, TypeGuard } from '@sinclair/typebox';
import { Type } from '../../lib/schema';
import { loadedCount, loadedFilesProbe } from '../helpers/loaded-files';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator: { FILE: string; BUILDERS: string[]; source(): string } = require('../../tools/gen-typebox.js');
const root = join(__dirname, '..', '..');

/** JSON of a schema with its symbol keys too (TypeBox marks kinds and optional fields by Symbol.for). */
const withSymbols = (schema: unknown) =>
  JSON.stringify(schema, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries([...Object.entries(v), ...Object.getOwnPropertySymbols(v).map((s) => [String(s), (v as Record<symbol, unknown>)[s]])])
      : v,
  );

test('lib/generated/typebox.js is what tools/gen-typebox.js writes now (else: npm run gen:typebox)', () => {
  assert.ok(readFileSync(generator.FILE, 'utf8') === generator.source(), 'stale: run `npm run gen:typebox` and commit lib/generated/typebox.js');
  assert.equal(Object.keys(Type).sort(), [...generator.BUILDERS].sort());
});

test("each builder makes the schema TypeBox's own Type makes, symbols and all, and TypeBox's guards know it", () => {
  const build = (T: typeof Type) =>
    T.Object(
      {
        name: T.String({ pattern: '^[a-z]+$', minLength: 1 }),
        port: T.Optional(T.Integer({ minimum: 1, maximum: 65535 })),
        ratio: T.Number(),
        on: T.Boolean(),
        mode: T.Union([T.Literal('a'), T.Literal('b')]),
        list: T.Array(T.String(), { minItems: 1 }),
        env: T.Record(T.String(), T.String()),
        any: T.Unknown(),
        raw: T.Unsafe<string>({ type: 'string', format: 'x' }),
      },
      { additionalProperties: false },
    );
  const ours = build(Type);
  assert.is(withSymbols(ours), withSymbols(build(Package)));
  assert.ok(TypeGuard.IsObject(ours) && TypeGuard.IsOptional(ours.properties.port) && TypeGuard.IsUnion(ours.properties.mode));
});

test("keel's modules load no file of the TypeBox package: the ha-asterisk playbook's --help, through ts-node", () => {
  const p = spawnSync(process.execPath, ['-r', loadedFilesProbe('@sinclair/typebox'), join(root, 'node_modules', '.bin', 'ts-node'), 'playbooks/ha-asterisk.ts', '--help'], { cwd: root, encoding: 'utf8' });
  assert.match(p.stdout, /--inventory/, `the playbook printed its usage: ${p.stderr}`);
  assert.is(loadedCount(p.stderr, '@sinclair/typebox'), 0);
});

test.run();
