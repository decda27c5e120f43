import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { Task, TaskResult } from '../../lib/types';
import { aptInstall } from '../../tasks/apt/apt-install';
import { aptRepository } from '../../tasks/apt/apt-repository';
import { FakeConnection } from '../helpers/fake-connection';
import { suiteUnless } from '../helpers/not-run';
import { freePort, waitForPort } from '../helpers/sshd';
import { runTask } from '../helpers/task-harness';

/**
 * aptInstall (latest, absent, purge, updateCacheMaxAgeSeconds) and aptRepository with the real
 * apt-get, apt-cache, apt-config, dpkg and dpkg-query of this machine, on a sandbox: APT_CONFIG
 * points apt at its own sources, lists, cache and dpkg status, DPKG_ROOT points dpkg (and
 * dpkg-query) at its own root, and the repository is a flat one holding a package built here,
 * served over http on 127.0.0.1 by python3's http.server (not file:, whose lists apt reads in
 * place, so that fresh lists can hide a newer version as they do on a real host). The machine's
 * own packages are never touched (checked at the end).
 */
const PKG = 'keel-dummy';
const reason =
  process.getuid?.() !== 0
    ? 'needs root (apt-get install, even into a sandbox)'
    : ['/usr/bin/dpkg-deb', '/usr/bin/dpkg-scanpackages', '/usr/bin/apt-get', '/usr/bin/python3'].find((f) => !existsSync(f))?.concat(' is missing');
const test = suiteUnless(reason);

let box: string;
let repo: string;
let sourcesDir: string;
let server: ChildProcess | undefined;
let url: string;
const saved = { APT_CONFIG: process.env.APT_CONFIG, DPKG_ROOT: process.env.DPKG_ROOT };

function build(version: string): void {
  const d = join(box, `build-${version}`);
  mkdirSync(join(d, 'DEBIAN'), { recursive: true });
  mkdirSync(join(d, 'usr/share', PKG), { recursive: true });
  mkdirSync(join(d, 'etc'), { recursive: true });
  writeFileSync(join(d, 'DEBIAN/control'), `Package: ${PKG}\nVersion: ${version}\nArchitecture: all\nMaintainer: keel <keel@example.invalid>\nDescription: keel test package\n`);
  writeFileSync(join(d, 'DEBIAN/conffiles'), `/etc/${PKG}.conf\n`);
  writeFileSync(join(d, `etc/${PKG}.conf`), 'conf\n');
  writeFileSync(join(d, 'usr/share', PKG, 'version'), `${version}\n`);
  execFileSync('dpkg-deb', ['-Zgzip', '--build', d, join(repo, `${PKG}_${version}_all.deb`)], { stdio: 'ignore' });
  writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] }));
  // python's http.server answers If-Modified-Since to the second: a Packages rebuilt within the
  // second of apt's last fetch was "not modified", and apt kept the old version (this test failed
  // on a quiet machine, passed on a busy one). Each build's Packages is dated 2 s past the last.
  packagesTime = Math.max(Math.ceil(Date.now() / 1000), packagesTime + 2);
  utimesSync(join(repo, 'Packages'), packagesTime, packagesTime);
}
let packagesTime = 0;

/** The sandbox's dpkg status of the package: `install ok installed 1.0-1`, or undefined when dpkg has never heard of it. */
function sandboxStatus(): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', PKG], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

const conn = () => new FakeConnection('sandbox', true);
/** Check mode, then the run: the run must change exactly what check mode predicted. */
async function checkThenApply(task: Task): Promise<{ check: TaskResult; run: TaskResult }> {
  const check = await runTask(task, conn(), { check: true });
  const run = await runTask(task, conn());
  assert.is(run.status, check.status === 'would change' ? 'changed' : check.status, run.error);
  assert.equal(run.changes, check.changes);
  return { check, run };
}

