import { UsageError } from '../lib/errors';
import { defineInventory } from '../lib/inventory';
import { readLabState } from '../lab/state';

/** The HA playbook's vars for the lab; bench/ gives Ansible the same ones. */
export const LAB_CLUSTER_VARS = {
  cluster_name: 'ha-asterisk',
  corosync_transport: 'udpu',
  floating_ip: '198.18.0.100',
  floating_cidr: 24,
  service_agent: 'lsb:kamailio',
  service_name: 'kamailio',
  service_packages: ['kamailio'],
  service_default_file: { path: '/etc/default/kamailio', line: 'RUN_KAMAILIO=yes', regexp: '^#?\\s*RUN_KAMAILIO=' },
};

/**
 * playbooks/base.ts on the lab: nodes share this machine's clock (chronyd -x keeps time, never
 * sets it) and reach no time server but the bridge, so no packet leaves the lab.
 */
export const LAB_BASE_VARS = { ntp_servers: ['198.18.0.1'], time_sets_clock: false };

/**
 * The lab made by `npm run lab -- up`: its running nodes form the cluster. Debian 12 has no
 * asterisk package, so the lab's managed service is kamailio (a real SIP server with an LSB
 * init script), enabled with RUN_KAMAILIO=yes.
 */
export default function labInventory() {
  const lab = readLabState();
  if (!lab || lab.nodes.length === 0) {
    throw new UsageError('no lab is up: run `npm run lab -- up` first (as root)');
  }
  const nodes = lab.nodes.filter((n) => n.running);
  return defineInventory({
    defaults: { user: 'root', keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, connectTimeoutSeconds: 5 },
    hosts: Object.fromEntries(nodes.map((n) => [n.name, { address: n.address, vars: { cluster_address: n.address } }])),
    groups: { cluster: { hosts: nodes.map((n) => n.name) } },
    vars: { ...LAB_CLUSTER_VARS, ...LAB_BASE_VARS },
  });
}
