import { XMLParser } from 'fast-xml-parser';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyRecap, type HostRecap } from '../../lib/reporter';
import { recapLines } from '../../lib/reporters/format';
import { junitXml } from '../../lib/reporters/junit';
import { LiveReporter, MARKS } from '../../lib/reporters/live';
import { PlainReporter } from '../../lib/reporters/plain';
import type { RunReport } from '../../lib/runner';
import { registerSecret } from '../../lib/secrets';
import type { TaskResult } from '../../lib/types';

const recap = (r: Partial<HostRecap>): HostRecap => ({ ...emptyRecap(), ...r });

test('the recap is Ansible\'s line form: ok counts changed tasks too, so CI greps written for Ansible work', () => {
  const text = recapLines({ node1: recap({ ok: 16 }), node2: recap({ ok: 10, changed: 6, skipped: 1, ignored: 2 }) }, false);
  assert.equal(text.split('\n'), [
    'PLAY RECAP',
    'node1 : ok=16 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0',
    'node2 : ok=16 changed=6 unreachable=0 failed=0 skipped=1 rescued=0 ignored=2',
  ]);
  assert.match(text, /changed=[1-9]/);
  assert.not.match(recapLines({ node1: recap({ ok: 16 }) }, false), /changed=[1-9]/);
});

test('in check mode changed= counts what would change; host names line up', () => {
  const text = recapLines({ a: recap({ ok: 2, wouldChange: 3 }), 'longer-name': recap({ failed: 1, unreachable: 1 }) }, true);
  const [head, a, b] = text.split('\n');
  assert.match(head, 'check mode');
  assert.is(a, 'a           : ok=5 changed=3 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0');
  assert.is(b, 'longer-name : ok=0 changed=0 unreachable=1 failed=1 skipped=0 rescued=0 ignored=0');
});

test('the plain reporter prints the recap lines', () => {
  const lines: string[] = [];
  new PlainReporter({ diff: false, write: (l) => lines.push(l) }).recap({ web1: recap({ ok: 1, changed: 1 }) }, false);
  assert.ok(lines.join('\n').split('\n').includes('web1 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0'), lines.join('\n'));
});

