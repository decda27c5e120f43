/**
 * keel's second real job: what an admin applies to every server. Admin users with their keys,
 * sshd hardened (each edit checked by `sshd -t` before it is installed), network sysctls, a time
 * service installed and running, unattended upgrades switched on.
 *
 *   npx ts-node playbooks/base.ts -i lab
 *   npx ts-node playbooks/base.ts -i prod --check --diff
 *
 * Vars (all optional):
 *   admins           [{ name: 'alice', keys: ['ssh-ed25519 AAAA... alice@laptop'] }]: users in
 *                    the sudo group, with exactly these keys added to their authorized_keys
 *   ntp_servers      ['10.0.0.1']: chrony uses these instead of Debian's pool
 *   time_sets_clock  false for containers, which share their host's clock (chronyd -x: it keeps
 *                    time but never sets the clock). Default true.
 */
import { playbook } from '../lib/playbook';
import type { HostFacts, HostView, Step } from '../lib/types';
import { aptInstall, authorizedKey, command, file, flushHandlers, lineInFile, rcEnable, service, sysctl, user, writeFile } from '../tasks';

const SSHD_CONFIG = '/etc/ssh/sshd_config';
/** sshd checks the candidate file, with its Include of sshd_config.d, before it replaces the real one. */
const SSHD_T = '/usr/sbin/sshd -t -f %s';
const RELOAD_SSH = 'reload ssh';
const RESTART_CHRONY = 'restart chrony';
const DAEMON_RELOAD = 'systemd daemon-reload';

/** sshd_config keywords and the value every server gets. Root keeps key-only login (keel logs in as root on the lab). */
export const SSHD_SETTINGS: Record<string, string> = {
  PermitRootLogin: 'prohibit-password',
  PasswordAuthentication: 'no',
  KbdInteractiveAuthentication: 'no',
  X11Forwarding: 'no',
  MaxAuthTries: '3',
};

/**
 * Only net.* keys: they belong to the host's network namespace, so on lab nodes (namespaces on
 * one machine) they never touch the machine itself, and on a real server they mean the same.
 */
export const SYSCTL_SETTINGS = {
  'net.ipv4.conf.all.accept_redirects': 0,
  'net.ipv4.conf.default.accept_redirects': 0,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.tcp_syncookies': 1,
};

export const AUTO_UPGRADES = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';

interface Admin {
  name: string;
  keys: string[];
}

function baseTasks(h: HostView, facts: HostFacts): Step[] {
  const admins = (h.vars.admins ?? []) as Admin[];
  const ntpServers = (h.vars.ntp_servers ?? []) as string[];
  const setsClock = h.vars.time_sets_clock !== false;
  return [
    // Written before chrony is installed: its first start already has these options (apt keeps
    // an existing configuration file), so a container's chronyd never tries to set the clock.
    writeFile(
      { path: '/etc/default/chrony', content: `# Written by keel (playbooks/base.ts).\nDAEMON_OPTS="-F 1${setsClock ? '' : ' -x'}"\n` },
      { notify: [RESTART_CHRONY] },
    ),
    // Debian's chrony.service runs only with CAP_SYS_TIME, which a container lacks; chronyd -x
    // needs none. On systemd hosts whose clock is not ours, a drop-in lifts that condition.
    ...(facts.initSystem === 'systemd' && !setsClock
      ? [
          file({ path: '/etc/systemd/system/chrony.service.d', state: 'directory' }),
          writeFile(
            { path: '/etc/systemd/system/chrony.service.d/keel-no-clock.conf', content: '# Written by keel (playbooks/base.ts): chronyd -x does not set the clock.\n[Unit]\nConditionCapability=\n' },
            { notify: [DAEMON_RELOAD, RESTART_CHRONY] },
          ),
        ]
      : []),
    aptInstall({ packages: ['sudo', 'chrony', 'unattended-upgrades'] }),
    ...(ntpServers.length
      ? [
          writeFile(
            { path: '/etc/chrony/sources.d/keel.sources', content: ntpServers.map((s) => `server ${s} iburst\n`).join('') },
            { notify: [RESTART_CHRONY] },
          ),
          lineInFile({ path: '/etc/chrony/chrony.conf', regexp: '^pool ', state: 'absent' }, { notify: [RESTART_CHRONY] }),
        ]
      : []),
    // chrony's configuration is in place before it is enabled and started.
    flushHandlers(),
    rcEnable({ service: 'chrony' }),
    service({ name: 'chrony', state: 'started' }),
    writeFile({ path: '/etc/apt/apt.conf.d/20auto-upgrades', content: AUTO_UPGRADES, validate: 'apt-config -c %s dump' }),
    ...admins.flatMap((a) => [
      user({ name: a.name, shell: '/bin/bash', groups: ['sudo'], append: true }),
      ...a.keys.map((key) => authorizedKey({ user: a.name, key })),
    ]),
    ...Object.entries(SSHD_SETTINGS).map(([keyword, value]) =>
      lineInFile(
        // `#?` and no space after it: Debian's commented example `#	X11Forwarding no` (in a
        // Match block) is not the setting's line; `#X11Forwarding`-style defaults are.
        { path: SSHD_CONFIG, line: `${keyword} ${value}`, regexp: `^#?${keyword}\\s`, validate: SSHD_T },
        { notify: [RELOAD_SSH] },
      ),
    ),
    sysctl({ name: '60-keel-base', settings: SYSCTL_SETTINGS }),
  ];
}

export default playbook(
  'base',
  [
    {
      name: 'base',
      hosts: 'all',
      tasks: baseTasks,
      handlers: () => ({
        // Handlers run in this order: systemd rereads units before chrony restarts.
        [DAEMON_RELOAD]: command({ cmd: 'systemctl daemon-reload' }),
        [RESTART_CHRONY]: service({ name: 'chrony', state: 'restarted' }),
        [RELOAD_SSH]: service({ name: 'ssh', state: 'reloaded' }),
      }),
    },
  ],
  module,
);
