import type * as Ssh2 from 'ssh2';

let lib: typeof Ssh2 | undefined;

/**
 * ssh2, loaded on first use rather than when keel loads: ~40 files that a run connecting to
 * nothing (`--help`, a bad flag or inventory, `keel inventory`) never needs.
 */
export function ssh2(): typeof Ssh2 {
  return (lib ??= require('ssh2') as typeof Ssh2);
}
