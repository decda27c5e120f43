import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';
import { parseShard, type Shard } from './shard';

export interface CliOptions {
  inventory: string;
  check: boolean;
  diff: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  extraVars: Record<string, unknown>;
  /** A file for the JSON report; `-` for standard output (progress then goes to standard error). */
  json?: string;
  /** A file for a JUnit XML report. */
  junit?: string;
  verbose: boolean;
  acceptNewHostKeys: boolean;
  /** `-F FILE`: the ssh config to read instead of ~/.ssh/config. */
  sshConfig?: string;
  /** `-u`: log in as this user on every host, whatever the inventory says. */
  user?: string;
  /** `-b`: run commands with sudo on every host whose user is not root. */
  become: boolean;
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  /** Start at the first task of this name, skipping every step before it. */
  startAtTask?: string;
  help: boolean;
  /** Plain lines even on a terminal. */
  plain: boolean;
  /** --check --plan-out FILE: write the plan (changes, diffs, parameters' and facts' hashes) for a later --plan. */
  planOut?: string;
  /** --plan FILE: apply exactly this plan, or refuse (exit 5) before changing anything. */
  plan?: string;
  /** --plan-max-age SECONDS: an older plan is refused (default 3600). */
  planMaxAgeSeconds: number;
  /** --force-plan: apply a plan older than --plan-max-age (its facts are still checked). */
  forcePlan: boolean;
  /** --html FILE: a self-contained HTML report of the run. */
  html?: string;
  /** --shard I/N: only the hosts whose shard (a hash of the name, lib/shard.ts) is I of N. */
  shard?: Shard;
}

const OPTIONS_TEXT = `  -i, --inventory NAME|PATH   inventories/NAME.ts (or .js) in the working directory, a .ts/.js
                              file, or an Ansible .ini/.yml/.yaml file or directory
  -C, --check                 change nothing; report what would change (exit 4 on drift)
  -D, --diff                  show unified diffs of files and field-by-field changes
  -l, --limit PATTERN         only these hosts (group, host, a:b, !x, &y, globs)
  -t, --tags T1,T2            only tasks with one of these tags
      --skip-tags T1,T2       never tasks with these tags
      --start-at-task NAME    skip every step before the first task called NAME
  -f, --forks N               hosts at once (default 10)
      --shard I/N             only the hosts in shard I of N (0 to N-1, by a hash of the host's
                              name; after --limit); join the --json reports with keel report merge
  -e, --extra-vars VARS       vars with the highest precedence (repeatable): key=value (value may
                              be JSON), '{"key": 1}' (a JSON object) or @vars.json (a JSON file)
  -u, --user USER             log in as USER on every host (overrides the inventory)
  -b, --become                run commands with sudo on every host whose user is not root
      --json FILE             write the whole run as JSON to FILE; "-" for standard output
                              (progress then goes to standard error)
      --junit FILE            write JUnit XML to FILE: a testcase per host and task (drift fails
                              in check mode)
      --list-hosts            list each play's hosts, contact nothing
      --list-tasks            list each play's tasks, contact nothing
      --list-tags             list each play's task tags, contact nothing
  -v, --verbose               show commands and their output
      --accept-new-host-keys  trust and record unknown host keys (a changed key is always refused)
  -F, --ssh-config FILE       read this ssh config instead of ~/.ssh/config
      --plain                 one line per event even on a terminal
      --html FILE             write a self-contained HTML report (host x task matrix, diffs, recap)
      --plan-out FILE         with --check: write the plan (what would change, and hashes of the
                              parameters and of every fact read) for review and a later --plan
      --plan FILE             apply exactly that plan: re-read every host first and refuse (exit 5,
                              nothing changed) if any fact moved or the playbook changed since
      --plan-max-age SECONDS  refuse a plan older than this (default 3600)
      --force-plan            apply a plan older than --plan-max-age (facts are still compared)
  -h, --help                  this text`;

export const EXIT_CODES_TEXT = `exit codes: 0 ok, 1 a task failed, 2 usage or configuration error (nothing was contacted),
            3 a host unreachable, 4 check mode found drift, 5 plan refused (nothing changed),
            130 interrupted`;

/** The usage of a playbook run, as the playbook was started (`keel run FILE`, `npx ts-node FILE`). */
export function runUsage(invocation = 'npx ts-node playbooks/NAME.ts'): string {
  return `usage: ${invocation} -i INVENTORY [options]\n\n${OPTIONS_TEXT}\n\n${EXIT_CODES_TEXT}`;
}

export const USAGE = runUsage();

/** The flags of a playbook run, as node:util's parseArgs takes them. */
const RUN_OPTIONS = {
    inventory: { type: 'string', short: 'i' },
    check: { type: 'boolean', short: 'C', default: false },
    diff: { type: 'boolean', short: 'D', default: false },
    limit: { type: 'string', short: 'l' },
    tags: { type: 'string', short: 't' },
    'skip-tags': { type: 'string' },
    'start-at-task': { type: 'string' },
    forks: { type: 'string', short: 'f' },
    shard: { type: 'string' },
    'extra-vars': { type: 'string', short: 'e', multiple: true },
    user: { type: 'string', short: 'u' },
    become: { type: 'boolean', short: 'b', default: false },
    json: { type: 'string' },
    junit: { type: 'string' },
    'list-hosts': { type: 'boolean', default: false },
    'list-tasks': { type: 'boolean', default: false },
    'list-tags': { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    'accept-new-host-keys': { type: 'boolean', default: false },
    'ssh-config': { type: 'string', short: 'F' },
    plain: { type: 'boolean', default: false },
    html: { type: 'string' },
    'plan-out': { type: 'string' },
    plan: { type: 'string' },
    'plan-max-age': { type: 'string' },
    'force-plan': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * Every spelling of a run flag that takes a value (`-i`, `--inventory`, ...): how `keel run`
 * tells the playbook from the flags' values before it parses them.
 */
export const RUN_VALUE_FLAGS: ReadonlySet<string> = new Set(
  Object.entries(RUN_OPTIONS).flatMap(([name, o]) => (o.type === 'string' ? [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])] : [])),
);

