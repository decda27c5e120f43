/**
 * keel against Ansible on the same hosts (issue 5). Writes bench/RESULTS.md.
 *
 *   npm run bench                       # every scenario (over an hour on 2 cores: Ansible at 64 hosts is ~16 min)
 *   npm run bench -- startup floor nochange check fanout fresh   # some of them
 *   npm run bench -- --runs 10          # more repetitions (fresh always does 3)
 *   npm run bench -- fanout --keep-light   # leave the light hosts and their files for the next run
 *
 * Needs root, the lab (lab/), hyperfine, ansible-core and /usr/bin/time (the `time` package).
 * Every timing is hyperfine's (no shell, -N); each command runs under `/usr/bin/time -f %M` for
 * its peak RSS. Raw results stay in bench/results/ (not committed). The lab is shared: this waits
 * while /tmp/keel-lab-busy exists and holds /tmp/keel-lab-bench while it uses the lab.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startLightHosts, stopLightHosts } from '../lab/lighthosts';
import { readLabState } from '../lab/state';
import { LAB_CLUSTER_VARS } from '../inventories/lab';

const ROOT = join(__dirname, '..');
const OUT = join(__dirname, 'results');
const BUSY = '/tmp/keel-lab-busy';
const MINE = '/tmp/keel-lab-bench';
const TS_NODE = 'node_modules/.bin/ts-node';
const FANOUT = [1, 8, 32, 64];

interface Row {
  scenario: string;
  tool: string;
  runs: number;
  median: number;
  min: number;
  max: number;
  rssMb: number;
  note?: string;
}

const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 5;
const ansArg = args.indexOf('--ansible-hosts');
/** Fan-out sizes for Ansible (default all): at 32 and 64 hosts one Ansible run takes many minutes here. */
const ANSIBLE_FANOUT = ansArg >= 0 ? args[ansArg + 1].split(',').map(Number) : FANOUT;
const picked = args.filter((a, i) => !a.startsWith('--') && !(runsArg >= 0 && i === runsArg + 1) && !(ansArg >= 0 && i === ansArg + 1));
// `report` runs nothing: it rewrites RESULTS.md from bench/results/rows.json.
const ALL = ['startup', 'floor', 'nochange', 'check', 'fanout', 'fanout-floor', 'fresh', 'fresh-ansible', 'report'];
const scenarios = picked.length ? picked : ALL.filter((s) => s !== 'report');
for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s}; have ${ALL.join(' ')}`);

function sh(cmd: string, opts: { quiet?: boolean } = {}): string {
  const r = spawnSync('bash', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', opts.quiet ? 'pipe' : 'inherit'] });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${cmd}\n${r.stdout}${r.stderr ?? ''}`);
  return r.stdout;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** hyperfine, no shell; the command under /usr/bin/time for its peak RSS (the largest process of its tree). */