test.before(async () => {
  box = mkdtempSync(join(tmpdir(), 'keel-apt-sandbox-'));
  repo = join(box, 'repo');
  sourcesDir = join(box, 'etc/sources.list.d');
  for (const d of ['repo', 'root/var/lib/dpkg/updates', 'root/var/lib/dpkg/info', 'root/var/lib/dpkg/triggers', 'lists', 'etc/sources.list.d', 'etc/apt.conf.d', 'etc/preferences.d', 'cache/archives/partial', 'log']) {
    mkdirSync(join(box, d), { recursive: true });
  }
  writeFileSync(join(box, 'root/var/lib/dpkg/status'), '');
  writeFileSync(join(box, 'root/var/lib/dpkg/available'), '');
  writeFileSync(join(box, 'etc/sources.list'), '');
  writeFileSync(
    join(box, 'apt.conf'),
    [
      `Dir::State::status "${box}/root/var/lib/dpkg/status";`,
      `Dir::State::Lists "${box}/lists/";`,
      `Dir::Cache "${box}/cache/";`,
      `Dir::Log "${box}/log/";`,
      `Dir::Etc "${box}/etc/";`,
      `Dir::Etc::SourceList "${box}/etc/sources.list";`,
      `Dir::Etc::SourceParts "${box}/etc/sources.list.d/";`,
      `Dir::Etc::Parts "${box}/etc/apt.conf.d/";`,
      `Dir::Etc::Preferences "${box}/etc/preferences";`,
      `Dir::Etc::PreferencesParts "${box}/etc/preferences.d/";`,
      `DPkg::Options { "--root=${box}/root"; "--log=${box}/log/dpkg.log"; "--force-script-chrootless"; };`,
      'APT::Sandbox::User "root";',
      '',
    ].join('\n'),
  );
  process.env.APT_CONFIG = join(box, 'apt.conf');
  process.env.DPKG_ROOT = join(box, 'root');
  build('1.0-1');
  const port = await freePort();
  server = spawn('/usr/bin/python3', ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', repo, String(port)], { stdio: 'ignore' });
  await waitForPort(port);
  url = `http://127.0.0.1:${port}/`;
});

test.after(() => {
  server?.kill();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (box) rmSync(box, { recursive: true, force: true });
});

const repository = (uri: string) => aptRepository({ name: 'keel-sandbox', uris: [uri], suites: ['./'], trusted: true, sourcesDir });
const latest = aptInstall({ packages: [PKG], state: 'latest', updateCacheMaxAgeSeconds: 3600 });

test('a new repository, then latest: the never-updated lists are refreshed and the package installed; the second run is ok', async () => {
  const repo1 = await checkThenApply(repository(url));
  assert.equal(repo1.run.changes, [{ field: `${sourcesDir}/keel-sandbox.sources`, to: 'created' }]);
  assert.is(
    readFileSync(join(sourcesDir, 'keel-sandbox.sources'), 'utf8'),
    `# Managed by keel (aptRepository keel-sandbox).\nTypes: deb\nURIs: ${url}\nSuites: ./\nTrusted: yes\n`,
  );
  const first = await checkThenApply(latest);
  assert.equal(first.run.changes, [
    { field: 'apt lists', from: 'never updated', to: 'updated' },
    { field: `package ${PKG}`, from: 'absent', to: 'installed' },
  ]);
  assert.is(sandboxStatus(), 'install ok installed 1.0-1');
  assert.ok(existsSync(join(box, 'root/usr/share', PKG, 'version')), 'unpacked into the sandbox root');
  assert.is((await runTask(repository(url), conn())).status, 'ok');
  const second = await runTask(latest, conn());
  assert.is(second.status, 'ok', second.error);
  assert.is(second.message, `package ${PKG} is at its candidate version`);
});

test('a newer version in the repository: ok while the lists are fresh, upgraded once they are older than the limit', async () => {
  build('1.1-1');
  const fresh = await runTask(latest, conn());
  assert.is(fresh.status, 'ok', `fresh lists still name 1.0-1, so no apt-get update: ${JSON.stringify(fresh.changes)}`);
  // The last update two hours ago (older than 3600 s), the sources three hours ago.
  const ago = (s: number) => Date.now() / 1000 - s;
  utimesSync(join(box, 'lists/partial'), ago(7200), ago(7200));
  for (const f of ['etc/sources.list', 'etc/sources.list.d/keel-sandbox.sources']) utimesSync(join(box, f), ago(10800), ago(10800));
  const { run } = await checkThenApply(latest);
  assert.equal(run.changes, [{ field: 'apt lists', from: 'older than 3600s', to: 'updated' }]);
  assert.is(sandboxStatus(), 'install ok installed 1.1-1', 'after the refresh apt found 1.1-1 and upgraded');
  assert.is((await runTask(latest, conn())).status, 'ok');
});

test('an edited repository makes the lists older than the sources: refreshed once, then ok', async () => {
  // The same server by another name: a different sources file for the same packages.
  const other = url.replace('127.0.0.1', 'localhost');
  const edited = await checkThenApply(repository(other));
  assert.is(edited.run.changes[0].field, `${sourcesDir}/keel-sandbox.sources`);
  assert.match(edited.run.diff ?? '', `-URIs: ${url}\n+URIs: ${other}`);
  const { run } = await checkThenApply(latest);
  assert.equal(run.changes, [{ field: 'apt lists', from: 'older than the apt sources', to: 'updated' }]);
  assert.is((await runTask(latest, conn())).status, 'ok');
});

test('absent removes (config files stay), purge clears them; each second run is ok', async () => {
  const remove = aptInstall({ packages: [PKG], state: 'absent' });
  const removed = await checkThenApply(remove);
  assert.equal(removed.run.changes, [{ field: `package ${PKG}`, from: 'install ok installed', to: 'removed' }]);
  assert.is(sandboxStatus(), 'deinstall ok config-files 1.1-1');
  assert.ok(existsSync(join(box, 'root/etc', `${PKG}.conf`)), 'remove keeps the configuration file');
  assert.is((await runTask(remove, conn())).status, 'ok');
  const purge = aptInstall({ packages: [PKG], state: 'absent', purge: true });
  const purged = await checkThenApply(purge);
  assert.equal(purged.run.changes, [{ field: `package ${PKG}`, from: 'deinstall ok config-files', to: 'purged' }]);
  assert.is(sandboxStatus(), undefined);
  assert.not.ok(existsSync(join(box, 'root/etc', `${PKG}.conf`)));
  const again = await runTask(purge, conn());
  assert.is(again.status, 'ok');
  assert.is(again.message, `package ${PKG} is purged`);
});

test('the machine itself was never touched: its dpkg has never heard of the package', () => {
  const env = { ...process.env };
  delete env.APT_CONFIG;
  delete env.DPKG_ROOT;
  const r = spawnSync('dpkg-query', ['-W', PKG], { encoding: 'utf8', env });
  assert.is(r.status, 1, r.stdout);
  assert.match(r.stderr, 'no packages found matching');
  assert.not.ok(existsSync(`/usr/share/${PKG}`));
  assert.not.ok(existsSync(`/etc/${PKG}.conf`));
});

test.run();
