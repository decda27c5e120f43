/**
 * The HTML report: one self-contained file (inline CSS and JS, no font, image or script from
 * anywhere, and a Content-Security-Policy that forbids fetching any), a host × task matrix per
 * play coloured by status, filters by host, status and play, each changed, drifted or failed
 * cell opening onto its field-level changes and diff, the recap and the run's metadata.
 *
 * Every string comes from a redacted RunRecord and is escaped here: task names, hostnames,
 * diffs and errors may hold `<`, `&` and quotes.
 */
import { ExitCode } from '../exit-codes';
import type { TaskStatus } from '../types';
import type { RecordedResult, RunRecord } from './record';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values alike. */
export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const STATUSES: readonly TaskStatus[] = ['ok', 'changed', 'would change', 'failed', 'skipped'];
const STATUS_CLASS: Record<TaskStatus, string> = { ok: 'ok', changed: 'changed', 'would change': 'drift', failed: 'failed', skipped: 'skipped' };

const EXIT_MEANING: Record<number, string> = {
  [ExitCode.ok]: 'success',
  [ExitCode.failed]: 'a task failed',
  [ExitCode.usage]: 'usage or inventory error',
  [ExitCode.unreachable]: 'a host was unreachable',
  [ExitCode.drift]: 'drift: at least one task would change',
  [ExitCode.planRefused]: 'plan refused: nothing was changed',
  [ExitCode.interrupted]: 'interrupted',
};

/** One row of the matrix: a step (or a handler) of a play, with each host's result. */
interface Row {
  play: number;
  key: string;
  label: string;
  module: string;
  handler: boolean;
  cells: Map<string, RecordedResult>;
}

/** `writeFile /srv/a/host1/motd` and `.../host2/motd` → `writeFile /srv/a/host…/motd`. */
function commonLabel(names: readonly string[]): string {
  const unique = [...new Set(names)];
  if (unique.length === 1) return unique[0];
  let pre = unique[0];
  for (const n of unique) while (!n.startsWith(pre)) pre = pre.slice(0, -1);
  let suf = unique[0].slice(pre.length);
  for (const n of unique) while (!n.slice(pre.length).endsWith(suf)) suf = suf.slice(1);
  return pre || suf ? `${pre}…${suf}` : unique.join(' / ');
}

function rowsOf(record: RunRecord): Row[] {
  const rows: Row[] = [];
  record.plays.forEach((play, p) => {
    const byKey = new Map<string, Row>();
    for (const r of play.results) {
      const key = r.handler ? `h:${r.task}` : r.module === 'facts' ? `f:${r.step}` : `s:${r.step}`;
      let row = byKey.get(key);
      if (!row) {
        row = { play: p, key, label: '', module: r.module, handler: r.handler, cells: new Map() };
        byKey.set(key, row);
      }
      row.cells.set(r.host, r);
    }
    const ordered = [...byKey.values()].sort((a, b) => {
      const sa = [...a.cells.values()][0].step;
      const sb = [...b.cells.values()][0].step;
      return sa - sb || Number(a.handler) - Number(b.handler);
    });
    for (const row of ordered) row.label = commonLabel([...row.cells.values()].map((r) => r.task));
    rows.push(...ordered);
  });
  return rows;
}

function formatChange(c: { field: string; from?: string; to?: string }): string {
  if (c.from === undefined && c.to === undefined) return c.field;
  if (c.from === undefined) return `${c.field}: ${c.to}`;
  return `${c.field}: ${c.from} → ${c.to ?? '(absent)'}`;
}

function diffHtml(diff: string): string {
  const lines = diff
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('=====') && !l.startsWith('Index: '));
  return lines
    .map((l) => {
      const cls = l.startsWith('+++') || l.startsWith('---') ? 'dh' : l.startsWith('+') ? 'da' : l.startsWith('-') ? 'dd' : l.startsWith('@@') ? 'dh' : '';
      return cls ? `<span class="${cls}">${escapeHtml(l)}</span>` : escapeHtml(l);
    })
    .join('\n');
}

function detailHtml(r: RecordedResult): string {
  const parts: string[] = [`<div class="dt"><b>${escapeHtml(r.host)}</b> · ${escapeHtml(r.task)} · <span class="st ${STATUS_CLASS[r.status]}">${escapeHtml(r.status)}</span> · ${(r.durationMs / 1000).toFixed(2)}s</div>`];
  if (r.changes.length > 0) {
    parts.push(
      '<table class="changes"><thead><tr><th>field</th><th>from</th><th>to</th></tr></thead><tbody>' +
        r.changes
          .map((c) => `<tr><td>${escapeHtml(c.field)}</td><td>${escapeHtml(c.from ?? '')}</td><td>${escapeHtml(c.to ?? '')}</td></tr>`)
          .join('') +
        '</tbody></table>',
    );
  }
  if (r.diff) parts.push(`<pre class="diff">${diffHtml(r.diff)}</pre>`);
  if (r.error) parts.push(`<pre class="error">${escapeHtml(r.error)}</pre>`);
  if (r.message) parts.push(`<p class="msg">${escapeHtml(r.message)}</p>`);
  if (r.output && (r.output.stdout || r.output.stderr)) parts.push(`<pre class="out">${escapeHtml((r.output.stdout + r.output.stderr).trimEnd())}</pre>`);
  return parts.join('');
}

