'use strict';
/**
 * ts-node's own swc transpiler (`"swc": true`) with a cache on disk, for keel's sources run by
 * `npx ts-node` (tsconfig.json names it as ts-node's `transpiler`). ts-node keeps no cache: every
 * start loaded @swc/core's native library and transpiled every keel file again. Here a file whose
 * source is unchanged since it was last transpiled is read back, and @swc/core is loaded only when
 * some file has changed: ha-asterisk's `--help` through ts-node took 0.62 s against 0.68 s
 * (medians of 7), and every spec process of `npm test` starts the same way.
 *
 * Only files of this repository are cached (not node_modules, not files elsewhere run with its
 * tsconfig), one entry per file (node_modules/.cache/keel-ts/, or $KEEL_TS_CACHE), named by a
 * hash of the file's path and of everything else the output depends on (this cache's format, the
 * versions of ts-node and of the swc it uses, the compiler options, the module kind, the
 * transpiler's options), and holding a hash of the source it was made from: an edited file
 * replaces its entry. `npm ci` clears the cache with node_modules. Entries are written whole (a
 * temporary file, then rename); any failure to read or write one falls back to transpiling, as
 * ts-node would. A custom transpiler works in transpile-only mode alone: `ts-node --typeCheck`
 * refuses it here (type-checking is `npm run typecheck`).
 */
const { createHash, randomBytes } = require('node:crypto');
const { threadId } = require('node:worker_threads');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
/** Bumped when what an entry holds, or how it is keyed, changes. */
const FORMAT = 1;

/** The version in the package.json above a resolved file of a package (`.../node_modules/NAME/...`). */
function versionAt(resolved, name) {
  try {
    const dir = resolved.slice(0, resolved.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}`.length);
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** ts-node's version and the swc its transpiler will load (@swc/core, else @swc/wasm), as ts-node looks for them. */
function versions(createOptions) {
  const out = { 'ts-node': versionAt(require.resolve('ts-node'), 'ts-node') };
  const resolve = createOptions.transpilerConfigLocalResolveHelper;
  for (const name of ['@swc/core', '@swc/wasm']) {
    try {
      out[name] = versionAt(resolve(name, true), name);
      break;
    } catch {
      // Not installed: ts-node tries the next.
    }
  }
  return out;
}

const sha256 = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** ts-node's transpiler factory: the same options, passed on to its swc transpiler on a miss. */
exports.create = function create(createOptions) {
  const dir = process.env.KEEL_TS_CACHE || join(ROOT, 'node_modules', '.cache', 'keel-ts');
  // `own`: what else ts-node passes (the module kind, the transpiler's options from tsconfig).
  const { service, transpilerConfigLocalResolveHelper: _resolve, ...own } = createOptions;
  const salt = JSON.stringify([FORMAT, versions(createOptions), service.config.options, own]);
  const cached = (fileName) => fileName.startsWith(`${ROOT}/`) && !fileName.includes('/node_modules/');
  let swc;
  const transpileNow = (input, options) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    swc ??= require('ts-node/transpilers/swc').create(createOptions);
    return swc.transpile(input, options);
  };
  return {
    transpile(input, options) {
      if (!cached(options.fileName)) return transpileNow(input, options);
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
        const tmp = `${entry}.${process.pid}.${threadId}.${randomBytes(4).toString('hex')}.tmp`;
        writeFileSync(tmp, JSON.stringify({ source, outputText: out.outputText, sourceMapText: out.sourceMapText }));
        renameSync(tmp, entry);
      } catch {
        // A cache that cannot be written (read-only node_modules) only costs the next start.
      }
      return out;
    },
  };
};
