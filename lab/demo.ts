// `npm run demo`: keel's main job on a fresh machine. A two-node lab, the HA playbook on it with
// live progress, then the cluster's status, a real SIP request to the floating IP, and what to try next.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sipOptions } from './sip/options';
import { LabError } from './errors';
import { ensureHostPackages, requireRootLinux } from './host';
import { up } from './lab';
import { KEY_FILE, KNOWN_HOSTS_FILE } from './paths';

const root = join(__dirname, '..');
const say = (s: string) => process.stdout.write(`\n== ${s}\n`);

async function main(): Promise<number> {
  requireRootLinux();
  // sipp (Debian's sip-tester) is the SIP client that checks the floating IP at the end.
  await ensureHostPackages({ 'sip-tester': '/usr/bin/sipp' });
  say('lab: two Debian 12 nodes (namespaces, real sshd)');
  const lab = await up(2);
  for (const n of lab.nodes) console.log(`   ${n.name}  ${n.address}`);

  say('keel: playbooks/ha-asterisk.ts -i lab');
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register', join(root, 'playbooks', 'ha-asterisk.ts'), '-i', 'lab'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  if (run.status !== 0) throw new LabError(`the playbook exited ${run.status}`, run.status ?? 1);

  say('cluster status (crm_mon -1 on node1)');
  spawnSync('ssh', ['-i', KEY_FILE, '-o', `UserKnownHostsFile=${KNOWN_HOSTS_FILE}`, '-o', 'BatchMode=yes', `root@${lab.nodes[0].address}`, 'crm_mon -1'], {
    stdio: 'inherit',
  });

  say('SIP OPTIONS to the floating IP 198.18.0.100:5060 (sipp)');
  const sip = await sipOptions('198.18.0.100:5060', { localIp: lab.bridgeAddress });
  console.log(sip.ok ? '   200 OK: the service answers on the floating IP' : `   no answer:\n${sip.output}`);

  say('try next');
  console.log(`   npx ts-node playbooks/ha-asterisk.ts -i lab             # again: changed=0
   npx ts-node playbooks/ha-asterisk.ts -i lab --check     # drift audit (exit 4 on drift)
   npm run lab -- kill node1                               # power cut: the IP moves to node2
   npm run lab -- boot node1                               # node1 comes back and rejoins
   npm run lab -- up --nodes 3 && npx ts-node playbooks/add-node.ts -i lab -e new_node=node3
   npm run lab -- down                                     # tear everything down`);
  return sip.ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof LabError ? err.exitCode : 1;
  },
);
