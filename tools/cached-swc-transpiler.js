'use strict';
/**
 * ts-node's own swc transpiler (`"swc": true`) with a cache on disk, for keel's sources run by
 * `npx ts-node` (tsconfig.json names it as ts-node's `transpiler`). ts-node keeps no cache: every
 * start loaded @swc/core's native library and transpiled every keel file again. Here a file whose
 * source is unchanged since it was last transpiled is read back, and @swc/core is loaded only when
 * some file has changed: ha-asterisk's `--help` through ts-node took 0.62 s against 0.68 s
 * (medians of 7), and every spec process of `npm test` starts the same way.
 *
 * One entry per source file (node_modules/.cache/keel-ts/, or $KEEL_TS_CACHE), named by a hash
 * of the file's path and of everything else the output depends on (the versions of ts-node and
 * @swc/core, the compiler options, the module kind), and holding a hash of the source it was
 * made from: an edited file replaces its entry, so the cache stays one entry per file. Entries are
 * written whole (a temporary file, then rename); any failure to read or write one falls back to
 * transpiling, as ts-node would.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const sha256 = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** ts-node's transpiler factory: the same options, passed on to its swc transpiler on a miss. */
exports.create = function create(createOptions) {
  const dir = process.env.KEEL_TS_CACHE || join(ROOT, 'node_modules', '.cache', 'keel-ts');
  const salt = JSON.stringify([versionOf('ts-node'), versionOf('@swc/core'), createOptions.service.config.options, createOptions.nodeModuleEmitKind ?? null]);
  let swc;
  const transpileNow = (input, options) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    swc ??= require('ts-node/transpilers/swc').create(createOptions);
    return swc.transpile(input, options);
  };
  return {
    transpile(input, options) {
      const entry = join(dir, `${sha256(salt, options.fileName)}.json`);
      const source = sha256(input);
      try {
        const hit = JSON.parse(readFileSync(entry, 'utf8'));
        if (hit.source === source) return { outputText: hit.outputText, sourceMapText: hit.sourceMapText };
      } catch {
        // No entry yet, or one unreadable: transpile.
      }
      const out = transpileNow(input, options);
      try {
        mkdirSync(dirname(entry), { recursive: true });
        const tmp = `${entry}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ source, outputText: out.outputText, sourceMapText: out.sourceMapText }));
        renameSync(tmp, entry);
      } catch {
        // A cache that cannot be written (read-only node_modules) only costs the next start.
      }
      return out;
    },
  };
};
