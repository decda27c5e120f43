import { executeTask } from '../../lib/execute';
import { parseFacts } from '../../lib/facts';
import { HostSession } from '../../lib/host-session';
import type { Connection, Facts, HostView, Task, TaskResult } from '../../lib/types';

/** Debian 12 facts as the lab's node1 reports them. */
export const debianFacts: Facts = {
  hostname: 'node1',
  os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  initSystem: 'sysvinit',
  interfaces: [
    { iface: 'lo', address: '127.0.0.1', prefix: 8, network: '127.0.0.0' },
    { iface: 'eth0', address: '198.18.0.11', prefix: 24, network: '198.18.0.0' },
  ],
};

const node = (n: number) => ({ name: `node${n}`, address: `198.18.0.1${n}`, groups: ['cluster'], vars: {} });
export const testHost: HostView = {
  ...node(1),
  inventory: { hosts: [node(1), node(2)], groups: { cluster: ['node1', 'node2'] } },
};

/** Runs one task through the real executeTask on a (fake) connection, with fixed facts. */
export async function runTask(
  task: Task,
  conn: Connection,
  options: { check?: boolean; facts?: Facts; host?: HostView } = {},
): Promise<TaskResult> {
  const session = new HostSession(options.host ?? testHost, conn);
  const facts = options.facts ?? debianFacts;
  (session as unknown as { factsPromise: Promise<Facts> }).factsPromise = Promise.resolve(facts);
  return executeTask(task, session, options.check ?? false);
}

export { parseFacts };
