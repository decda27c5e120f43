import { KeelError, lastLines } from '../../lib/errors';
import { byInitSystem } from '../../lib/host-facts';
import { quote, sh } from '../../lib/quote';
import type { ExecResult, Fact, HostFacts, InitSystem } from '../../lib/types';

/** The init systems keel drives services with. */
export type KnownInitSystem = Exclude<InitSystem, 'unknown'>;

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload' | 'status';

/** A clear error for a host whose init system keel does not know. */
export function unknownInitSystem(what: string, init: InitSystem): KeelError {
  return new KeelError(
    `cannot ${what}: init system is ${init} (keel handles systemd, found by /run/systemd/system, and sysvinit, found by /etc/init.d)`,
  );
}

/** The host's init system when keel knows it; else the clear error, saying what could not be done. */
export function knownInitSystem(host: HostFacts, what: string): KnownInitSystem {
  const init = host.initSystem;
  if (init === 'sysvinit' || init === 'systemd') return init;
  throw unknownInitSystem(what, init);
}

/**
 * The command that performs `action` on a service with this init system: `service NAME ACTION`
 * on sysvinit (Debian's wrapper around /etc/init.d/NAME, which starts a daemon in a clean
 * environment), `systemctl ACTION NAME` on systemd, where status is `systemctl is-active NAME`
 * (exit 0 when active). A sysvinit status runs the init script itself, as Ansible's sysvinit
 * module does, from / and with the wrapper's PATH: a read starts no daemon, so the wrapper's
 * emptied environment buys nothing, and it cost four more processes per read (the wrapper, two
 * basenames and env). A missing script says what the wrapper says.
 */
export function serviceCommand(init: InitSystem, name: string, action: ServiceAction): string {
  if (init === 'sysvinit' && action === 'status') return sysvStatusCommand(name);
  if (init === 'sysvinit') return sh`service ${name} ${action}`;
  if (init === 'systemd') return action === 'status' ? sh`systemctl is-active ${name}` : sh`systemctl ${action} ${name}`;
  throw unknownInitSystem(`${action} service ${name}`, init);
}

/** The PATH Debian's `service` gives an init script: a login without sudo may have no /sbin in its own. */
const INIT_SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function sysvStatusCommand(name: string): string {
  const script = `/etc/init.d/${name}`;
  // From /, with the wrapper's PATH, as `service` runs it (shell builtins: no process of their own).
  return sh`if [ -x ${script} ]; then cd / && PATH=${INIT_SCRIPT_PATH} exec ${script} status; fi; echo ${`${name}: unrecognized service`} >&2; exit 1`;
}

/**
 * One read for either init system: it branches as the host facts tell the init system
 * (byInitSystem, lib/host-facts.ts), so it needs no gathered facts and is read in the same round trip
 * as they are (a no-change run of ha-asterisk: one round trip per host, where choosing the
 * command from the facts took two). Its parse reads the host facts' `initSystem`: the test's
 * answer changes only with a reboot into another init (/run/systemd/system exists exactly while
 * systemd runs as PID 1), so a later read, in a later batch, takes the branch the facts name. On
 * a host with neither it fails (status 1) and leaves the shell as it was; the parse gives the
 * clear error.
 */
export function initSystemRead(commands: Record<KnownInitSystem, string>): string {
  return byInitSystem({ ...commands, unknown: 'false' });
}

export interface ServiceStatus {
  running: boolean;
  /** False when the status says there is no such service (no init script, no unit). */
  installed: boolean;
  /** For a person: `running`, `stopped`, `dead (pid file remains)`, `not installed`, `failed`... */
  meaning: string;
  code: number;
  output: string;
}

/** What a status that finds no such service means, for a person. */
export const NOT_INSTALLED = 'not installed';

