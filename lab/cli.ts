// keel lab CLI: a thin wrapper over lab.ts. Usage: npm run lab -- <up|down|status|ssh|kill|boot>
import { spawnSync } from 'node:child_process';
import { boot, down, kill, status, up } from './lab';
import { requireRootLinux } from './host';
import { KEY_FILE, KNOWN_HOSTS_FILE, type NodeKind, nodeIndex, nodePaths, parseNodeKind } from './paths';
import { LabError } from './errors';
import type { LabState } from './state';

const USAGE = `usage: lab up [--nodes N] [--init keel|systemd] | down | status | ssh NODE [cmd...] | kill NODE | boot NODE`;

function printStatus(s: LabState): void {
  if (s.nodes.length === 0) console.log('no lab nodes');
  for (const n of s.nodes) console.log(`${n.name}\t${n.address}/${n.prefix}\t${n.running ? 'running' : 'stopped'}\t${n.init ?? 'keel'}`);
}

function parseNodes(args: string[]): number {
  const i = args.findIndex((a) => a === '--nodes' || a.startsWith('--nodes='));
  if (i < 0) return 2;
  const v = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new LabError(`--nodes needs a positive integer, got ${JSON.stringify(v)}`, 2);
  return n;
}

/** `--init KIND` or `--init=KIND`; unset, `up` keeps the existing nodes' kind (`keel` for a new lab). */
function parseInit(args: string[]): NodeKind | undefined {
  const i = args.findIndex((a) => a === '--init' || a.startsWith('--init='));
  if (i < 0) return undefined;
  return parseNodeKind(args[i].includes('=') ? args[i].split('=')[1] : args[i + 1]);
}

function needNode(arg: string | undefined): string {
  if (!arg) throw new LabError(USAGE, 2);
  nodeIndex(arg);
  return arg;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  requireRootLinux();
  const t0 = Date.now();
  switch (cmd) {
    case 'up':
      printStatus(await up(parseNodes(args), parseInit(args)));
      break;
    case 'down':
      await down();
      break;
    case 'status':
      printStatus(status());
      break;
    case 'kill':
      printStatus(await kill(needNode(args[0])));
      break;
    case 'boot':
      printStatus(await boot(needNode(args[0])));
      break;
    case 'ssh': {
      const p = nodePaths(nodeIndex(needNode(args[0])));
      const r = spawnSync(
        'ssh',
        ['-i', KEY_FILE, '-o', `UserKnownHostsFile=${KNOWN_HOSTS_FILE}`, '-o', 'StrictHostKeyChecking=yes',
          `root@${p.address}`, ...args.slice(1)],
        { stdio: 'inherit' },
      );
      return r.status ?? 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
  if (cmd !== 'status') process.stderr.write(`lab: ${cmd} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof LabError || e instanceof TypeError) {
      console.error(`lab: ${e.message}`);
      process.exit(e instanceof LabError ? e.exitCode : 2);
    }
    // zx ProcessOutput errors carry the command, exit code and stderr already.
    console.error(`lab: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
