/**
 * `audit`: nightly drift audits kept as files, and what changed between two of them.
 *
 *   keel audit PLAYBOOK -i INVENTORY --out DIR [--keep N] [-l PATTERN] [-e K=V] ...
 *   keel audit diff OLD.json NEW.json
 *
 * `keel audit` (lib/keel.ts) calls `auditMain(['run' | 'diff', ...])`; in keel's own repository
 * `npx ts-node lib/audit/cli.ts run|diff ...` does the same.
 */
import { parseExtraVars, parseFlags } from '../cli';
import { ConfigError, describeError, UsageError, ValidationError } from '../errors';
import { ExitCode } from '../exit-codes';
import { isMainFile } from '../load-module';
import { redact } from '../secrets';
import { diffAudits, formatAuditDiff, hasNewDrift } from './diff';
import { DEFAULT_KEEP, runAudit, type AuditRunOptions } from './run';
import { readAudit } from './store';

export const AUDIT_USAGE = `usage: keel audit [run] PLAYBOOK -i INVENTORY --out DIR [options]
       keel audit diff OLD.json NEW.json
       (in keel's own repository, npx ts-node lib/audit/cli.ts run|diff ... is the same)

run   a check run of PLAYBOOK (nothing changes); writes DIR/<UTC time>.json and .html, keeps the
      newest --keep N (default ${DEFAULT_KEEP}), and prints what changed since the previous audit in DIR
  -i, --inventory NAME|PATH   -l, --limit PATTERN   -t, --tags T   --skip-tags T   -e, --extra-vars K=V
  -f, --forks N               --accept-new-host-keys
  exit codes: as a check run: 0 no drift, 4 drift, 1 a task failed, 3 a host unreachable, 2 usage

diff  what drifted since OLD (new drift), what was fixed, what is still drifted, what is unchanged
  exit codes: 0 nothing new drifted, 4 new drift (or a host newly unreachable), 2 usage or unreadable file`;

export async function auditMain(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(redact(l) + '\n')): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === 'run') return await auditRun(rest, out);
    if (command === 'diff') return auditDiff(rest, out);
    if (command === '-h' || command === '--help' || command === 'help') {
      out(AUDIT_USAGE);
      return ExitCode.ok;
    }
    throw new UsageError(`${command ? `unknown audit command "${command}"` : 'an audit command is required'}\n\n${AUDIT_USAGE}`);
  } catch (err) {
    process.stderr.write(redact(describeError(err)) + '\n');
    if (err instanceof UsageError || err instanceof ValidationError || err instanceof ConfigError) return ExitCode.usage;
    return ExitCode.failed;
  }
}

async function auditRun(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const result = await runAudit({ ...parseAuditRunArgs(argv), say: out });
  return result.exitCode;
}

/** `run PLAYBOOK -i INV --out DIR ...` (the words after `run`) as runAudit's options; a UsageError otherwise. */
export function parseAuditRunArgs(argv: readonly string[]): AuditRunOptions {
  const parsed = parseFlags(
    {
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i' },
        out: { type: 'string' },
        keep: { type: 'string' },
        limit: { type: 'string', short: 'l' },
        tags: { type: 'string', short: 't' },
        'skip-tags': { type: 'string' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        forks: { type: 'string', short: 'f' },
        'accept-new-host-keys': { type: 'boolean', default: false },
      },
    },
    AUDIT_USAGE,
  );
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new UsageError(`audit run takes one PLAYBOOK file\n\n${AUDIT_USAGE}`);
  if (!v.inventory) throw new UsageError(`-i INVENTORY is required\n\n${AUDIT_USAGE}`);
  if (!v.out) throw new UsageError(`--out DIR is required\n\n${AUDIT_USAGE}`);
  const whole = (name: string, s: string | undefined, min: number, max: number, dflt: number) => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${s}"`);
    return n;
  };
  const list = (s?: string) => (s === undefined ? undefined : s.split(',').map((t) => t.trim()).filter(Boolean));
  return {
    playbook: parsed.positionals[0],
    inventory: v.inventory,
    outDir: v.out,
    keep: whole('keep', v.keep, 1, 100000, DEFAULT_KEEP),
    limit: v.limit,
    tags: list(v.tags),
    skipTags: list(v['skip-tags']),
    extraVars: parseExtraVars(v['extra-vars'] ?? []),
    forks: whole('forks', v.forks, 1, 1000, 10),
    acceptNewHostKeys: v['accept-new-host-keys'],
  };
}

function auditDiff(argv: readonly string[], out: (line: string) => void): number {
  if (argv.length !== 2 || argv.some((a) => a.startsWith('-'))) throw new UsageError(`audit diff takes two audit files: OLD.json NEW.json\n\n${AUDIT_USAGE}`);
  const [a, b] = argv;
  const older = readAudit(a);
  const newer = readAudit(b);
  const diff = diffAudits(older, newer);
  out(formatAuditDiff(diff, { label: a, record: older }, { label: b, record: newer }));
  return hasNewDrift(diff) ? ExitCode.drift : ExitCode.ok;
}

// `ts-node lib/audit/cli.ts ...`; not the package's bundle, where every module shares one `module`.
if (require.main === module && isMainFile(__filename, 'cli')) {
  void auditMain(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
