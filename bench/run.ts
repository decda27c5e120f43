/**
 * keel against Ansible and against the SSH floor, on the same hosts (issue 13). Writes
 * bench/RESULTS.md whole, from this one run: no row is carried over from an earlier run.
 *
 *   npm run bench                                   # every scenario (about 45 minutes on 2 cores)
 *   npm run bench -- startup nochange check         # some: startup nochange check fanout fresh
 *   npm run bench -- --runs 7 --fresh-runs 3        # repetitions (defaults 7 and 2)
 *   npm run bench -- fanout --fanout 1,8            # fan-out sizes (default 1,8,64,256)
 *   npm run bench -- --report-only                  # RESULTS.md again from the last run's rows.json
 *
 * Every group of commands runs interleaved (A B C A B C ...; bench/measure.ts) with equal run
 * counts, after one untimed warm-up round. Needs root, the lab (lab/), ansible-core and
 * /usr/bin/time. The lab is shared: this waits while /tmp/keel-lab-busy exists and holds
 * /tmp/keel-lab-bench while it uses the lab. Raw samples stay in bench/results/ (not committed).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startLightHosts, stopLightHosts } from '../lab/lighthosts';
import { readLabState } from '../lab/state';
import { LAB_CLUSTER_VARS } from '../inventories/lab';
import { interleave, type Command, type Row } from './measure';
import { writeResults, type Breakdown, type Results } from './report';
import { sh as shell } from '../lib/quote';

const ROOT = join(__dirname, '..');
const OUT = join(__dirname, 'results');
const BUILD = 'bench/results/build';
const BUNDLE = 'bench/results/bundle';
const BUSY = '/tmp/keel-lab-busy';
const MINE = '/tmp/keel-lab-bench';

/** A group starts once the 1-minute load average is below this (1 per core), or after 3 minutes. */
const SETTLE = cpus().length;
const SCENARIOS = ['startup', 'nochange', 'check', 'fanout', 'fresh'];

const args = process.argv.slice(2);
const numArg = (flag: string, dflt: number): number => {
  const i = args.indexOf(flag);
  const n = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number ≥ 1`);
  return n;
};
const RUNS = numArg('--runs', 7);
const FRESH_RUNS = numArg('--fresh-runs', 2);
const fanoutArg = args.indexOf('--fanout');
/** Fan-out sizes (light hosts). */
const FANOUT = fanoutArg >= 0 ? args[fanoutArg + 1].split(',').map(Number) : [1, 8, 64, 256];
const picked = args.filter((a, i) => !a.startsWith('--') && !['--runs', '--fresh-runs', '--fanout'].includes(args[i - 1]));
for (const s of picked) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; have ${SCENARIOS.join(' ')}`);
const scenarios = picked.length ? picked : SCENARIOS;

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

