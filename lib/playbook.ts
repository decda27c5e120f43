import { runCommand, type RunCommandOptions } from './commands/run';
import type { Play } from './types';

export interface PlaybookDefinition {
  name: string;
  plays: readonly Play[];
  /** The playbook's file, when it was declared with its module (for the report's git commit). */
  file?: string;
  /** Runs this playbook as the command line would (`keel run`, tests, wrappers); returns the exit code. */
  main(argv: readonly string[], options?: RunCommandOptions): Promise<number>;
}

/**
 * Declares a playbook. `keel run playbooks/x.ts -i prod` runs it; so does running the file itself
 * (`npx ts-node playbooks/x.ts -i prod`) when `module` is passed: it then parses the command line
 * and runs. Imported anywhere else, it only exports the plays.
 *
 * @example export default playbook('site', [{ name: 'motd', hosts: 'all', tasks: () => [writeFile(...)] }], module);
 */
export function playbook(name: string, plays: readonly Play[], mod?: object): PlaybookDefinition {
  const file = (mod as { filename?: unknown } | undefined)?.filename;
  const def: PlaybookDefinition = {
    name,
    plays,
    file: typeof file === 'string' ? file : undefined,
    main: (argv, options) => runCommand(def, argv, options),
  };
  if (mod && require.main === mod) {
    void def.main(process.argv.slice(2)).then((code) => {
      process.exitCode = code;
    });
  }
  return def;
}

/** Whether a module's export is a playbook: what `keel run` accepts as a file's default export. */
export function isPlaybook(value: unknown): value is PlaybookDefinition {
  const v = value as Partial<PlaybookDefinition> | undefined;
  return !!v && typeof v.name === 'string' && Array.isArray(v.plays) && typeof v.main === 'function';
}