/**
 * Reads a status command's result. LSB (init scripts): 0 running; 1 dead but a pid file in
 * /var/run remains; 2 dead but a lock file remains; 3 not running; 4 status unknown. Debian's
 * `service` also exits 1 for a missing script ("unrecognized service"). Only 0 counts as running.
 * systemd `is-active`: 0 active, else not running, with the state it prints (inactive, failed...).
 * systemd 253 and later exit 4 for a unit that does not exist ("no such unit"); older ones say
 * `inactive` and exit 3, as for a stopped unit, so there a missing unit reads as stopped.
 */
export function parseStatus(init: InitSystem, r: ExecResult): ServiceStatus {
  const output = (r.stdout + r.stderr).trim();
  const base = { code: r.code, output, running: r.code === 0, installed: true };
  if (init === 'systemd') {
    if (r.code !== 0 && (r.code === 4 || /could not be found|not-found|no such unit/i.test(output))) {
      return { ...base, installed: false, meaning: NOT_INSTALLED };
    }
    const word = r.stdout.trim().split('\n')[0] || `unknown (exit ${r.code})`;
    return { ...base, meaning: r.code === 0 ? 'running' : word };
  }
  if (init !== 'sysvinit') throw unknownInitSystem('read a service status', init);
  if (/unrecognized service/.test(output)) return { ...base, running: false, installed: false, meaning: NOT_INSTALLED };
  const meanings: Record<number, string> = {
    0: 'running',
    1: 'dead (pid file remains)',
    2: 'dead (lock file remains)',
    3: 'stopped',
    4: 'status unknown',
  };
  return { ...base, meaning: meanings[r.code] ?? `not running (status exit ${r.code})` };
}

/**
 * Whether a service runs now: `/etc/init.d/NAME status` on sysvinit, `systemctl is-active NAME` on
 * systemd, picked on the host by the host facts' own test (initSystemRead). Any exit code is an
 * answer (LSB codes); a host with an unknown init system is a clear error.
 */
export function serviceStatusFact(name: string): Fact<ServiceStatus> {
  const what = `read the status of service ${name}`;
  return {
    name: `status of service ${name}`,
    command: () => initSystemRead({ systemd: serviceCommand('systemd', name, 'status'), sysvinit: serviceCommand('sysvinit', name, 'status') }),
    parse: (r, host) => parseStatus(knownInitSystem(host, what), r),
  };
}

/** The runlevels a Debian host boots into: enabled means an S link in every one of them. */
export const BOOT_RUNLEVELS = ['2', '3', '4', '5'] as const;

/** Where a sysvinit boot read looks: /etc/init.d (is the script there at all) and every rc directory. */
export const RC_DIRECTORIES = ['/etc/init.d', ...['0', '1', '2', '3', '4', '5', '6'].map((l) => `/etc/rc${l}.d`)] as const;

/**
 * This service's init script and boot links, as `ls -1 /etc/init.d /etc/rc0.d ... /etc/rc6.d`
 * prints them (a `DIR:` line for each directory there, then its entries), but only this service's
 * entries (NAME, and links [SK]NNNAME) and listed by the shell itself: a glob and `case` are
 * builtins, so the read starts no process (`ls` cost a lab node ~10 ms a service). rc0, rc1 and
 * rc6 tell "no links at all" (never registered: `update-rc.d NAME defaults`) from "disabled" (K
 * links). A dangling link is listed, as `ls` lists it. It assigns only keel_rcd and keel_rcf, so
 * it may share the read batch's shell. Its status is 0; it always lists /etc/init.d, which the
 * sysvinit branch of initSystemRead has tested is there.
 */
export function rcLinksCommand(service: string): string {
  const name = quote(service);
  return (
    `for keel_rcd in ${RC_DIRECTORIES.join(' ')}; do [ -d "$keel_rcd" ] || continue; echo "$keel_rcd:"; ` +
    `for keel_rcf in "$keel_rcd"/*; do case \${keel_rcf##*/} in ${name}|[SK][0-9][0-9]${name}) printf '%s\\n' "\${keel_rcf##*/}";; esac; done; done`
  );
}

export function systemdEnabledCommand(service: string): string {
  return sh`systemctl is-enabled ${service}`;
}

