import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A module to preload into a child process (`node -r PROBE ...`): when the process exits it writes
 * to stderr how many files it loaded (require.cache) whose path contains `fragment`; read it back
 * with loadedCount. For tests of what a start does not load (ajv's compiler, TypeBox's package,
 * @swc/core on a warm cache).
 */
export function loadedFilesProbe(fragment: string): string {
  const probe = join(mkdtempSync(join(tmpdir(), 'keel-loaded-probe-')), 'probe.js');
  const label = JSON.stringify(`loaded ${fragment}: `);
  const match = JSON.stringify(fragment);
  writeFileSync(probe, `process.on('exit', () => process.stderr.write(${label} + Object.keys(require.cache).filter((f) => f.includes(${match})).length + '\\n'));\n`);
  return probe;
}

/** The count a loadedFilesProbe for `fragment` wrote, or undefined when it wrote none (the process did not exit normally). */
export function loadedCount(stderr: string, fragment: string): number | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith(`loaded ${fragment}: `));
  return line === undefined ? undefined : Number(line.slice(`loaded ${fragment}: `.length));
}
