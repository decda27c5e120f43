import { networkAddress } from './network';
import type { HostFacts, InitSystem, InterfaceAddress } from './types';

/**
 * A command that does what each init system calls for, choosing as the host facts tell the init
 * system: systemd when it booted the host (sd_booted()'s test, /run/systemd/system), else sysvinit
 * where /etc/init.d exists, else `unknown`. The facts script names the init system with it, and
 * fact commands that differ by init system branch with it (tasks/service/facts.ts): they need no
 * gathered facts, go out in the facts' own round trip, and their parse can trust the facts'
 * `initSystem` to name the branch that ran.
 */
export function byInitSystem(commands: Record<InitSystem, string>): string {
  return `if [ -d /run/systemd/system ]; then ${commands.systemd}; elif [ -d /etc/init.d ]; then ${commands.sysvinit}; else ${commands.unknown}; fi`;
}

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
  byInitSystem({ systemd: 'echo systemd', sysvinit: 'echo sysvinit', unknown: 'echo unknown' }),
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
