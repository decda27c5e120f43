import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export interface CliOptions {
  inventory: string;
  check: boolean;
  diff: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  extraVars: Record<string, unknown>;
  json?: string;
  verbose: boolean;
  acceptNewHostKeys: boolean;
  /** `-F FILE`: the ssh config to read instead of ~/.ssh/config. */
  sshConfig?: string;
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
}

export const USAGE = `usage: npx ts-node playbooks/NAME.ts -i INVENTORY [options]

  -i, --inventory NAME|PATH   inventories/NAME.ts, a .ts file, or an Ansible .ini/.yml/.yaml file or directory
      --check                 change nothing; report what would change (exit 4 on drift)
      --diff                  show unified diffs of files and field-by-field changes
  -l, --limit PATTERN         only these hosts (group, host, a:b, !x, &y, globs)
  -t, --tags T1,T2            only tasks with one of these tags
      --skip-tags T1,T2       never tasks with these tags
  -f, --forks N               hosts at once (default 10)
  -e, --extra-vars K=V        a var with the highest precedence (repeatable; V may be JSON)
      --json FILE             write the whole run as JSON to FILE
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
  -h, --help                  this text

exit codes: 0 ok, 1 a task failed, 2 usage or inventory error, 3 a host unreachable,
            4 check mode found drift, 5 plan refused (nothing changed), 130 interrupted`;

/** Parses argv strictly: an unknown flag or a bad value is a UsageError before anything runs. */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        inventory: { type: 'string', short: 'i' },
        check: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        limit: { type: 'string', short: 'l' },
        tags: { type: 'string', short: 't' },
        'skip-tags': { type: 'string' },
        forks: { type: 'string', short: 'f' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        json: { type: 'string' },
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
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) return { help: true } as CliOptions;
  if (!v.inventory) throw new UsageError(`-i INVENTORY is required\n\n${USAGE}`);
  let forks = 10;
  if (v.forks !== undefined) {
    forks = Number(v.forks);
    if (!Number.isInteger(forks) || forks < 1 || forks > 1000) throw new UsageError(`--forks must be a whole number from 1 to 1000, got "${v.forks}"`);
  }
  if (v['plan-out'] !== undefined && !v.check) throw new UsageError('--plan-out writes the plan of a check run: add --check');
  if (v.plan !== undefined && v.check) throw new UsageError('--plan applies a plan: leave out --check (make plans with --check --plan-out FILE)');
  if (v.plan === undefined && (v['plan-max-age'] !== undefined || v['force-plan'])) throw new UsageError('--plan-max-age and --force-plan go with --plan FILE');
  let planMaxAgeSeconds = 3600;
  if (v['plan-max-age'] !== undefined) {
    planMaxAgeSeconds = Number(v['plan-max-age']);
    if (!Number.isInteger(planMaxAgeSeconds) || planMaxAgeSeconds < 0) throw new UsageError(`--plan-max-age must be a whole number of seconds, got "${v['plan-max-age']}"`);
  }
  const list = (s?: string) => (s === undefined ? undefined : s.split(',').map((t) => t.trim()).filter(Boolean));
  return {
    inventory: v.inventory,
    check: v.check!,
    diff: v.diff!,
    limit: v.limit,
    tags: list(v.tags),
    skipTags: list(v['skip-tags']),
    forks,
    extraVars: parseExtraVars(v['extra-vars'] ?? []),
    json: v.json,
    verbose: v.verbose!,
    acceptNewHostKeys: v['accept-new-host-keys']!,
    sshConfig: v['ssh-config'],
    help: false,
    plain: v.plain!,
    planOut: v['plan-out'],
    plan: v.plan,
    planMaxAgeSeconds,
    forcePlan: v['force-plan']!,
    html: v.html,
  };
}

/** `-e key=value`: the value is JSON when it parses as JSON (numbers, booleans), else a string. */
export function parseExtraVars(items: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`-e wants key=value, got "${item}"`);
    const key = item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`-e: "${key}" is not a valid var name`);
    const raw = item.slice(eq + 1);
    try {
      vars[key] = JSON.parse(raw);
    } catch {
      vars[key] = raw;
    }
  }
  return vars;
}
