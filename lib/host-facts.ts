import { networkAddress } from './network';
import type { HostFacts, InitSystem, InterfaceAddress } from './types';

/**
 * How the host facts tell the init system, in shell: systemd when it booted the host (its
 * sd_booted() test), else sysvinit where /etc/init.d exists. Fact commands that differ by init
 * system branch on these same tests (tasks/service/facts.ts), so they need no gathered facts and go
 * out in the host facts' own round trip, their parse reading the `initSystem` the same test gave.
 */
export const SYSTEMD_BOOTED = '[ -d /run/systemd/system ]';
export const HAS_INIT_D = '[ -d /etc/init.d ]';

/**
 * One read-only script for the host facts, run once per host when it is connected.
 * Sections are separated by a line that no tool prints. The hostname and os-release are read by
 * the shell itself (`read`), not by `hostname` and `cat`: a process less each, on every host, in
 * every run.
 */
export const FACTS_SCRIPT = [
  // Variables named keel_*: in a read batch this runs in the batch's own shell (sharesShell).
  '{ read -r keel_h </proc/sys/kernel/hostname && echo "$keel_h"; } 2>/dev/null || hostname 2>/dev/null || cat /etc/hostname',
  'echo @@keel-facts@@',
  'while IFS= read -r keel_l || [ -n "$keel_l" ]; do printf \'%s\\n\' "$keel_l"; done 2>/dev/null </etc/os-release',
  'echo @@keel-facts@@',
  `if ${SYSTEMD_BOOTED}; then echo systemd; elif ${HAS_INIT_D}; then echo sysvinit; else echo unknown; fi`,
  'echo @@keel-facts@@',
  'ip -o -4 addr show 2>/dev/null',
].join('\n');

export function parseHostFacts(stdout: string): HostFacts {
  const [hostname = '', osRelease = '', init = '', addrs = ''] = stdout.split('@@keel-facts@@\n');
  const os = parseOsRelease(osRelease);
  return {
    hostname: hostname.trim(),
    os: {
      id: os.ID ?? 'unknown',
      versionId: os.VERSION_ID ?? '',
      codename: os.VERSION_CODENAME ?? '',
      prettyName: os.PRETTY_NAME ?? '',
    },
    initSystem: (['systemd', 'sysvinit'].includes(init.trim()) ? init.trim() : 'unknown') as InitSystem,
    interfaces: parseIpAddr(addrs),
  };
}

function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** Lines of `ip -o -4 addr show`: `2: eth0    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0`. */
function parseIpAddr(text: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (!m) continue;
    const prefix = Number(m[3]);
    out.push({ iface: m[1], address: m[2], prefix, network: networkAddress(m[2], prefix) });
  }
  return out;
}
