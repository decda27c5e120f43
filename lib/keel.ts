/**
 * The `keel` command: `keel run`, `keel check`, `keel exec`, `keel inventory`. The bin
 * (bin/keel.js) calls `keel(process.argv.slice(2))` and exits with what it returns.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT_CODES_TEXT, RUN_VALUE_FLAGS, runUsage } from './cli';
import { execCommand } from './commands/exec';
import { reportCommand } from './commands/report';
import { inventoryCommand } from './inventory-command';
import { auditMain } from './audit/cli';
import { fail } from './commands/run';
import { ConfigError, UsageError } from './errors';
import { ExitCode } from './exit-codes';
import { isMainFile, loadUserModule, shortPath } from './load-module';
import { isPlaybook } from './playbook';

export const KEEL_USAGE = `usage: keel COMMAND [ARGS]

  keel run PLAYBOOK -i INVENTORY [options]      run a playbook (.ts through your ts-node, or .js)
  keel check PLAYBOOK -i INVENTORY [options]    the same in check mode: a drift audit (exit 4 on drift)
  keel exec PATTERN -i INVENTORY -- COMMAND     a shell command on many hosts at once
  keel inventory -i INVENTORY --list|--graph|--host NAME   the inventory, as ansible-inventory shows it
  keel audit PLAYBOOK -i INVENTORY --out DIR    a drift audit kept as DIR/<time>.json and .html
  keel audit diff OLD.json NEW.json             what drifted, was fixed, is unchanged (exit 4: new drift)
  keel report merge SHARD.json... --json OUT    one report and recap from the --json reports of --shard I/N runs
  keel --version

  keel COMMAND --help                           a command's options

${EXIT_CODES_TEXT}`;

export async function keel(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await playbookCommand('run', rest);
      case 'check':
        return await playbookCommand('check', rest);
      case 'exec':
        return await execCommand(rest);

      case 'inventory':
        return await inventoryCommand(rest);
      case 'audit':
        return await auditMain(auditArgv(rest));
      case 'report':
        return await reportCommand(rest);

      case '--version':
      case '-V':
        process.stdout.write(`keel ${version()}\n`);
        return ExitCode.ok;
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(KEEL_USAGE + '\n');
        return ExitCode.ok;
      case undefined:
        process.stderr.write(KEEL_USAGE + '\n');
        return ExitCode.usage;
      default:
        throw new UsageError(`keel: unknown command "${command}"\n\n${KEEL_USAGE}`);
    }
  } catch (err) {
    return fail(err);
  }
}

/** `keel run|check PLAYBOOK [options]`: loads the playbook file and runs it with the rest of the flags. */
async function playbookCommand(name: 'run' | 'check', argv: readonly string[]): Promise<number> {
  const at = playbookIndex(argv);
  if (at < 0) {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(runUsage(`keel ${name} PLAYBOOK`) + '\n');
      return ExitCode.ok;
    }
    throw new UsageError(`keel ${name}: which playbook? (keel ${name} playbooks/site.ts -i INVENTORY)\n\n${runUsage(`keel ${name} PLAYBOOK`)}`);
  }
  const file = resolve(argv[at]);
  const mod = loadUserModule(file, 'playbook') as { default?: unknown };
  const def = isPlaybook(mod.default) ? mod.default : mod;
  if (!isPlaybook(def)) {
    throw new ConfigError(`${shortPath(file)}: its default export is not a playbook (export default playbook('name', [...plays]))`);
  }
  const flags = [...argv.slice(0, at), ...argv.slice(at + 1)];
  return def.main(name === 'check' ? ['--check', ...flags] : flags, { invocation: `keel ${name} ${shortPath(file)}` });
}

/** `keel audit PLAYBOOK ...` is `audit run PLAYBOOK ...`; `keel audit diff|run|--help` as they are. */
function auditArgv(argv: readonly string[]): string[] {
  const first = argv[0];
  if (first === undefined || ['run', 'diff', 'help', '-h', '--help'].includes(first)) return [...argv];
  return ['run', ...argv];
}

function playbookIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) return i;
    if (a.includes('=')) continue;
    // `-i lab`, and grouped short flags ending in one that takes a value (`-Ci lab`).
    if (RUN_VALUE_FLAGS.has(a) || (/^-[A-Za-z]{2,}$/.test(a) && RUN_VALUE_FLAGS.has(`-${a.at(-1)}`))) i++;
  }
  return -1;
}

function version(): string {
  for (const dir of [join(__dirname, '..'), join(__dirname, '..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'keel' && pkg.version) return pkg.version;
    } catch {
      /* not here */
    }
  }
  return 'unknown';
}

// `ts-node lib/keel.ts ...` in keel's own repository runs the command as bin/keel.js does. Only
// this file as itself: in the package's bundle (dist/index.js) every module shares one `module`.
if (require.main === module && isMainFile(__filename, 'keel')) {
  void keel(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
