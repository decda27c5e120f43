/**
 * `keel report merge SHARD.json... [--json OUT|-] [--allow-partial]`: the --json reports of one
 * run's shards (`--shard I/N`) as one report, one recap, and the exit code one run would have had.
 */
import { EXIT_CODES_TEXT, parseFlags } from '../cli';
import { writeAtomically } from '../cli-run';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { checkOutputPath } from '../preflight';
import { mergeShardReports, type MergedReport } from '../report/merge';
import { readShardReport } from '../report/shard-report';
import { recapLines } from '../reporters/format';
import { fail } from './run';

export const REPORT_USAGE = `usage: keel report merge SHARD.json... [--json FILE] [--allow-partial]

merge   joins the --json reports of one run's shards (keel run ... --shard I/N --json FILE) into one
        report and one recap, and exits as one unsharded run would have (the codes below). Refused
        with exit 2: files that are not shard reports, shards of different runs or counts, a shard
        or a host twice, and a missing shard unless --allow-partial.

      --json FILE       write the merged report to FILE; "-" for standard output (the recap then
                        goes to standard error)
      --allow-partial   merge the shards given even if some are missing (their hosts are left out)
  -h, --help            this text

${EXIT_CODES_TEXT}`;

export async function reportCommand(argv: readonly string[]): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    if (sub === '-h' || sub === '--help' || sub === 'help') {
      process.stdout.write(REPORT_USAGE + '\n');
      return ExitCode.ok;
    }
    if (sub !== 'merge') throw new UsageError(`${sub === undefined ? 'keel report: which command?' : `keel report: unknown command "${sub}"`}\n\n${REPORT_USAGE}`);
    return mergeCommand(rest);
  } catch (err) {
    return fail(err);
  }
}

function mergeCommand(argv: readonly string[]): number {
  const parsed = parseFlags(
    {
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        json: { type: 'string' },
        'allow-partial': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    REPORT_USAGE,
  );
  const { values: v, positionals: files } = parsed;
  if (v.help) {
    process.stdout.write(REPORT_USAGE + '\n');
    return ExitCode.ok;
  }
  if (files.length === 0) throw new UsageError(`keel report merge: which reports? (keel report merge report-0.json report-1.json ...)\n\n${REPORT_USAGE}`);
  if (v.json === '') throw new UsageError('--json wants a file name');
  if (v.json !== undefined && v.json !== '-') checkOutputPath('--json', v.json);

  const merged = mergeShardReports(
    files.map((file) => ({ file, report: readShardReport(file) })),
    { allowPartial: v['allow-partial'] },
  );
  // As in a run: with `--json -` standard output holds the report alone.
  const out = v.json === '-' ? process.stderr : process.stdout;
  out.write(summary(merged, files.length) + '\n\n' + recapLines(merged.recap, merged.check) + '\n');
  if (v.json !== undefined) {
    const text = JSON.stringify(merged, null, 2) + '\n';
    if (v.json === '-') process.stdout.write(text);
    else writeAtomically(v.json, text);
  }
  return merged.exitCode;
}

function summary(m: MergedReport, files: number): string {
  const hosts = Object.keys(m.recap).length;
  const head = `merged ${files} shard report${files === 1 ? '' : 's'} of playbook "${m.playbook}" (${m.merged.shards.length} of ${m.merged.count} shards): ${hosts} host${hosts === 1 ? '' : 's'}`;
  if (m.merged.missing.length === 0) return head;
  return `${head}\npartial (--allow-partial): no report of shard ${m.merged.missing.join(', ')}; ${m.merged.missingHosts.length} hosts of the run are not in it`;
}
