/**
 * `--shard I/N`: one of N controllers runs the hosts whose shard is I, and leaves the others to
 * the other N-1. A host's shard is a pure function of its inventory name and N, so every host
 * is in exactly one shard by construction: the controllers need no coordination, only the same
 * N and the same inventory. `keel report merge` (lib/report/merge.ts) joins their reports.
 */
import { hash } from 'node:crypto';
import { UsageError } from './errors';
import type { Inventory, ResolvedHost } from './inventory';

/** Shard `index` of `count`, 0-based: `--shard 0/4` to `--shard 3/4` (as JOB_COMPLETION_INDEX counts). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The shard of a host among `count`: the first 48 bits of SHA-256 of its name (UTF-8), as a
 * big-endian number, mod `count`. A standard hash rather than a hand-rolled one, so that anyone
 * can say which shard a host is in without keel (`printf %s web1 | sha256sum`, or in Python
 * int.from_bytes(hashlib.sha256(name.encode()).digest()[:6], 'big') % count), and so that the
 * spread does not depend on how the fleet's names are formed. 48 bits fit a JavaScript number
 * exactly; their remainder's bias is below 2^-30 for any count a fleet needs.
 */
export function shardOf(name: string, count: number): number {
  return hash('sha256', name, 'buffer').readUIntBE(0, 6) % count;
}

/** Whether the host named `name` is one of this shard's. */
export function inShard(name: string, shard: Shard): boolean {
  return shardOf(name, shard.count) === shard.index;
}

const USAGE = '--shard I/N runs shard I of N, numbered from 0: --shard 0/4 to --shard 3/4';

/** `I/N` from the command line; anything else is a UsageError (exit 2) before any host is contacted. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d*)\s*\/\s*(\d*)\s*$/.exec(value);
  if (!m) throw new UsageError(`--shard "${value}": not I/N (${USAGE})`);
  const [, i, n] = m;
  // `--shard $JOB_COMPLETION_INDEX/4` with the variable unset arrives as "/4".
  if (i === '') throw new UsageError(`--shard "${value}": the shard index I is empty (is the variable that holds it set?); ${USAGE}`);
  if (n === '') throw new UsageError(`--shard "${value}": the shard count N is empty; ${USAGE}`);
  const index = Number(i);
  const count = Number(n);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) throw new UsageError(`--shard "${value}": too large a number`);
  if (count < 1) throw new UsageError(`--shard "${value}": the shard count N must be at least 1`);
  if (index >= count) {
    throw new UsageError(`--shard "${value}": shards are numbered from 0, so I must be from 0 to ${count - 1} when N is ${count}`);
  }
  return { index, count };
}

/**
 * The inventory of this shard's run: only its hosts. The hosts of other shards are kept by name
 * alone (`otherShards`), so that a host pattern or --limit naming one selects nothing here
 * instead of failing as an unknown name; every host still sees the whole inventory
 * (`host.inventory`), so a role that lists a group's members renders the same in every shard.
 */
export function shardInventory(inventory: Inventory, shard: Shard): Inventory {
  const mine: ResolvedHost[] = [];
  const others = new Set(inventory.otherShards ?? []);
  for (const h of inventory.hosts) {
    if (inShard(h.name, shard)) mine.push(h);
    else others.add(h.name);
  }
  return { ...inventory, hosts: mine, otherShards: others };
}
