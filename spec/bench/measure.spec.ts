/**
 * bench/measure.ts: the runs of a group really interleave (A B A B, equal counts, warm-up round
 * untimed) and the statistics are what the table claims. No timing is asserted.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { interleave, stats, type Command } from '../../bench/measure';

test('a group runs interleaved, A B A B after one warm-up round, each run verified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-measure-'));
  const order = join(dir, 'order');
  const cmd = (id: string): Command => ({ id, label: id, argv: ['sh', '-c', `echo ${id} >> ${order}; echo changed=0`], verify: (out) => (out.includes('changed=0') ? 'ok' : 'bad') });
  const rows = interleave('g', [cmd('A'), cmd('B')], 3, { cwd: dir, warmup: true });
  assert.equal(readFileSync(order, 'utf8').trim().split('\n'), ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B']);
  assert.equal(rows.map((r) => [r.id, r.samples.length]), [['A', 3], ['B', 3]]);
  for (const r of rows) for (const s of r.samples) assert.ok(s.wall > 0 && s.rssMb > 0 && s.note === 'ok');
});

test('a failing run stops the group with its output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-measure-'));
  assert.throws(() => interleave('g', [{ id: 'x', label: 'x', argv: ['sh', '-c', 'echo boom; exit 3'] }], 1, { cwd: dir }), /x: exit 3\nboom/);
});

test('stats: min, median (odd and even counts), max, CPU median, peak RSS, load range', () => {
  const sample = (wall: number, load1: number) => ({ wall, cpu: wall / 2, rssMb: wall * 10, load1, note: '' });
  const odd = stats({ group: 'g', id: 'a', label: 'a', samples: [sample(3, 1), sample(1, 2), sample(2, 0.5)] });
  assert.equal([odd.runs, odd.min, odd.median, odd.max, odd.cpuMedian, odd.rssMaxMb, odd.loadMin, odd.loadMax], [3, 1, 2, 3, 1, 30, 0.5, 2]);
  const even = stats({ group: 'g', id: 'a', label: 'a', samples: [sample(4, 1), sample(1, 1), sample(2, 1), sample(3, 1)] });
  assert.is(even.median, 2.5);
});

test.run();
