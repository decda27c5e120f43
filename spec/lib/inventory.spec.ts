import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, UsageError, ValidationError } from '../../lib/errors';
import { buildInventory, loadInventory, resolveInventorySource, selectHosts } from '../../lib/inventory';

const spec = {
  vars: { level: 'inventory', nested: { a: 1, b: 1 }, list: [1, 2] },
  defaults: { user: 'admin', port: 2222 },
  hosts: {
    node1: { address: '198.18.0.11', vars: { level: 'host' } },
    node2: { address: '198.18.0.12', port: 22 },
    node3: { address: '198.18.0.13' },
  },
  groups: {
    cluster: { children: ['web'], hosts: ['node1', 'node2'], vars: { level: 'parent', nested: { b: 2 } } },
    web: { hosts: ['node2', 'node3'], vars: { level: 'child', list: [9] } },
  },
};

function caught(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

test('vars merge lowest first: inventory, parent group, child group, host, extra vars', () => {
  const inv = buildInventory(spec, { extra: true });
  const [n1, n2, n3] = inv.hosts;
  assert.is(n1.vars.level, 'host');
  assert.is(n2.vars.level, 'child');
  assert.equal(n2.vars.nested, { a: 1, b: 2 });
  assert.equal(n2.vars.list, [9], 'lists are replaced, not concatenated');
  assert.is(n3.vars.level, 'child');
  assert.is(n3.vars.extra, true);
  assert.is(buildInventory(spec, { level: 'cli' }).hosts[0].vars.level, 'cli');
});

test('connection settings fall back to defaults per field', () => {
  const [n1, n2] = buildInventory(spec).hosts;
  assert.is(n1.connection.port, 2222);
  assert.is(n2.connection.port, 22);
  assert.is(n1.connection.user, 'admin');
});

test('every bad field is reported at once with its path, and nothing else', () => {
  const err = caught(() =>
    buildInventory({
      hosts: { node1: { port: '22' }, node2: { port: 70000, user: 'a b', colour: 'red' } },
      groups: { g: { hosts: ['node9'] } },
    }),
  );
  const lines = err.problems.map((p) => `${p.path}: ${p.message}`);
  assert.equal(lines, [
    'hosts.node1.port: must be integer',
    'hosts.node2.colour: is not a known field',
    'hosts.node2.port: must be <= 65535',
    'hosts.node2.user: must match pattern "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"',
  ]);
});

test('a group naming an unknown host or a cycle of children is an error naming the field', () => {
  const err = caught(() =>
    buildInventory({ hosts: { a: {} }, groups: { g: { hosts: ['a', 'zz'], children: ['h'] }, h: { children: ['g'] } } }),
  );
  const lines = err.problems.map((p) => `${p.path}: ${p.message}`);
  assert.ok(lines.includes('groups.g.hosts.1: unknown host "zz"'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('groups.g.children: cycle: g → h → g')), lines.join('\n'));
});

test('host patterns: all, groups, unions, exclusions, intersections and globs, in inventory order', () => {
  const inv = buildInventory(spec);
  const names = (p: string) => selectHosts(inv, p).map((h) => h.name);
  assert.equal(names('all'), ['node1', 'node2', 'node3']);
  assert.equal(names('web'), ['node2', 'node3']);
  assert.equal(names('cluster'), ['node1', 'node2', 'node3'], 'children are members');
  assert.equal(names('node3:node1'), ['node1', 'node3']);
  assert.equal(names('all:!web'), ['node1']);
  assert.equal(names('cluster:&web'), ['node2', 'node3']);
  assert.equal(names('node[12]*'.replace('[12]', '')), ['node1', 'node2', 'node3']);
  assert.throws(() => names('nosuch'), /no host or group named "nosuch"/);
});

test('-i NAME is inventories/NAME.ts (or .js) in the working directory, never keel\'s own', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'keel-inv-'));
  mkdirSync(join(cwd, 'inventories'));
  writeFileSync(join(cwd, 'inventories', 'prod.ts'), 'export default { hosts: { web1: { address: "192.0.2.1" } } };\n');
  writeFileSync(join(cwd, 'inventories', 'old.js'), 'module.exports = { hosts: { db1: {} } };\n');
  assert.is(resolveInventorySource('prod', cwd).path, join(cwd, 'inventories', 'prod.ts'));
  assert.is(resolveInventorySource('old', cwd).path, join(cwd, 'inventories', 'old.js'));
  assert.is(resolveInventorySource('inventories/prod.ts', cwd).path, join(cwd, 'inventories', 'prod.ts'), 'a path is relative to the working directory too');
  // keel's own repository has inventories/lab.ts: from elsewhere, "lab" is not found.
  assert.throws(
    () => resolveInventorySource('lab', cwd).path,
    (e: unknown) => e instanceof UsageError && (e as Error).message.includes(`looked for ${join(cwd, 'inventories', 'lab')}.ts`),
  );
  const here = process.cwd();
  process.chdir(cwd);
  try {
    assert.equal((await loadInventory('prod')).hosts.map((h) => h.address), ['192.0.2.1']);
  } finally {
    process.chdir(here);
  }
});

test('a syntax error or a throw in an inventory file is one ConfigError line naming the place', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'keel-inv-'));
  const bad = join(cwd, 'bad.ts');
  writeFileSync(bad, 'export default {\n  hosts: { a: {} }\n  vars: 1,\n};\n');
  const thrower = join(cwd, 'thrower.ts');
  writeFileSync(thrower, 'const x: any = undefined;\nexport default { hosts: x.missing };\n');
  const fn = join(cwd, 'fn.ts');
  writeFileSync(fn, 'export default () => { throw new TypeError("no hosts today"); };\n');
  for (const [file, pattern] of [
    [bad, /bad\.ts:3:\d+: syntax error: Expected ',', got/],
    [thrower, /cannot load inventory .*thrower\.ts: TypeError: Cannot read properties of undefined \(reading 'missing'\) \(at .*thrower\.ts:2:\d+\)/],
    [fn, /cannot load inventory .*fn\.ts: TypeError: no hosts today/],
  ] as const) {
    const err = await loadInventory(file).then(
      () => assert.unreachable('should have thrown'),
      (e: unknown) => e,
    );
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, pattern);
    assert.not.match((err as Error).message, '\n', 'one line');
  }
});

test.run();