function bench(id: string, scenario: string, tool: string, command: string, o: { runs?: number; warmup?: number; prepare?: string; env?: Record<string, string>; output?: string } = {}): Row {
  const json = join(OUT, `${id}.json`);
  const rss = join(OUT, `${id}.rss`);
  rmSync(rss, { force: true });
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const full = ['env', ...env, '/usr/bin/time', '-f', '%M', '-a', '-o', rss, command].join(' ');
  const runs = o.runs ?? RUNS;
  const hf = ['-N', ...(o.output ? [] : ['--style', 'basic']), '--runs', String(runs), '--warmup', String(o.warmup ?? 1), '--export-json', json];
  if (o.prepare) hf.push('--prepare', o.prepare);
  log(`${id}: ${command}`);
  const loadBefore = loadavg()[0];
  if (o.output) {
    // --show-output: the timed runs' own output, kept to read Ansible's recap from (no extra run).
    const text = execFileSync('hyperfine', [...hf, '--show-output', full], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
    writeFileSync(o.output, text);
  } else {
    execFileSync('hyperfine', [...hf, full], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const r = JSON.parse(readFileSync(json, 'utf8')).results[0];
  const kb = readFileSync(rss, 'utf8').split('\n').map(Number).filter((n) => n > 0);
  // The machine is shared: the 1-minute load average before and after says how busy it was.
  const load = `load ${loadBefore.toFixed(1)}→${loadavg()[0].toFixed(1)}`;
  return { scenario, tool, runs, median: r.median, min: r.min, max: r.max, rssMb: Math.max(...kb) / 1024, note: load };
}

/** A row from an earlier bench()'s files (bench/results/ID.json and ID.rss). */
function rowFromFiles(id: string, scenario: string, tool: string): Row {
  const r = JSON.parse(readFileSync(join(OUT, `${id}.json`), 'utf8')).results[0];
  const kb = readFileSync(join(OUT, `${id}.rss`), 'utf8').split('\n').map(Number).filter((n) => n > 0);
  return { scenario, tool, runs: r.times.length, median: r.median, min: r.min, max: r.max, rssMb: Math.max(...kb) / 1024 };
}

// ---- the lab -----------------------------------------------------------------------------------

function waitForLab(): void {
  while (existsSync(BUSY)) {
    log(`${BUSY} exists: waiting`);
    spawnSync('sleep', ['10']);
  }
  writeFileSync(MINE, `${process.pid}\n`);
}

function releaseLab(): void {
  rmSync(MINE, { force: true });
}

/** Two running nodes, configured by keel (a no-change run is then possible), python3 on them for Ansible. */
function ensureConfiguredLab(): void {
  const lab = readLabState();
  const running = lab?.nodes.filter((n) => n.running) ?? [];
  if (running.length !== 2 || lab!.nodes.length !== 2) {
    log('lab is not two running nodes: lab down, lab up --nodes 2, apply ha-asterisk');
    sh('bash bench/lab-fresh.sh');
  }
  sh(`${TS_NODE} playbooks/ha-asterisk.ts -i lab --plain >${OUT}/apply.log 2>&1`);
  sh('bash bench/lab-python.sh');
  writeLabAnsibleInventory();
}

function ansibleSshArgs(knownHosts: string): string {
  return `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`;
}

/** bench/results/lab.yml: the same hosts and vars as inventories/lab.ts, for ansible-playbook. */
function writeLabAnsibleInventory(): void {
  const lab = readLabState()!;
  const nodes = lab.nodes.filter((n) => n.running);
  const inv = {
    cluster: {
      hosts: Object.fromEntries(nodes.map((n) => [n.name, { ansible_host: n.address, cluster_address: n.address }])),
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: lab.keyFile,
        ansible_ssh_common_args: ansibleSshArgs(lab.knownHostsFile),
        ansible_python_interpreter: '/usr/bin/python3',
        ...LAB_CLUSTER_VARS,
      },
    },
  };
  writeFileSync(join(OUT, 'lab.yml'), JSON.stringify(inv, null, 2) + '\n');
}

function ansibleEnv(pipelining: boolean, forks = 10): Record<string, string> {
  return { ANSIBLE_PIPELINING: pipelining ? 'True' : 'False', ANSIBLE_FORKS: String(forks), ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False' };
}

/** Runs ansible once and reads its recap: `changed` summed over hosts (Ansible's check mode counts would-change as changed). */
function ansibleRecap(playbookArgs: string, env: Record<string, string>, logFile: string): { changed: number; failed: number } {
  const e = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
  const out = spawnSync('bash', ['-c', `env ${e} ansible-playbook ${playbookArgs}`], { cwd: ROOT, encoding: 'utf8' });
  writeFileSync(logFile, out.stdout + out.stderr);
  let changed = 0;
  let failed = 0;
  for (const m of out.stdout.matchAll(/changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    changed += Number(m[1]);
    failed += Number(m[2]) + Number(m[3]);
  }
  if (out.status !== 0) failed = Math.max(failed, 1);
  return { changed, failed };
}

// ---- scenarios ---------------------------------------------------------------------------------

const rows: Row[] = [];
const facts: Record<string, string> = {};

function startup(): void {
  rows.push(bench('startup-node', 'startup', 'node -e 0', 'node -e 0', { runs: 10 }));
  rows.push(bench('startup-npx-tsnode', 'startup', 'npx ts-node -e 0', 'npx ts-node -e 0', { runs: 10 }));
  rows.push(bench('startup-tsnode', 'startup', 'ts-node -e 0', `${TS_NODE} -e 0`, { runs: 10 }));
  rows.push(bench('startup-help-npx', 'startup', 'npx ts-node playbooks/ha-asterisk.ts --help', 'npx ts-node playbooks/ha-asterisk.ts --help', { runs: 10 }));
  rows.push(bench('startup-help', 'startup', 'ts-node playbooks/ha-asterisk.ts --help', `${TS_NODE} playbooks/ha-asterisk.ts --help`, { runs: 10 }));
  rows.push(bench('startup-ansible', 'startup', 'ansible-playbook --version', 'ansible-playbook --version', { runs: 10 }));
}

function floor(): void {
  const node1 = readLabState()!.nodes.find((n) => n.running)!;
  rows.push(bench('floor', 'floor', 'one ssh session, one probe script (node1)', `bash bench/floor.sh ${node1.address}`, { runs: Math.max(RUNS, 10) }));
}

function haRuns(check: boolean): void {
  const id = check ? 'check' : 'nochange';
  const flag = check ? ' --check' : '';
  rows.push(bench(`${id}-keel`, id, 'keel', `${TS_NODE} playbooks/ha-asterisk.ts -i lab --plain${flag}`));
  for (const pipelining of [false, true]) {
    const env = ansibleEnv(pipelining);
    const cmd = `ansible-playbook -i bench/results/lab.yml bench/ansible/ha-asterisk.yml${flag}`;
    const recap = ansibleRecap(`-i bench/results/lab.yml bench/ansible/ha-asterisk.yml${flag}`, env, join(OUT, `${id}-ansible-${pipelining ? 'pipe' : 'nopipe'}.log`));
    facts[`${id} ansible changed (pipelining ${pipelining ? 'on' : 'off'})`] = `changed=${recap.changed} failed=${recap.failed}`;
    const row = bench(`${id}-ansible-${pipelining ? 'pipe' : 'nopipe'}`, id, `ansible, pipelining ${pipelining ? 'on' : 'off'}`, cmd, { env });
    row.note = `changed=${recap.changed}; ${row.note}`;
    rows.push(row);
  }
}

function fresh(withKeel = true): void {
  const runs = 3;
  if (!withKeel && existsSync(join(OUT, 'fresh-keel.json'))) rows.push(rowFromFiles('fresh-keel', 'fresh', 'keel'));
  if (withKeel) rows.push(
    bench('fresh-keel', 'fresh', 'keel', `${TS_NODE} playbooks/ha-asterisk.ts -i lab --plain`, { runs, warmup: 0, prepare: 'bash bench/lab-fresh.sh' }),
  );
  rows.push(
    bench('fresh-ansible-pipe', 'fresh', 'ansible, pipelining on', 'ansible-playbook -i bench/results/lab.yml bench/ansible/ha-asterisk.yml', {
      runs,
      warmup: 0,
      prepare: 'bash bench/lab-fresh.sh --python',
      env: ansibleEnv(true),
    }),
  );
}

/** N OpenSSH sessions at once, one probe script each: what the hosts (this machine) must do at least. */
function fanoutFloor(): void {
  for (const n of FANOUT) rows.push(bench(`fanout-${n}-floor`, `fanout ${n}`, 'floor: N ssh sessions at once', `bash bench/fanout-floor.sh ${n}`));
}

async function fanout(runTools = true): Promise<void> {
  const light = await startLightHosts(Math.max(...FANOUT));
  writeFileSync(join(OUT, 'light.json'), JSON.stringify(light, null, 2) + '\n');
  for (const n of FANOUT) {
    const inv: Record<string, unknown> = {
      all: {
        hosts: Object.fromEntries(light.hosts.slice(0, n).map((h) => [h.name, { ansible_host: h.address, dir: `/tmp/keel-bench-${h.name}` }])),
        vars: {
          ansible_user: 'root',
          ansible_ssh_private_key_file: light.keyFile,
          ansible_ssh_common_args: ansibleSshArgs(light.knownHostsFile),
          ansible_python_interpreter: '/usr/bin/python3',
        },
      },
    };
    writeFileSync(join(OUT, `light-${n}.yml`), JSON.stringify(inv, null, 2) + '\n');
  }
  if (!runTools) return;
  // Apply once (not timed), so the check runs find every host as wanted: no drift for either tool.
  // (64 hosts x 20 changes take minutes on 2 cores; skipped when an earlier run left the files.)
  if (!existsSync(`/tmp/keel-bench-lh${Math.max(...FANOUT)}/done3`)) {
    sh(`${TS_NODE} bench/fanout-playbook.ts -i bench/fanout-inventory.ts --forks 64 --plain >${OUT}/fanout-apply.log 2>&1`);
  }
  const forks = 64;
  for (const n of FANOUT) {
    rows.push(
      bench(`fanout-${n}-keel`, `fanout ${n}`, 'keel', `${TS_NODE} bench/fanout-playbook.ts -i bench/fanout-inventory.ts --check --plain --forks ${forks}`, {
        env: { KEEL_BENCH_HOSTS: String(n) },
      }),
    );
  }
  for (const n of ANSIBLE_FANOUT) {
    // Ansible takes ~12 s per host-task-second here (~100 s for 8 hosts): fewer runs past one host.
    const runs = n === 1 ? RUNS : n <= 8 ? 3 : 1;
    const args = `-i bench/results/light-${n}.yml bench/ansible/fanout.yml --check`;
    const output = join(OUT, `fanout-${n}-ansible.log`);
    const row = bench(`fanout-${n}-ansible`, `fanout ${n}`, 'ansible, pipelining on', `ansible-playbook ${args}`, {
      env: ansibleEnv(true, forks),
      runs,
      warmup: n === 1 ? 1 : 0,
      output,
    });
    const recaps = [...readFileSync(output, 'utf8').matchAll(/changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)];
    const changed = recaps.reduce((a, m) => a + Number(m[1]), 0) / Math.max(1, runs + (n === 1 ? 1 : 0));
    row.note = `changed=${changed} per run; ${row.note}`;
    rows.push(row);
  }
}

// ---- the report --------------------------------------------------------------------------------

function machine(): string {
  const v = (cmd: string) => {
    try {
      return sh(cmd, { quiet: true }).trim();
    } catch {
      return '?';
    }
  };
  return [
    `- CPUs (\`nproc\`): ${v('nproc')}; ${v("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").trim()}`,
    '- memory (`free -h`):',
    '',
    '```',
    v('free -h'),
    '```',
    '',
    `- ${v('. /etc/os-release; echo $PRETTY_NAME')}, kernel ${v('uname -r')}`,
    `- node ${v('node --version')}, ts-node ${v(`${TS_NODE} --version`)}, typescript ${v("node -p \"require('typescript/package.json').version\"")}` +
      `, @swc/core ${v("node -p \"require('@swc/core/package.json').version\" 2>/dev/null || echo 'not installed'")}`,
    `- ${v('ansible-playbook --version | head -1')}, python ${v('python3 --version')}`,
    `- ${v('ssh -V 2>&1')}`,
    `- ${v('hyperfine --version')}`,
  ].join('\n');
}

const fmt = (s: number) => (s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));

function table(which: Row[], base?: (r: Row) => Row | undefined): string {
  const head = '| tool | runs | median (s) | min–max (s) | peak RSS (MB) | keel/that | notes |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |';
  const keel = which.find((r) => r.tool === 'keel');
  const lines = which.map((r) => {
    const b = base?.(r) ?? keel;
    const ratio = b && r !== b ? (b.median / r.median).toFixed(3) : '';
    return `| ${r.tool} | ${r.runs} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${r.rssMb.toFixed(0)} | ${ratio} | ${r.note ?? ''} |`;
  });
  return [head, ...lines].join('\n');
}

function loadPrevious(): Row[] {
  const f = join(OUT, 'rows.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Row[]) : [];
}

function writeReport(all: Row[]): void {
  const by = (s: string) => all.filter((r) => r.scenario === s);
  const get = (s: string, tool: string) => all.find((r) => r.scenario === s && r.tool === tool);
  const sections: string[] = [];
  const titles: Record<string, string> = {
    startup: 'Startup (no playbook work: `--help` returns before the inventory is read)',
    floor: 'The floor: one OpenSSH session (ControlMaster off) running one probe script on one node',
    nochange: 'ha-asterisk, no-change run on the configured two-node lab cluster',
    check: 'ha-asterisk, check mode (no change) on the configured cluster',
    fresh: 'ha-asterisk, first apply on fresh nodes (packages in the apt cache): 3 runs only, ~90 s each',
  };
  for (const s of ['startup', 'floor', 'nochange', 'check', 'fresh']) {
    if (by(s).length) sections.push(`### ${titles[s]}\n\n${table(by(s))}`);
  }
  const fan = FANOUT.flatMap((n) => by(`fanout ${n}`));
  if (fan.length) {
    const head = '| hosts | tool | runs | median (s) | min–max (s) | peak RSS (MB) | keel/that | vs 1 host | notes |\n| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |';
    const lines = fan.map((r) => {
      const n = r.scenario.split(' ')[1];
      const keel = get(r.scenario, 'keel');
      const one = get('fanout 1', r.tool);
      return `| ${n} | ${r.tool} | ${r.runs} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${r.rssMb.toFixed(0)} | ${r.tool === 'keel' ? '' : keel ? (keel.median / r.median).toFixed(3) : ''} | ${one ? (r.median / one.median).toFixed(2) + '×' : ''} | ${r.note ?? ''} |`;
    });
    sections.push(`### Fan-out: 20-task check-mode playbook on light hosts, forks 64 for both\n\n${[head, ...lines].join('\n')}`);
  }

  const verdicts: string[] = [];
  const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const nc = get('nochange', 'keel');
  const ncA = get('nochange', 'ansible, pipelining on');
  const fl = get('floor', 'one ssh session, one probe script (node1)');
  const help = get('startup', 'ts-node playbooks/ha-asterisk.ts --help');
  if (nc && ncA) verdicts.push(`- no-change run ≤ 1/10 of Ansible with pipelining: keel ${fmt(nc.median)} s vs ${fmt(ncA.median)} s = ${(nc.median / ncA.median).toFixed(3)}: ${met(nc.median <= ncA.median / 10)}`);
  if (nc && fl && help) {
    const bound = 2 * (fl.median + help.median);
    verdicts.push(`- no-change run ≤ 2 × (floor + startup) = 2 × (${fmt(fl.median)} + ${fmt(help.median)}) = ${fmt(bound)} s: keel ${fmt(nc.median)} s: ${met(nc.median <= bound)}`);
  }
  const f1 = get('fanout 1', 'keel');
  const f64 = get('fanout 64', 'keel');
  if (f1 && f64) {
    const fl1 = get('fanout 1', 'floor: N ssh sessions at once');
    const fl64 = get('fanout 64', 'floor: N ssh sessions at once');
    const floorText = fl1 && fl64 ? ` (the floor, 64 bare OpenSSH sessions at once against 1: ${fmt(fl64.median)} s vs ${fmt(fl1.median)} s = ${(fl64.median / fl1.median).toFixed(1)}×)` : '';
    verdicts.push(`- 64 hosts ≤ 3 × 1 host: ${fmt(f64.median)} s vs ${fmt(f1.median)} s = ${(f64.median / f1.median).toFixed(2)}×: ${met(f64.median <= 3 * f1.median)}${floorText}`);
  }
  const keelRows = all.filter((r) => r.tool === 'keel');
  if (keelRows.length) {
    const peak = Math.max(...keelRows.map((r) => r.rssMb));
    verdicts.push(`- keel's controller peak memory < 200 MB: at most ${peak.toFixed(0)} MB over every keel run above: ${met(peak < 200)}`);
  }
  if (help) verdicts.push(`- a playbook begins work within 0.5 s (\`ts-node playbooks/ha-asterisk.ts --help\`): ${fmt(help.median)} s: ${met(help.median <= 0.5)}`);

  const notesFile = join(__dirname, 'NOTES.md');
  const notes = existsSync(notesFile) ? readFileSync(notesFile, 'utf8').trim() : '';
  const doc = `# keel against Ansible: benchmark results

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Times are hyperfine's
(\`-N\`, no shell, one warm-up run except for the first apply); peak RSS is \`/usr/bin/time -f %M\` of the
command, which is the largest single process of its tree (for Ansible, its forked workers are separate
processes and are not added up). "keel/that" is keel's median divided by that row's median.

## Machine

${machine()}

## To repeat

\`\`\`sh
apt-get install -y ansible-core hyperfine time   # once
npm run bench                                     # all scenarios: over an hour here (Ansible alone: ~5 min at 32 hosts, ~16 at 64)
npm run bench -- nochange check                   # or some: startup floor nochange check fanout fanout-floor fresh fresh-ansible report
\`\`\`

keel runs as \`${TS_NODE} PLAYBOOK\` (what \`npx ts-node\` resolves to, without npx's own start-up,
which the startup table shows separately). Ansible runs as \`ansible-playbook\` with
ANSIBLE_PIPELINING=False/True and Ansible's default ssh settings (ControlMaster=auto,
ControlPersist=60s: after the warm-up run its connections are already open, which favours Ansible).

## Results

${sections.join('\n\n')}

## Verdicts

${verdicts.join('\n')}

${notes}
`;
  writeFileSync(join(__dirname, 'RESULTS.md'), doc);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing: apt-get install -y time');
  const needsLab = scenarios.some((s) => s !== 'startup' && s !== 'report');
  try {
    if (scenarios.includes('startup')) startup();
    if (needsLab) {
      waitForLab();
      if (scenarios.some((s) => ['floor', 'nochange', 'check'].includes(s))) ensureConfiguredLab();
      if (scenarios.includes('floor')) floor();
      if (scenarios.includes('nochange')) haRuns(false);
      if (scenarios.includes('check')) haRuns(true);
      if (scenarios.includes('fanout') || scenarios.includes('fanout-floor')) {
        try {
          await fanout(scenarios.includes('fanout'));
          if (scenarios.includes('fanout-floor')) fanoutFloor();
        } finally {
          if (!args.includes('--keep-light')) {
            await stopLightHosts();
            sh('rm -rf /tmp/keel-bench-lh*');
          }
        }
      }
      if (scenarios.includes('fresh') || scenarios.includes('fresh-ansible')) {
        writeLabAnsibleInventory();
        fresh(scenarios.includes('fresh'));
        // Leave the lab as a configured cluster, as the other scenarios expect it.
        sh(`${TS_NODE} playbooks/ha-asterisk.ts -i lab --plain >${OUT}/apply.log 2>&1`);
      }
    }
  } finally {
    if (needsLab) releaseLab();
    // Keep earlier results of scenarios not run this time.
    const fresh = new Set(rows.map((r) => `${r.scenario}\0${r.tool}`));
    const all = [...loadPrevious().filter((r) => !fresh.has(`${r.scenario}\0${r.tool}`)), ...rows];
    writeFileSync(join(OUT, 'rows.json'), JSON.stringify(all, null, 2) + '\n');
    writeFileSync(join(OUT, 'facts.json'), JSON.stringify(facts, null, 2) + '\n');
    writeReport(all);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
