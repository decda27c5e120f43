/**
 * Fault 6: authentication. A wrong key is a clear error naming user@address:port, exit 3.
 * Unknown and changed host keys are covered by spec/integration/engine.spec.ts
 * ("an unknown host key is refused with its fingerprint…", "a changed host key is refused even
 * with --accept-new-host-keys"); they are not repeated here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { FIXTURES, fleetInventory } from './support';
import { suiteUnless } from '../helpers/not-run';

let fleet: SshdFleet;

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  await fleet?.stop();
});

test('a key the host does not accept: authentication failed for root@127.0.0.1:PORT, the other host finishes, exit 3', async () => {
  const wrongKey = join(fleet.dir, 'wrong_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
  const spec = fleetInventory(fleet);
  spec.hosts.host1.keyFile = wrongKey;
  const inv = writeInventory(fleet.dir, spec, 'inv-auth.ts');
  const json = join(fleet.dir, 'auth.json');
  const r = await runCli(join(FIXTURES, 'one-file.ts'), ['-i', inv, '--json', json], { SSH_AUTH_SOCK: '' });
  assert.is(r.code, 3, r.stdout + r.stderr);
  const port = fleet.hosts[0].port;
  const message = `host1: unreachable: authentication failed for root@127.0.0.1:${port} (key ${wrongKey}): check the user and key`;
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(report.unreachable.host1, message);
  assert.ok(r.stdout.includes(`host1 | unreachable | ${message}`), r.stdout);
  assert.not.match(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(report.recap.host1, { ok: 0, changed: 0, wouldChange: 0, failed: 0, skipped: 0, unreachable: 1, ignored: 0 });
  assert.equal(report.recap.host2, { ok: 0, changed: 1, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
  assert.not.ok(existsSync(join(fleet.hosts[0].root, 'auth-ok')));
});

test('a user that does not exist on the host is an authentication error naming that user', async () => {
  const spec = fleetInventory(fleet, { defaults: { user: 'keelf-nouser' } });
  const inv = writeInventory(fleet.dir, spec, 'inv-user.ts');
  const r = await runCli(join(FIXTURES, 'one-file.ts'), ['-i', inv, '--limit', 'host2'], { SSH_AUTH_SOCK: '' });
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, `host2: unreachable: authentication failed for keelf-nouser@127.0.0.1:${fleet.hosts[1].port} (key ${fleet.clientKey})`);
});

test.run();