const expandable = (r: RecordedResult) => r.status === 'changed' || r.status === 'would change' || r.status === 'failed';

function cellText(r: RecordedResult): string {
  if (r.status === 'changed' || r.status === 'would change') return r.changes.map(formatChange).join('; ');
  if (r.status === 'failed') return (r.error ?? 'failed').split('\n')[0];
  return r.message ?? '';
}

/** The whole report as one HTML document. */
export function renderHtml(record: RunRecord, options: { generatedAt?: Date } = {}): string {
  const rows = rowsOf(record);
  const hosts = [...new Set([...Object.keys(record.recap), ...record.plays.flatMap((p) => p.hosts)])];
  const counts: Record<string, number> = {};
  for (const r of record.plays.flatMap((p) => p.results)) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const mode = record.plan ? 'apply (following a plan)' : record.check ? 'check (nothing was changed)' : 'apply';
  const title = `keel ${record.check ? 'check' : 'run'}: ${record.playbook}`;

  const meta: [string, string][] = [
    ['playbook', record.playbook],
    ['inventory', record.inventory],
    ['mode', mode],
    ...(record.limit ? [['limit', record.limit] as [string, string]] : []),
    ['commit', record.commit ?? '(not in a git repository)'],
    ['started', record.startedAt],
    ['duration', `${(record.durationMs / 1000).toFixed(2)}s`],
    ['exit code', `${record.exitCode} (${EXIT_MEANING[record.exitCode] ?? 'unknown'})`],
    ...(record.plan ? [['plan', `${record.plan.file} (made ${record.plan.createdAt})`] as [string, string]] : []),
    ['report written', (options.generatedAt ?? new Date()).toISOString()],
  ];

  let detailId = 0;
  const matrix = record.plays
    .map((play, p) => {
      const playRows = rows.filter((r) => r.play === p);
      const head = `<tr><th class="task">task</th>${hosts.map((h) => `<th class="host" data-host="${escapeHtml(h)}">${escapeHtml(h)}</th>`).join('')}</tr>`;
      const body = playRows
        .map((row) => {
          const details: string[] = [];
          const cells = hosts
            .map((h) => {
              const r = row.cells.get(h);
              if (!r) return `<td class="cell none" data-host="${escapeHtml(h)}" data-status="none" title="not run on ${escapeHtml(h)}">·</td>`;
              const cls = STATUS_CLASS[r.status];
              const tip = `${r.host}: ${r.task} — ${r.status}${cellText(r) ? `: ${cellText(r)}` : ''}`;
              if (!expandable(r)) {
                return `<td class="cell ${cls}" data-host="${escapeHtml(h)}" data-status="${escapeHtml(r.status)}" title="${escapeHtml(tip)}">${escapeHtml(r.status)}</td>`;
              }
              const id = `d${++detailId}`;
              details.push(
                `<tr class="detail" id="${id}" hidden data-host="${escapeHtml(h)}" data-status="${escapeHtml(r.status)}"><td colspan="${hosts.length + 1}">${detailHtml(r)}</td></tr>`,
              );
              return `<td class="cell ${cls}" data-host="${escapeHtml(h)}" data-status="${escapeHtml(r.status)}" title="${escapeHtml(tip)}"><button type="button" class="open" aria-expanded="false" aria-controls="${id}">${escapeHtml(r.status)} ▸</button></td>`;
            })
            .join('');
          const label = `${row.handler ? '<span class="tag">handler</span> ' : ''}${escapeHtml(row.label)} <span class="mod">${escapeHtml(row.module)}</span>`;
          return `<tr class="row" data-play="${p}"><th class="task" title="${escapeHtml(row.label)}">${label}</th>${cells}</tr>${details.join('')}`;
        })
        .join('\n');
      return `<section class="play" data-play="${p}"><h2>PLAY ${escapeHtml(play.name)}</h2><div class="scroll"><table class="matrix"><thead>${head}</thead><tbody>${body || `<tr><td colspan="${hosts.length + 1}">no task ran</td></tr>`}</tbody></table></div></section>`;
    })
    .join('\n');

  const recapCols: [string, keyof RunRecord['recap'][string]][] = [
    ['ok', 'ok'],
    [record.check ? 'would change' : 'changed', record.check ? 'wouldChange' : 'changed'],
    ['failed', 'failed'],
    ['skipped', 'skipped'],
    ['unreachable', 'unreachable'],
    ['ignored', 'ignored'],
  ];
  const recap =
    `<table class="recap"><thead><tr><th>host</th>${recapCols.map(([n]) => `<th>${escapeHtml(n)}</th>`).join('')}</tr></thead><tbody>` +
    Object.entries(record.recap)
      .map(([h, c]) => `<tr data-host="${escapeHtml(h)}"><th>${escapeHtml(h)}</th>${recapCols.map(([, k]) => `<td class="${c[k] > 0 && k !== 'ok' ? 'nz' : ''}">${c[k]}</td>`).join('')}</tr>`)
      .join('') +
    '</tbody></table>';
  const unreachable = Object.entries(record.unreachable)
    .map(([h, e]) => `<li><b>${escapeHtml(h)}</b>: <code>${escapeHtml(e)}</code></li>`)
    .join('');
  const refused = (record.refused ?? []).map((l) => `<li>${escapeHtml(l)}</li>`).join('');

  const filters =
    `<label>host <select id="f-host"><option value="">all hosts</option>${hosts.map((h) => `<option value="${escapeHtml(h)}">${escapeHtml(h)}</option>`).join('')}</select></label>` +
    `<label>play <select id="f-play"><option value="">all plays</option>${record.plays.map((p, i) => `<option value="${i}">${escapeHtml(p.name)}</option>`).join('')}</select></label>` +
    `<fieldset id="f-status"><legend>status</legend>${STATUSES.map(
      (s) => `<label class="st ${STATUS_CLASS[s]}"><input type="checkbox" value="${escapeHtml(s)}" checked> ${escapeHtml(s)} <span class="n">${counts[s] ?? 0}</span></label>`,
    ).join('')}</fieldset>` +
    `<button type="button" id="only-drift">only changes, drift and failures</button> <button type="button" id="show-all">show all</button> <button type="button" id="expand-all">open every detail</button>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="summary">${STATUSES.filter((s) => counts[s]).map((s) => `<span class="st ${STATUS_CLASS[s]}">${counts[s]} ${escapeHtml(s)}</span>`).join(' ')}</p>
<table class="meta"><tbody>${meta.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>
${refused ? `<div class="refused"><h2>plan refused</h2><ul>${refused}</ul></div>` : ''}
</header>
<nav class="filters">${filters}</nav>
<main>
${matrix}
<section><h2>RECAP${record.check ? ' (check mode: nothing was changed)' : ''}</h2>${recap}${unreachable ? `<h3>unreachable</h3><ul>${unreachable}</ul>` : ''}</section>
</main>
<script>${JS}</script>
</body>
</html>
`;
}

