import { renameSync, writeFileSync } from 'node:fs';
import { parseCli, USAGE, type CliOptions } from './cli';
import { describeError, KeelError, UsageError, ValidationError } from './errors';
import { ExitCode } from './exit-codes';
import { loadInventory } from './inventory';
import type { Reporter } from './reporter';
import { LiveReporter } from './reporters/live';
import { PlainReporter } from './reporters/plain';
import { runPlaybook, type RunReport } from './runner';
import { redact, redactDeep } from './secrets';
import type { Play } from './types';

export interface PlaybookDefinition {
  name: string;
  plays: readonly Play[];
  /** Runs this playbook as the command line would (for tests and wrappers); returns the exit code. */
  main(argv: readonly string[]): Promise<number>;
}

/**
 * Declares a playbook. When the file is run directly (`npx ts-node playbooks/x.ts -i lab`)
 * it parses the command line and runs; when imported, it only exports the plays.
 *
 * @example export default playbook('site', [{ name: 'motd', hosts: 'all', tasks: () => [writeFile(...)] }], module);
 */
export function playbook(name: string, plays: readonly Play[], mod?: NodeModule): PlaybookDefinition {
  const def: PlaybookDefinition = { name, plays, main: (argv) => main(def, argv) };
  if (mod && require.main === mod) {
    void def.main(process.argv.slice(2)).then((code) => {
      process.exitCode = code;
    });
  }
  return def;
}

async function main(def: PlaybookDefinition, argv: readonly string[]): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(redact(describeError(err)) + '\n');
    return ExitCode.usage;
  }
  if (cli.help) {
    process.stdout.write(`${def.name}: ${def.plays.map((p) => p.name).join(', ')}\n\n${USAGE}\n`);
    return ExitCode.ok;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write('\nsecond interrupt: stopping now\n');
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write('\ninterrupted: no new task starts; waiting for running tasks (interrupt again to stop now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  try {
    const inventory = await loadInventory(cli.inventory, cli.extraVars);
    const reporter = makeReporter(cli);
    const report = await runPlaybook(def.plays, inventory, {
      check: cli.check,
      forks: cli.forks,
      limit: cli.limit,
      tags: cli.tags,
      skipTags: cli.skipTags,
      acceptNewHostKeys: cli.acceptNewHostKeys,
      reporter,
      verbose: cli.verbose ? (host, line) => process.stderr.write(redact(`[${host}] ${line}`) + '\n') : undefined,
      signal: controller.signal,
    });
    if (cli.json) writeJsonReport(cli.json, def, cli, report);
    return report.exitCode;
  } catch (err) {
    process.stderr.write(redact(describeError(err)) + '\n');
    if (err instanceof ValidationError || err instanceof UsageError) return ExitCode.usage;
    if (err instanceof KeelError) return ExitCode.failed;
    process.stderr.write(String((err as Error).stack ?? '') + '\n');
    return ExitCode.failed;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function makeReporter(cli: CliOptions): Reporter {
  // The live view redraws in place: plain lines when it is not a terminal, and under -v, whose
  // command output would tear it.
  if (process.stdout.isTTY && !cli.plain && !cli.verbose) {
    return new LiveReporter({ diff: cli.diff, stream: process.stdout, color: process.stdout.hasColors?.() ?? false });
  }
  return new PlainReporter({ diff: cli.diff });
}

/** The whole run, per host and task, with every secret redacted; written atomically. */
function writeJsonReport(file: string, def: PlaybookDefinition, cli: CliOptions, report: RunReport): void {
  const body = redactDeep({
    keel: 1,
    playbook: def.name,
    inventory: cli.inventory,
    limit: cli.limit ?? null,
    ...report,
  });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n');
  renameSync(tmp, file);
}
