/**
 * The `keel` command: `keel inventory ...` for now (`npm run keel -- inventory -i hosts.ini --list`).
 * Playbooks run as their own files: `npx ts-node playbooks/NAME.ts -i INVENTORY`.
 */
import { ExitCode } from './exit-codes';
import { inventoryCommand } from './inventory-command';

export const KEEL_USAGE = `usage: keel COMMAND [options]

commands:
  inventory   show an inventory as keel reads it (--list, --graph, --host), like ansible-inventory

keel COMMAND --help for its options. Playbooks run as files: npx ts-node playbooks/NAME.ts -i INVENTORY`;

const commands: Record<string, (argv: readonly string[]) => Promise<number>> = {
  inventory: (argv) => inventoryCommand(argv),
};

export async function keel(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process[command === undefined ? 'stderr' : 'stdout'].write(KEEL_USAGE + '\n');
    return command === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const run = commands[command];
  if (!run) {
    process.stderr.write(`keel: unknown command "${command}"\n\n${KEEL_USAGE}\n`);
    return ExitCode.usage;
  }
  return run(rest);
}

if (require.main === module) {
  // `npm run keel -- ...` runs in the package directory; paths given are the caller's.
  if (process.env.npm_lifecycle_event === 'keel' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  void keel(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