const CSS = `
:root{--ok:#d9f2dd;--okb:#2e7d32;--ch:#fff1c2;--chb:#9a6b00;--dr:#ffd9b3;--drb:#b34700;--fa:#ffd0d0;--fab:#b00020;--sk:#e8e8ee;--skb:#555;--bd:#ccd}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b24;background:#fafafc}
header,nav,main{padding:12px 20px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:16px;margin:18px 0 8px}
table{border-collapse:collapse}
.meta th{text-align:left;font-weight:600;padding:1px 12px 1px 0;color:#555}
.meta td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.summary .st{margin-right:6px}
.st{display:inline-block;padding:1px 8px;border-radius:10px;border:1px solid var(--bd);font-size:12px}
.st.ok{background:var(--ok);color:var(--okb)}.st.changed{background:var(--ch);color:var(--chb)}.st.drift{background:var(--dr);color:var(--drb)}
.st.failed{background:var(--fa);color:var(--fab)}.st.skipped{background:var(--sk);color:var(--skb)}
nav.filters{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--bd);display:flex;flex-wrap:wrap;gap:12px;align-items:center;z-index:2}
fieldset{border:0;margin:0;padding:0;display:flex;gap:6px;align-items:center}
legend{float:left;margin-right:6px;font-weight:600}
.n{opacity:.7}
.scroll{overflow-x:auto;border:1px solid var(--bd);background:#fff}
.matrix th,.matrix td{border:1px solid #e3e3ea;padding:4px 8px;vertical-align:top}
.matrix thead th{background:#f0f0f5;position:sticky;top:0}
.matrix th.task{text-align:left;font-weight:500;max-width:38em;overflow-wrap:anywhere}
.mod{color:#777;font-size:11px;font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.tag{background:#e5e0ff;color:#4a3aa8;border-radius:4px;padding:0 4px;font-size:11px}
.cell{text-align:center;white-space:nowrap;font-size:12px}
.cell.ok{background:var(--ok);color:var(--okb)}.cell.changed{background:var(--ch);color:var(--chb);font-weight:600}
.cell.drift{background:var(--dr);color:var(--drb);font-weight:600}.cell.failed{background:var(--fa);color:var(--fab);font-weight:600}
.cell.skipped{background:var(--sk);color:var(--skb)}.cell.none{color:#aaa}
.cell button{all:unset;cursor:pointer;display:block;width:100%}
.cell button:focus-visible{outline:2px solid #335}
tr.detail>td{background:#fff;border-left:4px solid var(--drb);padding:8px 12px}
.dt{margin-bottom:6px}
.changes th,.changes td{border:1px solid #e3e3ea;padding:2px 8px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;text-align:left}
pre{background:#f6f6f9;border:1px solid #e3e3ea;padding:8px;overflow-x:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre}
.da{color:#116329;background:#e6ffec;display:inline-block;width:100%}.dd{color:#82071e;background:#ffebe9;display:inline-block;width:100%}.dh{color:#555}
pre.error{background:#fff5f5;color:var(--fab)}
.recap th,.recap td{border:1px solid #e3e3ea;padding:3px 10px;text-align:right}.recap th:first-child{text-align:left}
.recap td.nz{font-weight:700}
.refused{border:2px solid var(--fab);background:#fff5f5;padding:4px 12px;margin-top:10px}
.cell.dim{opacity:.3}
.hidden{display:none !important}
@media print{nav.filters{display:none}tr.detail{display:table-row !important}}
`;

