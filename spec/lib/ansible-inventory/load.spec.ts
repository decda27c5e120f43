import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAnsibleInventory } from '../../../lib/ansible-inventory';
import { InventoryFileError, UsageError } from '../../../lib/errors';
import { loadInventory, resolveInventorySource, selectHosts, type Inventory } from '../../../lib/inventory';
import { redact } from '../../../lib/secrets';

const fixtures = join(__dirname, '..', '..', 'fixtures', 'ansible-inventory');
const host = (inv: Inventory, name: string) => inv.hosts.find((h) => h.name === name)!;

let scratch: string;
test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'keel-ansible-inv-'));
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes files (path → content) under a fresh directory and returns it. */
function tree(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InventoryFileError) return err.message;
    throw err;
  }
  throw new Error('expected an InventoryFileError');
}

test('precedence: all < groups by depth, priority, name < group_vars/all < group_vars < host < host_vars', () => {
  const inv = loadAnsibleInventory(join(fixtures, 'ini', 'hosts.ini'));
  const w3 = host(inv, 'web03.example.com').vars;
  assert.is(w3.p_depth, 'web', 'child group (web) over parent (prod) over all');
  assert.is(w3.p_same_depth, 'beta', 'same depth: later name wins');
  assert.is(w3.p_priority, 'aardvark', 'ansible_group_priority beats the name order');
  assert.is(w3.p_all_file, 'all-file', 'group_vars/all over the inventory file vars of a child group');
  assert.is(w3.p_file_vs_inventory, 'prod-file', "a parent's group_vars file over a child's inventory vars");
  assert.equal(w3.settings, { tls: true, workers: 4 }, "a dict is replaced whole (Ansible's hash_behaviour=replace), not merged");
  assert.is(host(inv, 'db-a').vars.p_files_depth, 'db-file', 'group_vars files by depth too');
  assert.is(host(inv, 'db-a').vars.p_dir_files, 'override', 'group_vars/db/ files in name order');
  assert.is(host(inv, 'db-a').vars.p_dir_json, 'db-json', 'group_vars/db/30-extra.json');
  assert.is(host(inv, 'db-a').vars.p_dir_noext, 'db-noext', 'group_vars/db/40-no-extension (YAML)');
  assert.equal(host(inv, 'db-a').vars.db_port, 5432);
  assert.is(host(inv, 'web01.example.com').vars.p_host, 'host-file', 'host_vars over host vars in the inventory');
  assert.is(host(inv, 'web04.example.com').vars.p_host, 'host-file-04', 'host_vars/NAME without extension');
  assert.is(host(inv, 'web05.example.com').vars.p_host, "it's quoted");
});

test('connection vars become the connection and leave the vars', () => {
  const inv = loadAnsibleInventory(join(fixtures, 'ini', 'hosts.ini'));
  const w4 = host(inv, 'web04.example.com');
  assert.is(w4.address, '192.0.2.14');
  assert.is(w4.connection.port, 2204);
  assert.is(w4.connection.user, 'deploy', 'from [prod:vars]');
  assert.is(w4.connection.become, true, 'ansible_become=yes');
  assert.is(w4.connection.keyFile, join(homedir(), '.ssh/id_ed25519'), '~ is the home directory, as for ssh');
  assert.is(host(inv, 'web01.example.com').connection.port, 2201, 'ansible_port from host_vars/');
  assert.is(host(inv, 'web05.example.com').connection.port, 2205, 'host:port');
  assert.is(host(inv, 'db-b').connection.user, 'postgres', 'host var over group var');
  assert.is(host(inv, 'web02.example.com').address, 'web02.example.com', 'no ansible_host: the name');
  assert.is(host(inv, 'db-a').connection.becomeUser, 'postgres', 'ansible_become_user: sudo -u postgres');
  assert.is(host(inv, 'db-a').connection.become, true);
  assert.is(host(inv, 'web04.example.com').connection.becomeUser, undefined, 'no ansible_become_user: root');
  for (const h of inv.hosts) {
    assert.equal(Object.keys(h.vars).filter((k) => /^ansible_/.test(k)), [], `${h.name} vars keep no ansible_* connection var`);
  }
  assert.is(inv.listing!.hostvars['web04.example.com'].ansible_port, 2204, 'the listing shows them as Ansible does');
});

test('groups, children and ungrouped work with host patterns', () => {
  const inv = loadAnsibleInventory(join(fixtures, 'ini', 'hosts.ini'));
  const names = (p: string) => selectHosts(inv, p).map((h) => h.name);
  assert.equal(names('ungrouped'), ['lonely.example.com']);
  assert.equal(names('backend'), ['db-a', 'db-b', 'db-c']);
  assert.equal(names('prod:!web'), ['db-a', 'db-b', 'db-c']);
  assert.equal(host(inv, 'db-a').groups.slice().sort(), ['backend', 'db', 'prod']);
});

