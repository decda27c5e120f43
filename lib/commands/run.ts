import { parseCli, runUsage, type CliOptions } from '../cli';
import { ConfigError, describeError, KeelError, UsageError, ValidationError } from '../errors';
import { ExitCode } from '../exit-codes';
import { loadInventory, selectHosts, type Inventory, type ResolvedHost } from '../inventory';
import type { PlaybookDefinition } from '../playbook';
import { checkOutputPath } from '../preflight';
import type { Reporter } from '../reporter';
import { LiveReporter } from '../reporters/live';
import { PlainReporter } from '../reporters/plain';
import type { RunReport } from '../runner';
import { runForCli, writeAtomically } from '../cli-run';
import { readPlan } from '../plan-file';
import { shardFields } from '../report/shard-report';
import { shardInventory } from '../shard';
import { checkShardable } from '../shard-check';
import { Connector } from '../connect';
import { redact, redactDeep } from '../secrets';
import type { Play } from '../types';
import { listPlaybook, startAtTask } from './list';

export interface RunCommandOptions {
  /** How the playbook was started, for --help: `keel run playbooks/site.ts`. */
  invocation?: string;
}

/**
 * A playbook run from the command line (`keel run`, `keel check`, `npx ts-node playbook.ts`):
 * flags, then every check that needs no host (report paths, inventory, task parameters,
 * handlers, key files), then the run, the recap and the reports. Returns the exit code.
 */
