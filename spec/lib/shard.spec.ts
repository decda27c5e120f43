import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCli, RUN_VALUE_FLAGS } from '../../lib/cli';
import { UsageError } from '../../lib/errors';
import { buildInventory, selectHosts } from '../../lib/inventory';
import { planPlay } from '../../lib/plan';
import { parseShard, shardInventory, shardOf } from '../../lib/shard';
import { checkShardable } from '../../lib/shard-check';
import type { Play } from '../../lib/types';
import { writeFile } from '../../tasks/files';
import { repoRoot, runCli, runKeel, writeInventory } from '../helpers/cli';

const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test((e as Error).message);

test('--shard I/N: 0-based, I from 0 to N-1', () => {
  assert.equal(parseShard('0/4'), { index: 0, count: 4 });
  assert.equal(parseShard('3/4'), { index: 3, count: 4 });
  assert.equal(parseShard('0/1'), { index: 0, count: 1 });
  assert.equal(parseShard('07/10'), { index: 7, count: 10 });
  assert.throws(() => parseShard('4/4'), usage(/--shard "4\/4": shards are numbered from 0, so I must be from 0 to 3 when N is 4/));
  assert.throws(() => parseShard('5/4'), usage(/I must be from 0 to 3/));
  assert.throws(() => parseShard('0/0'), usage(/the shard count N must be at least 1/));
  // `--shard $JOB_COMPLETION_INDEX/4` with the variable unset.
  assert.throws(() => parseShard('/4'), usage(/the shard index I is empty \(is the variable that holds it set\?\)/));
  assert.throws(() => parseShard('1/'), usage(/the shard count N is empty/));
  for (const bad of ['', '1', '-1/4', '1.5/4', 'a/b', '1/4/2', '1 of 4', '0x1/4']) {
    assert.throws(() => parseShard(bad), usage(/not I\/N \(--shard I\/N runs shard I of N, numbered from 0/), bad);
  }
  assert.throws(() => parseShard('99999999999999999999/99999999999999999999'), usage(/too large/));
});

test('--shard is a run flag (ts-node playbooks and keel run alike); a bad one is a UsageError, no shard without it', () => {
  assert.equal(parseCli(['-i', 'lab', '--shard', '2/4']).shard, { index: 2, count: 4 });
  assert.equal(parseCli(['-i', 'lab', '--shard=1/3', '--limit', 'web']).shard, { index: 1, count: 3 });
  assert.not.ok('shard' in parseCli(['-i', 'lab']));
  assert.throws(() => parseCli(['-i', 'lab', '--shard', '4/4']), usage(/I must be from 0 to 3/));
  assert.throws(() => parseCli(['-i', 'lab', '--shard']), usage(/--shard/));
  // keel run tells the playbook from a flag's value by this set.
  assert.ok(RUN_VALUE_FLAGS.has('--shard'));
});

test('a host\'s shard is the documented function of its name: SHA-256, first 48 bits, big-endian, mod N', () => {
  // Computed with Python: int.from_bytes(hashlib.sha256(name.encode()).digest()[:6], 'big') % n
  const expected: Record<string, number[]> = {
    web1: [1, 3, 0, 671],
    web2: [1, 1, 1, 761],
    'db-01.example.com': [1, 3, 0, 391],
    host1: [1, 3, 1, 311],
    hôte: [1, 1, 3, 765],
  };
  for (const [name, shards] of Object.entries(expected)) assert.equal([2, 4, 7, 1000].map((n) => shardOf(name, n)), shards, name);
  for (const name of Object.keys(expected)) assert.is(shardOf(name, 1), 0);
});

/** An inventory of `count` hosts named like a real fleet's, in two groups. */
function fleet(count: number, name = (i: number) => `web${String(i).padStart(4, '0')}.dc1.example.com`) {
  const names = [...Array(count).keys()].map((i) => name(i + 1));
  return buildInventory({
    hosts: Object.fromEntries(names.map((n) => [n, {}])),
    groups: { even: { hosts: names.filter((_, i) => i % 2 === 0) }, odd: { hosts: names.filter((_, i) => i % 2 === 1) } },
  });
}

/**
 * Whether shard sizes are as even as chance allows: Pearson's chi-square under its mean plus 5
 * standard deviations (df + 5 sqrt(2 df)), which a uniform hash passes all but never and a skewed
 * partition fails (the control below).
 */
function evenEnough(sizes: readonly number[]): boolean {
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const chi = sizes.reduce((a, s) => a + (s - mean) ** 2 / mean, 0);
  const df = sizes.length - 1;
  return chi <= df + 5 * Math.sqrt(2 * df);
}

const SCHEMES: [string, (i: number) => string][] = [
  ['web0001.dc1.example.com', (i) => `web${String(i).padStart(4, '0')}.dc1.example.com`],
  ['host1', (i) => `host${i}`],
  ['10.0.x.y', (i) => `10.0.${i >> 8}.${i & 255}`],
];

test('every host is in exactly one shard, for several N and naming schemes, and shards are near even', () => {
  for (const [scheme, name] of SCHEMES) {
    const inv = fleet(4000, name);
    const all = inv.hosts.map((h) => h.name);
    for (const n of [1, 2, 3, 4, 5, 8, 16, 64]) {
      const parts = [...Array(n).keys()].map((index) => shardInventory(inv, { index, count: n }).hosts.map((h) => h.name));
      const where = new Map<string, number[]>();
      parts.forEach((hosts, i) => hosts.forEach((h) => where.set(h, [...(where.get(h) ?? []), i])));
      for (const h of all) assert.is(where.get(h)?.length, 1, `${scheme}: ${h} with N=${n} is in shards ${where.get(h)}`);
      assert.is(where.size, all.length);
      // Each part keeps inventory order.
      for (const hosts of parts) {
        const set = new Set(hosts);
        assert.equal(hosts, all.filter((h) => set.has(h)));
      }
      if (n > 1) assert.ok(evenEnough(parts.map((p) => p.length)), `${scheme}, N=${n}: sizes ${parts.map((p) => p.length)}`);
    }
  }
});

test('the evenness check can fail: a sum of character codes mod N is refused on the same names', () => {
  const sum = (s: string) => [...s].reduce((a, c) => a + c.charCodeAt(0), 0);
  for (const [scheme, name] of SCHEMES) {
    const sizes = Array(64).fill(0);
    for (let i = 1; i <= 4000; i++) sizes[sum(name(i)) % 64]++;
    assert.not.ok(evenEnough(sizes), scheme);
  }
});

test('256 hosts host1..host256 in 4 shards: none empty, none far from 64', () => {
  const inv = fleet(256, (i) => `host${i}`);
  const sizes = [0, 1, 2, 3].map((index) => shardInventory(inv, { index, count: 4 }).hosts.length);
  assert.is(sizes.reduce((a, b) => a + b), 256);
  for (const s of sizes) assert.ok(s >= 48 && s <= 80, `sizes ${sizes}`);
});

test('a shard\'s inventory: patterns naming another shard\'s host select nothing, unknown names still fail, every host sees the whole inventory', () => {
  const inv = fleet(40, (i) => `host${i}`);
  const mine = shardInventory(inv, { index: 0, count: 4 });
  const other = inv.hosts.find((h) => shardOf(h.name, 4) !== 0)!.name;
  const own = mine.hosts[0].name;
  assert.equal(selectHosts(mine, other), []);
  assert.equal(selectHosts(mine, `${own}:${other}`).map((h) => h.name), [own]);
  assert.equal(selectHosts(mine, 'all').map((h) => h.name), mine.hosts.map((h) => h.name));
  assert.equal(selectHosts(mine, 'host1*').map((h) => h.name), mine.hosts.filter((h) => h.name.startsWith('host1')).map((h) => h.name));
  assert.throws(() => selectHosts(mine, 'nosuchhost'), usage(/no host or group named "nosuchhost"/));
  assert.is(mine.hosts[0].inventory.hosts.length, 40);
  assert.equal(mine.groups, inv.groups);
  // --limit and the play's pattern: the shard's hosts within both, in inventory order.
  const play: Play = { name: 'p', hosts: 'even', tasks: (h) => [writeFile({ path: `/tmp/${h.name}`, content: 'x' })] };
  const planned = planPlay(play, mine, { limit: 'all:!host2' }).map((p) => p.host.name);
  const unsharded = planPlay(play, inv, { limit: 'all:!host2' }).map((p) => p.host.name);
  assert.equal(planned, unsharded.filter((h) => shardOf(h, 4) === 0));
  // Sharding twice narrows further; the hosts of either are still known by name.
  const twice = shardInventory(mine, { index: 0, count: 2 });
  assert.equal(selectHosts(twice, other), []);
});

test('--shard refuses a play with a runOnce task (it would run once in every shard)', () => {
  const inv = fleet(8, (i) => `host${i}`);
  const task = (h: { name: string }) => writeFile({ path: `/tmp/${h.name}`, content: 'x' });
  const plain: Play = { name: 'files', hosts: 'all', tasks: (h) => [task(h)] };
  const once: Play = { name: 'cluster', hosts: 'odd', tasks: (h) => [task(h), writeFile({ path: '/tmp/c', content: 'x' }, { runOnce: true, name: 'configure the cluster' })] };
  checkShardable([plain], inv, {});
  assert.throws(() => checkShardable([plain, once], inv, {}), usage(/--shard: play "cluster" has a runOnce task \("configure the cluster"\)/));
});

test('on the command line: a bad --shard or a runOnce play is exit 2 before any host; --list-hosts lists the shard\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-shard-cli-'));
  try {
    // Nothing listens on port 1: had keel contacted a host, it would say unreachable (exit 3).
    const names = [...Array(8).keys()].map((i) => `h${i + 1}`);
    const inv = writeInventory(dir, {
      defaults: { user: 'root', port: 1, knownHostsFile: join(dir, 'known_hosts') },
      hosts: Object.fromEntries(names.map((n) => [n, { address: '127.0.0.1', vars: { root: join(dir, n) } }])),
      groups: { web: { hosts: names.slice(0, 3) } },
    });
    const fixtures = join(repoRoot, 'spec', 'integration', 'fixtures');
    const noStack = (s: string) => !/\n\s+at .*:\d+:\d+/.test(s);
    const cases: [Promise<{ code: number; stderr: string }>, RegExp][] = [
      [runKeel(['run', join(fixtures, 'shard-playbook.ts'), '-i', inv, '--shard', '4/4']), /--shard "4\/4": shards are numbered from 0, so I must be from 0 to 3 when N is 4/],
      [runCli(join(fixtures, 'shard-playbook.ts'), ['-i', inv, '--shard', '/4']), /--shard "\/4": the shard index I is empty/],
      [runKeel(['check', join(fixtures, 'shard-playbook.ts'), '-i', inv, '--shard', 'two/4']), /--shard "two\/4": not I\/N/],
      [runKeel(['run', join(fixtures, 'shard-once-playbook.ts'), '-i', inv, '--shard', '0/2']), /--shard: play "cluster" has a runOnce task \("configure the cluster"\)/],
    ];
    for (const [run, re] of cases) {
      const r = await run;
      assert.is(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.ok(noStack(r.stderr), r.stderr);
    }
    const listed = await runKeel(['run', join(fixtures, 'shard-playbook.ts'), '-i', inv, '--shard', '1/4', '--list-hosts']);
    assert.is(listed.code, 0, listed.stderr);
    const mine = names.filter((n) => shardOf(n, 4) === 1);
    assert.ok(mine.length > 0);
    assert.match(listed.stdout, `play #1 (all): fleet\n    hosts (${mine.length}):\n` + mine.map((n) => `      ${n}\n`).join('') + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