const result = (host: string, task: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult => ({
  host,
  task,
  module: 'writeFile',
  status,
  changes: [],
  durationMs: 120,
  ...extra,
});

function report(check: boolean, results: TaskResult[], unreachable: Record<string, string> = {}): RunReport {
  return {
    check,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1500,
    exitCode: 0,
    interrupted: false,
    recap: {},
    unreachable,
    plays: [{ name: 'site <web>', hosts: ['h1', 'h2', 'h3'], results }],
  };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' || name === 'testsuite' });

test('JUnit: a testcase per host and task; failures fail, ignored failures pass, skips are skipped, a lost host is an error', () => {
  registerSecret('hunter2-the-secret');
  const xml = junitXml(
    report(
      false,
      [
        result('h1', 'writeFile /etc/motd', 'ok', { message: 'content is as wanted' }),
        result('h1', 'writeFile /etc/app.conf', 'changed', { changes: [{ field: 'content', from: 'a', to: 'b' }] }),
        result('h1', 'command false', 'failed', { error: 'command failed (exit 1): hunter2-the-secret \x1b[31mred\x1b[0m \x00 & <tag>' }),
        result('h2', 'command false', 'failed', { error: 'ignored this', ignored: true }),
        result('h2', 'service x', 'skipped', { message: 'condition is false' }),
        result('h2', 'writeFile /y', 'failed', { error: 'connection lost', unreachable: true }),
      ],
      { h3: 'connection refused by root@127.0.0.1:1' },
    ),
    'site',
  );
  const doc = parser.parse(xml);
  const suites = doc.testsuites;
  assert.equal([suites.tests, suites.failures, suites.errors, suites.skipped], ['7', '1', '2', '1']);
  const cases = suites.testsuite[0].testcase as Record<string, any>[];
  assert.equal(
    cases.map((c) => [c.classname, c.name, c.failure ? 'failure' : c.error ? 'error' : c.skipped !== undefined ? 'skipped' : 'pass']),
    [
      ['h1', 'writeFile /etc/motd', 'pass'],
      ['h1', 'writeFile /etc/app.conf', 'pass'],
      ['h1', 'command false', 'failure'],
      ['h2', 'command false', 'pass'],
      ['h2', 'service x', 'skipped'],
      ['h2', 'writeFile /y', 'error'],
      ['h3', 'connect', 'error'],
    ],
  );
  assert.is(suites.testsuite[0].name, 'site <web>');
  assert.is(cases[0].time, '0.120');
  const failure = cases[2].failure;
  assert.is(failure.type, 'failed');
  assert.ok(!xml.includes('hunter2-the-secret'), 'secrets are redacted');
  assert.ok(!xml.includes('\x1b') && !xml.includes('\x00'), 'no control characters in XML');
  assert.match(failure['#text'], '& <tag>');
  assert.match(cases[3]['system-out'], 'failed (ignored): ignored this');
});

test('JUnit in check mode: a task that would change is a failure of type drift, with its diff', () => {
  const xml = junitXml(
    report(true, [
      result('h1', 'writeFile /etc/motd', 'ok'),
      result('h2', 'writeFile /etc/motd', 'would change', { changes: [{ field: 'content', from: 'x', to: 'y' }], diff: '-x\n+y\n' }),
    ]),
    'site',
  );
  const doc = parser.parse(xml);
  assert.is(doc.testsuites.failures, '1');
  assert.match(doc.testsuites.name, '(check)');
  const drift = doc.testsuites.testsuite[0].testcase[1].failure;
  assert.is(drift.type, 'drift');
  assert.match(drift.message, 'would change: content: x → y');
  assert.match(drift['#text'], '+y');
  // The same result outside check mode (it cannot happen, but the rule is check-only).
  assert.is(parser.parse(junitXml(report(false, [result('h1', 't', 'ok')]), 'site')).testsuites.failures, '0');
});

/** A stand-in terminal: the live view only needs write, columns and rows. */
function fakeTerminal(columns = 160, rows = 40) {
  const chunks: string[] = [];
  const stream = { isTTY: true, columns, rows, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, chunks, text: () => chunks.join('') };
}

// eslint-disable-next-line no-control-regex
const COLOUR = /\x1b\[(3\d|9\d|2|1)m/;
// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

async function livePlay(color: boolean, rows = 40) {
  const term = fakeTerminal(160, rows);
  const live = new LiveReporter({ diff: true, stream: term.stream, color });
  live.playStart('site', new Map([
    ['h1', { tasks: ['t1', 'command false', 't3', 'command boom', 't5'], handlers: [] }],
    ['h2', { tasks: ['t1', 'command false', 't3', 'command boom', 't5'], handlers: [] }],
    ['h3', { tasks: ['t1'], handlers: [] }],
  ]));
  live.taskStart('h1', 't1', 0);
  live.taskEnd(result('h1', 't1', 'ok'), 0);
  live.taskEnd(result('h2', 't1', 'changed', { changes: [{ field: 'content', from: 'a', to: 'b' }], diff: '-a\n+b\n' }), 0);
  live.hostUnreachable('h3', 'h3: unreachable: connection refused by root@127.0.0.1:9');
  live.taskEnd(result('h1', 'command false', 'failed', { error: 'exit 1', ignored: true }), 1);
  live.taskEnd(result('h2', 'command false', 'skipped', { message: 'condition is false' }), 1);
  live.taskEnd(result('h1', 't3', 'would change', { changes: [{ field: 'mode', from: '0600', to: '0644' }] }), 2);
  live.taskStart('h1', 'command boom', 3);
  await new Promise((r) => setTimeout(r, 250));
  const running = term.text();
  live.taskEnd(result('h1', 'command boom', 'failed', { error: 'boom happened' }), 3);
  live.taskEnd(result('h2', 't3', 'failed', { error: 'connection lost', unreachable: true }), 2);
  live.playEnd();
  const atEnd = term.chunks.length;
  live.recap({ h1: recap({ ok: 1, failed: 1, ignored: 1, wouldChange: 1 }), h2: recap({ changed: 1, skipped: 1, unreachable: 1 }), h3: recap({ unreachable: 1 }) }, false);
  await new Promise((r) => setTimeout(r, 250));
  return { term, running, atEnd, final: term.chunks[atEnd - 1] };
}

test('live view: a host goes on after an ignored failure, and its later real failure is shown', async () => {
  const { final } = await livePlay(false);
  const lines = strip(final).split('\n');
  const h1 = lines.slice(lines.findIndex((l) => l.includes('h1')), lines.findIndex((l) => l.includes('h2')));
  assert.ok(h1.some((l) => l.includes(`${MARKS.ignored.mark} command false  failed (ignored)`)), h1.join('\n'));
  assert.ok(h1.some((l) => l.includes(`${MARKS['would change'].mark} t3  would change`)), h1.join('\n'));
  assert.ok(h1.some((l) => l.includes(`${MARKS.failed.mark} command boom  failed`) && l.includes('boom happened')), h1.join('\n'));
  assert.ok(h1[0].startsWith(MARKS.failed.mark), `host marked failed: ${h1[0]}`);
  assert.ok(lines.some((l) => l.endsWith(`${MARKS.unreachable.mark} h3  unreachable: connection refused by root@127.0.0.1:9`)), `unreachable host, said once:\n${lines.join('\n')}`);
  assert.ok(lines.some((l) => l.includes(`${MARKS.unreachable.mark} t3  unreachable`)), 'a host lost during a task');
  assert.ok(lines.some((l) => l.includes(`${MARKS.changed.mark} t1  changed`)), 'changed');
  assert.ok(lines.some((l) => l.trim() === '+b'), 'diff under --diff');
});

test('live view: every outcome has its own mark and colour', async () => {
  const marks = Object.values(MARKS).map((m) => m.mark);
  assert.is(new Set(marks).size, marks.length, 'distinct marks');
  for (const o of ['would change', 'unreachable', 'failed', 'changed'] as const) {
    assert.not.equal(MARKS[o].style, MARKS.ok.style, `${o} is not painted like ok`);
    assert.not.equal(MARKS[o].mark, MARKS.ok.mark, `${o} has no ok mark`);
  }
  const { final } = await livePlay(true);
  assert.ok(final.includes(`\x1b[35m${MARKS['would change'].mark}\x1b[39m`), 'would change in magenta');
  assert.ok(final.includes(`\x1b[91m${MARKS.unreachable.mark}\x1b[39m`), 'unreachable in bright red');
  assert.ok(final.includes(`\x1b[31m${MARKS.failed.mark}\x1b[39m`), 'failed in red');
  assert.ok(final.includes(`\x1b[33m${MARKS.changed.mark}\x1b[39m`), 'changed in yellow');
  assert.ok(final.includes(`\x1b[32m${MARKS.ok.mark}\x1b[39m`), 'ok in green');
});

test('live view without colour (NO_COLOR): no colour codes at all, marks and words still there', async () => {
  const { term, final } = await livePlay(false);
  assert.not.match(term.text(), COLOUR);
  assert.match(strip(final), `${MARKS['would change'].mark} t3  would change`);
});

test('live view: a spinner while a task runs; none after the play, the cursor shown again, nothing drawn after the recap', async () => {
  const { term, running, atEnd, final } = await livePlay(false);
  assert.match(running, SPINNER);
  assert.match(running, '\x1b[?25l');
  assert.not.match(final, SPINNER);
  assert.ok(final.endsWith('\x1b[?25h'), 'cursor shown again');
  assert.is(term.chunks.length, atEnd + 1, 'only the recap after the play ended');
  assert.not.match(term.chunks[atEnd], SPINNER);
});

test('live view: while running, the frame fits the terminal; the final tree is whole', async () => {
  const term = fakeTerminal(60, 12);
  const live = new LiveReporter({ diff: false, stream: term.stream, color: false });
  const tasks = Array.from({ length: 20 }, (_, i) => `task ${i}`);
  live.playStart('big', new Map(['a', 'b', 'c'].map((h) => [h, { tasks, handlers: [] }])));
  for (const h of ['a', 'b', 'c']) for (let i = 0; i < 19; i++) live.taskEnd(result(h, `task ${i} ${'x'.repeat(80)}`, i === 3 ? 'changed' : 'ok'), i);
  const frames = term.text().split('\x1b[J').slice(1, -1);
  const last = frames[frames.length - 1];
  assert.ok(last.split('\n').length - 1 <= 10, `frame of ${last.split('\n').length - 1} lines in 12 rows`);
  assert.ok(strip(last).split('\n').every((l) => [...l].length <= 59), 'no line wider than the terminal');
  live.playEnd();
  const final = strip(term.chunks[term.chunks.length - 1]);
  assert.is(final.split('\n').filter((l) => l.includes('task ')).length, 57, 'every result in the final tree');
});

test.run();
