import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { aptRepository, type AptRepositoryPlan, renderSources, repositoryWriteCommand } from '../../tasks/apt/apt-repository';
import { FakeConnection } from '../helpers/fake-connection';
import { applyPlan, decideOn, factCommand, runTask, fileReadOutput } from '../helpers/task-harness';

const fresh = () => mkdtempSync(join(tmpdir(), 'keel-apt-repo-'));
const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** An armored key as apt reads it (the body is opaque here: apt is not asked to verify it). */
const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZkeelRYJKwYBBAHaRw8BAQdA\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
const MIRROR = {
  name: 'lab-mirror',
  uris: ['http://198.18.0.1:3142/debian'],
  suites: ['bookworm', 'bookworm-updates'],
  components: ['main', 'contrib'],
};
const fileOut = (content: string, withContent = true) => fileReadOutput(content, { withContent });

test('renders one deb822 stanza: Types, URIs, Suites, Components, Architectures, Signed-By naming the key file', () => {
  assert.is(
    renderSources({ ...MIRROR, architectures: ['amd64'], key: KEY }),
    [
      '# Managed by keel (aptRepository lab-mirror).',
      'Types: deb',
      'URIs: http://198.18.0.1:3142/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main contrib',
      'Architectures: amd64',
      'Signed-By: /etc/apt/keyrings/lab-mirror.asc',
      '',
    ].join('\n'),
  );
  assert.match(renderSources({ ...MIRROR, keyBase64: 'AAEC' }), '\nSigned-By: /etc/apt/keyrings/lab-mirror.gpg\n');
  assert.match(renderSources({ ...MIRROR, signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', types: ['deb', 'deb-src'] }), 'Types: deb deb-src\n');
  assert.equal(renderSources({ name: 'flat', uris: ['http://198.18.0.1:8080/'], suites: ['./'], trusted: true }).split('\n').slice(1), [
    'Types: deb',
    'URIs: http://198.18.0.1:8080/',
    'Suites: ./',
    'Trusted: yes',
    '',
  ]);
});

test('facts: the sources file with content, the key file by hash only; no key fact without a key', () => {
  const task = aptRepository({ ...MIRROR, key: KEY });
  assert.equal(Object.keys(task.definition.facts), ['sources', 'key']);
  assert.match(factCommand(task, 'sources'), "/etc/apt/sources.list.d/lab-mirror.sources");
  assert.match(factCommand(task, 'sources'), 'cat --');
  assert.match(factCommand(task, 'key'), '/etc/apt/keyrings/lab-mirror.asc');
  assert.not.match(factCommand(task, 'key'), 'cat --');
  assert.equal(Object.keys(aptRepository(MIRROR).definition.facts), ['sources']);
});

test('decide on a fresh host: the keyring directory, then the key, then the sources file; apply follows that order', async () => {
  const task = aptRepository({ ...MIRROR, key: KEY.trimEnd() });
  const d = decideOn(task, { sources: 'absent\n', key: 'noparent\n' });
  assert.equal(d.changes, [
    { field: '/etc/apt/keyrings/lab-mirror.asc', to: 'created (directory missing now)' },
    { field: '/etc/apt/sources.list.d/lab-mirror.sources', to: 'created' },
  ]);
  const plan = d.plan as AptRepositoryPlan;
  assert.is(plan.mkdir, '/etc/apt/keyrings');
  assert.is(plan.key?.stdin, KEY, 'the key ends with its newline');
  assert.is(plan.sources?.stdin, renderSources({ ...MIRROR, key: KEY }));
  assert.match(d.diff ?? '', '+Signed-By: /etc/apt/keyrings/lab-mirror.asc');
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(
    commands.map((c) => c.command.split('\n').find((l) => l.startsWith('install') || l.startsWith('tmp='))),
    ['install -d -m 0755 /etc/apt/keyrings', "tmp=$(mktemp /etc/apt/keyrings/.keel.XXXXXX)", "tmp=$(mktemp /etc/apt/sources.list.d/.keel.XXXXXX)"],
  );
  assert.equal(commands.map((c) => c.stdin), [undefined, KEY, plan.sources?.stdin]);
});

test('decide: unchanged files are ok (notify does not fire); only the file that differs is written', () => {
  const task = aptRepository({ ...MIRROR, key: KEY });
  const sources = renderSources({ ...MIRROR, key: KEY });
  const ok = decideOn(task, { sources: fileOut(sources), key: fileOut(KEY, false) });
  assert.equal(ok.changes, []);
  assert.is(ok.plan, undefined);
  assert.is(ok.ok, '/etc/apt/sources.list.d/lab-mirror.sources is up to date, with its key /etc/apt/keyrings/lab-mirror.asc');
  const rotated = decideOn(task, { sources: fileOut(sources), key: fileOut('old key\n', false) });
  assert.equal(rotated.changes, [{ field: '/etc/apt/keyrings/lab-mirror.asc', from: `sha256:${hex('old key\n').slice(0, 12)}`, to: `sha256:${hex(KEY).slice(0, 12)}` }]);
  assert.equal(Object.keys(rotated.plan), ['key']);
  assert.is(rotated.diff, undefined, 'no diff of a key');
  const edited = decideOn(task, { sources: fileOut(sources.replace('contrib', 'non-free')), key: fileOut(KEY, false) });
  assert.equal(Object.keys(edited.plan), ['sources']);
  assert.match(edited.diff ?? '', '-Components: main non-free\n+Components: main contrib');
});

test('on real files (FakeConnection running sh): check predicts, the run writes both with mode 644, the second run is ok', async () => {
  const root = fresh();
  const sourcesDir = join(root, 'sources.list.d');
  const keyringDir = join(root, 'keyrings');
  mkdirSync(sourcesDir);
  const task = aptRepository({ ...MIRROR, key: KEY, sourcesDir, keyringDir });
  const check = await runTask(task, new FakeConnection('x', true), { check: true });
  assert.is(check.status, 'would change', check.error);
  assert.not.ok(existsSync(keyringDir), 'check mode created nothing');
  const run = await runTask(task, new FakeConnection('x', true));
  assert.is(run.status, 'changed', run.error);
  assert.equal(run.changes, check.changes);
  assert.is(readFileSync(join(keyringDir, 'lab-mirror.asc'), 'utf8'), KEY);
  assert.match(readFileSync(join(sourcesDir, 'lab-mirror.sources'), 'utf8'), `Signed-By: ${keyringDir}/lab-mirror.asc\n`);
  for (const f of [join(keyringDir, 'lab-mirror.asc'), join(sourcesDir, 'lab-mirror.sources')]) assert.is((statSync(f).mode & 0o777).toString(8), '644');
  const second = await runTask(task, new FakeConnection('x', true));
  assert.is(second.status, 'ok', second.error);
});

test('a binary keyring (keyBase64) is decoded on the host, checked against its hash, and then ok', async () => {
  const root = fresh();
  const bytes = Buffer.from([0x99, 0x01, 0x0d, 0x04, 0x00, 0xff, 0x0a, 0x00, 0x80]);
  const task = aptRepository({ ...MIRROR, keyBase64: bytes.toString('base64'), sourcesDir: root, keyringDir: root });
  const run = await runTask(task, new FakeConnection('x', true));
  assert.is(run.status, 'changed', run.error);
  assert.equal(readFileSync(join(root, 'lab-mirror.gpg')), bytes);
  assert.is((await runTask(task, new FakeConnection('x', true))).status, 'ok');
  // Bytes that do not decode to what decide hashed are never installed.
  const target = join(root, 'other.gpg');
  const cmd = repositoryWriteCommand({ path: target, stdin: '', base64: true, sha256: hex(bytes) });
  const bad = spawnSync('sh', ['-c', cmd], { input: Buffer.from('AAAA').toString(), encoding: 'utf8' });
  assert.is(bad.status, 5, bad.stderr);
  assert.not.ok(existsSync(target));
  assert.equal(readdirSync(root).sort(), ['lab-mirror.gpg', 'lab-mirror.sources']);
});

test('parameters: one key source only, flat suites without components, components otherwise, safe names and words', () => {
  const invalid = (p: unknown, re: RegExp) => assert.throws(() => aptRepository(p as never), (e: unknown) => e instanceof ValidationError && re.test((e as Error).message));
  invalid({ ...MIRROR, key: KEY, signedBy: '/usr/share/keyrings/x.gpg' }, /key: give one of key, keyBase64 and signedBy/);
  invalid({ name: 'flat', uris: ['http://198.18.0.1/'], suites: ['./'], components: ['main'] }, /components: a flat suite/);
  invalid({ name: 'm', uris: ['http://198.18.0.1/'], suites: ['bookworm'] }, /components: is required unless/);
  invalid({ ...MIRROR, name: '../etc/passwd' }, /name/);
  invalid({ ...MIRROR, uris: ['http://198.18.0.1/ x'] }, /uris/);
  invalid({ ...MIRROR, suites: ['bookworm\nTrusted: yes'] }, /suites/);
  invalid({ ...MIRROR, key: 'not armored' }, /key/);
  invalid({ ...MIRROR, keyBase64: '$(reboot)' }, /keyBase64/);
  invalid({ ...MIRROR, enabled: false }, /enabled: is not a known field/);
});

test.run();