test('an inventory directory: every file (subdirectories too), group_vars/ and host_vars/ inside it', () => {
  const inv = loadAnsibleInventory(join(fixtures, 'dir'));
  assert.equal(inv.groups.app, ['app1.internal', 'app2.internal', 'app3.internal']);
  assert.equal(inv.groups.workers, ['worker01.internal', 'worker02.internal', 'worker03.internal']);
  assert.is(inv.groups.ignored, undefined, '*.ini files in a directory are skipped, as by Ansible');
  assert.is(host(inv, 'lb2.internal').vars.p_host, 'yaml-without-extension', 'a file without extension that is a YAML mapping is YAML');
  assert.is(host(inv, 'app2.internal').vars.p_host, 'host-file');
  assert.is(host(inv, 'app1.internal').vars.p_dir_files, 'local');
  assert.is(host(inv, 'worker01.internal').vars.p_host, 'host-json', 'host_vars/NAME.json');
  assert.equal(host(inv, 'worker02.internal').vars.p_json_list, [1, 'two', { three: 3 }], 'group_vars/NAME.json');
  assert.is(host(inv, 'app1.internal').connection.becomePassword, 's3cret-pass');
  assert.is(redact('sudo password s3cret-pass'), 'sudo password [secret]', 'ansible_become_password is a secret');
});

test('passwords never show in the listing, whatever their type or length', () => {
  const dir = tree('passwords', { 'hosts.ini': '[g]\nh1 ansible_password=123 ansible_become_pass=ab\n' });
  const inv = loadAnsibleInventory(join(dir, 'hosts.ini'));
  assert.is(host(inv, 'h1').connection.password, '123', 'a number is read as the text it was');
  assert.is(host(inv, 'h1').connection.becomePassword, 'ab');
  assert.equal(inv.listing!.hostvars.h1, { ansible_password: '[secret]', ansible_become_pass: '[secret]' });
});

test('-e beats everything, replaces whole values, and can set the connection', () => {
  const inv = loadAnsibleInventory(join(fixtures, 'ini', 'hosts.ini'), { p_host: 'cli', settings: { only: 1 }, ansible_user: 'cliuser' });
  const w1 = host(inv, 'web01.example.com');
  assert.is(w1.vars.p_host, 'cli');
  assert.equal(w1.vars.settings, { only: 1 });
  assert.is(w1.connection.user, 'cliuser');
});

test('connection vars keel cannot honour are errors at the line that set them', () => {
  const cases: [string, RegExp][] = [
    ['[g]\nh1 ansible_port=abc\n', /^hosts.ini:2: h1: ansible_port: must be a port number from 1 to 65535, got "abc"$/],
    ['[g]\nh1\n[g:vars]\nansible_connection=winrm\n', /^hosts.ini:4: h1: ansible_connection: keel connects over ssh or local only, not "winrm"$/],
    ['[g]\nh1 ansible_become_method=su\n', /^hosts.ini:2: h1: ansible_become_method: keel becomes another user with sudo only/],
    ['[g]\nh1\n[g:vars]\nansible_become_user="bad user"\n', /^hosts.ini:4: h1: ansible_become_user: "bad user" is not a valid user name$/],
    ["[g]\nh1 ansible_ssh_common_args='-o ProxyJump=bastion'\n", /^hosts.ini:2: h1: ansible_ssh_common_args: extra ssh arguments are not supported/],
    ['[g]\nh1 ansible_become=maybe\n', /^hosts.ini:2: h1: ansible_become: must be a boolean/],
    ['[g]\nh1 ansible_user="bad user"\n', /^hosts.ini:2: h1: ansible_user: "bad user" is not a valid user name$/],
    ['[g]\nh1\n[g:vars]\nansible_become_flags=-i\n', /^hosts.ini:4: h1: ansible_become_flags: keel gives sudo its own flags \(-H -u USER, -S or -n\), not "-i"$/],
    ['[g]\nh1 ansible_become_exe=/opt/bin/sudo\n', /^hosts.ini:2: h1: ansible_become_exe: keel runs "sudo" from the PATH, not "\/opt\/bin\/sudo"$/],
    ['[g]\nh1 ansible_host_key_checking=False\n', /^hosts.ini:2: h1: ansible_host_key_checking: keel always checks host keys: run with --accept-new-host-keys/],
    ['[g]\nh1 ansible_ssh_pkcs11_provider=/usr/lib/opensc-pkcs11.so\n', /^hosts.ini:2: h1: ansible_ssh_pkcs11_provider: PKCS#11 keys are not supported/],
    ['[g]\nh1 ansible_ssh_timeout=0\n', /^hosts.ini:2: h1: ansible_ssh_timeout: must be a number of seconds from 1 to 600, got 0$/],
  ];
  cases.forEach(([ini, re], i) => {
    const dir = tree(`conn${i}`, { 'hosts.ini': ini });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.match(errorOf(() => loadAnsibleInventory(join(dir, 'hosts.ini'))), re);
    } finally {
      process.chdir(cwd);
    }
  });
  const dir = tree('conn-file', { 'hosts.ini': '[g]\nh1\n', 'group_vars/g.yml': 'x: 1\nansible_port: 99999\n' });
  assert.match(errorOf(() => loadAnsibleInventory(join(dir, 'hosts.ini'))), /group_vars\/g.yml:2: h1: ansible_port: must be a port number/);
});

