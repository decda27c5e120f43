/**
 * `keel exec PATTERN -i INVENTORY -- COMMAND`: one shell command on many hosts at once, as
 * `ansible PATTERN -a COMMAND` does. It is the engine's own run: a one-task play with the
 * `command` task, so connections, host keys, forks, become, secrets and exit codes are a
 * playbook's. Each host's output is printed as its command ends.
 */
import { parseExtraVars, parseFlags, parseForks } from '../cli';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { loadInventory, selectHosts } from '../inventory';
import { Connector } from '../connect';
import type { HostRecap, Reporter } from '../reporter';
import { runPlaybook } from '../runner';
import { redact } from '../secrets';
import type { Play, TaskResult } from '../types';
import { command } from '../../tasks/command';
import { withConnectionOverrides } from './run';

export const EXEC_USAGE = `usage: keel exec PATTERN -i INVENTORY [options] -- COMMAND [ARG...]
       keel exec PATTERN -i INVENTORY [options] -a 'COMMAND'

Runs COMMAND with sh on every host PATTERN selects (all, a group, a host, a:b, !x, &y, globs),
up to --forks at once, and prints each host's output. The words after -- are joined by spaces,
as ssh does.

  -i, --inventory NAME|PATH   inventories/NAME.ts (or .js) in the current directory, or a path
  -a, --args COMMAND          the command, as one string (instead of -- COMMAND)
  -l, --limit PATTERN         further narrow the hosts
  -f, --forks N               hosts at once (default 10)
  -u, --user USER             log in as USER on every host (overrides the inventory)
  -b, --become                run the command with sudo where the user is not root
  -e, --extra-vars VARS       as for keel run
  -C, --check                 run nothing: say where the command would run
  -v, --verbose               show the commands keel sends and their output
      --accept-new-host-keys  trust and record unknown host keys (a changed key is always refused)
  -F, --ssh-config FILE       read this ssh config instead of ~/.ssh/config
  -h, --help                  this text

exit codes: 0 the command succeeded everywhere, 1 it failed somewhere, 2 usage or configuration
            error (nothing was contacted), 3 a host unreachable`;

export async function execCommand(argv: readonly string[]): Promise<number> {
  const dashdash = argv.indexOf('--');
  const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
  const words = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const parsed = parseFlags(
    {
      args: [...own],
      strict: true,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i' },
        args: { type: 'string', short: 'a' },
        limit: { type: 'string', short: 'l' },
        forks: { type: 'string', short: 'f' },
        user: { type: 'string', short: 'u' },
        become: { type: 'boolean', short: 'b', default: false },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        check: { type: 'boolean', short: 'C', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        'accept-new-host-keys': { type: 'boolean', default: false },
        'ssh-config': { type: 'string', short: 'F' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    EXEC_USAGE,
  );
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(EXEC_USAGE + '\n');
    return ExitCode.ok;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`keel exec wants one host PATTERN before the options, got ${parsed.positionals.length}\n\n${EXEC_USAGE}`);
  if (!v.inventory) throw new UsageError(`-i INVENTORY is required\n\n${EXEC_USAGE}`);
  if (v.args !== undefined && words.length) throw new UsageError('keel exec: give the command either with -a or after --, not both');
  const cmd = (v.args ?? words.join(' ')).trim();
  if (!cmd) throw new UsageError(`keel exec: no command (put it after --)\n\n${EXEC_USAGE}`);
  const pattern = parsed.positionals[0];

  const inventory = withConnectionOverrides(await loadInventory(v.inventory, parseExtraVars(v['extra-vars'] ?? [])), { user: v.user, become: v.become! });
  let hosts = selectHosts(inventory, pattern);
  if (v.limit) {
    const allowed = new Set(selectHosts(inventory, v.limit).map((h) => h.name));
    hosts = hosts.filter((h) => allowed.has(h.name));
  }
  if (hosts.length === 0) throw new UsageError(`keel exec: "${pattern}"${v.limit ? ` limited to "${v.limit}"` : ''} selects no host`);
  // Addresses, users and keys (ssh config, decrypted keys) resolved before any host is contacted.
  const connector = new Connector({ sshConfigFile: v['ssh-config'], acceptNewHostKeys: v['accept-new-host-keys'] });
  await connector.prepare(hosts);

  const play: Play = { name: `exec ${cmd}`, hosts: pattern, tasks: () => [command({ cmd }, { name: cmd })] };
  const report = await runPlaybook([play], inventory, {
    check: v.check!,
    forks: parseForks(v.forks),
    limit: v.limit,
    acceptNewHostKeys: v['accept-new-host-keys'],
    connect: (host) => connector.open(host),
    reporter: new ExecReporter((text) => process.stdout.write(text)),
    verbose: v.verbose ? (host, line) => process.stderr.write(redact(`[${host}] ${line}`) + '\n') : undefined,
  });
  // A command that "would run" is the point of -C here, not drift.
  return report.exitCode === ExitCode.drift ? ExitCode.ok : report.exitCode;
}

/** Each host's outcome as `ansible -a` prints it: `host1 | CHANGED | rc=0 >>` and the output. */
export class ExecReporter implements Reporter {
  constructor(private readonly write: (text: string) => void) {}

  private out(text: string): void {
    this.write(redact(text.endsWith('\n') ? text : text + '\n'));
  }

  playStart(): void {}
  taskStart(): void {}

  taskEnd(r: TaskResult): void {
    if (r.status === 'failed' && r.unreachable) this.out(`${r.host} | UNREACHABLE! | ${r.error ?? 'connection lost'}`);
    else if (r.status === 'failed') this.out(`${r.host} | FAILED | ${r.error ?? 'failed'}`);
    else if (r.status === 'would change') this.out(`${r.host} | WOULD RUN (check mode: nothing was run)`);
    else if (r.status === 'skipped') this.out(`${r.host} | SKIPPED | ${r.message ?? ''}`);
    else {
      const o = r.output;
      const text = o ? [o.stdout.trimEnd(), o.stderr.trimEnd()].filter(Boolean).join('\n') : '';
      this.out(`${r.host} | ${r.status === 'changed' ? 'CHANGED' : 'SUCCESS'} | rc=${o?.code ?? 0} >>${text ? '\n' + text : ''}`);
    }
  }

  hostUnreachable(host: string, error: string): void {
    this.out(`${host} | UNREACHABLE! | ${error}`);
  }

  playEnd(): void {}
  recap(_recap: Readonly<Record<string, HostRecap>>): void {}
  note(line: string): void {
    this.out(line);
  }
}