function sh(cmd: string): string {
  const r = spawnSync('bash', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${cmd}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// ---- what the rows run ----------------------------------------------------------------------

/** Sums `changed=N` over a recap (keel's and Ansible's lines read alike); throws on failures. */
function recapNote(expectChanged?: number): (out: string) => string {
  return (out) => {
    const lines = [...out.matchAll(/^\S+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
    if (lines.length === 0) throw new Error(`no recap in the output:\n${out.slice(-2000)}`);
    const changed = lines.reduce((a, m) => a + Number(m[1]), 0);
    const bad = lines.reduce((a, m) => a + Number(m[2]) + Number(m[3]), 0);
    if (bad) throw new Error(`unreachable or failed hosts:\n${out.slice(-2000)}`);
    if (expectChanged !== undefined && changed !== expectChanged) throw new Error(`changed=${changed}, expected ${expectChanged}:\n${out.slice(-3000)}`);
    return `changed=${changed}`;
  };
}

const ANSIBLE_ENV = { ANSIBLE_PIPELINING: 'True', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_FORKS: '10' };
const FIRST_CONNECT = join(OUT, 'first-connect');

function keelLiteral(flags: string[]): Command {
  return {
    id: 'keel-tsnode',
    label: ['npx ts-node playbooks/ha-asterisk.ts -i lab', ...flags].join(' '),
    argv: ['npx', 'ts-node', 'playbooks/ha-asterisk.ts', '-i', 'lab', ...flags],
    verify: recapNote(0),
  };
}

function keelCompiled(flags: string[], how: 'bundle' | 'tsc' = 'bundle'): Command {
  const dir = how === 'bundle' ? BUNDLE : BUILD;
  const short = how === 'bundle' ? 'bundle' : 'build';
  return {
    id: how === 'bundle' ? 'keel-node' : 'keel-node-tsc',
    label: [`node ${short}/playbooks/ha-asterisk.js -i ${short}/inventories/lab.js`, ...flags].join(' ') + (how === 'bundle' ? ' (esbuild bundle)' : ' (tsc)'),
    argv: ['node', `${dir}/playbooks/ha-asterisk.js`, '-i', `${dir}/inventories/lab.js`, ...flags],
    env: { NODE_OPTIONS: `--require ${join(__dirname, 'first-connect.js')}`, KEEL_BENCH_FIRST_CONNECT: FIRST_CONNECT },
    firstConnectFile: FIRST_CONNECT,
    verify: recapNote(0),
  };
}

/** The compiled row again with ssh2's optional native addon hidden (bench/no-ssh2-native.js): what npm's skipped install scripts cost. */
function keelWithoutNativeSsh2(flags: string[]): Command {
  const c = keelCompiled(flags);
  return {
    ...c,
    id: 'keel-node-js-crypto',
    label: `${c.label} (ssh2 without its native addon)`,
    env: { ...c.env, NODE_OPTIONS: `${c.env!.NODE_OPTIONS} --require ${join(__dirname, 'no-ssh2-native.js')}` },
  };
}

function ansible(file: string, id: string, label: string, flags: string[]): Command {
  return {
    id,
    label: `ansible-playbook ${file.replace('bench/ansible/', '')}${flags.length ? ' ' + flags.join(' ') : ''} (pipelining)`,
    argv: ['ansible-playbook', '-i', 'bench/results/lab.yml', file, ...flags],
    env: ANSIBLE_ENV,
    verify: recapNote(0),
  };
}

function labNodes(): string[] {
  return readLabState()!.nodes.filter((n) => n.running).map((n) => n.address);
}

function floor(): Command {
  return { id: 'floor', label: 'floor: one OpenSSH session per node, at once (bench/floor.sh)', argv: ['bash', 'bench/floor.sh', ...labNodes()] };
}

// ---- set-up -----------------------------------------------------------------------------------

function holdLab(): void {
  while (existsSync(BUSY)) {
    log(`${BUSY} exists: waiting`);
    spawnSync('sleep', ['10']);
  }
  writeFileSync(MINE, `${process.pid}\n`);
}

/** The repository compiled with tsc (what `node` runs in the compiled rows). */
function build(): void {
  rmSync(join(ROOT, BUILD), { recursive: true, force: true });
  sh('node_modules/.bin/tsc -p bench/tsconfig.build.json');
  // tsc compiles no .js: the generated validators and TypeBox builders are copied beside its output.
  cpSync(join(ROOT, 'lib/generated'), join(ROOT, BUILD, 'lib/generated'), { recursive: true });
}

/**
 * The same playbooks bundled by esbuild, one file each with keel and its pure-JavaScript
 * dependencies inside: Node then resolves and reads a few files instead of ~300 (TypeBox alone is
 * 200), the start-up issue 13 measured. README "Speed" gives users the same command.
 */
function bundle(): void {
  rmSync(join(ROOT, BUNDLE), { recursive: true, force: true });
  const entries = ['playbooks/ha-asterisk.ts', 'inventories/lab.ts', 'bench/fanout-playbook.ts', 'bench/fanout-inventory.ts'];
  // The package's own bundle settings and externals (tools/bundle.js), as README "Speed" shows users.
  sh(shell`node tools/bundle.js ${entries} --outbase=. --outdir=${BUNDLE}`);
}

/** Two running nodes configured by keel (a no-change run is then possible), python3 on them for Ansible. */
function configuredLab(): void {
  const lab = readLabState();
  if (lab?.nodes.length !== 2 || lab.nodes.some((n) => !n.running)) {
    log('lab is not two running nodes: lab down, lab up --nodes 2');
    sh('bash bench/lab-fresh.sh');
  }
  sh(shell`node_modules/.bin/ts-node playbooks/ha-asterisk.ts -i lab --plain >${join(OUT, 'apply.log')} 2>&1`);
  sh('bash bench/lab-python.sh');
  writeLabAnsibleInventory();
}

/** bench/results/lab.yml: the same hosts and vars as inventories/lab.ts, for ansible-playbook. */
function writeLabAnsibleInventory(): void {
  const lab = readLabState()!;
  const inv = {
    cluster: {
      hosts: Object.fromEntries(lab.nodes.filter((n) => n.running).map((n) => [n.name, { ansible_host: n.address, cluster_address: n.address }])),
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: lab.keyFile,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHostsFile} -o StrictHostKeyChecking=yes`,
        ansible_python_interpreter: '/usr/bin/python3',
        ...LAB_CLUSTER_VARS,
      },
    },
  };
  writeFileSync(join(OUT, 'lab.yml'), JSON.stringify(inv, null, 2) + '\n');
}

// ---- scenarios ----------------------------------------------------------------------------------

const rows: Row[] = [];
const breakdowns: Breakdown[] = [];
const facts: string[] = [];

function startup(): void {
  const cmds: Command[] = [
    { id: 'node', label: 'node -e 0', argv: ['node', '-e', '0'] },
    { id: 'npx', label: 'npx --no-install true (npx alone)', argv: ['npx', '--no-install', 'true'] },
    { id: 'npx-tsnode', label: 'npx ts-node -e 0', argv: ['npx', 'ts-node', '-e', '0'] },
    { id: 'keel-tsnode-help', label: 'npx ts-node playbooks/ha-asterisk.ts --help', argv: ['npx', 'ts-node', 'playbooks/ha-asterisk.ts', '--help'] },
    { id: 'keel-node-help', label: 'node bundle/playbooks/ha-asterisk.js --help (esbuild bundle)', argv: ['node', `${BUNDLE}/playbooks/ha-asterisk.js`, '--help'] },
    { id: 'keel-node-tsc-help', label: 'node build/playbooks/ha-asterisk.js --help (tsc)', argv: ['node', `${BUILD}/playbooks/ha-asterisk.js`, '--help'] },
    { id: 'ansible-version', label: 'ansible-playbook --version', argv: ['ansible-playbook', '--version'] },
  ];
  rows.push(...interleave('startup', cmds, Math.max(RUNS, 10), { cwd: ROOT, warmup: true, settleBelow: SETTLE, log }));
}

function haRuns(check: boolean): void {
  const flags = check ? ['--check'] : [];
  const group = check ? 'check' : 'nochange';
  const cmds = [
    keelLiteral(flags),
    keelCompiled(flags),
    keelCompiled(flags, 'tsc'),
    keelWithoutNativeSsh2(flags),
    ansible('bench/ansible/ha-asterisk.yml', 'ansible', 'ansible', flags),
    ansible('bench/ansible/ha-asterisk-lean.yml', 'ansible-lean', 'ansible lean', flags),
    floor(),
  ];
  rows.push(...interleave(group, cmds, RUNS, { cwd: ROOT, warmup: true, settleBelow: SETTLE, log }));
}

async function fanout(): Promise<void> {
  const light = await startLightHosts(Math.max(...FANOUT));
  const lightFile = join(OUT, 'light.json');
  writeFileSync(lightFile, JSON.stringify(light, null, 2) + '\n');
  writeFileSync(join(OUT, 'light.txt'), light.hosts.map((h) => `${h.name}=${h.address}\n`).join(''));
  try {
    // The wanted state on every host, so the check runs find no drift: keel applies the playbook
    // to lh1 (not timed), and the others get a copy of its directory (light hosts share this
    // machine's filesystem; the files do not name their host).
    sh('rm -rf /tmp/keel-bench-lh*');
    sh(shell`KEEL_BENCH_LIGHT=${lightFile} KEEL_BENCH_HOSTS=1 node ${BUNDLE}/bench/fanout-playbook.js -i ${BUNDLE}/bench/fanout-inventory.js --plain >${join(OUT, 'fanout-apply.log')} 2>&1`);
    for (const h of light.hosts.slice(1)) cpSync('/tmp/keel-bench-lh1', `/tmp/keel-bench-${h.name}`, { recursive: true, preserveTimestamps: true });
    for (const n of FANOUT) {
      const keel: Command = {
        id: 'keel-node',
        label: `node bundle/bench/fanout-playbook.js --check --forks ${n}`,
        argv: ['node', `${BUNDLE}/bench/fanout-playbook.js`, '-i', `${BUNDLE}/bench/fanout-inventory.js`, '--check', '--forks', String(n)],
        env: { KEEL_BENCH_LIGHT: lightFile, KEEL_BENCH_HOSTS: String(n), NODE_OPTIONS: `--require ${join(__dirname, 'first-connect.js')}`, KEEL_BENCH_FIRST_CONNECT: FIRST_CONNECT },
        firstConnectFile: FIRST_CONNECT,
        verify: recapNote(0),
      };
      const fl: Command = { id: 'floor', label: `floor: ${n} OpenSSH sessions at once (bench/fanout-floor.sh)`, argv: ['bash', 'bench/fanout-floor.sh', String(n)] };
      rows.push(...interleave(`fanout ${n}`, [keel, fl], Math.min(RUNS, 5), { cwd: ROOT, warmup: true, settleBelow: SETTLE, log }));
    }
  } finally {
    await stopLightHosts();
    sh('rm -rf /tmp/keel-bench-lh*');
  }
}

/** Where a first apply's time goes: per task, the slowest host's time, summed by kind of step. */
function kindOf(task: string): string {
  if (/apt|packages/i.test(task)) return 'apt (packages)';
  if (/pacemaker.*(start|running)/i.test(task)) return 'pacemaker start';
  if (/online|waitFor|wait for/i.test(task)) return 'waiting for the cluster';
  if (/corosync.*(start|running|restart)|restart corosync/i.test(task)) return 'corosync (re)start';
  return 'everything else';
}

function breakdown(tool: string, perTask: Map<string, number>): Breakdown {
  const byKind: Record<string, number> = {};
  for (const [task, s] of perTask) byKind[kindOf(task)] = (byKind[kindOf(task)] ?? 0) + s;
  return { tool, byKind };
}

const FRESH_KEEL_JSON = join(OUT, 'fresh-keel.json');
const FRESH_ANSIBLE_JUNIT = join(OUT, 'fresh-ansible-junit');

/** Where the last fresh runs' time went, from the files they left. */
function freshBreakdowns(): Breakdown[] {
  return [breakdown('keel', keelBreakdown(FRESH_KEEL_JSON)), breakdown('ansible', ansibleBreakdown(FRESH_ANSIBLE_JUNIT, 'bench/ansible/ha-asterisk.yml'))];
}

function keelBreakdown(file: string): Map<string, number> {
  const r = JSON.parse(readFileSync(file, 'utf8')) as { plays: { results: { task: string; durationMs: number }[] }[] };
  const m = new Map<string, number>();
  for (const p of r.plays) for (const x of p.results) m.set(x.task, Math.max(m.get(x.task) ?? 0, x.durationMs / 1000));
  return m;
}

/** Per task, the slowest host's time, from Ansible's junit callback files (`[host] PLAY: TASK ARGS`). */
function ansibleBreakdown(dir: string, playbookFile: string): Map<string, number> {
  const plays = (parseYaml(readFileSync(join(ROOT, playbookFile), 'utf8')) as { name: string }[]).map((p) => p.name);
  const m = new Map<string, number>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.xml'))) {
    const xml = readFileSync(join(dir, f), 'utf8');
    for (const t of xml.matchAll(/<testcase\b[^>]*?\sname="([^"]*)"[^>]*?\stime="([\d.]+)"/g)) {
      let task = t[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/^\[[^\]]*\]\s*/, '');
      const play = plays.find((p) => task.startsWith(`${p}: `));
      if (play) task = task.slice(play.length + 2);
      m.set(task, Math.max(m.get(task) ?? 0, Number(t[2])));
    }
  }
  return m;
}

function fresh(): void {
  const keelJson = FRESH_KEEL_JSON;
  const junitDir = FRESH_ANSIBLE_JUNIT;
  // Both start from the same nodes: new overlay roots, python3 and python3-apt installed (Ansible
  // needs them; crmsh needs python3 anyway), the apt cache warm.
  const prepare = () => {
    sh('bash bench/lab-fresh.sh --python');
    rmSync(junitDir, { recursive: true, force: true });
  };
  const cmds: Command[] = [
    { ...keelLiteral([]), label: 'npx ts-node playbooks/ha-asterisk.ts -i lab', argv: ['npx', 'ts-node', 'playbooks/ha-asterisk.ts', '-i', 'lab', '--json', keelJson], prepare, verify: recapNote() },
    {
      ...ansible('bench/ansible/ha-asterisk.yml', 'ansible', 'ansible', []),
      env: { ...ANSIBLE_ENV, ANSIBLE_CALLBACKS_ENABLED: 'ansible.builtin.junit', JUNIT_OUTPUT_DIR: junitDir, JUNIT_TASK_CLASS: 'False' },
      prepare: () => {
        prepare();
        writeLabAnsibleInventory();
      },
      verify: recapNote(),
    },
  ];
  // The breakdown is of the last run of each.
  rows.push(...interleave('fresh', cmds, FRESH_RUNS, { cwd: ROOT, settleBelow: SETTLE, log }));
  breakdowns.push(...freshBreakdowns());
  // Leave the lab as a cluster keel configured, as the other scenarios expect it.
  sh(shell`node_modules/.bin/ts-node playbooks/ha-asterisk.ts -i lab --plain >${join(OUT, 'apply.log')} 2>&1`);
  facts.push(`after the last fresh run (Ansible's), keel's run on that cluster: ${recapNote()(readFileSync(join(OUT, 'apply.log'), 'utf8'))}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing: apt-get install -y time');
  const commit = sh('git rev-parse --short HEAD').trim();
  const dirty = sh('git status --porcelain -- lib tasks playbooks inventories bench index.ts').trim() !== '';
  build();
  bundle();
  holdLab();
  try {
    if (scenarios.some((s) => ['nochange', 'check', 'fanout'].includes(s))) configuredLab();
    if (scenarios.includes('startup')) startup();
    if (scenarios.includes('nochange')) haRuns(false);
    if (scenarios.includes('check')) haRuns(true);
    if (scenarios.includes('fanout')) await fanout();
    if (scenarios.includes('fresh')) fresh();
  } finally {
    rmSync(MINE, { force: true });
  }
  const results: Results = { commit, dirty, date: new Date().toISOString(), rows, breakdowns, facts, runs: RUNS, freshRuns: FRESH_RUNS, fanoutSizes: FANOUT };
  writeFileSync(join(OUT, 'rows.json'), JSON.stringify(results, null, 2) + '\n');
  writeReport(results);
}

function writeReport(results: Results): void {
  const tmp = join(__dirname, 'RESULTS.md.tmp');
  writeFileSync(tmp, writeResults(results));
  renameSync(tmp, join(__dirname, 'RESULTS.md'));
  log('wrote bench/RESULTS.md');
}

/**
 * `npm run bench -- --report-only`: RESULTS.md again from the last run's bench/results/rows.json
 * (after a change to the report's layout): the same run, nothing measured or carried over.
 */
function reportOnly(): void {
  const file = join(OUT, 'rows.json');
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Results> & Pick<Results, 'commit' | 'dirty' | 'rows' | 'breakdowns' | 'facts'>;
  const groups = new Set(saved.rows.map((r) => r.group));
  writeReport({
    runs: Math.max(...saved.rows.filter((r) => r.group === 'nochange').map((r) => r.samples.length), 0),
    freshRuns: Math.max(...saved.rows.filter((r) => r.group === 'fresh').map((r) => r.samples.length), 0),
    fanoutSizes: [...groups].filter((g) => g.startsWith('fanout ')).map((g) => Number(g.split(' ')[1])),
    date: statSync(file).mtime.toISOString(),
    ...saved,
    // Recomputed from the same run's files (a fix to how they are read).
    breakdowns: existsSync(FRESH_KEEL_JSON) && existsSync(FRESH_ANSIBLE_JUNIT) ? freshBreakdowns() : saved.breakdowns,
  });
}

(args.includes('--report-only') ? Promise.resolve().then(reportOnly) : main()).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
