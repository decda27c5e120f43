/**
 * Fault 10: 1,000 seeded malformed inventories and task parameter sets. Every one must be a
 * ValidationError whose problems each have a path (`x.y: message`), never a stack trace or
 * another error class, and never a connection attempt. Runs anywhere (no root, no sshd).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../lib/errors';
import { buildInventory, selectHosts } from '../../lib/inventory';
import { UsageError } from '../../lib/errors';
import type { Reporter } from '../../lib/reporter';
import { runPlaybook } from '../../lib/runner';
import type { Connection, Task } from '../../lib/types';
import { aptInstall } from '../../tasks/apt';
import { command } from '../../tasks/command';
import { crmPrimitive } from '../../tasks/pacemaker';
import { writeFile } from '../../tasks/files';
import { service } from '../../tasks/service';

/** mulberry32: small, seeded, reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)], int: (n: number) => Math.floor(next() * n) };
}
type Rng = ReturnType<typeof rng>;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const WRONG_TYPES: unknown[] = [null, 42, -1, 1.5, '', 'x', true, [], ['a'], {}, { a: 1 }];
// Names that exist on every object's prototype: a lookup must not take them for hosts or groups.
const UNKNOWN_NAMES = ['ghost', 'node9', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

function validInventory() {
  return {
    vars: { site: 'lab' },
    defaults: { user: 'root', port: 22, connectTimeoutSeconds: 5 },
    hosts: {
      node1: { address: '198.19.0.1', vars: { id: 1 } },
      node2: { address: '198.19.0.2', port: 2222 },
    },
    groups: { cluster: { hosts: ['node1', 'node2'] }, db: { hosts: ['node1'], children: [] as string[] }, all_nodes: { children: ['cluster'] } },
    secretVars: ['token'],
  };
}

/** One mutation that makes a valid inventory invalid. */
function mutateInventory(r: Rng): unknown {
  const inv: Record<string, any> = validInventory();
  const host = r.pick(['node1', 'node2']);
  const m = r.int(16);
  switch (m) {
    case 0: inv.hosts[host].port = r.pick([0, -1, 65536, 1e9, 22.5, '22', null, NaN]); break;
    case 1: inv.defaults.port = r.pick([0, 70000, '22', true]); break;
    case 2: inv.hosts[host][r.pick(['prot', 'adress', 'user_name', 'keyfile', 'hosts'])] = r.pick(WRONG_TYPES); break;
    case 3: inv[r.pick(['host', 'group', 'variables', 'default'])] = {}; break;
    case 4: inv.groups.cluster.hosts.push(r.pick(UNKNOWN_NAMES)); break;
    case 5: inv.groups.db.children.push(r.pick(UNKNOWN_NAMES)); break;
    case 6: inv.groups.cluster.children = ['all_nodes']; break; // cycle all_nodes → cluster → all_nodes
    case 7: inv.groups.db.children = ['db']; break; // self-cycle
    case 8: inv.hosts[host].address = r.pick(['', 'a b', 'x;rm -rf /', '$(id)', 'host\nname', 42]); break;
    case 9: inv.hosts[host].user = r.pick(['', 'ro ot', '-oProxyCommand=x', "o'hara", 7]); break;
    case 10: inv.hosts = r.pick([{}, [], null, 'node1']); break;
    case 11: inv.hosts[r.pick(['bad name', '-x', '', 'a/b', '$(id)'])] = {}; break;
    case 12: {
      const bad: Record<string, unknown[]> = {
        become: ['yes', 0, null],
        connectTimeoutSeconds: [0, -5, 601, '5'],
        connection: ['telnet', '', 1],
        knownHostsFile: ['', 5, null],
      };
      const k = r.pick(Object.keys(bad));
      inv.defaults[k] = r.pick(bad[k]);
      break;
    }
    case 13: inv.groups[r.pick(['node1', 'all'])] = { hosts: [] }; break; // host name clash / reserved
    case 14: inv.secretVars = r.pick(['token', [1], { a: 1 }]); break;
    default: {
      // Several at once: every problem must be reported, each with a path.
      inv.hosts[host].port = 'ssh';
      inv.groups.cluster.hosts.push(r.pick(UNKNOWN_NAMES));
      inv.hosts[host].vars = r.pick(WRONG_TYPES.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)));
    }
  }
  return inv;
}

