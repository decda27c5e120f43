/**
 * keel and Ansible read the same inventories the same way: `keel inventory -i X --list` and
 * Debian's `ansible-inventory -i X --list` on spec/fixtures/ansible-inventory/ (an INI file, a
 * YAML file, a directory; each with group_vars/ and host_vars/ whose vars overlap so that
 * precedence decides) give the same hosts, the same groups and the same merged vars.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';

const FIXTURES = join(repoRoot, 'spec', 'fixtures', 'ansible-inventory');
const SOURCES = [
  { name: 'an INI file', path: join(FIXTURES, 'ini', 'hosts.ini'), hosts: 9 },
  { name: 'a YAML file', path: join(FIXTURES, 'yaml', 'hosts.yml'), hosts: 8 },
  { name: 'a directory', path: join(FIXTURES, 'dir'), hosts: 8 },
];
// The secret keel shows as [secret] where ansible-inventory prints it.
const SECRET = { host: 'app1.internal', name: 'ansible_become_password', value: 's3cret-pass' };

type Groups = Record<string, { hosts?: string[]; children?: string[] }>;
type Listing = { _meta: { hostvars: Record<string, Record<string, unknown>> } };

function ansibleInventoryMissing(): boolean {
  return spawnSync('ansible-inventory', ['--version'], { stdio: 'ignore' }).status !== 0;
}

let scratch: string;

/** ansible-inventory from an empty directory (it also reads ./group_vars) with no ansible.cfg or ANSIBLE_* of ours. */
function ansible(args: string[]): string {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')));
  Object.assign(env, {
    ANSIBLE_CONFIG: join(scratch, 'ansible.cfg'),
    ANSIBLE_HOME: join(scratch, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: join(scratch, 'ansible-tmp'),
    // A source Ansible cannot parse must fail here, not become an empty inventory.
    ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
    ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'true',
  });
  return execFileSync('ansible-inventory', args, { cwd: join(scratch, 'empty'), env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function keel(args: string[]): string {
  return execFileSync(process.execPath, ['-r', require.resolve('ts-node/register'), join(repoRoot, 'lib', 'keel.ts'), ...args], {
    cwd: join(scratch, 'empty'),
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: join(repoRoot, 'tsconfig.json') },
    encoding: 'utf8',
  });
}

/** Ansible prints !unsafe strings as {"__ansible_unsafe": text}; keel has plain strings. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Object.keys(o).length === 1 && '__ansible_unsafe' in o) return o.__ansible_unsafe;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const groupsOf = (l: Listing): Groups => Object.fromEntries(Object.entries(l as object).filter(([k]) => k !== '_meta'));
const hostsOf = (l: Listing) => [...new Set(Object.values(groupsOf(l)).flatMap((g) => g.hosts ?? []))].sort();

const test = suiteUnless(ansibleInventoryMissing() ? 'needs ansible-inventory (apt-get install ansible-core; .ci/host-packages.sh does)' : undefined);
test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'keel-vs-ansible-'));
  execFileSync('mkdir', ['-p', join(scratch, 'empty')]);
  writeFileSync(join(scratch, 'ansible.cfg'), '');
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

for (const source of SOURCES) {
  test(`--list, ${source.name}: same hosts, same groups, same merged vars per host`, () => {
    const theirs = plain(JSON.parse(ansible(['-i', source.path, '--list']))) as Listing;
    const ours = JSON.parse(keel(['inventory', '-i', source.path, '--list'])) as Listing;

    assert.is(hostsOf(theirs).length, source.hosts, 'ansible-inventory read the whole fixture');
    assert.equal(hostsOf(ours), hostsOf(theirs), 'hosts');
    assert.equal(groupsOf(ours), groupsOf(theirs), 'groups: their own hosts and children, in order');

    const theirVars = theirs._meta.hostvars;
    const ourVars = ours._meta.hostvars;
    for (const [host, vars] of Object.entries(ourVars)) {
      if (vars[SECRET.name] === undefined) continue;
      assert.is(vars[SECRET.name], '[secret]', `${host}: keel never prints ${SECRET.name}`);
      assert.is(theirVars[host][SECRET.name], SECRET.value);
      vars[SECRET.name] = SECRET.value;
    }
    if (source.name === 'a directory') assert.ok(ourVars[SECRET.host][SECRET.name], 'the secret case was exercised');
    assert.equal(Object.keys(ourVars).sort(), Object.keys(theirVars).sort(), 'hosts with vars');
    for (const host of Object.keys(theirVars)) assert.equal(ourVars[host], theirVars[host], `merged vars of ${host}`);
  });

  test(`--graph, ${source.name}: the same tree`, () => {
    assert.is(keel(['inventory', '-i', source.path, '--graph']), ansible(['-i', source.path, '--graph']));
  });
}

test.run();
