/**
 * keel as a user installs it: `npm pack` keel, install the tarball into a fresh project with its
 * own playbook and inventory, and run it against real sshd hosts with `npx ts-node` and with
 * `npx keel run`. The install is a real `npm install` of the tarball and of typescript, ts-node,
 * @swc/core and @types/node (--prefer-offline: from npm's cache when it has them, else the
 * registry). Only 127.0.0.1 is contacted by the runs themselves.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { repoRoot, type CliRun } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

const work = mkdtempSync(join(tmpdir(), 'keel-package-'));
const project = join(work, 'site');
const jsOnly = join(work, 'js-only');
let fleet: SshdFleet;
let tarball: string;

/** The versions this repository uses: npm's cache has them after `npm ci`. */
function locked(name: string): string {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
  return `${name}@${lock.packages[`node_modules/${name}`].version}`;
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<CliRun> {
  return new Promise((resolve) => {
    // The project's own environment: none of the test runner's ts-node settings leak into it.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TS_NODE_') && k !== 'NODE_OPTIONS'));
    const child = spawn(cmd, args, { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const RECAP = (host: string) => new RegExp(`^${host} : ok=(\\d+) changed=(\\d+) unreachable=0 failed=0 skipped=0 rescued=0 ignored=0$`, 'm');
function changedOn(r: CliRun, host: string): number {
  const m = RECAP(host).exec(r.stdout);
  assert.ok(m, `no recap line for ${host}:\n${r.stdout}\n${r.stderr}`);
  return Number(m![2]);
}

const SITE_TS = `import { playbook, writeFile, lineInFile, command } from 'keel';

export default playbook('site', [{
  name: 'web servers',
  hosts: 'web',
  tasks: (host) => [
    writeFile({ path: \`\${host.vars.root}/motd\`, content: \`welcome to \${host.name}\\n\` }, { notify: ['reload'] }),
    lineInFile({ path: \`\${host.vars.root}/keel.conf\`, line: 'managed=yes', create: true }),
  ],
  handlers: (host) => ({ reload: command({ cmd: \`date > \${host.vars.root}/reloaded\` }) }),
}], module);
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, esModuleInterop: true, types: ['node'], noEmit: true },
  'ts-node': { swc: true },
  include: ['playbooks', 'inventories'],
};

const reason = sshdUnavailable() ?? (process.env.KEEL_SKIP_PACKAGE_TEST ? 'KEEL_SKIP_PACKAGE_TEST is set' : undefined);
const test = suiteUnless(reason, 'package');
test.before(async () => {
  fleet = await startSshdFleet(2);
});
test.after(async () => {
  await fleet?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('npm pack ships the build, the bin and the README, and no sources, specs or lab', async () => {
  const packed = await sh('npm', ['pack', '--pack-destination', work, '--json'], repoRoot);
  assert.is(packed.code, 0, packed.stdout + packed.stderr);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0];
  tarball = join(work, info.filename);
  const files: string[] = info.files.map((f: { path: string }) => f.path);
  for (const f of ['package.json', 'README.md', 'bin/keel.js', 'dist/index.js', 'dist/index.d.ts', 'dist/lib/keel.js', 'dist/lib/playbook.d.ts', 'dist/tasks/files/write-file.js']) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
  const strays = files.filter((f) => /^(spec|lab|bench|inventories|playbooks|lib|tasks)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
  assert.equal(strays, [], 'nothing else');
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.is(pkg.private, undefined);
  assert.is(pkg.name, 'keel');
  assert.equal(pkg.bin, { keel: 'bin/keel.js' });
});

test('a fresh project installs the tarball, type-checks its playbook against keel\'s types, and runs it with npx ts-node: changes, then changed=0', async () => {
  mkdirSync(join(project, 'playbooks'), { recursive: true });
  mkdirSync(join(project, 'inventories'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'site', version: '1.0.0', private: true }, null, 2));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(project, 'playbooks', 'site.ts'), SITE_TS);
  writeFileSync(
    join(project, 'inventories', 'prod.ts'),
    `import { defineInventory } from 'keel';

export default defineInventory({
  defaults: { user: 'root', keyFile: ${JSON.stringify(fleet.clientKey)}, knownHostsFile: ${JSON.stringify(fleet.knownHosts)} },
  hosts: {
${fleet.hosts.map((h, i) => `    node${i + 1}: { address: '127.0.0.1', port: ${h.port}, vars: { root: ${JSON.stringify(h.root)} } },`).join('\n')}
  },
  groups: { web: { hosts: ['node1', 'node2'] } },
});
`,
  );
  const install = await sh(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, locked('typescript'), locked('ts-node'), locked('@swc/core'), locked('@types/node')],
    project,
  );
  assert.is(install.code, 0, install.stdout + install.stderr);

  const tsc = await sh('npx', ['tsc', '--noEmit', '-p', '.'], project);
  assert.is(tsc.code, 0, `the user's playbook and inventory type-check against the package's types:\n${tsc.stdout}${tsc.stderr}`);

  const first = await sh('npx', ['ts-node', 'playbooks/site.ts', '-i', 'prod', '-l', 'node1'], project);
  assert.is(first.code, 0, first.stdout + first.stderr);
  assert.is(changedOn(first, 'node1'), 3, 'motd, keel.conf, the handler');
  assert.is(readFileSync(join(fleet.hosts[0].root, 'keel.conf'), 'utf8'), 'managed=yes\n');
  assert.is(readFileSync(join(fleet.hosts[0].root, 'motd'), 'utf8'), 'welcome to node1\n');
  const second = await sh('npx', ['ts-node', 'playbooks/site.ts', '-i', 'prod', '-l', 'node1'], project);
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.is(changedOn(second, 'node1'), 0);
});

test('the same project with npx keel run (the compiled bin): changes, then changed=0; keel check finds no drift', async () => {
  const first = await sh('npx', ['keel', 'run', 'playbooks/site.ts', '-i', 'prod', '-l', 'node2'], project);
  assert.is(first.code, 0, first.stdout + first.stderr);
  assert.is(changedOn(first, 'node2'), 3);
  const second = await sh('npx', ['keel', 'run', 'playbooks/site.ts', '-i', 'prod', '-l', 'node2'], project);
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.is(changedOn(second, 'node2'), 0);
  const check = await sh('npx', ['keel', 'check', 'playbooks/site.ts', '-i', 'prod'], project);
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.not.match(check.stdout, /changed=[1-9]/);
  const exec = await sh('npx', ['keel', 'exec', 'web', '-i', 'prod', '--', 'cat', `${fleet.hosts[1].root}/motd`], project);
  assert.is(exec.code, 0, exec.stdout + exec.stderr);
  assert.match(exec.stdout, /^node2 \| CHANGED \| rc=0 >>\nwelcome to node2$/m);
});

test('the installed package loads no TypeScript compiler of its own', async () => {
  const probe = await sh(
    process.execPath,
    ['-e', "const k = require('keel'); const loaded = Object.keys(require.cache).filter((f) => /node_modules\\/(typescript|ts-node|@swc)\\//.test(f)); console.log(JSON.stringify({ playbook: typeof k.playbook, writeFile: typeof k.writeFile, defineInventory: typeof k.defineInventory, keel: require.resolve('keel'), loaded }))"],
    project,
  );
  assert.is(probe.code, 0, probe.stderr);
  const seen = JSON.parse(probe.stdout);
  assert.equal([seen.playbook, seen.writeFile, seen.defineInventory], ['function', 'function', 'function']);
  assert.match(seen.keel, join('node_modules', 'keel', 'dist', 'index.js'));
  assert.equal(seen.loaded, []);
  const version = await sh('npx', ['keel', '--version'], project);
  assert.match(version.stdout, /^keel \d+\.\d+\.\d+/);
});

test('the bundle run directly (node dist/index.js) runs no command: keel and keel audit share its one module', async () => {
  const direct = await sh(process.execPath, [join(project, 'node_modules', 'keel', 'dist', 'index.js'), '--version'], project);
  assert.is(direct.code, 0, direct.stderr);
  assert.is(direct.stdout + direct.stderr, '', 'a command ran');
});

test('without ts-node: a .js playbook needs nothing; a .ts one is refused with what to install', async () => {
  mkdirSync(join(jsOnly, 'inventories'), { recursive: true });
  writeFileSync(join(jsOnly, 'package.json'), JSON.stringify({ name: 'js-only', version: '1.0.0', private: true }));
  const install = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], jsOnly);
  assert.is(install.code, 0, install.stdout + install.stderr);
  writeFileSync(
    join(jsOnly, 'inventories', 'lab.js'),
    `module.exports = { defaults: { user: 'root', keyFile: ${JSON.stringify(fleet.clientKey)}, knownHostsFile: ${JSON.stringify(fleet.knownHosts)} },
  hosts: { node1: { address: '127.0.0.1', port: ${fleet.hosts[0].port}, vars: { root: ${JSON.stringify(fleet.hosts[0].root)} } } } };\n`,
  );
  writeFileSync(
    join(jsOnly, 'site.js'),
    `const { playbook, writeFile } = require('keel');
module.exports = playbook('js', [{ name: 'js', hosts: 'all', tasks: (h) => [writeFile({ path: h.vars.root + '/from-js', content: 'js\\n' })] }]);\n`,
  );
  const js = await sh('npx', ['keel', 'run', 'site.js', '-i', 'lab'], jsOnly);
  assert.is(js.code, 0, js.stdout + js.stderr);
  assert.is(changedOn(js, 'node1'), 1);
  assert.is(readFileSync(join(fleet.hosts[0].root, 'from-js'), 'utf8'), 'js\n');
  writeFileSync(join(jsOnly, 'site.ts'), "import { playbook } from 'keel';\nexport default playbook('ts', []);\n");
  const ts = await sh('npx', ['keel', 'run', 'site.ts', '-i', 'lab'], jsOnly);
  assert.is(ts.code, 2, ts.stdout + ts.stderr);
  assert.is(ts.stderr.trim(), 'site.ts is TypeScript: loading a .ts playbook needs ts-node in your project (npm install --save-dev ts-node typescript @swc/core), or compile it to .js');
});

test('in keel\'s own repository, playbooks with relative imports still run with npx ts-node', async () => {
  const env = { KEEL_PROD_NODES: 'ha-asterisk-1=192.0.2.11,ha-asterisk-2=192.0.2.12', KEEL_PROD_FLOATING_IP: '192.0.2.100' };
  const r = await sh('npx', ['ts-node', 'playbooks/ha-asterisk.ts', '-i', 'prod', '--list-tasks'], repoRoot, env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'playbook: ha-asterisk');
  assert.match(r.stdout, 'corosyncConfig /etc/corosync/corosync.conf');
  execFileSync('git', ['-C', repoRoot, 'check-ignore', '-q', 'dist'], { stdio: 'ignore' });
});

test.run();
