import { UsageError } from '../lib/errors';
import { defineInventory } from '../lib/inventory';

/**
 * An example for real servers: two Ubuntu or Debian hosts running Asterisk. It needs your
 * addresses and stops with a clear message, before any connection, until it has them:
 *
 *   KEEL_PROD_NODES="ha-asterisk-1=10.0.0.11,ha-asterisk-2=10.0.0.12" \
 *   KEEL_PROD_FLOATING_IP=10.0.0.100 KEEL_PROD_USER=admin \
 *   npx ts-node playbooks/ha-asterisk.ts -i prod --check
 *
 * Nothing in keel's tests or tools ever connects to it.
 */
export default function prodInventory() {
  const nodes = process.env.KEEL_PROD_NODES;
  const floatingIp = process.env.KEEL_PROD_FLOATING_IP;
  if (!nodes || !floatingIp) {
    throw new UsageError(
      'inventories/prod.ts is not configured: set KEEL_PROD_NODES="name=address,name=address" and ' +
        'KEEL_PROD_FLOATING_IP (optionally KEEL_PROD_USER, KEEL_PROD_KEY_FILE, KEEL_PROD_CIDR). Nothing was contacted.',
    );
  }
  const pairs = nodes.split(',').map((p) => p.trim().split('='));
  const hosts = Object.fromEntries(pairs.map(([name, address]) => [name, { address, vars: { cluster_address: address } }]));
  const user = process.env.KEEL_PROD_USER ?? 'root';
  return defineInventory({
    defaults: { user, become: user !== 'root', keyFile: process.env.KEEL_PROD_KEY_FILE },
    hosts,
    groups: { cluster: { hosts: Object.keys(hosts) } },
    vars: {
      cluster_name: 'ha-asterisk',
      corosync_transport: 'udpu',
      floating_ip: floatingIp,
      floating_cidr: Number(process.env.KEEL_PROD_CIDR ?? 32),
      service_agent: 'lsb:asterisk',
      service_name: 'asterisk',
      service_packages: ['asterisk'],
    },
  });
}
