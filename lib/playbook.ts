import { renameSync, writeFileSync } from 'node:fs';
import { parseCli, USAGE, type CliOptions } from './cli';
import { Connector } from './connect';
import { describeError, KeelError, UsageError, ValidationError } from './errors';
import { ExitCode } from './exit-codes';
import { loadInventory, selectHosts, type Inventory, type ResolvedHost } from './inventory';
import type { Reporter } from './reporter';
import { PlainReporter } from './reporters/plain';
import { runForCli } from './cli-run';
import type { RunReport } from './runner';
import { redact, redactDeep } from './secrets';
import type { Play } from './types';

export interface PlaybookDefinition {
  name: string;
  plays: readonly Play[];
  /** The playbook's file, when it was declared with its module (for the report's git commit). */
  file?: string;
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
  const def: PlaybookDefinition = { name, plays, file: mod?.filename, main: (argv) => main(def, argv) };
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
    // Every host's address, user and keys are resolved (ssh config, keys read and decrypted)
    // before any host is contacted: a missing key or a bad ssh config is exit 2.
    const connector = new Connector({ sshConfigFile: cli.sshConfig, acceptNewHostKeys: cli.acceptNewHostKeys });
    await connector.prepare(hostsOfRun(def.plays, inventory, cli.limit));
    const reporter = makeReporter(cli);
    const { exitCode, report } = await runForCli(def, cli, inventory, {
      check: cli.check,
      forks: cli.forks,
      limit: cli.limit,
      tags: cli.tags,
      skipTags: cli.skipTags,
      acceptNewHostKeys: cli.acceptNewHostKeys,
      reporter,
      verbose: cli.verbose ? (host, line) => process.stderr.write(redact(`[${host}] ${line}`) + '\n') : undefined,
      signal: controller.signal,
      connect: (host) => connector.open(host),
    });
    if (cli.json && report) writeJsonReport(cli.json, def, cli, report);
    return exitCode;
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

/** The hosts the run will contact: every play's hosts, within --limit, in inventory order. */
function hostsOfRun(plays: readonly Play[], inventory: Inventory, limit?: string): ResolvedHost[] {
  const names = new Set(plays.flatMap((p) => selectHosts(inventory, p.hosts).map((h) => h.name)));
  const allowed = limit === undefined ? undefined : new Set(selectHosts(inventory, limit).map((h) => h.name));
  return inventory.hosts.filter((h) => names.has(h.name) && (!allowed || allowed.has(h.name)));
}

function makeReporter(cli: CliOptions): Reporter {
  if (process.stdout.isTTY && !cli.plain) {
    // listr2 only for a terminal: loaded here, off the start-up path of plain and piped runs.
    const { ListrReporter } = require('./reporters/listr') as typeof import('./reporters/listr');
    return new ListrReporter({ diff: cli.diff });
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
