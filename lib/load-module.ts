import { existsSync } from 'node:fs';
import { basename, dirname, relative } from 'node:path';
import { ConfigError, KeelError } from './errors';

/** The errors keel raises on purpose: their message is already the one line to print. */
const KEEL_ERRORS = new Set(['KeelError', 'UsageError', 'ValidationError', 'ConfigError', 'InventoryFileError']);

/**
 * Loads a user's playbook or inventory module: `.js` as it is, `.ts` through ts-node (the user's,
 * registered here when nothing has registered TypeScript yet). A syntax error or a throw while
 * loading becomes a ConfigError of one line (`inventories/prod.ts:3:1: syntax error: ...`), since
 * nothing has been contacted yet.
 */
export function loadUserModule(file: string, what: 'playbook' | 'inventory'): unknown {
  if (!existsSync(file)) throw new ConfigError(`${what} file not found: ${file}`);
  if (/\.[cm]?ts$/.test(file)) ensureTypeScript(file, what);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file);
  } catch (err) {
    throw asConfigError(err, file, what);
  }
}

/** A throw while loading or building a user's module, as one line naming the file and the place. */
export function asConfigError(err: unknown, file: string, what: string): KeelError {
  if (err instanceof KeelError) return err;
  // The same error class from another copy of keel (a dist build beside the sources).
  if (err instanceof Error && KEEL_ERRORS.has(err.name)) return new ConfigError(err.message);
  return new ConfigError(`cannot load ${what} ${shortPath(file)}: ${describeLoadError(err, file)}`);
}

/**
 * Registers ts-node for `.ts` files unless something already has (`npx ts-node playbook.ts`,
 * `node -r ts-node/register`). The user's ts-node is looked for from the working directory and
 * from the file's own directory; keel itself never ships or needs a TypeScript compiler.
 */
export function ensureTypeScript(file: string, what: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (require.extensions['.ts']) return;
  const from = [process.cwd(), dirname(file)];
  let tsNode: string;
  try {
    tsNode = require.resolve('ts-node', { paths: from });
  } catch {
    throw new ConfigError(
      `${shortPath(file)} is TypeScript: loading a .ts ${what} needs ts-node in your project ` +
        `(npm install --save-dev ts-node typescript @swc/core), or compile it to .js`,
    );
  }
  const swc = resolvable('@swc/core', [dirname(tsNode), ...from]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { register } = require(tsNode) as { register(o: object): void };
  // Type-checking is tsc's job (in CI, in the editor): the run only needs the code, fast.
  try {
    register({ transpileOnly: true, swc });
  } catch (err) {
    // The project's tsconfig names a transpiler of its own (keel's repository does: the cached
    // swc one), which ts-node will not combine with `swc`; it failed before installing anything.
    if (!swc || !/Cannot specify both 'swc' and 'transpiler'/.test(String(err))) throw err;
    register({ transpileOnly: true });
  }
}

function resolvable(name: string, paths: string[]): boolean {
  try {
    require.resolve(name, { paths });
    return true;
  } catch {
    return false;
  }
}

/** `playbooks/site.ts` rather than an absolute path, when the file is under the working directory. */
export function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/**
 * One line for an error raised while a module loads: swc's and TypeScript's syntax errors, V8's
 * SyntaxError, a missing import, or a throw in the module's top level, with the place it points to.
 */
export function describeLoadError(err: unknown, file: string): string {
  if (!(err instanceof Error)) return String(err).split('\n')[0];
  const message = err.message ?? '';
  // swc: "  x Expected ',', got 'ident'\n   ,-[/path/file.ts:3:1]"
  const swc = /^\s*x (.+)$/m.exec(message);
  const swcAt = /,-\[(.+?):(\d+):(\d+)\]/.exec(message);
  if (swc && swcAt) return `${shortPath(swcAt[1])}:${swcAt[2]}:${swcAt[3]}: syntax error: ${swc[1].trim()}`;
  // TypeScript through ts-node: "⨯ Unable to compile TypeScript:\nfile.ts(3,3): error TS1005: ',' expected."
  const ts = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.+)$/m.exec(message);
  if (ts) return `${shortPath(ts[1])}:${ts[2]}:${ts[3]}: ${ts[4]}: ${ts[5].trim()}`;
  const firstLine = message.split('\n')[0].trim();
  // V8's SyntaxError puts the place on the stack's first line: "/path/file.js:3".
  if (err.name === 'SyntaxError') {
    const at = /^(\/[^\n]+?):(\d+)\n/.exec(err.stack ?? '');
    return `${at ? `${shortPath(at[1])}:${at[2]}: ` : ''}SyntaxError: ${firstLine}`;
  }
  if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return firstLine;
  const frame = (err.stack ?? '').split('\n').find((l) => l.includes(file));
  const where = frame ? /\(?([^\s()]+:\d+:\d+)\)?\s*$/.exec(frame.trim())?.[1] : undefined;
  return `${err.name}: ${firstLine}${where ? ` (at ${shortPath(where)})` : ''}`;
}

/**
 * Whether `filename` (a module's `__filename`) is the file named `base` (.ts under ts-node, .js
 * when compiled) rather than a bundle holding it: bundled, every module's `module` is the bundle's,
 * so `require.main === module` alone holds for each of them at once.
 */
export function isMainFile(filename: string, base: string): boolean {
  return basename(filename).replace(/\.[cm]?[jt]s$/, '') === base;
}