/** One bad parameter set for one module, as a task factory call. */
function mutateParams(r: Rng): { module: string; make: () => Task } {
  const w = () => r.pick(WRONG_TYPES);
  const m = r.int(5);
  if (m === 0) {
    const p: Record<string, any> = { path: '/etc/x.conf', content: 'a\n', mode: '0644' };
    const k = r.int(6);
    if (k === 0) p.path = r.pick(['relative/path', '', '/etc/', '/a\nb', '/a\u0000b', 7, null]);
    else if (k === 1) p.content = r.pick([null, 1, {}, ['a'], undefined]);
    else if (k === 2) p.mode = r.pick(['644 ', '0999', 'rw-r--r--', 420, '1', '077777']);
    else if (k === 3) p[r.pick(['owner', 'group'])] = r.pick(['Root', 'a b', '$(id)', '', 5]);
    else if (k === 4) p[r.pick(['conent', 'secrets', 'backup'])] = w();
    else delete p[r.pick(['path', 'content'])];
    return { module: 'writeFile', make: () => writeFile(p as never) };
  }
  if (m === 1) {
    const p: Record<string, any> = { packages: ['pacemaker', 'corosync'] };
    const k = r.int(4);
    if (k === 0) p.packages = r.pick([[], 'pacemaker', ['Pacemaker'], ['pace maker'], ['-y'], ['a;b'], ['x', 'x'], [1]]);
    else if (k === 1) p[r.pick(['update', 'installRecommends'])] = r.pick(['yes', 1, null]);
    else if (k === 2) p[r.pick(['version', 'state', 'pkg'])] = w();
    else delete p.packages;
    return { module: 'aptInstall', make: () => aptInstall(p as never) };
  }
  if (m === 2) {
    const p: Record<string, any> = { id: 'HA-IP', agent: 'ocf:heartbeat:IPaddr2', params: { ip: '198.19.0.100' }, ops: [{ name: 'monitor', interval: '30s' }] };
    const k = r.int(5);
    if (k === 0) p.id = r.pick(['', 'has space', '$(id)', 'a;b', 5]);
    else if (k === 1) p.agent = r.pick(['IPaddr2', 'ocf::', 'ocf:heartbeat:IP addr', '', 3]);
    else if (k === 2) p.ops = r.pick([[{ name: 'monitor' }], [{ interval: '30s' }], 'monitor', [{ name: 'monitor', interval: '30 s' }]]);
    else if (k === 3) p.params = r.pick(['ip=1', [1], { 'bad key': 'x' }]);
    else p[r.pick(['type', 'class', 'op'])] = w();
    return { module: 'crmPrimitive', make: () => crmPrimitive(p as never) };
  }
  if (m === 3) {
    const p: Record<string, any> = { name: 'corosync', state: 'started' };
    const k = r.int(4);
    if (k === 0) p.name = r.pick(['', 'a b', '$(id)', '-x', 'a;b', 3]);
    else if (k === 1) p.state = r.pick(['running', 'start', '', null, true]);
    else if (k === 2) p.verifySeconds = r.pick([-1, 301, '5', null]);
    else p[r.pick(['enabled', 'status', 'restart'])] = w();
    return { module: 'service', make: () => service(p as never) };
  }
  const p: Record<string, any> = { cmd: 'true' };
  const k = r.int(5);
  if (k === 0) p.cmd = r.pick(['', null, 1, ['ls']]);
  else if (k === 1) p[r.pick(['creates', 'removes'])] = r.pick(['relative', '', 'a\u0000', 5]);
  else if (k === 2) p.changedWhen = r.pick(['true', 1, {}]);
  else if (k === 3) p[r.pick(['chdir', 'shell', 'args'])] = w();
  else delete p.cmd;
  return { module: 'command', make: () => command(p as never) };
}

