/**
 * What --shard refuses before any host is contacted: plays whose hosts act together. Apart from
 * lib/shard.ts, which the command line's parser loads at start-up, because this needs the planner.
 */
import { UsageError } from './errors';
import { taskName } from './execute';
import type { Inventory } from './inventory';
import { planPlay, type PlanOptions } from './plan';
import type { Play } from './types';

/**
 * A runOnce task runs on the first host of the play that is up: split across N controllers, it
 * would run once in every shard, on N hosts, which no unsharded run does. Refused before any
 * host is contacted (task lists built from the hosts' facts are only known later: see
 * docs/SHARDING.md).
 */
export function checkShardable(plays: readonly Play[], inventory: Inventory, options: PlanOptions): void {
  for (const play of plays) {
    for (const p of planPlay(play, inventory, options)) {
      const once = p.steps?.find((s) => s.kind === 'task' && s.options.runOnce);
      if (once && once.kind === 'task') {
        throw new UsageError(
          `--shard: play "${play.name}" has a runOnce task ("${taskName(once)}"): each shard would run it once, ` +
            'on its own first host; run this play unsharded (its hosts act together)',
        );
      }
    }
  }
}
