import { CUT_SHORT, type BatchEntry, type BatchOutcome, type BatchResult } from './probe-batch';
import type { ReadMerger } from './types';

/** What a batch runs for a list of reads, and the way back from its results to each read's. */
export interface MergedReads {
  /** The reads no merger takes, and one read per merger and deadline, in first-come order. */
  run: BatchEntry[];
  /** Each read's result, from the batch's outcomes (in the order of `run`). */
  resultsOf(results: readonly BatchOutcome[]): MergedResults;
}

export interface MergedResults {
  /** One result per read asked for, in order: `undefined` where that read must run again. */
  results: (BatchResult | undefined)[];
  /**
   * The reads (their indexes) whose merged read ran but did not answer for them: it could not (a
   * file that changed while it was read, a link), or it was killed at its own deadline. They run
   * again unmerged, each under its own deadline. The others without a result were cut short by
   * a read before them (`cut`), or never begun, and run again as they were.
   */
  unanswered: number[];
  /** The reads (their indexes) whose read, merged or not, was cut short by an earlier read's deadline. */
  cut: number[];
}

/**
 * Reads that name the same merger (Fact.merge) and deadline become one read: its command answers
 * for all of them, and its result is split back into the result each one's own command would have
 * given. A merged read that was killed at its own deadline leaves each of its parts to be read
 * again unmerged, under its own deadline: one slow file does not time out the others.
 */
export function mergeReads(reads: readonly BatchEntry[]): MergedReads {
  const run: BatchEntry[] = [];
  // For each read: its index in `run`, and for a merged one its part's index there.
  const from: { at: number; part?: number }[] = [];
  const groups = new Map<ReadMerger, Map<number, { reads: number[]; parts: unknown[] }>>();
  reads.forEach((e, i) => {
    if (!e.merge) return;
    const bySeconds = groups.get(e.merge.by) ?? new Map<number, { reads: number[]; parts: unknown[] }>();
    groups.set(e.merge.by, bySeconds);
    const g = bySeconds.get(e.timeoutSeconds) ?? { reads: [], parts: [] };
    bySeconds.set(e.timeoutSeconds, g);
    g.reads.push(i);
    g.parts.push(e.merge.part);
  });
  const merged: { merger: ReadMerger; parts: unknown[] }[] = [];
  reads.forEach((e, i) => {
    const g = e.merge && groups.get(e.merge.by)!.get(e.timeoutSeconds)!;
    if (!g || g.reads.length < 2) {
      from[i] = { at: run.push({ command: e.command, timeoutSeconds: e.timeoutSeconds, sharesShell: e.sharesShell }) - 1 };
      return;
    }
    if (g.reads[0] === i) {
      const by = e.merge!.by;
      const at = run.push({ command: by.command(g.parts), timeoutSeconds: e.timeoutSeconds, sharesShell: by.sharesShell }) - 1;
      merged[at] = { merger: by, parts: g.parts };
      g.reads.forEach((r, part) => (from[r] = { at, part }));
    }
  });
  return {
    run,
    resultsOf(results) {
      const split = results.map((r, at) => {
        const m = merged[at];
        if (!m || !r || r === CUT_SHORT) return undefined;
        // Killed at its own deadline: an answer for none of its parts.
        if (r.timedOut) return [];
        try {
          return m.merger.split(r, m.parts);
        } catch {
          // A merger that fails on some output leaves its reads to their own commands; the batch's
          // other reads keep their results.
          return [];
        }
      });
      const unanswered: number[] = [];
      const cut: number[] = [];
      const out = from.map(({ at, part }, i) => {
        const ran = results[at];
        if (ran === CUT_SHORT) {
          cut.push(i);
          return undefined;
        }
        if (part === undefined) return ran;
        const r = split[at]?.[part];
        if (!r && split[at]) unanswered.push(i);
        return r && { ...r, timedOut: false };
      });
      return { results: out, unanswered, cut };
    },
  };
}
