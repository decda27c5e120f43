/**
 * bench/RESULTS.md from one bench run (bench/run.ts): the tables, the verdicts against issue 13's
 * targets, the machine, and bench/NOTES.md (how the rows are built, hand-written).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { stats, type Row, type Stats } from './measure';

export interface Breakdown {
  tool: string;
  byKind: Record<string, number>;
}

export interface Results {
  commit: string;
  dirty: boolean;
  rows: Row[];
  breakdowns: Breakdown[];
  facts: string[];
  runs: number;
  freshRuns: number;
  /** When the run was made (ISO). */
  date: string;
  fanoutSizes: number[];
}

/** A 1-minute load average above this (2 per core) marks a row as measured under heavy load. */
const HEAVY_LOAD = 2 * cpus().length;

/** Fan-out rows make their own load: N sessions at once on this machine's cores (see NOTES). */
const ownLoad = (r: Row): boolean => r.group.startsWith('fanout');

const s3 = (x: number): string => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

function v(cmd: string): string {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

function machine(): string {
  return [
    `- CPUs (\`nproc\`): ${v('nproc')};${v("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")}; memory: ${v("free -h | awk '/Mem:/ {print $2}'")}`,
    `- ${v('. /etc/os-release; echo $PRETTY_NAME')}, kernel ${v('uname -r')}`,
    `- node ${v('node --version')}, ts-node ${v('node_modules/.bin/ts-node --version')}, typescript ${v("node -p \"require('typescript/package.json').version\"")}, @swc/core ${v("node -p \"require('@swc/core/package.json').version\"")}`,
    `- ssh2 ${v("node -p \"require('ssh2/package.json').version\"")}, its native crypto addon ${v("test -e node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node && echo built || echo 'not built (npm skipped its install script)'")}`,
    `- ${v('ansible-playbook --version | head -1')}, python ${v('python3 --version')}`,
    `- ${v('ssh -V 2>&1')}`,
  ].join('\n');
}

function table(rows: Row[]): string {
  const head = [
    '| command | runs | min (s) | median (s) | max (s) | CPU median (s) | peak RSS (MB) | to 1st connection (ms) | load (1 min) | notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  const lines = rows.map((r) => {
    const s = stats(r);
    const heavy = s.loadMin <= HEAVY_LOAD ? '' : ownLoad(r) ? ' (its own)' : ' **heavy**';
    const fc = s.firstConnectMedianMs !== undefined ? s.firstConnectMedianMs.toFixed(0) : '';
    return `| \`${r.label}\` | ${s.runs} | ${s3(s.min)} | ${s3(s.median)} | ${s3(s.max)} | ${s.cpuMedian.toFixed(2)} | ${s.rssMaxMb.toFixed(0)} | ${fc} | ${s.loadMin.toFixed(2)}–${s.loadMax.toFixed(2)}${heavy} | ${s.notes.join(', ')} |`;
  });
  return [...head, ...lines].join('\n');
}

