/**
 * Configuration errors stop the run before any host is contacted: exit 2, one line on standard
 * error, no stack trace. The "hosts" here are one TCP listener on 127.0.0.1 that counts the
 * connections it gets: a run that contacted anything would show up there.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, runCli, runKeel, writeInventory, type CliRun } from '../helpers/cli';

const test = suite('preflight');
const PLAYBOOK = join(__dirname, 'fixtures', 'engine-playbook.ts');
const dir = mkdtempSync(join(tmpdir(), 'keel-preflight-'));
const key = join(dir, 'id_ed25519');
let server: Server;
let port: number;
let connections = 0;
const sockets = new Set<Socket>();

test.before(async () => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
test.after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});
test.before.each(() => {
  connections = 0;
});

function inventory(hostExtra: Record<string, unknown> = {}, name = 'inventory.ts'): string {
  return writeInventory(
    dir,
    {
      defaults: { user: 'root', keyFile: key, knownHostsFile: join(dir, 'known_hosts'), connectTimeoutSeconds: 1 },
      hosts: {
        host1: { address: '127.0.0.1', port, vars: { root: dir, port: 1 }, ...hostExtra },
        host2: { address: '127.0.0.1', port, vars: { root: dir, port: 2 } },
      },
    },
    name,
  );
}

/** Exit 2, one line, no stack, and no connection to the listener. */
function refusedBeforeContact(r: CliRun, pattern: RegExp | string): void {
  const out = r.stdout + r.stderr;
  assert.is(r.code, 2, out);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.not.match(out, /\n\s+at /, 'no stack trace');
  assert.is(r.stdout, '', 'nothing else printed');
  assert.is(connections, 0, 'no host was contacted');
}

test('control: the same set-up without an error does contact the hosts (the listener counts)', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory()]);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.ok(connections >= 2, `${connections} connections`);
});

test('a missing key file', async () => {
  const r = await runCli(PLAYBOOK, ['-i', inventory({ keyFile: join(dir, 'no-such-key') })]);
  refusedBeforeContact(r, `key file ${join(dir, 'no-such-key')} (keyFile of host host1) does not exist`);
});

test('an unreadable key file: a directory, or a file that is no private key', async () => {
  mkdirSync(join(dir, 'keydir'), { recursive: true });
  refusedBeforeContact(await runCli(PLAYBOOK, ['-i', inventory({ keyFile: join(dir, 'keydir') })]), 'is a directory');
  writeFileSync(join(dir, 'not-a-key'), 'hello\n');
  refusedBeforeContact(await runCli(PLAYBOOK, ['-i', inventory({ keyFile: join(dir, 'not-a-key') })]), 'is not a private key keel can read');
});

test('an unwritable --json path, and the --json of keel run', async () => {
  const missing = join(dir, 'no-such-dir', 'report.json');
  refusedBeforeContact(await runCli(PLAYBOOK, ['-i', inventory(), '--json', missing]), `--json ${missing}: the directory`);
  refusedBeforeContact(await runKeel(['run', PLAYBOOK, '-i', inventory(), '--json', '/proc/keel.json']), /--json \/proc\/keel\.json: cannot write in \/proc/);
});

test('an unwritable --junit path', async () => {
  mkdirSync(join(dir, 'a-directory'), { recursive: true });
  refusedBeforeContact(await runCli(PLAYBOOK, ['-i', inventory(), '--junit', join(dir, 'a-directory')]), 'is a directory, not a file');
});

test('a notify naming no handler', async () => {
  const file = join(dir, 'bad-notify.ts');
  writeFileSync(
    file,
    `import { playbook } from ${JSON.stringify(join(repoRoot, 'lib', 'playbook'))};
import { writeFile } from ${JSON.stringify(join(repoRoot, 'tasks'))};
export default playbook('bad-notify', [{
  name: 'files',
  hosts: 'all',
  tasks: (h) => [writeFile({ path: h.vars.root + '/x', content: 'x' }, { notify: ['restart sshd'] })],
  handlers: () => ({ 'restart ssh': writeFile({ path: '/tmp/y', content: 'y' }) }),
}], module);
`,
  );
  const pattern = /play "files": task "writeFile .*\/x" notifies "restart sshd", which is not a handler of the play \(its handlers: "restart ssh"\)/;
  refusedBeforeContact(await runCli(file, ['-i', inventory()]), pattern);
  refusedBeforeContact(await runKeel(['run', file, '-i', inventory()]), pattern);
});

test('a syntax error in a TypeScript inventory', async () => {
  const file = join(dir, 'broken-inventory.ts');
  writeFileSync(file, `export default {\n  hosts: { host1: { address: '127.0.0.1', port: ${port} } }\n  vars: {},\n};\n`);
  const pattern = /broken-inventory\.ts:3:\d+: syntax error: Expected ',', got/;
  refusedBeforeContact(await runCli(PLAYBOOK, ['-i', file]), pattern);
  refusedBeforeContact(await runKeel(['check', PLAYBOOK, '-i', file]), pattern);
});

test('a syntax error in a TypeScript playbook (keel run)', async () => {
  const file = join(dir, 'broken-playbook.ts');
  writeFileSync(file, `import { playbook } from ${JSON.stringify(join(repoRoot, 'lib', 'playbook'))};\nexport default playbook('x', [{ name: 'p', hosts: 'all' tasks: () => [] }]);\n`);
  refusedBeforeContact(await runKeel(['run', file, '-i', inventory()]), /broken-playbook\.ts:2:\d+: syntax error: Expected ',', got/);
});

test('a file whose default export is not a playbook (keel run)', async () => {
  const file = join(dir, 'not-a-playbook.ts');
  writeFileSync(file, 'export default { plays: 1 };\n');
  refusedBeforeContact(await runKeel(['run', file, '-i', inventory()]), "its default export is not a playbook (export default playbook('name', [...plays]))");
});

test.run();
