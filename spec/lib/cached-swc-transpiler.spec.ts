/**
 * tools/cached-swc-transpiler.js, ts-node's transpiler for keel's sources: the output of ts-node's
 * own swc transpiler, read back while a file is unchanged, made again when it changes, and
 * @swc/core not loaded at all when every file is in the cache.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadedCount, loadedFilesProbe } from '../helpers/loaded-files';

const root = join(__dirname, '..', '..');
const tsNode = join(root, 'node_modules', '.bin', 'ts-node');

const SWC = '@swc/core';
const swcProbe = loadedFilesProbe(SWC);
/** How many of @swc/core's files the run loaded. */
const swcFiles = (r: { stderr: string }) => loadedCount(r.stderr, SWC);

/** Runs a .ts file through `ts-node` with keel's tsconfig and the cache in `cache`. */
function runTs(file: string, cache: string) {
  return spawnSync(process.execPath, ['-r', swcProbe, tsNode, '-P', join(root, 'tsconfig.json'), file], { cwd: root, encoding: 'utf8', env: { ...process.env, KEEL_TS_CACHE: cache } });
}

/** A directory of this repository for a test's .ts files (only the repository's files are cached), removed after. */
function inRepository(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(root, '.tmp-transpile-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a cold start transpiles with swc; a warm one reads the cache and never loads @swc/core; an edit is transpiled again', () => inRepository((dir) => {
  const cache = mkdtempSync(join(tmpdir(), 'keel-ts-cache-'));
  const file = join(dir, 'hello.ts');
  {
    writeFileSync(file, "const n: number = 1;\nconsole.log('hello', n);\n");
    const cold = runTs(file, cache);
    assert.is(cold.stdout, 'hello 1\n', cold.stderr);
    assert.ok((swcFiles(cold) ?? 0) > 0, `swc loaded: ${cold.stderr}`);
    assert.is(readdirSync(cache).length, 1, 'one entry for the one file');
    const warm = runTs(file, cache);
    assert.is(warm.stdout, 'hello 1\n', warm.stderr);
    assert.is(swcFiles(warm), 0);
    writeFileSync(file, "const n: number = 2;\nconsole.log('edited', n);\n");
    const edited = runTs(file, cache);
    assert.is(edited.stdout, 'edited 2\n', 'not the stale output');
    assert.ok((swcFiles(edited) ?? 0) > 0, `swc loaded: ${edited.stderr}`);
    assert.is(readdirSync(cache).length, 1, 'the edit replaced its entry');
  }
}));

test('a file outside the repository is transpiled every time and never cached', () => {
  const cache = mkdtempSync(join(tmpdir(), 'keel-ts-cache-'));
  const file = join(mkdtempSync(join(tmpdir(), 'keel-transpile-')), 'elsewhere.ts');
  writeFileSync(file, "console.log('elsewhere' as string);\n");
  for (const run of ['first', 'second']) {
    const r = runTs(file, cache);
    assert.is(r.stdout, 'elsewhere\n', `${run}: ${r.stderr}`);
    assert.ok((swcFiles(r) ?? 0) > 0, `swc loaded: ${r.stderr}`);
  }
  assert.equal(readdirSync(cache), []);
});

test('a cached file still maps its stack traces to TypeScript lines (the source map is cached with it)', () => inRepository((dir) => {
  const cache = mkdtempSync(join(tmpdir(), 'keel-ts-cache-'));
  const file = join(dir, 'throws.ts');
  {
    // Types the transpile removes, so the JavaScript's lines and columns differ from the source's.
    writeFileSync(file, 'interface A {\n  x: number;\n}\ntype B = A;\nconst a: B = { x: 1 };\nif (a.x) throw new Error("line six");\n');
    for (const run of ['cold', 'warm']) {
      const r = runTs(file, cache);
      assert.match(r.stderr, /throws\.ts:6:\d+/, `${run}: ${r.stderr}`);
    }
    assert.is(swcFiles(runTs(file, cache)), 0);
  }
}));

test('the output is what ts-node\'s own swc transpiler gives', () => {
  const cache = mkdtempSync(join(tmpdir(), 'keel-ts-cache-'));
  const script = `
    const opts = { service: { config: { options: { target: 9, module: 1, esModuleInterop: true } } }, transpilerConfigLocalResolveHelper: (m) => require.resolve(m), nodeModuleEmitKind: 'nodecjs' };
    const src = "import { join } from 'node:path';\\nexport const f = (a: string): string => join(a, 'b');\\n";
    const fileName = ${JSON.stringify(join(root, 'x', 'a.ts'))};
    const own = require('ts-node/transpilers/swc').create(opts).transpile(src, { fileName });
    const cached = () => require('./tools/cached-swc-transpiler.js').create(opts).transpile(src, { fileName });
    const [first, second] = [cached(), cached()];
    console.log(JSON.stringify([own.outputText === first.outputText, own.sourceMapText === first.sourceMapText, own.outputText === second.outputText, own.sourceMapText === second.sourceMapText]));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, KEEL_TS_CACHE: cache } });
  assert.is(r.stdout.trim(), '[true,true,true,true]', r.stderr);
  assert.is(readdirSync(cache).length, 1);
});

test("keel's loader registers ts-node in a project whose tsconfig names its own transpiler (keel's repository)", () => {
  // Compiled keel (bundled here) loading a .ts inventory with nothing registered for .ts yet.
  const out = join(mkdtempSync(join(tmpdir(), 'keel-loader-')), 'load-module.js');
  const b = spawnSync(process.execPath, [join(root, 'tools', 'bundle.js'), join(root, 'lib', 'load-module.ts'), `--outfile=${out}`], { encoding: 'utf8' });
  assert.is(b.status, 0, b.stderr);
  const script = `const { loadUserModule } = require(${JSON.stringify(out)});
    Promise.resolve(loadUserModule(${JSON.stringify(join(root, 'inventories', 'lab.ts'))}, 'inventory')).then((m) => console.log(typeof m));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TS_NODE_') && k !== 'NODE_OPTIONS'));
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: clean });
  assert.is(r.stderr, '');
  assert.is(r.stdout.trim(), 'object');
});

test.run();
