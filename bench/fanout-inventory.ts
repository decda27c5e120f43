/**
 * The light hosts that bench/run.ts started (bench/results/light.json, or the file
 * KEEL_BENCH_LIGHT names: the compiled copy of this file lives elsewhere), the first
 * KEEL_BENCH_HOSTS of them (default all); each with its own directory, the var `dir`.
 *
 * Connect timeout 120 s: at 256 hosts every sshd and keel's own handshakes share this machine's
 * two cores (load ~270 measured), and a few handshakes took over 30 s. The floor's OpenSSH
 * sessions have no connect timeout at all; this only keeps the two comparable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineInventory } from '../lib/inventory';
import type { LightHosts } from '../lab/lighthosts';

export default function fanoutInventory() {
  const light = JSON.parse(readFileSync(process.env.KEEL_BENCH_LIGHT ?? join(__dirname, 'results', 'light.json'), 'utf8')) as LightHosts;
  const n = Number(process.env.KEEL_BENCH_HOSTS ?? light.hosts.length);
  const hosts = light.hosts.slice(0, n);
  return defineInventory({
    defaults: { user: 'root', keyFile: light.keyFile, knownHostsFile: light.knownHostsFile, connectTimeoutSeconds: 120 },
    hosts: Object.fromEntries(hosts.map((h) => [h.name, { address: h.address, vars: { dir: `/tmp/keel-bench-${h.name}` } }])),
  });
}