const silent: Reporter = { playStart() {}, taskStart() {}, taskEnd() {}, hostUnreachable() {}, playEnd() {}, recap() {}, note() {} };
const goodInventory = buildInventory(validInventory());

function assertValidationError(err: unknown, label: string): void {
  assert.ok(err instanceof ValidationError, `${label}: expected ValidationError, got ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
  const e = err as ValidationError;
  assert.ok(e.problems.length > 0, `${label}: no problems listed`);
  for (const p of e.problems) {
    assert.match(p.path, /^[^\s:]+$/, `${label}: path ${JSON.stringify(p.path)}`);
    assert.ok(p.path !== '(root)' || e.message.includes('(root):'), label);
    assert.ok(p.message.length > 0, label);
  }
  const lines = e.message.split('\n').slice(1);
  assert.ok(lines.every((l) => /^  - \S+: \S/.test(l)), `${label}: ${e.message}`);
  assert.not.match(e.message, /\n\s+at /, `${label}: stack trace in the message`);
}

test('500 malformed inventories: always a ValidationError with paths, nothing contacted', async () => {
  const r = rng(20240601);
  let connects = 0;
  for (let i = 0; i < 500; i++) {
    const spec = mutateInventory(r);
    const label = `inventory #${i} ${JSON.stringify(spec)}`;
    let err: unknown;
    try {
      const inv = buildInventory(clone(spec));
      // Should not get here; if it does, prove nothing would be contacted either.
      await runPlaybook([{ name: 'p', hosts: 'all', tasks: () => [] }], inv, {
        check: true,
        forks: 4,
        reporter: silent,
        connect: async () => {
          connects++;
          throw new Error('no connection may be attempted');
        },
      });
    } catch (e) {
      err = e;
    }
    assertValidationError(err, label);
  }
  assert.is(connects, 0);
});

test('500 malformed task parameter sets through runPlaybook: always a ValidationError with paths, no connection attempted', async () => {
  const r = rng(7);
  let connects = 0;
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const { module, make } = mutateParams(r);
    seen.add(module);
    let err: unknown;
    try {
      await runPlaybook([{ name: 'p', hosts: 'all', tasks: () => [make()] }], goodInventory, {
        check: false,
        forks: 4,
        reporter: silent,
        connect: async (): Promise<Connection> => {
          connects++;
          throw new Error('no connection may be attempted');
        },
      });
    } catch (e) {
      err = e;
    }
    assertValidationError(err, `${module} #${i}`);
  }
  assert.is(connects, 0);
  assert.equal([...seen].sort(), ['aptInstall', 'command', 'crmPrimitive', 'service', 'writeFile']);
});

test('prototype names are not hosts or groups: groups.x.hosts ["toString"] and children ["constructor"] are rejected', () => {
  for (const [where, name] of [
    ['hosts', 'toString'],
    ['children', 'constructor'],
    ['hosts', 'hasOwnProperty'],
  ] as const) {
    const spec: any = validInventory();
    spec.groups.db[where] = [name];
    let err: unknown;
    try {
      buildInventory(spec);
    } catch (e) {
      err = e;
    }
    assertValidationError(err, `${where} ${name}`);
    assert.match((err as Error).message, `groups.db.${where}.0: unknown ${where === 'hosts' ? 'host' : 'group'} "${name}"`);
  }
});

test('a host pattern naming a prototype property (--limit toString) is a UsageError, not a TypeError', () => {
  for (const pattern of ['toString', 'cluster:constructor', '!hasOwnProperty']) {
    let err: unknown;
    try {
      selectHosts(goodInventory, pattern);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof UsageError, `${pattern}: ${String(err)}`);
  }
});

test.run();
