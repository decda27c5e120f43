/**
 * playbooks/base.ts on running lab nodes (either kind): registered into an e2e suite after its
 * nodes are up. First run changes, second run changed=0, a hand edit is exactly what --check
 * reports (and then what the apply changes), and a config sshd rejects is never installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './cli';
import { labSsh } from './lab';

const BASE = join(__dirname, '..', '..', 'playbooks', 'base.ts');
const BAD_SSHD = join(__dirname, '..', 'e2e', 'fixtures', 'bad-sshd.ts');

type Result = { host: string; task: string; status: string };
type Report = { recap: Record<string, { changed: number; wouldChange: number }>; plays: { results: Result[] }[] };

export function registerBasePlaybookTests(e2e: Test, nodes: readonly string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'keel-base-'));
  const report = (name: string): Report => JSON.parse(readFileSync(join(dir, name), 'utf8'));
  const results = (r: Report) => r.plays.flatMap((p) => p.results);
  const total = (r: Report, k: 'changed' | 'wouldChange') => Object.values(r.recap).reduce((n, h) => n + h[k], 0);
  let extraVars = '';

  e2e('base playbook: the first run changes every node and exits 0; chronyd runs without setting the clock; sshd is hardened', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@keel-e2e', '-f', join(dir, 'alice')]);
    const key = readFileSync(join(dir, 'alice.pub'), 'utf8').trim();
    extraVars = JSON.stringify({ admins: [{ name: 'alice', keys: [key] }] });
    const r = await runCli(BASE, ['-i', 'lab', '-e', extraVars, '--json', join(dir, 'first.json')]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    for (const n of nodes) {
      assert.ok(report('first.json').recap[n].changed > 0, n);
      const chronyd = labSsh(n, 'tr "\\0" " " < /proc/$(pidof chronyd | cut -d" " -f1)/cmdline');
      assert.is(chronyd.code, 0, `${n}: chronyd runs: ${chronyd.stderr}`);
      assert.match(chronyd.stdout, ' -x', `${n}: chronyd never sets this machine's clock`);
      assert.match(labSsh(n, 'id -nG alice').stdout, /\bsudo\b/);
      assert.is(labSsh(n, 'cat ~alice/.ssh/authorized_keys').stdout, key + '\n');
      const sshd = labSsh(n, '/usr/sbin/sshd -T').stdout;
      assert.match(sshd, /^passwordauthentication no$/m);
      assert.match(sshd, /^x11forwarding no$/m);
      assert.match(sshd, /^maxauthtries 3$/m);
      assert.is(labSsh(n, 'sysctl -n net.ipv4.conf.all.send_redirects').stdout.trim(), '0');
      assert.is(labSsh(n, 'apt-config dump APT::Periodic::Unattended-Upgrade').stdout.trim(), 'APT::Periodic::Unattended-Upgrade "1";');
    }
  });

  e2e('base playbook: a second run reports changed=0 on every node', async () => {
    const r = await runCli(BASE, ['-i', 'lab', '-e', extraVars, '--json', join(dir, 'second.json')]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    for (const n of nodes) assert.is(report('second.json').recap[n].changed, 0, `${n}: ${JSON.stringify(report('second.json').recap[n])}`);
  });

  e2e('base playbook: --check after a hand edit of sshd_config reports exactly that edit, and the apply changes as many', async () => {
    assert.is(labSsh('node2', "sed -i 's/^PasswordAuthentication no$/PasswordAuthentication yes/' /etc/ssh/sshd_config").code, 0);
    const before = labSsh('node2', 'sha256sum /etc/ssh/sshd_config').stdout;
    const check = await runCli(BASE, ['-i', 'lab', '-e', extraVars, '--check', '--diff', '--json', join(dir, 'check.json')]);
    assert.is(check.code, 4, check.stdout + check.stderr);
    const drift = results(report('check.json')).filter((x) => x.status === 'would change');
    // The edit, and the handler it notifies.
    assert.equal(drift.map((d) => [d.host, d.task]), [['node2', 'lineInFile /etc/ssh/sshd_config'], ['node2', 'reload ssh']]);
    assert.match(check.stdout, '+PasswordAuthentication no');
    assert.is(labSsh('node2', 'sha256sum /etc/ssh/sshd_config').stdout, before, 'check mode changed nothing');
    const apply = await runCli(BASE, ['-i', 'lab', '-e', extraVars, '--json', join(dir, 'apply.json')]);
    assert.is(apply.code, 0, apply.stdout + apply.stderr);
    assert.is(total(report('apply.json'), 'changed'), total(report('check.json'), 'wouldChange'), 'the apply changed what check predicted (the edit and its sshd reload)');
    assert.match(labSsh('node2', '/usr/sbin/sshd -T').stdout, /^passwordauthentication no$/m);
  });

  e2e('base playbook: an sshd_config edit sshd -t rejects is never installed; the task fails with sshd\'s own message', async () => {
    const before = labSsh('node2', 'sha256sum /etc/ssh/sshd_config').stdout;
    const r = await runCli(BAD_SSHD, ['-i', 'lab']);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, 'Bad configuration option: Frobnicate');
    assert.is(labSsh('node2', 'sha256sum /etc/ssh/sshd_config').stdout, before, 'the old file stays');
    assert.is(labSsh('node2', 'ls /etc/ssh | grep -c keel').stdout.trim(), '0', 'no temporary file left beside it');
  });
}
