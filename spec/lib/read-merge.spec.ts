/**
 * lib/read-merge.ts: which reads of a batch merge (same merger, same deadline, two or more), and
 * how a merged result comes back to each read, or leaves it to be read again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeReads } from '../../lib/read-merge';
import { CUT_SHORT, type BatchEntry, type BatchResult } from '../../lib/probe-batch';
import type { ReadMerger } from '../../lib/types';

/** Merges `echo` reads: one `echo` of all the words, split back by word; `?` cannot be answered. */
const words: ReadMerger<string> = {
  command: (parts) => `echo ${parts.join(' ')}`,
  split: (r, parts) => r.stdout.trim().split(' ').map((w, i) => (w === '?' || parts[i] !== w ? undefined : { code: 0, stdout: `${w}\n`, stderr: '' })),
  sharesShell: true,
};
const other: ReadMerger<string> = { ...words };
const read = (word: string, timeoutSeconds = 30, by: ReadMerger<string> | null = words): BatchEntry => ({
  command: `echo ${word}`,
  timeoutSeconds,
  merge: by ? { by, part: word } : undefined,
});
const ran = (stdout: string, timedOut = false): BatchResult => ({ code: timedOut ? 137 : 0, stdout, stderr: '', timedOut });

test('reads with the same merger and deadline run as one, where the first of them stood; others run as they are', () => {
  const m = mergeReads([read('plain', 30, null), read('a'), read('x', 5), read('b'), read('c', 30, other), read('d')]);
  assert.equal(
    m.run.map((e) => [e.command, e.timeoutSeconds, e.sharesShell]),
    [
      ['echo plain', 30, undefined],
      ['echo a b d', 30, true],
      // Alone of its merger at 5 s, and alone of the other merger: each its own command.
      ['echo x', 5, undefined],
      ['echo c', 30, undefined],
    ],
  );
  const { results: back, unanswered } = m.resultsOf([ran('plain\n'), ran('a b d\n'), ran('x\n'), ran('c\n')]);
  assert.equal(unanswered, []);
  assert.equal(
    back.map((r) => r?.stdout),
    ['plain\n', 'a\n', 'x\n', 'b\n', 'c\n', 'd\n'],
  );
  assert.ok(back.every((r) => r?.timedOut === false));
});

test('a part the merged result cannot answer, or every part of a merged read killed at its own deadline, is unanswered (to be read again, unmerged); a merged read never run leaves its reads to run again as they were', () => {
  const m = mergeReads([read('a'), read('b'), read('plain', 30, null)]);
  const cannot = m.resultsOf([ran('a ?\n'), ran('plain\n')]);
  assert.equal(cannot.results.map((r) => r?.stdout), ['a\n', undefined, 'plain\n']);
  assert.equal(cannot.unanswered, [1]);
  const killed = m.resultsOf([ran('a b\n', true), ran('plain\n')]);
  assert.equal(killed.results.map((r) => r?.stdout), [undefined, undefined, 'plain\n'], 'killed: each is read again, under its own deadline');
  assert.equal(killed.unanswered, [0, 1]);
  assert.equal(m.resultsOf([undefined, ran('plain\n')]).unanswered, []);
});

test("a merger that throws on some output leaves its reads unanswered; the batch's other reads keep their results", () => {
  const throws: ReadMerger<string> = { ...words, split: () => { throw new Error('a bug'); } };
  const m = mergeReads([read('a', 30, throws), read('b', 30, throws), read('plain', 30, null)]);
  const r = m.resultsOf([ran('a b\n'), ran('plain\n')]);
  assert.equal(r.results.map((x) => x?.stdout), [undefined, undefined, 'plain\n']);
  assert.equal(r.unanswered, [0, 1]);
});

test('a read cut short by an earlier deadline, merged or not, is `cut` (to be read again at once, its parts still merged), not unanswered', () => {
  const m = mergeReads([read('a'), read('b'), read('plain', 30, null)]);
  const merged = m.resultsOf([CUT_SHORT, undefined]);
  assert.equal(merged.cut, [0, 1]);
  assert.equal(merged.unanswered, []);
  assert.equal(merged.results, [undefined, undefined, undefined]);
  const plain = m.resultsOf([ran('a b\n'), CUT_SHORT]);
  assert.equal(plain.cut, [2]);
  assert.equal(plain.results.map((r) => r?.stdout), ['a\n', 'b\n', undefined]);
});

test.run();
