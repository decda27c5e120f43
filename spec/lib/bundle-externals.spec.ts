/**
 * One list of what keel's bundles leave to node_modules (tools/bundle-externals.json): the package
 * build and bench/ use it through tools/bundle.js, and README's command for users names the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(__dirname, '..', '..');
const list = JSON.parse(readFileSync(join(root, 'tools', 'bundle-externals.json'), 'utf8')) as string[];

test('README\'s esbuild command names exactly the externals keel bundles with', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const named = [...readme.matchAll(/--external:([\w@/.-]+)/g)].map((m) => m[1]);
  assert.ok(named.length > 0, 'README has no esbuild command');
  assert.equal([...new Set(named)].sort(), [...list].sort());
});

test('the package build and the bench bundle through tools/bundle.js', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.build, 'node tools/bundle.js index.ts --outfile=dist/index.js');
  assert.match(readFileSync(join(root, 'bench', 'run.ts'), 'utf8'), 'node tools/bundle.js');
});

test.run();
