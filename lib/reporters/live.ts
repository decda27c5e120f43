import type { HostRecap, PlannedHost, Reporter } from '../reporter';
import { redact } from '../secrets';
import type { TaskResult } from '../types';
import { detail, formatDiff, recapLines, seconds } from './format';

/** A piece of a line and how it is painted: colour only ever goes on marks, words and counts. */
interface Segment {
  text: string;
  style?: Style;
}
type Line = Segment[];
type Style = keyof typeof STYLES;

const STYLES = {
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
  brightRed: ['\x1b[91m', '\x1b[39m'],
  magenta: ['\x1b[35m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  bold: ['\x1b[1m', '\x1b[22m'],
} as const;

/** What a task's outcome looks like: each outcome its own mark and colour, readable without colour too. */
export const MARKS = {
  ok: { mark: '✔', style: 'green', word: 'ok' },
  changed: { mark: '●', style: 'yellow', word: 'changed' },
  'would change': { mark: '≠', style: 'magenta', word: 'would change' },
  failed: { mark: '✖', style: 'red', word: 'failed' },
  ignored: { mark: '✗', style: 'yellow', word: 'failed (ignored)' },
  unreachable: { mark: '⊘', style: 'brightRed', word: 'unreachable' },
  skipped: { mark: '↓', style: 'dim', word: 'skipped' },
} as const satisfies Record<string, { mark: string; style: Style; word: string }>;
type Outcome = keyof typeof MARKS;

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function outcomeOf(r: TaskResult): Outcome {
  if (r.status === 'failed') return r.unreachable ? 'unreachable' : r.ignored ? 'ignored' : 'failed';
  return r.status;
}

interface HostState {
  name: string;
  planned: number;
  results: TaskResult[];
  running?: string;
  unreachable?: string;
}

export interface LiveOptions {
  diff: boolean;
  /** Where the view is drawn (a terminal): standard output, or standard error under `--json -`. */
  stream: NodeJS.WriteStream;
  /** ANSI colours; the caller decides from the terminal, NO_COLOR and FORCE_COLOR. */
  color: boolean;
}

/**
 * Live progress on a terminal: one branch per host, redrawn in place while a play runs. Every
 * host's branch shows every result as it arrives (an ignored failure does not stop it), with a
 * mark and colour per outcome. While running, the view is kept within the terminal's height
 * (older ok lines fold into counts); when the play ends, the whole tree is written once, with
 * diffs under --diff, and nothing is left spinning.
 */
export class LiveReporter implements Reporter {
  private hosts = new Map<string, HostState>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private live = false;
  private readonly onExit = () => this.finish();

  constructor(private readonly options: LiveOptions) {}

  playStart(play: string, plan: ReadonlyMap<string, PlannedHost>): void {
    this.hosts.clear();
    for (const [name, { tasks }] of plan) this.hosts.set(name, { name, planned: tasks.length, results: [] });
    this.write(this.paint([{ text: 'PLAY ', style: 'bold' }, { text: play, style: 'bold' }]) + '\n');
    this.live = true;
    this.write('\x1b[?25l');
    process.once('exit', this.onExit);
    this.timer = setInterval(() => {
      this.frame++;
      this.draw();
    }, 100);
    this.timer.unref();
    this.draw();
  }

  taskStart(host: string, task: string, _index?: number): void {
    const h = this.hosts.get(host);
    if (h) h.running = task;
    this.draw();
  }

  taskEnd(result: TaskResult, _index?: number): void {
    const h = this.hosts.get(result.host);
    if (!h) return;
    h.results.push(result);
    h.running = undefined;
    this.draw();
  }

  hostUnreachable(host: string, error: string): void {
    const h = this.hosts.get(host);
    if (h) {
      // The error names the host and says "unreachable" already; the branch says both.
      h.unreachable = error.split('\n')[0].replace(`${host}: unreachable: `, '');
      h.running = undefined;
    }
    this.draw();
  }

  playEnd(): void {
    this.finish();
  }

  recap(recap: Readonly<Record<string, HostRecap>>, check: boolean): void {
    const style = (key: string, n: number): Style | undefined => {
      if (n === 0) return undefined;
      return ({ ok: 'green', changed: check ? 'magenta' : 'yellow', unreachable: 'brightRed', failed: 'red', skipped: 'cyan', ignored: 'yellow' } as Record<string, Style>)[key];
    };
    this.write('\n' + recapLines(recap, check, (key, text, n) => this.paint([{ text, style: style(key, n) }])) + '\n');
  }

  note(line: string): void {
    this.erase();
    this.write(redact(line) + '\n');
    this.draw();
  }

  /** The play's whole tree, written once and left on the screen; the spinner and the hidden cursor end here. */
  private finish(): void {
    if (!this.live) return;
    this.live = false;
    clearInterval(this.timer);
    process.off('exit', this.onExit);
    for (const h of this.hosts.values()) h.running = undefined;
    this.erase();
    this.write(this.render(this.fullLines(true), Infinity) + '\x1b[?25h');
  }

  private draw(): void {
    if (!this.live) return;
    const rows = Math.max(5, (this.options.stream.rows ?? 24) - 2);
    const text = this.render(this.fitted(rows), this.columns());
    this.erase();
    this.write(text);
    this.drawn = text.split('\n').length - 1;
  }

  private erase(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private columns(): number {
    return Math.max(20, (this.options.stream.columns ?? 80) - 1);
  }

  /** The frame that fits: every result, else only what is not ok, else the hosts and what they run. */
  private fitted(rows: number): Line[] {
    for (const level of ['full', 'notable', 'hosts'] as const) {
      const lines = level === 'full' ? this.fullLines(false) : this.foldedLines(level);
      if (lines.length <= rows) return lines;
    }
    const lines = this.foldedLines('hosts');
    const more = lines.length - (rows - 1);
    return [...lines.slice(0, rows - 1), [{ text: `  … ${more} more lines`, style: 'dim' }]];
  }

  private fullLines(final: boolean): Line[] {
    const lines: Line[] = [];
    for (const h of this.hosts.values()) {
      lines.push(this.header(h, false));
      for (const r of h.results) {
        lines.push(this.resultLine(r));
        // The changes are on the task's line already: under --diff, the unified diff goes below it.
        if (final && this.options.diff && r.diff && (r.status === 'changed' || r.status === 'would change')) {
          for (const d of redact(formatDiff(r)).split('\n')) lines.push([{ text: '  ' + d }]);
        }
      }
      if (h.running) lines.push(this.runningLine(h.running));
      const notRun = h.planned - h.results.filter((r) => r.task !== 'gather facts').length;
      if (final && notRun > 0 && (h.unreachable || h.results.some((r) => outcomeOf(r) === 'failed' || outcomeOf(r) === 'unreachable'))) {
        lines.push([{ text: `    · ${notRun} not run`, style: 'dim' }]);
      }
    }
    return lines;
  }

  private foldedLines(level: 'notable' | 'hosts'): Line[] {
    const lines: Line[] = [];
    for (const h of this.hosts.values()) {
      lines.push(this.header(h, true));
      if (level === 'notable') for (const r of h.results) if (outcomeOf(r) !== 'ok' && outcomeOf(r) !== 'skipped') lines.push(this.resultLine(r));
      if (h.running) lines.push(this.runningLine(h.running));
    }
    return lines;
  }

  private header(h: HostState, counts: boolean): Line {
    const outcomes = h.results.map(outcomeOf);
    let mark: Segment;
    if (h.unreachable || outcomes.includes('unreachable')) mark = { text: MARKS.unreachable.mark, style: MARKS.unreachable.style };
    else if (outcomes.includes('failed')) mark = { text: MARKS.failed.mark, style: MARKS.failed.style };
    else if (this.live) mark = { text: SPINNER[this.frame % SPINNER.length], style: 'cyan' };
    else mark = { text: MARKS.ok.mark, style: MARKS.ok.style };
    const line: Line = [mark, { text: ' ' }, { text: h.name, style: 'bold' }];
    const done = h.results.filter((r) => r.task !== 'gather facts').length;
    if (this.live) line.push({ text: `  ${Math.min(done, h.planned)}/${h.planned}`, style: 'dim' });
    if (counts) {
      for (const o of ['ok', 'changed', 'would change', 'skipped', 'ignored', 'failed'] as const) {
        const n = outcomes.filter((x) => x === o).length;
        if (n > 0) line.push({ text: '  ' }, { text: `${n} ${MARKS[o].word}`, style: MARKS[o].style });
      }
    }
    if (h.unreachable) line.push({ text: '  ' }, { text: 'unreachable', style: MARKS.unreachable.style }, { text: `: ${redact(h.unreachable)}` });
    return line;
  }

  private resultLine(r: TaskResult): Line {
    const o = MARKS[outcomeOf(r)];
    const words = redact(detail(r)).replace(/\n/g, ' ⏎ ');
    return [
      { text: '    ' },
      { text: o.mark, style: o.style },
      { text: ` ${redact(r.task)}  ` },
      { text: o.word, style: o.style },
      { text: ` ${seconds(r.durationMs)}${words ? `  ${words}` : ''}` },
    ];
  }

  private runningLine(task: string): Line {
    return [{ text: '    ' }, { text: SPINNER[this.frame % SPINNER.length], style: 'cyan' }, { text: ` ${redact(task)}` }];
  }

  /** Lines cut to the terminal's width (a wrapped line would break the redraw), painted if colour is on. */
  private render(lines: Line[], width: number): string {
    return lines.map((l) => this.paint(truncate(l, width)) + '\n').join('');
  }

  private paint(line: Line): string {
    return line.map((s) => (s.style && this.options.color ? STYLES[s.style][0] + s.text + STYLES[s.style][1] : s.text)).join('');
  }

  private write(text: string): void {
    this.options.stream.write(text);
  }
}

function truncate(line: Line, width: number): Line {
  if (!Number.isFinite(width)) return line;
  const out: Line = [];
  let left = width;
  for (const s of line) {
    const chars = [...s.text];
    if (chars.length <= left) {
      out.push(s);
      left -= chars.length;
      continue;
    }
    if (left > 1) out.push({ ...s, text: chars.slice(0, left - 1).join('') + '…' });
    else if (left === 1) out.push({ ...s, text: '…' });
    break;
  }
  return out;
}