/** This service's links: runlevel → link names (`S01corosync`, `K01corosync`). */
export type RcLinks = Record<string, string[]>;

/** Whether a service starts at boot, as its init system tells it. */
export type BootState = { init: 'sysvinit'; script: boolean; links: RcLinks } | { init: 'systemd'; enabled: string };

/** Parses `ls -1 DIR...` output, or rcLinksCommand's (sections headed `/etc/rcN.d:`), into this service's links per runlevel. */
export function parseRcListing(stdout: string, service: string): RcLinks {
  const links: RcLinks = {};
  const mine = new RegExp(`^[SK][0-9]{2}${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  let level: string | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const header = /^\/etc\/rc([0-6S])\.d:$/.exec(line);
    if (header) {
      level = header[1];
      links[level] = [];
      continue;
    }
    if (level && mine.test(line)) links[level].push(line);
  }
  return links;
}

/**
 * `systemctl is-enabled` prints one word (enabled, disabled, static, masked, alias, indirect,
 * generated...); for a unit that does not exist older systemd prints only an error on stderr.
 */
export function parseIsEnabled(stdout: string, stderr: string): string {
  const word = stdout.trim().split('\n')[0]?.trim();
  if (word) return word;
  if (/No such file|not found|does not exist/i.test(stderr)) return 'not-found';
  return `unknown (${stderr.trim() || 'no output'})`;
}

/**
 * Whether a service starts at boot: on sysvinit its script and S/K links (rcLinksCommand); on
 * systemd `systemctl is-enabled NAME`. Picked on the host by the host facts' own test
 * (initSystemRead); a host with an unknown init system is a clear error.
 */
export function bootStateFact(service: string): Fact<BootState> {
  const what = `tell whether ${service} starts at boot`;
  return {
    name: `boot state of ${service}`,
    command: () => initSystemRead({ systemd: systemdEnabledCommand(service), sysvinit: rcLinksCommand(service) }),
    // Neither branch exits, cds, sets or execs, and the listing assigns only its own keel_rc*
    // variables: no subshell of its own in a read batch. (A sysvinit status is not so: it runs the
    // init script by `exec`, in a subshell that becomes it.)
    sharesShell: true,
    parse(r, host) {
      if (knownInitSystem(host, what) === 'systemd') return { init: 'systemd', enabled: parseIsEnabled(r.stdout, r.stderr) };
      // The listing always begins with /etc/init.d; without it the read did not list (it failed).
      if (!r.stdout.startsWith('/etc/init.d:\n')) {
        throw new KeelError(`cannot list /etc/init.d and /etc/rc?.d: ${lastLines(r.stderr) || `exit ${r.code}, ${r.stdout.trim() ? 'unexpected output' : 'no output'}`}`);
      }
      return { init: 'sysvinit', script: initScriptListed(r.stdout, service), links: parseRcListing(r.stdout, service) };
    },
  };
}

/** Whether the `/etc/init.d:` section of the listing names this service's script. */
export function initScriptListed(stdout: string, service: string): boolean {
  let inInitD = false;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (/^\/etc\/[^:]+:$/.test(line)) inInitD = line === '/etc/init.d:';
    else if (inInitD && line === service) return true;
  }
  return false;
}

/** The runlevels of rc2..rc5 that start this service. */
export function startLevels(links: RcLinks): string[] {
  return BOOT_RUNLEVELS.filter((l) => (links[l] ?? []).some((n) => n.startsWith('S')));
}

export function hasAnyLink(links: RcLinks): boolean {
  return Object.values(links).some((names) => names.length > 0);
}

/** For a person: `enabled`, `disabled`, `no boot links`, `enabled in rc2, rc3 only`. */
export function describeLinks(links: RcLinks): string {
  if (!hasAnyLink(links)) return 'no boot links';
  const s = startLevels(links);
  if (s.length === 0) return 'disabled';
  if (s.length === BOOT_RUNLEVELS.length) return 'enabled';
  return `enabled in rc${s.join(', rc')} only`;
}
