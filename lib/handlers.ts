import { FLUSH_HANDLERS } from './runner';
import type { Task } from './types';

/**
 * Runs the handlers notified so far, here rather than at the end of the play (Ansible's
 * `meta: flush_handlers`): restart corosync after its config changed, before waiting for it.
 */
export function flushHandlers(): Task {
  return {
    definition: {
      module: FLUSH_HANDLERS,
      name: 'run notified handlers',
      probe: async () => undefined,
      decide: () => ({ changes: [] }),
      apply: async () => {},
    },
    options: {},
  };
}
