#!/usr/bin/env node
// Runs every spec file (uvu) in its own process, streams its output, and closes with one line
// `N passed, N failed, N skipped` summed over all files. A file that crashes counts as failed.
// Usage: node spec/run.js [filter...]   (filters are substrings of spec paths, e.g. `unit` `e2e`)
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const filters = process.argv.slice(2);

function findSpecs(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'helpers' && entry.name !== 'fixtures') out.push(...findSpecs(p));
    else if (entry.isFile() && entry.name.endsWith('.spec.ts')) out.push(p);
  }
  return out;
}

// Order: fast unit specs first, then integration, faults and the lab's end-to-end last.
const weight = (p) => (p.includes('/e2e/') ? 3 : p.includes('/faults/') ? 2 : p.includes('/integration/') ? 1 : 0);
const specs = findSpecs(path.join(root, 'spec'))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));

let passed = 0;
let failed = 0;
let skipped = 0;

function runOne(file) {
  return new Promise((resolve) => {
    const rel = path.relative(root, file);
    console.log(`\n### ${rel}`);
    const child = spawn(process.execPath, ['-r', 'ts-node/register', file], {
      cwd: root,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => {
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      // A spec that cannot run here prints `NOT RUN: <count> <reason>` and exits 0.
      const notRun = [...out.matchAll(/^NOT RUN: (\d+) /gm)].reduce((n, m) => n + Number(m[1]), 0);
      passed += ok;
      failed += total - ok - skip;
      skipped += skip + notRun;
      if (code !== 0 && total - ok - skip === 0) {
        failed += 1;
        console.log(`!!! ${rel} exited with code ${code} without a failing test: counted as one failure`);
      }
      resolve();
    });
  });
}

(async () => {
  console.log('### typecheck (tsc --noEmit)');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', root], {
    stdio: 'inherit',
  });
  if (tsc.status === 0) passed += 1;
  else failed += 1;
  for (const file of specs) await runOne(file);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
})();
