#!/usr/bin/env node
'use strict';
// esbuild with keel's bundle settings: `node tools/bundle.js ENTRY... (--outfile=F | --outdir=D) [--outbase=.]`.
// The package's dist/index.js (npm run build), bench/'s bundled playbooks and lib/generated/typebox.js
// (tools/gen-typebox.js) are made by this, and
// README "Speed" shows users the same externals (spec/lib/bundle-externals.spec.ts): left in
// node_modules are ssh2 (its native addon is found beside its own files), the optional peers, and
// what keel loads only on demand. The list is tools/bundle-externals.json.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const externals = require('./bundle-externals.json');
const ESBUILD = join(__dirname, '..', 'node_modules', '.bin', 'esbuild');
const SETTINGS = ['--bundle', '--platform=node', '--target=node20', '--log-level=warning', ...externals.map((e) => `--external:${e}`)];

/** esbuild with these settings and `args`, spawned with `options` (tools/gen-typebox.js gives it stdin and reads stdout). */
function esbuild(args, options) {
  return spawnSync(ESBUILD, [...SETTINGS, ...args], options);
}

module.exports = { esbuild };
if (require.main === module) process.exit(esbuild(process.argv.slice(2), { stdio: 'inherit' }).status ?? 1);
