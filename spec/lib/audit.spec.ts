import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auditMain } from '../../lib/audit/cli';
import { diffAudits, hasNewDrift } from '../../lib/audit/diff';
import { auditStem, freshStem, listAudits, pruneAudits } from '../../lib/audit/store';
import type { RecordedResult, RunRecord } from '../../lib/report/record';

function rec(results: [string, string, string][], unreachable: Record<string, string> = {}): RunRecord {
  return {
    format: 'keel-run/1',
    playbook: 'pb',
    inventory: 'inv',
    limit: null,
    commit: null,
    check: true,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1,
    exitCode: 4,
    interrupted: false,
    recap: {},
    unreachable,
    plays: [
      {
        name: 'p',
        hosts: [],
        results: results.map(([host, task, status], step): RecordedResult => ({
          host, task, status: status as RecordedResult['status'], module: 'm', durationMs: 1, play: 0, step, handler: false,
          changes: status === 'would change' ? [{ field: 'content', from: 'a', to: 'b' }] : [],
        })),
      },
    ],
  };
}

test('audit files are named by UTC time, sort by time, and the oldest go first when pruning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-audit-'));
  assert.is(auditStem(new Date('2025-11-25T14:30:05.123Z')), '2025-11-25T143005Z');
  const at = new Date('2025-11-25T14:30:05Z');
  for (const stem of ['2025-11-24T010000Z', '2025-11-25T143005Z', '2025-11-23T235959Z']) {
    writeFileSync(join(dir, `${stem}.json`), '{}');
    writeFileSync(join(dir, `${stem}.html`), '');
  }
  writeFileSync(join(dir, 'notes.json'), '{}');
  assert.is(freshStem(dir, at), '2025-11-25T143005Z-1', 'a second audit in the same second');
  assert.equal(listAudits(dir).map((f) => f.slice(dir.length + 1)), ['2025-11-23T235959Z.json', '2025-11-24T010000Z.json', '2025-11-25T143005Z.json']);
  const removed = pruneAudits(dir, 2);
  assert.equal(removed.map((f) => f.slice(dir.length + 1)), ['2025-11-23T235959Z.json']);
  assert.equal(readdirSync(dir).sort(), ['2025-11-24T010000Z.html', '2025-11-24T010000Z.json', '2025-11-25T143005Z.html', '2025-11-25T143005Z.json', 'notes.json']);
});

test('diff: new drift, fixed, still drifted, unchanged; a newly unreachable host counts as new', () => {
  const older = rec([['a', 'motd', 'would change'], ['a', 'conf', 'ok'], ['b', 'motd', 'would change'], ['b', 'conf', 'ok']]);
  const newer = rec([['a', 'motd', 'ok'], ['a', 'conf', 'would change'], ['b', 'motd', 'would change'], ['b', 'conf', 'ok']]);
  const d = diffAudits(older, newer);
  assert.equal(d.newDrift.map((i) => `${i.host} ${i.task}`), ['a conf']);
  assert.equal(d.fixed.map((i) => `${i.host} ${i.task}`), ['a motd']);
  assert.equal(d.stillDrifted.map((i) => `${i.host} ${i.task}`), ['b motd']);
  assert.is(d.unchangedOk, 1);
  assert.ok(hasNewDrift(d));
  assert.not.ok(hasNewDrift(diffAudits(newer, newer)));
  assert.ok(hasNewDrift(diffAudits(newer, rec([], { c: 'connection refused' }))));
});

test('audit diff prints the three lists and exits 4 only on new drift; bad input is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-audit-'));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  writeFileSync(a, JSON.stringify(rec([['h', 'motd', 'ok'], ['h', 'conf', 'would change']])));
  writeFileSync(b, JSON.stringify(rec([['h', 'motd', 'would change'], ['h', 'conf', 'ok']])));
  const out: string[] = [];
  assert.is(await auditMain(['diff', a, b], (l) => out.push(l)), 4);
  const text = out.join('\n');
  assert.match(text, 'new drift since the last audit (1):\n  h | motd | would change | content: a → b');
  assert.match(text, 'fixed since the last audit (1):\n  h | conf | ok');
  assert.match(text, 'still drifted (0):');
  const c = join(dir, 'c.json');
  writeFileSync(c, JSON.stringify(rec([['h', 'motd', 'would change'], ['h', 'conf', 'ok'], ['h', 'other', 'ok']])));
  assert.is(await auditMain(['diff', b, c], () => {}), 0, 'old drift and a new ok task: nothing new');
  writeFileSync(join(dir, 'junk.json'), '{"format":"other"}');
  assert.is(await auditMain(['diff', a, join(dir, 'junk.json')], () => {}), 2);
  assert.is(await auditMain(['diff', a], () => {}), 2);
  assert.is(await auditMain(['frobnicate'], () => {}), 2);
  assert.is(await auditMain(['run', 'x.ts', '-i', 'inv'], () => {}), 2, '--out is required');
  assert.not.ok(existsSync(join(dir, 'x')));
});

test.run();
