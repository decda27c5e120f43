#!/usr/bin/env node
'use strict';
// The `keel` command. An installed package runs its compiled build (dist/index.js, one file
// bundled by esbuild: Node reads one file instead of ~300 at start-up): no TypeScript compiler. In a checkout of keel's own repository (lib/*.ts beside this file)
// it runs the sources through the repository's ts-node, so a stale build is never run.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// `npm run keel -- ...` runs in keel's own directory; the paths given are the caller's.
if (process.env.npm_lifecycle_event === 'keel' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
const source = join(root, 'lib', 'keel.ts');
let entry = join(root, 'dist', 'index.js');
if (existsSync(source)) {
  entry = source;
  if (!require.extensions['.ts']) {
    require(require.resolve('ts-node', { paths: [root] })).register({ project: join(root, 'tsconfig.json') });
  }
} else if (!existsSync(entry)) {
  process.stderr.write('keel: its build (dist/) is missing: reinstall keel, or run `npm run build` in its repository\n');
  process.exit(2);
}
require(entry)
  .keel(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