/** Filtering and opening details; no network, no storage, no eval. */
const JS = `
(function(){
  var host=document.getElementById('f-host'),play=document.getElementById('f-play');
  var boxes=[].slice.call(document.querySelectorAll('#f-status input'));
  function statuses(){var s={};boxes.forEach(function(b){if(b.checked)s[b.value]=1});return s;}
  function apply(){
    var h=host.value,p=play.value,s=statuses();
    [].slice.call(document.querySelectorAll('section.play')).forEach(function(sec){
      var playShown=p===''||sec.getAttribute('data-play')===p;
      sec.classList.toggle('hidden',!playShown);
      [].slice.call(sec.querySelectorAll('[data-host]')).forEach(function(el){
        if(el.tagName==='TR')return;
        el.classList.toggle('hidden',h!==''&&el.getAttribute('data-host')!==h);
      });
      [].slice.call(sec.querySelectorAll('tr.row')).forEach(function(row){
        var any=false;
        [].slice.call(row.querySelectorAll('td.cell')).forEach(function(td){
          var mine=(h===''||td.getAttribute('data-host')===h)&&s[td.getAttribute('data-status')];
          td.classList.toggle('dim',!mine);
          if(mine)any=true;
        });
        row.classList.toggle('hidden',!any);
      });
      [].slice.call(sec.querySelectorAll('tr.detail')).forEach(function(d){
        var row=d.previousElementSibling;while(row&&!row.classList.contains('row'))row=row.previousElementSibling;
        var shown=(h===''||d.getAttribute('data-host')===h)&&s[d.getAttribute('data-status')]&&row&&!row.classList.contains('hidden');
        d.classList.toggle('hidden',!shown);
      });
    });
    [].slice.call(document.querySelectorAll('.recap tbody tr')).forEach(function(tr){tr.classList.toggle('hidden',h!==''&&tr.getAttribute('data-host')!==h);});
  }
  host.addEventListener('change',apply);play.addEventListener('change',apply);
  boxes.forEach(function(b){b.addEventListener('change',apply)});
  document.getElementById('only-drift').addEventListener('click',function(){boxes.forEach(function(b){b.checked=b.value==='changed'||b.value==='would change'||b.value==='failed'});apply();});
  document.getElementById('show-all').addEventListener('click',function(){boxes.forEach(function(b){b.checked=true});host.value='';play.value='';apply();});
  document.addEventListener('click',function(e){
    var b=e.target.closest&&e.target.closest('button.open');if(!b)return;
    var d=document.getElementById(b.getAttribute('aria-controls'));if(!d)return;
    var open=d.hasAttribute('hidden');
    if(open)d.removeAttribute('hidden');else d.setAttribute('hidden','');
    b.setAttribute('aria-expanded',open?'true':'false');
    b.textContent=b.textContent.replace(open?'▸':'▾',open?'▾':'▸');
  });
  document.getElementById('expand-all').addEventListener('click',function(){
    [].slice.call(document.querySelectorAll('button.open')).forEach(function(b){
      var d=document.getElementById(b.getAttribute('aria-controls'));
      if(d&&d.hasAttribute('hidden'))b.click();
    });
  });
  apply();
})();
`;
