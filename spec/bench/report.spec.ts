/**
 * bench/report.ts: the verdicts RESULTS.md prints from the rows. No timing is measured here: the
 * rows are made up, and the verdicts must follow from them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Row } from '../../bench/measure';
import { writeResults } from '../../bench/report';

const row = (group: string, id: string, wall: number): Row => ({
  group,
  id,
  label: id,
  samples: [1, 2, 3].map(() => ({ wall, cpu: 0.1, rssMb: 50, load1: 0.5, note: '' })),
});

/** RESULTS.md written from these rows alone (nothing else in the run). */
const resultsOf = (rows: Row[]) =>
  writeResults({ commit: 'abc', dirty: false, rows, breakdowns: [], facts: [], runs: 3, freshRuns: 0, date: '2026-12-02T00:00:00Z', fanoutSizes: [] });

test("the literal target's budget: npx alone, and npx with ts-node's own start, each added to the floor and held against 1/10 of Ansible", () => {
  const md = resultsOf([row('startup', 'npx', 0.57), row('startup', 'npx-tsnode', 1.18), row('nochange', 'keel-tsnode', 2.4), row('nochange', 'ansible', 16.8), row('nochange', 'floor', 0.69)]);
  assert.match(md, "- nochange: npx alone + the floor (medians): 0.570 + 0.690 = 1.26 s, against 1/10 of Ansible = 1.68 s: within the literal target's budget");
  assert.match(md, "- nochange: `npx ts-node -e 0` + the floor (medians): 1.18 + 0.690 = 1.87 s, against 1/10 of Ansible = 1.68 s: **above the literal target's budget before keel does anything**");
});

test('the CPU target: what start-up alone (the bundle\'s --help) leaves of 0.3 s, and what the run took beyond it', () => {
  const cpuRow = (group: string, id: string, cpu: number): Row => ({ ...row(group, id, 1), samples: [1, 2, 3].map(() => ({ wall: 1, cpu, rssMb: 50, load1: 0.5, note: '' })) });
  const md = resultsOf([cpuRow('startup', 'keel-node-help', 0.18), cpuRow('nochange', 'keel-node', 0.44)]);
  assert.match(md, '- nochange: compiled, CPU ≤ 0.3 s at 2 hosts: 0.44 s: **not met**');
  assert.match(md, "- nochange: CPU of start-up alone (the bundle's `--help`: node and keel loaded) 0.18 s leaves 0.12 s of the 0.3 s target for reading the inventory, 2 hosts' SSH (ssh2 loaded, handshakes) and the run, which took 0.26 s");
});

test.run();