export function writeResults(res: Results): string {
  const group = (g: string) => res.rows.filter((r) => r.group === g);
  const get = (g: string, id: string): Stats | undefined => {
    const r = res.rows.find((x) => x.group === g && x.id === id);
    return r ? stats(r) : undefined;
  };
  const sections: string[] = [];
  const titles: [string, string][] = [
    ['startup', 'Start-up: `--help` returns before the inventory is read'],
    ['nochange', 'ha-asterisk, no-change run on the two-node lab cluster keel configured'],
    ['check', 'ha-asterisk, check mode on the same cluster (no drift)'],
    ...res.fanoutSizes.map((n): [string, string] => [`fanout ${n}`, `Fan-out, ${n} light host${n > 1 ? 's' : ''}: 20-task playbook in check mode against the floor`]),
    ['fresh', `ha-asterisk, first apply on fresh nodes (${res.freshRuns} runs each, interleaved; each needs new nodes)`],
  ];
  for (const [g, title] of titles) if (group(g).length) sections.push(`### ${title}\n\n${table(group(g))}`);
  if (res.breakdowns.length) {
    const kinds = [...new Set(res.breakdowns.flatMap((b) => Object.keys(b.byKind)))].sort();
    const lines = kinds.map((k) => `| ${k} | ${res.breakdowns.map((b) => (b.byKind[k] ?? 0).toFixed(1)).join(' | ')} |`);
    sections.push(
      '### Where a first apply\'s time goes (last fresh run of each; per task the slowest host, summed; seconds)\n\n' +
        `| step | ${res.breakdowns.map((b) => b.tool).join(' | ')} |\n| --- |${res.breakdowns.map(() => ' ---: |').join('')}\n${lines.join('\n')}`,
    );
  }

  const verdicts: string[] = [];
  const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const ratio = (a: number, b: number) => (a / b).toFixed(3);
  const npx = get('startup', 'npx');
  const npxTsNode = get('startup', 'npx-tsnode');
  for (const g of ['nochange', 'check']) {
    const lit = get(g, 'keel-tsnode');
    const comp = get(g, 'keel-node');
    const a = get(g, 'ansible');
    const lean = get(g, 'ansible-lean');
    const fl = get(g, 'floor');
    if (lit && a) verdicts.push(`- ${g}: literal \`npx ts-node\` ≤ 1/10 of Ansible: ${s3(lit.median)} s / ${s3(a.median)} s = ${ratio(lit.median, a.median)}: ${met(lit.median <= a.median / 10)}`);
    if (lit && lean) verdicts.push(`- ${g}: literal \`npx ts-node\` ≤ 1/10 of the lean Ansible (control row): ${s3(lit.median)} s / ${s3(lean.median)} s = ${ratio(lit.median, lean.median)}: ${met(lit.median <= lean.median / 10)}`);
    // A run started through npx costs npx itself (and through ts-node, ts-node's own start, which
    // loads the TypeScript compiler), then at least the SSH work: the sum of the medians estimates
    // the least such a run takes (an estimate, not a bound).
    const budget = (what: string, start: Stats | undefined) => {
      if (!start || !fl || !a) return;
      const least = start.median + fl.median;
      verdicts.push(
        `- ${g}: ${what} + the floor (medians): ${s3(start.median)} + ${s3(fl.median)} = ${s3(least)} s, ` +
          `against 1/10 of Ansible = ${s3(a.median / 10)} s: ${least <= a.median / 10 ? 'within the literal target\'s budget' : '**above the literal target\'s budget before keel does anything**'}`,
      );
    };
    budget('npx alone', npx);
    budget('`npx ts-node -e 0`', npxTsNode);
    if (comp && fl) {
      const bound = 1.5 * fl.median + 0.1;
      verdicts.push(`- ${g}: compiled ≤ 1.5 × floor + 0.1 s = ${s3(bound)} s: ${s3(comp.median)} s: ${met(comp.median <= bound)}`);
    }
    if (comp?.firstConnectMedianMs !== undefined) verdicts.push(`- ${g}: compiled, start-up to the first connection ≤ 0.25 s: ${(comp.firstConnectMedianMs / 1000).toFixed(3)} s: ${met(comp.firstConnectMedianMs <= 250)}`);
    if (comp) verdicts.push(`- ${g}: compiled, CPU ≤ 0.3 s at 2 hosts: ${comp.cpuMedian.toFixed(2)} s: ${met(comp.cpuMedian <= 0.3)}; peak memory ≤ 100 MB: ${comp.rssMaxMb.toFixed(0)} MB: ${met(comp.rssMaxMb <= 100)}`);
    // Start-up alone (node, then keel's bundle loaded; `--help` reads no inventory and opens no
    // connection) is CPU every run spends before its first host: what it leaves of the target.
    const help = get('startup', 'keel-node-help');
    if (comp && help) {
      verdicts.push(
        `- ${g}: CPU of start-up alone (the bundle's \`--help\`: node and keel loaded) ${help.cpuMedian.toFixed(2)} s leaves ${(0.3 - help.cpuMedian).toFixed(2)} s ` +
          `of the 0.3 s target for reading the inventory, 2 hosts' SSH (ssh2 loaded, handshakes) and the run, which took ${(comp.cpuMedian - help.cpuMedian).toFixed(2)} s`,
      );
    }
  }
  for (const n of res.fanoutSizes) {
    const k = get(`fanout ${n}`, 'keel-node');
    const fl = get(`fanout ${n}`, 'floor');
    if (k && fl) verdicts.push(`- fan-out ${n}: keel ≤ 1.3 × floor: ${s3(k.median)} s / ${s3(fl.median)} s = ${ratio(k.median, fl.median)}×: ${met(k.median <= 1.3 * fl.median)}`);
  }
  const k256 = get('fanout 256', 'keel-node');
  if (k256) verdicts.push(`- peak memory ≤ 250 MB at 256 hosts: ${k256.rssMaxMb.toFixed(0)} MB: ${met(k256.rssMaxMb <= 250)}`);
  const heavyRows = res.rows.filter((r) => stats(r).loadMin > HEAVY_LOAD && !ownLoad(r));
  verdicts.push(
    heavyRows.length
      ? `- Rows marked **heavy** saw a 1-minute load average above ${HEAVY_LOAD} (2 per core) before every one of their runs: ${heavyRows.map((r) => `${r.group}/${r.id}`).join(', ')}. Within a group the runs are interleaved, so its ratios hold; those absolute figures are not results. Fan-out rows make their own load (N sessions at once on ${cpus().length} cores) and say so.`
      : `- No row had a 1-minute load average above ${HEAVY_LOAD} (2 per core) before all of its runs; the load a group makes itself (Ansible's forks, fan-out's N sessions at once) shows in the rows' ranges.`,
  );

  const notesFile = join(__dirname, 'NOTES.md');
  const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8').trim() : '';
  return `# keel against Ansible and the SSH floor: benchmark results

One run of \`npm run bench\` (bench/run.ts) on ${res.date.slice(0, 16).replace('T', ' ')} UTC, at commit
\`${res.commit}\`${res.dirty ? ' (with uncommitted changes)' : ''}. Every table is one group of commands run **interleaved** (A B C …
A B C …, one untimed warm-up round first), ${res.runs} runs each unless the table says otherwise. Wall time is
the clock around the command; CPU is user+sys of the command and the children it waited for
(\`/usr/bin/time\`); peak RSS is the largest single process. "to 1st connection" is measured inside
keel's process by a preloaded hook (bench/first-connect.js). "load" is the 1-minute load average read
before each run: its least and greatest over the row.

## Verdicts (issue 13's targets)

${verdicts.join('\n')}

## Results

${sections.join('\n\n')}
${res.facts.length ? `\n${res.facts.map((f) => `- ${f}`).join('\n')}\n` : ''}
## Machine

${machine()}

## To repeat

\`\`\`sh
apt-get install -y ansible-core time        # once
npm run bench                               # every scenario
npm run bench -- nochange check --runs 7    # or some: startup nochange check fanout fresh
\`\`\`

${notes}
`;
}