test('ssh and sudo settings that mean what keel does anyway are accepted and leave the vars; ansible_ssh_timeout is the connect timeout', () => {
  const dir = tree('accepted', {
    'hosts.ini': "[g]\nh1 ansible_ssh_timeout=30 other=1\n[g:vars]\nansible_become_exe=sudo\nansible_become_flags='-H -S -n'\nansible_host_key_checking=yes\nansible_become_method=sudo\n",
  });
  const h1 = host(loadAnsibleInventory(join(dir, 'hosts.ini')), 'h1');
  assert.is(h1.connection.connectTimeoutSeconds, 30);
  assert.equal(h1.vars, { other: 1 });
});

test('unsupported sources are errors naming the file', () => {
  const script = tree('script', { 'ec2.py': '#!/usr/bin/env python3\nprint("{}")\n' });
  chmodSync(join(script, 'ec2.py'), 0o755);
  assert.match(errorOf(() => loadAnsibleInventory(join(script, 'ec2.py'))), /ec2.py:1: dynamic inventory scripts are not supported/);
  const toml = tree('toml', { 'hosts.toml': '[web]\n' });
  assert.match(errorOf(() => loadAnsibleInventory(join(toml, 'hosts.toml'))), /hosts.toml: TOML inventories are not supported/);
  const both = tree('both', { 'hosts.ini': '[web]\nweb\n' });
  assert.match(errorOf(() => loadAnsibleInventory(join(both, 'hosts.ini'))), /hosts.ini:2: "web" is both a host and a group/);
  const vaulted = tree('vaulted', { 'hosts.ini': '[g]\nh1\n', 'host_vars/h1.yml': 'pw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n' });
  assert.match(errorOf(() => loadAnsibleInventory(join(vaulted, 'hosts.ini'))), /host_vars\/h1.yml:1: vault-encrypted values \(!vault\) are not supported/);
});

test('-i: a name is inventories/NAME.ts first; files and directories are Ansible inventories', async () => {
  const cwd = process.cwd();
  const dir = tree('resolve', { 'hosts.ini': '[g]\nh1\n', hosts: '[g]\nh2\n', 'inv/hosts.yml': 'all:\n  hosts:\n    h3:\n', 'inventories/lab.ts': 'export default { hosts: { ts1: {} } };\n' });
  process.chdir(dir);
  try {
    assert.equal(resolveInventorySource('lab'), { kind: 'typescript', path: join(dir, 'inventories', 'lab.ts') });
    assert.equal(resolveInventorySource('hosts.ini'), { kind: 'ansible', path: join(dir, 'hosts.ini') });
    assert.equal(resolveInventorySource('hosts'), { kind: 'ansible', path: join(dir, 'hosts') }, 'no inventories/hosts.ts: the INI file');
    assert.equal(resolveInventorySource('inv'), { kind: 'ansible', path: join(dir, 'inv') });
    assert.equal(resolveInventorySource('./inventories/lab.ts').kind, 'typescript');
    assert.equal((await loadInventory('hosts')).hosts.map((h) => h.name), ['h2']);
    assert.equal((await loadInventory('inv')).hosts.map((h) => h.name), ['h3']);
    assert.equal((await loadInventory('lab')).hosts.map((h) => h.name), ['ts1']);
    assert.throws(() => resolveInventorySource('nosuch'), (e: unknown) => e instanceof UsageError && /no inventory named "nosuch": looked for .*inventories\/nosuch.ts \(or .js\) and .*\/nosuch/.test((e as Error).message));
    assert.throws(() => resolveInventorySource('nosuch.yml'), /inventory not found: nosuch.yml/);
  } finally {
    process.chdir(cwd);
  }
});

test.run();
