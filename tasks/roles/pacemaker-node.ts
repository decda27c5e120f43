import { flushHandlers } from '../../lib/task';
import type { Step, Task } from '../../lib/types';
import type { HostFacts, TaskResult } from '../../lib/types';
import { aptInstall } from '../apt';
import { command } from '../command';
import { corosyncConfig } from '../corosync';
import { lineInFile, writeFile } from '../files';
import { allNodesOnline } from '../pacemaker';
import { rcDisable, rcEnable, service } from '../service';
import { waitFor } from '../wait';
import { isTwoNode, type HaClusterOptions } from './ha-cluster-options';

/** Handler names, shared by the roles and the playbooks that flush them. */
export const RESTART_COROSYNC = 'restart corosync';

/** The registered result of the node's package install. */
const PACKAGES = 'clusterNodePackages';

/**
 * A `when`: on a systemd host, right after this run installed one of `packages` (in check mode:
 * would install it). Debian's postinst starts what it installs when systemd runs.
 */
export function freshOnSystemd(packages: string[]) {
  return (_host: unknown, registered: Readonly<Record<string, TaskResult>>, facts: HostFacts): boolean =>
    facts.initSystem === 'systemd' &&
    (registered[PACKAGES]?.changes ?? []).some((c) => packages.some((p) => c.field === `package ${p}` && c.from === 'absent'));
}

/**
 * Runbook steps 1–6 on one node: packages, /etc/default files, boot links, corosync.conf.
 * Nothing is started here, so add-node can prepare a node before the cluster knows it.
 * A changed corosync.conf notifies `restart corosync` (pacemakerNodeHandlers) unless
 * `restartOnChange` is false: add-node's new node has no corosync running yet, and starts it
 * with this file in a later play.
 */
export function pacemakerNodePrepare(o: HaClusterOptions, { restartOnChange = true }: { restartOnChange?: boolean } = {}): Task[] {
  const tasks: Task[] = [
    // crmsh and resource-agents are separate packages on Debian; psmisc gives the killall
    // pacemaker's init script needs to stop cleanly.
    aptInstall({ packages: ['pacemaker', 'corosync', 'crmsh', 'resource-agents', 'psmisc', ...o.servicePackages] }, { register: PACKAGES }),
    // On systemd, the fresh packages are running already: corosync and pacemaker with the package's
    // own corosync.conf (a one-node cluster "debian" whose node is "node1" on every host, which
    // leaves a CIB of its own on each node), and the managed service outside the cluster, on every
    // node (pacemaker then finds it "active on 2 nodes"). Stop them and drop that CIB before
    // corosync.conf is written; the cluster starts them below, as on sysvinit.
    command(
      { cmd: 'systemctl stop pacemaker corosync && rm -f /var/lib/pacemaker/cib/cib*' },
      { when: freshOnSystemd(['pacemaker', 'corosync']) },
    ),
    service({ name: o.serviceName, state: 'stopped' }, { when: freshOnSystemd(o.servicePackages) }),
    writeFile({ path: '/etc/default/cman', content: 'CMAN_QUORUM_TIMEOUT=0\n' }, { when: () => isTwoNode(o.nodes) }),
    writeFile({ path: '/etc/default/corosync', content: 'START=yes\n' }),
    rcEnable({ service: 'corosync' }),
    rcEnable({ service: 'pacemaker' }),
    // The cluster starts the service; started at boot as well, it would run on two nodes.
    rcDisable({ service: o.serviceName }),
  ];
  if (o.serviceDefaultFile) {
    const f = o.serviceDefaultFile;
    tasks.push(lineInFile({ path: f.path, line: f.line, regexp: f.regexp }));
  }
  tasks.push(
    corosyncConfig(
      { clusterName: o.clusterName, transport: o.transport, nodes: o.nodes, tokenMs: o.tokenMs },
      restartOnChange ? { notify: [RESTART_COROSYNC] } : {},
    ),
  );
  return tasks;
}

/** Runbook step 7: corosync (restarted first if its config changed), then pacemaker. */
export function pacemakerNodeStart(): Step[] {
  return [flushHandlers(), service({ name: 'corosync', state: 'started' }), service({ name: 'pacemaker', state: 'started' })];
}

/** Runbook step 7's check: wait until every node is Online in crm_mon. */
export function waitForAllOnline(o: HaClusterOptions): Task {
  return waitFor(allNodesOnline(o.nodes.map((n) => n.name), 180), { runOnce: true });
}

/** A whole node, steps 1–7. */
export function pacemakerNode(o: HaClusterOptions): Step[] {
  return [...pacemakerNodePrepare(o), ...pacemakerNodeStart(), waitForAllOnline(o)];
}

/** Handlers of the node roles. */
export function pacemakerNodeHandlers(): Record<string, Task> {
  return { [RESTART_COROSYNC]: service({ name: 'corosync', state: 'restarted' }) };
}
