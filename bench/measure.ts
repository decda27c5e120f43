/**
 * Interleaved timing for bench/run.ts: every command of a group runs once per round (A B C A B C
 * ...), so a change in the machine's load falls on all of them alike. Each run is timed by the
 * clock around the child (wall), and by /usr/bin/time for its CPU (user+sys, the whole tree that
 * was waited for) and its peak RSS (the largest single process of that tree). The 1-minute load
 * average is read before every run: a row says under what load it was measured.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Command {
  id: string;
  /** What the table shows: the command as a user types it. */
  label: string;
  argv: string[];
  env?: Record<string, string>;
  /** Untimed work before each timed run (fresh nodes). */
  prepare?: () => void;
  /** Reads the run's output: returns a note (e.g. `changed=0`) or throws if the run is not what the row claims. */
  verify?: (output: string) => string;
  /** Where a preloaded hook (bench/first-connect.js) writes the time of the first connection. */
  firstConnectFile?: string;
}

export interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
  load1: number;
  note: string;
  firstConnectMs?: number;
}

export interface Row {
  group: string;
  id: string;
  label: string;
  samples: Sample[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Stats {
  runs: number;
  min: number;
  median: number;
  max: number;
  cpuMedian: number;
  rssMaxMb: number;
  loadMin: number;
  loadMax: number;
  firstConnectMedianMs?: number;
  notes: string[];
}

export function stats(r: Row): Stats {
  const w = r.samples.map((s) => s.wall);
  const fc = r.samples.map((s) => s.firstConnectMs).filter((x): x is number => x !== undefined);
  const loads = r.samples.map((s) => s.load1);
  return {
    runs: r.samples.length,
    min: Math.min(...w),
    median: median(w),
    max: Math.max(...w),
    cpuMedian: median(r.samples.map((s) => s.cpu)),
    rssMaxMb: Math.max(...r.samples.map((s) => s.rssMb)),
    loadMin: Math.min(...loads),
    loadMax: Math.max(...loads),
    firstConnectMedianMs: fc.length ? median(fc) : undefined,
    notes: [...new Set(r.samples.map((s) => s.note).filter(Boolean))],
  };
}

function runOnce(c: Command, cwd: string): Sample {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  const timeFile = join(dir, 'time');
  try {
    if (c.firstConnectFile) rmSync(c.firstConnectFile, { force: true });
    const load1 = loadavg()[0];
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, ...c.argv], {
      cwd,
      env: { ...process.env, ...c.env },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const output = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`${c.label}: exit ${r.status}\n${output.slice(-3000)}`);
    const [user, sys, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const note = c.verify ? c.verify(output) : '';
    let firstConnectMs: number | undefined;
    if (c.firstConnectFile) firstConnectMs = Number(readFileSync(c.firstConnectFile, 'utf8').trim().split('\n')[0]);
    return { wall, cpu: user + sys, rssMb: kb / 1024, load1, note, firstConnectMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits (up to `maxSeconds`) for the 1-minute load average to fall below `below`: the average
 * decays slowly, so a group started right after a heavy one (256 light hosts) would otherwise be
 * marked heavy for load that has already gone.
 */
export function settle(below: number, maxSeconds = 180, log?: (s: string) => void): void {
  const end = Date.now() + maxSeconds * 1000;
  while (loadavg()[0] >= below && Date.now() < end) {
    log?.(`load ${loadavg()[0].toFixed(2)}: waiting for it to fall below ${below}`);
    spawnSync('sleep', ['10']);
  }
}

/**
 * Runs every command `runs` times, interleaved: round 1 runs A, B, C; round 2 the same. With
 * `warmup`, one untimed round first (page cache, Ansible's first ssh connection).
 */
export function interleave(group: string, commands: Command[], runs: number, o: { cwd: string; warmup?: boolean; settleBelow?: number; log?: (s: string) => void }): Row[] {
  const rows = commands.map((c) => ({ group, id: c.id, label: c.label, samples: [] as Sample[] }));
  if (o.settleBelow !== undefined) settle(o.settleBelow, 180, o.log);
  if (o.warmup) {
    for (const c of commands) {
      c.prepare?.();
      runOnce(c, o.cwd);
    }
  }
  for (let round = 1; round <= runs; round++) {
    commands.forEach((c, i) => {
      c.prepare?.();
      const s = runOnce(c, o.cwd);
      rows[i].samples.push(s);
      o.log?.(`${group} ${round}/${runs} ${c.id}: ${s.wall.toFixed(3)} s wall, ${s.cpu.toFixed(2)} s cpu, ${s.rssMb.toFixed(0)} MB, load ${s.load1.toFixed(2)}${s.note ? `, ${s.note}` : ''}`);
    });
  }
  return rows;
}
