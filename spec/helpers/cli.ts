import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs node with `argv` in a child process and collects its exit code and output. */
function runNode(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs a playbook file exactly as a user would (`ts-node playbook.ts ...`), in a child process. */
export function runCli(playbookFile: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runNode(['-r', 'ts-node/register', playbookFile, ...args], repoRoot, { TS_NODE_TRANSPILE_ONLY: 'true', ...env });
}

export const KEEL_BIN = join(repoRoot, 'bin', 'keel.js');

/** Runs the `keel` command (bin/keel.js) as a user would, from `cwd`. */
export function runKeel(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return runNode([KEEL_BIN, ...args], options.cwd ?? repoRoot, options.env ?? {});
}

/** Writes an inventory module (a plain object default export) and returns its path. */
export function writeInventory(dir: string, spec: unknown, name = 'inventory.ts'): string {
  const file = join(dir, name);
  writeFileSync(file, `export default ${JSON.stringify(spec, null, 2)};\n`);
  return file;
}
