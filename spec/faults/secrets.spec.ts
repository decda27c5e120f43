/**
 * Fault 8: secrets (inventory password and becomePassword, writeFile({ secret: true }) content,
 * vars named in secretVars) appear nowhere: not in stdout, not in stderr with -v, not with
 * --diff, not in the --json report, neither as they are nor shell-quoted nor JSON-escaped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { quote } from '../../lib/quote';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { FIXTURES, fleetInventory } from './support';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(FIXTURES, 'secrets.ts');
let fleet: SshdFleet;

const SECRETS = {
  password: `pw-Hunter2'"$(x)`,
  becomePassword: 'become-Sekr3t!',
  token: "tok'en-9f8e7d6c",
  dbpass: 'db-pass-0123456789',
  secretContent: 'first-secret-line-42\nsecond-secret-line-43\n',
};

/** Every form a secret could leak in: as is, each long line, shell-quoted, JSON-escaped. */
function forms(): string[] {
  const out = new Set<string>();
  for (const v of Object.values(SECRETS)) {
    for (const s of [v, ...v.split('\n').filter((l) => l.length >= 8)]) {
      out.add(s);
      out.add(quote(s));
      out.add(JSON.stringify(s).slice(1, -1));
    }
  }
  return [...out];
}

function leaks(text: string): string[] {
  return forms().filter((f) => text.includes(f));
}

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(1);
});
test.after(async () => {
  await fleet?.stop();
});

test('a first run with -v --diff --json: no secret in stdout, stderr or the report; echoed secrets come back as [secret]', async () => {
  const spec = fleetInventory(fleet, {
    defaults: { password: SECRETS.password, becomePassword: SECRETS.becomePassword },
    vars: () => ({ token: SECRETS.token, dbpass: SECRETS.dbpass, secretContent: SECRETS.secretContent }),
    extra: { secretVars: ['token', 'dbpass', 'secretContent'] },
  });
  const inv = writeInventory(fleet.dir, spec, 'inv-secrets.ts');
  const json = join(fleet.dir, 'secrets.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '-v', '--diff', '--json', json]);
  const report = readFileSync(json, 'utf8');
  // The last task fails on purpose under ignoreErrors: counted as ignored, the run exits 0.
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(JSON.parse(report).recap.host1, { ok: 0, changed: 4, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 1 });
  assert.equal(leaks(r.stdout), [], 'stdout');
  assert.equal(leaks(r.stderr), [], 'stderr (-v)');
  assert.equal(leaks(report), [], '--json report');
  // The work was really done with the real values.
  const root = fleet.hosts[0].root;
  assert.is(readFileSync(join(root, 'secret.conf'), 'utf8'), SECRETS.secretContent);
  assert.match(readFileSync(join(root, 'app.conf'), 'utf8'), `token=${SECRETS.token}\n`);
  const results = JSON.parse(report).plays[0].results;
  const echoed = results.find((x: { task: string }) => x.task === 'echo the token');
  assert.is(echoed.output.stdout, 'token=[secret]\n');
  assert.is(echoed.output.stderr, 'err=[secret]\n');
  const failing = results.find((x: { task: string }) => x.task === 'failing with the token');
  assert.is(failing.status, 'failed');
  assert.match(failing.error, 'failing with [secret]');
  assert.match(r.stderr, 'token=[secret]', '-v shows the output, redacted');
  assert.match(r.stdout, '+token=[secret]', '--diff shows the diff, redacted');
});

test('--check --diff after the secret file and the app file drifted: no secret, no diff of secret content', async () => {
  const root = fleet.hosts[0].root;
  writeFileSync(join(root, 'secret.conf'), 'tampered\n');
  writeFileSync(join(root, 'app.conf'), 'user=app\n');
  const inv = join(fleet.dir, 'inv-secrets.ts');
  const json = join(fleet.dir, 'secrets-check.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '-v', '--check', '--diff', '--json', json]);
  const report = readFileSync(json, 'utf8');
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.equal(leaks(r.stdout + r.stderr + report), []);
  const results = JSON.parse(report).plays[0].results;
  const secretFile = results.find((x: { task: string }) => x.task.endsWith('/secret.conf'));
  assert.is(secretFile.status, 'would change');
  assert.is(secretFile.diff, undefined);
  assert.equal(secretFile.changes, [{ field: 'content', from: '[secret]', to: '[secret]' }]);
  assert.not.match(r.stdout, 'tampered', 'the current content of a secret file is not shown either');
});

test.run();