/**
 * node's parseArgs for every keel command: an unknown flag or a bad value is a UsageError, with the
 * command's usage text, before anything runs.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

/** Parses argv strictly: an unknown flag or a bad value is a UsageError before anything runs. */
export function parseCli(argv: readonly string[], usage = USAGE): CliOptions {
  const parsed = parseFlags(
    {
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: RUN_OPTIONS,
    },
    usage,
  );
  const v = parsed.values;
  if (v.help) return { help: true } as CliOptions;
  if (!v.inventory) throw new UsageError(`-i INVENTORY is required\n\n${usage}`);
  if (v.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(v.user)) throw new UsageError(`-u: "${v.user}" is not a user name`);
  if (v['start-at-task'] !== undefined && !v['start-at-task'].trim()) throw new UsageError('--start-at-task wants a task name');
  for (const flag of ['json', 'junit'] as const) {
    if (v[flag] === '') throw new UsageError(`--${flag} wants a file name`);
  }
  if (v.junit === '-') throw new UsageError('--junit wants a file name (standard output is for --json -)');
  if (v['plan-out'] !== undefined && !v.check) throw new UsageError('--plan-out writes the plan of a check run: add --check');
  if (v.plan !== undefined && v.check) throw new UsageError('--plan applies a plan: leave out --check (make plans with --check --plan-out FILE)');
  if (v.plan === undefined && (v['plan-max-age'] !== undefined || v['force-plan'])) throw new UsageError('--plan-max-age and --force-plan go with --plan FILE');
  let planMaxAgeSeconds = 3600;
  if (v['plan-max-age'] !== undefined) {
    planMaxAgeSeconds = Number(v['plan-max-age']);
    if (!Number.isInteger(planMaxAgeSeconds) || planMaxAgeSeconds < 0) throw new UsageError(`--plan-max-age must be a whole number of seconds, got "${v['plan-max-age']}"`);
  }
  return {
    inventory: v.inventory,
    check: v.check!,
    diff: v.diff!,
    limit: v.limit,
    tags: list(v.tags),
    skipTags: list(v['skip-tags']),
    forks: parseForks(v.forks),
    extraVars: parseExtraVars(v['extra-vars'] ?? []),
    json: v.json,
    junit: v.junit,
    verbose: v.verbose!,
    acceptNewHostKeys: v['accept-new-host-keys']!,
    sshConfig: v['ssh-config'],
    user: v.user,
    become: v.become!,
    listHosts: v['list-hosts']!,
    listTasks: v['list-tasks']!,
    listTags: v['list-tags']!,
    startAtTask: v['start-at-task'],
    help: false,
    plain: v.plain!,
    planOut: v['plan-out'],
    plan: v.plan,
    planMaxAgeSeconds,
    forcePlan: v['force-plan']!,
    html: v.html,
    ...(v.shard !== undefined ? { shard: parseShard(v.shard) } : {}),
  };
}

export function list(s?: string): string[] | undefined {
  return s === undefined ? undefined : s.split(',').map((t) => t.trim()).filter(Boolean);
}

export function parseForks(value: string | undefined): number {
  if (value === undefined) return 10;
  const forks = Number(value);
  if (!Number.isInteger(forks) || forks < 1 || forks > 1000) throw new UsageError(`--forks must be a whole number from 1 to 1000, got "${value}"`);
  return forks;
}

/**
 * `-e` as Ansible takes it: `key=value` (the value is JSON when it parses as JSON, else a string),
 * `{"key": ...}` (a JSON object) or `@file.json` (a JSON object in a file). Later ones win.
 */
export function parseExtraVars(items: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const item of items) {
    if (item.startsWith('@')) {
      Object.assign(vars, varsFile(item.slice(1)));
      continue;
    }
    if (item.trimStart().startsWith('{')) {
      Object.assign(vars, jsonObject(item, `-e ${item}`));
      continue;
    }
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`-e wants key=value, a JSON object or @file.json, got "${item}"`);
    const key = item.slice(0, eq);
    checkVarName(key);
    const raw = item.slice(eq + 1);
    try {
      vars[key] = JSON.parse(raw);
    } catch {
      vars[key] = raw;
    }
  }
  return vars;
}

function checkVarName(key: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`-e: "${key}" is not a valid var name`);
}

function varsFile(file: string): Record<string, unknown> {
  if (!file) throw new UsageError('-e @FILE wants a file name');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`-e @${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return jsonObject(text, `-e @${file}`);
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what}: not valid JSON (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${what}: must be a JSON object of vars`);
  for (const key of Object.keys(value)) checkVarName(key);
  return value as Record<string, unknown>;
}
