// The service reads pick the init system on the host, by the host facts' own test, so they go out
// in the facts' round trip. Proven in a real shell: each layout (systemd booted, sysvinit, neither)
// is made in a private mount namespace (tmpfs over /run, over /etc), and the facts script and the
// reads run there side by side; the reads' branch must be the one the facts name.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { FACTS_SCRIPT, parseHostFacts } from '../../lib/host-facts';
import type { ExecResult, HostFacts } from '../../lib/types';
import { bootStateFact, serviceStatusFact } from '../../tasks/service';
import { suiteUnless } from '../helpers/not-run';
import { inPidNamespace } from '../helpers/pid-namespace';

const canUnshare = spawnSync('unshare', ['-m', 'true']).status === 0;
const test = suiteUnless(canUnshare ? undefined : 'needs root and `unshare -m` (mount namespaces) to lay out /run and /etc', 'service reads by init system');

/** A `systemctl` on PATH that answers as systemd would for a unit named svc, and says what it was asked. */
const bin = mkdtempSync(join(tmpdir(), 'keel-systemctl-'));
writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\necho "systemctl $*" >&2\ncase $1 in is-active) echo active;; is-enabled) echo enabled;; esac\n');
chmodSync(join(bin, 'systemctl'), 0o755);

const LAYOUTS = {
  systemd: 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system',
  sysvinit: 'mount -t tmpfs tmpfs /run && [ -d /etc/init.d ]',
  neither: 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /etc',
} as const;

/** Runs `command` in a new mount namespace laid out as `layout`; the layout is gone when it ends. */
function runIn(layout: keyof typeof LAYOUTS, command: string): ExecResult {
  const p = spawnSync('unshare', ['-m', 'sh', '-c', `${LAYOUTS[layout]} || exit 99\nexec sh -c "$0"`, command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` },
  });
  assert.ok(p.status !== 99, `could not lay out ${layout}: ${p.stderr}`);
  return { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
}

const factsIn = (layout: keyof typeof LAYOUTS): HostFacts => parseHostFacts(runIn(layout, FACTS_SCRIPT).stdout);
const status = serviceStatusFact('keel-svc');
const boot = bootStateFact('keel-svc');
// The commands need no host facts: these are the commands every host is sent.
const NONE = {} as HostFacts;

test('systemd booted: the facts say systemd and the reads ask systemctl', () => {
  const facts = factsIn('systemd');
  assert.is(facts.initSystem, 'systemd');
  const s = runIn('systemd', status.command(NONE));
  assert.match(s.stderr, 'systemctl is-active keel-svc');
  assert.equal(status.parse(s, facts).meaning, 'running');
  const b = runIn('systemd', boot.command(NONE));
  assert.match(b.stderr, 'systemctl is-enabled keel-svc');
  assert.equal(boot.parse(b, facts), { init: 'systemd', enabled: 'enabled' });
});

test('sysvinit: the facts say sysvinit and the reads run the init script and list the rc directories', () => {
  const facts = factsIn('sysvinit');
  assert.is(facts.initSystem, 'sysvinit');
  const s = runIn('sysvinit', status.command(NONE));
  assert.not.match(s.stderr, 'systemctl');
  assert.equal([s.code, status.parse(s, facts).meaning], [1, 'not installed'], s.stderr);
  const b = runIn('sysvinit', boot.command(NONE));
  assert.not.match(b.stderr, 'systemctl');
  assert.match(b.stdout, '/etc/rc2.d:');
  const state = boot.parse(b, facts);
  assert.is(state.init, 'sysvinit');
  if (state.init === 'sysvinit') assert.equal([state.script, Object.values(state.links).flat()], [false, []]);
});

test('sysvinit: the boot read starts no process (the shell lists the rc directories itself)', () => {
  // In a new PID namespace the last PID handed out counts the processes: sh, mount, then the counting cat.
  const p = inPidNamespace(`mount -t tmpfs tmpfs /run || exit 99\n${boot.command(NONE)}`);
  assert.is(p.status, 0, p.stderr);
  assert.match(p.stdout, '/etc/rc2.d:');
  assert.is(p.lastPid, 3);
});

test('neither: the facts say unknown, the reads fail without running anything, and the parse says why', () => {
  const facts = factsIn('neither');
  assert.is(facts.initSystem, 'unknown');
  for (const fact of [status, boot]) {
    const r = runIn('neither', fact.command(NONE));
    assert.equal([r.code, r.stdout, r.stderr], [1, '', '']);
    assert.throws(() => fact.parse(r, facts), /init system is unknown \(keel handles systemd/);
  }
});

test.run();
