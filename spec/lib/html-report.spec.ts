import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeHtml, renderHtml } from '../../lib/report/html';
import type { RecordedResult, RunRecord } from '../../lib/report/record';

const HOSTILE = `<img src=x onerror="alert(1)">&amp;'"`;

function result(over: Partial<RecordedResult>): RecordedResult {
  return { host: 'web1', task: 't', module: 'writeFile', status: 'ok', changes: [], durationMs: 10, play: 0, step: 0, handler: false, ...over };
}

function record(results: RecordedResult[], over: Partial<RunRecord> = {}): RunRecord {
  const hosts = [...new Set(results.map((r) => r.host))];
  return {
    format: 'keel-run/1',
    playbook: `pb ${HOSTILE}`,
    inventory: `inv ${HOSTILE}`,
    limit: null,
    commit: `abc ${HOSTILE}`,
    check: true,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1234,
    exitCode: 4,
    interrupted: false,
    recap: Object.fromEntries(hosts.map((h) => [h, { ok: 1, changed: 0, wouldChange: 1, failed: 0, skipped: 0, unreachable: 0, ignored: 0 }])),
    unreachable: {},
    plays: [{ name: `play ${HOSTILE}`, hosts, results }],
    ...over,
  };
}

test('escapeHtml escapes the five characters that matter in text and attributes', () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('every string from the run is escaped: names, hosts, changes, diffs, errors, metadata', () => {
  const host = `h<${'"'}1>`;
  const html = renderHtml(
    record([
      result({ host, task: `task ${HOSTILE}`, status: 'would change', changes: [{ field: `f ${HOSTILE}`, from: HOSTILE, to: HOSTILE }], diff: `--- a\n+++ b\n-${HOSTILE}\n+</pre><script>x()</script>\n` }),
      result({ host: 'web2', task: `task ${HOSTILE}`, status: 'failed', error: `boom ${HOSTILE}` }),
    ]),
  );
  assert.not.match(html, '<img');
  assert.not.match(html, '<script>x()');
  assert.not.match(html, 'h<"1>');
  assert.not.match(html, '</pre><script>');
  assert.match(html, '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;&#39;&quot;');
  assert.match(html, 'data-host="h&lt;&quot;1&gt;"');
  // One script only, ours; no URL, no external resource.
  assert.is(html.split('<script>').length, 2);
  assert.not.match(html, /https?:\/\//);
  // Attribute values (always double-quoted, and holding no raw quote) set aside: no element loads or links anything.
  assert.not.match(html.replace(/"[^"]*"/g, '""'), /<[a-z][^>]*\s(src|href|srcset|action)\s*=/i);
});

test('a task whose name holds the host lines up in one row; handlers and failures are marked; recap and metadata shown', () => {
  const html = renderHtml(
    record([
      result({ host: 'web1', task: 'writeFile /srv/web1/motd', status: 'ok', step: 0 }),
      result({ host: 'web2', task: 'writeFile /srv/web2/motd', status: 'would change', step: 0, changes: [{ field: 'content', from: 'sha256:aaa', to: 'sha256:bbb' }] }),
      result({ host: 'web2', task: 'restart', status: 'would change', step: 1, handler: true, changes: [{ field: 'service', to: 'restarted' }] }),
    ]),
  );
  assert.is((html.match(/<tr class="row"/g) ?? []).length, 2, 'two rows: the step and the handler');
  assert.match(html, 'writeFile /srv/web…/motd');
  assert.match(html, '<span class="tag">handler</span> restart');
  assert.match(html, 'sha256:aaa');
  assert.match(html, '4 (drift: at least one task would change)');
  assert.match(html, 'class="recap"');
});

test.run();