export async function runCommand(def: PlaybookDefinition, argv: readonly string[], options: RunCommandOptions = {}): Promise<number> {
  const usage = runUsage(options.invocation);
  let cli: CliOptions;
  try {
    cli = parseCli(argv, usage);
  } catch (err) {
    return fail(err);
  }
  if (cli.help) {
    process.stdout.write(`${def.name}: ${def.plays.map((p) => p.name).join(', ')}\n\n${usage}\n`);
    return ExitCode.ok;
  }
  // With `--json -` standard output holds the report alone: progress and notes go to standard error.
  const progress = cli.json === '-' ? process.stderr : process.stdout;

  const controller = new AbortController();
  const reporter = makeReporter(cli, progress);
  // On the live view a notice goes through the reporter, which redraws around it.
  const notice = (text: string) => (reporter instanceof LiveReporter ? reporter.note(text) : process.stderr.write(`\n${text}\n`));
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      notice('second interrupt: stopping now');
      process.exit(ExitCode.interrupted);
    }
    notice('interrupted: no new task starts; waiting for running tasks (interrupt again to stop now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  try {
    if (cli.json && cli.json !== '-') checkOutputPath('--json', cli.json);
    if (cli.junit) checkOutputPath('--junit', cli.junit);
    if (cli.html) checkOutputPath('--html', cli.html);
    if (cli.planOut) checkOutputPath('--plan-out', cli.planOut);
    const inventory = withConnectionOverrides(await loadInventory(cli.inventory, cli.extraVars), cli);
    const planOptions = { limit: cli.limit, tags: cli.tags, skipTags: cli.skipTags };
    let plays: readonly Play[] = def.plays;
    if (cli.startAtTask) {
      const from = startAtTask(plays, inventory, planOptions, cli.startAtTask);
      if (!from) return fail(new UsageError(`--start-at-task: no task called "${cli.startAtTask}" in any play for these hosts`));
      plays = from;
    }
    // --shard narrows the hosts after --limit and --start-at-task, which see the whole inventory
    // as the unsharded run does: every shard then agrees on the run's hosts and first task.
    // A plan applied without --limit runs the plan's own limit (lib/plan-apply.ts): so does a shard.
    const limit = cli.limit ?? (cli.plan ? (readPlan(cli.plan).limit ?? undefined) : undefined);
    const runHosts = hostsOfRun(plays, inventory, limit);
    if (cli.shard) checkShardable(plays, inventory, planOptions);
    const mine = cli.shard ? shardInventory(inventory, cli.shard) : inventory;
    if (cli.listHosts || cli.listTasks || cli.listTags) {
      const text = listPlaybook(def.name, plays, mine, planOptions, { hosts: cli.listHosts, tasks: cli.listTasks, tags: cli.listTags });
      process.stdout.write(redact(text) + '\n');
      return ExitCode.ok;
    }
    // Every host's address, user and keys are resolved (ssh config read, keys read and decrypted)
    // before any host is contacted: a missing key or a bad ssh config is exit 2. The run then plans
    // every play (task parameters, handlers) before it contacts any host either.
    const connector = new Connector({ sshConfigFile: cli.sshConfig, acceptNewHostKeys: cli.acceptNewHostKeys });
    const hosts = cli.shard ? hostsOfRun(plays, mine, limit) : runHosts;
    await connector.prepare(hosts);
    if (cli.shard) reporter.note(`shard ${cli.shard.index}/${cli.shard.count}: ${hosts.length} of the run's ${runHosts.length} hosts`);

    const { exitCode, report, record } = await runForCli({ ...def, plays }, cli, mine, {
      check: cli.check,
      forks: cli.forks,
      ...planOptions,
      acceptNewHostKeys: cli.acceptNewHostKeys,
      reporter,
      verbose: cli.verbose ? (host, line) => process.stderr.write(redact(`[${host}] ${line}`) + '\n') : undefined,
      signal: controller.signal,
      connect: (host) => connector.open(host),
    }, reporter instanceof LiveReporter ? (line) => reporter.note(redact(line)) : undefined);
    if (cli.json && report) writeJsonReport(cli.json, def, cli, report, cli.shard && record ? shardFields(cli.shard, runHosts.map((h) => h.name), record) : {});
    if (cli.junit && report) {
      // Loaded only for --junit (its XML builder is not on the path of a plain run).
      const { junitXml } = require('../reporters/junit') as typeof import('../reporters/junit');
      writeAtomically(cli.junit, junitXml(report, def.name));
    }
    return exitCode;
  } catch (err) {
    return fail(err);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Keel's errors raised before any host is contacted (by name: a second copy of keel has its own classes). */
const BEFORE_CONTACT = new Set(['UsageError', 'ValidationError', 'ConfigError', 'InventoryFileError']);

/**
 * One paragraph on standard error and the exit code for an error. Keel's own errors before any
 * contact (usage, validation, configuration) are exit 2 without a stack; anything else is a bug
 * or an unexpected failure: exit 1 with its stack.
 */
export function fail(err: unknown): number {
  process.stderr.write(redact(describeError(err)) + '\n');
  if (err instanceof UsageError || err instanceof ValidationError || err instanceof ConfigError) return ExitCode.usage;
  if (err instanceof Error && BEFORE_CONTACT.has(err.name)) return ExitCode.usage;
  if (err instanceof KeelError) return ExitCode.failed;
  process.stderr.write(String((err as Error)?.stack ?? '') + '\n');
  return ExitCode.failed;
}

/** `-u` and `-b` apply to every host, over what the inventory says (as `-e` does for vars). */
export function withConnectionOverrides(inventory: Inventory, cli: Pick<CliOptions, 'user' | 'become'>): Inventory {
  if (cli.user === undefined && !cli.become) return inventory;
  return {
    ...inventory,
    hosts: inventory.hosts.map((h) => ({
      ...h,
      connection: {
        ...h.connection,
        user: cli.user ?? h.connection.user,
        become: cli.become || h.connection.become,
        // What the inventory named explicitly wins over ~/.ssh/config: so does -u.
        given: h.connection.given && { ...h.connection.given, user: cli.user ?? h.connection.given.user },
      },
    })),
  };
}

export function makeReporter(cli: Pick<CliOptions, 'plain' | 'verbose' | 'diff'>, stream: NodeJS.WriteStream): Reporter {
  // The live view redraws in place: plain lines when it is not a terminal, and under -v, whose
  // command output would tear it.
  if (stream.isTTY && !cli.plain && !cli.verbose) {
    return new LiveReporter({ diff: cli.diff, stream, color: stream.hasColors?.() ?? false });
  }
  return new PlainReporter({ diff: cli.diff, write: (line) => stream.write(line + '\n') });
}

/** The whole run, per host and task, with every secret redacted; to standard output for `-`. */
function writeJsonReport(file: string, def: PlaybookDefinition, cli: CliOptions, report: RunReport, shard: Partial<ReturnType<typeof shardFields>>): void {
  const body = redactDeep({
    keel: 1,
    playbook: def.name,
    inventory: cli.inventory,
    limit: cli.limit ?? null,
    ...report,
    ...shard,
  });
  const text = JSON.stringify(body, null, 2) + '\n';
  if (file === '-') process.stdout.write(text);
  else writeAtomically(file, text);
}


/** The hosts the run will contact: every play's hosts, within --limit, in inventory order. */
function hostsOfRun(plays: readonly Play[], inventory: Inventory, limit?: string): ResolvedHost[] {
  const names = new Set(plays.flatMap((p) => selectHosts(inventory, p.hosts).map((h) => h.name)));
  const allowed = limit === undefined ? undefined : new Set(selectHosts(inventory, limit).map((h) => h.name));
  return inventory.hosts.filter((h) => names.has(h.name) && (!allowed || allowed.has(h.name)));
}
