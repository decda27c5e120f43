/**
 * The unified diff of a file's current and wanted text (`--diff`, reports). `diff` is loaded on
 * the first diff, not at start-up: a run that changes nothing never needs it (issue 13: ~50 ms of
 * module loading under ts-node, paid by every run before).
 */
type Diff = typeof import('diff');
let lib: Diff | undefined;

export function createTwoFilesPatch(...args: Parameters<Diff['createTwoFilesPatch']>): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lib ??= require('diff') as Diff;
  return lib.createTwoFilesPatch(...args);
}
