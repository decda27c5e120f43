import type * as Ssh2 from 'ssh2';

/**
 * ssh2, in its two halves, each loaded on first use rather than when keel loads (a run that
 * contacts no host, `--help`, a bad flag or inventory, `keel inventory`, needs neither).
 *
 * They are ssh2's own modules, the ones its index re-exports (spec/lib/ssh2-parts.spec.ts checks
 * that they still are): the index would also load its server, its HTTP agents (node:http and
 * node:https) and its key generator, ~10 ms that a client never uses.
 */

let client: typeof Ssh2.Client | undefined;
let keys: Pick<typeof Ssh2.utils, 'parseKey'> | undefined;

/**
 * ssh2's key parser (~30 ms to load): keys are read and checked before any host is contacted,
 * and this half of ssh2 is all that needs.
 */
export function keyParser(): Pick<typeof Ssh2.utils, 'parseKey'> {
  return (keys ??= require('ssh2/lib/protocol/keyParser.js') as Pick<typeof Ssh2.utils, 'parseKey'>);
}

/**
 * ssh2's client (its protocol, ciphers and channels: ~30 ms more to load). A run loads it once
 * its first hosts' TCP connections are under way (lib/connection/ssh.ts dial), so the loading
 * overlaps the hosts' sshd starting up.
 */
export function sshClient(): typeof Ssh2.Client {
  return (client ??= require('ssh2/lib/client.js') as typeof Ssh2.Client);
}
