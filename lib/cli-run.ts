/**
 * A run as the command line asks for it, beside the engine: a plain run, a check run that also
 * writes a plan (--plan-out), an apply held to a plan (--plan), and the HTML report (--html).
 * The `keel` subcommands call the same function.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { CliOptions } from './cli';
import type { Inventory } from './inventory';
import { applyPlan } from './plan-apply';
import { buildPlan, FactCapture, writePlan } from './plan-file';
import { gitCommit, RunRecorder, runRecord, type RunRecord } from './report/record';
import { runPlaybook, type RunOptions, type RunReport } from './runner';
import { redact } from './secrets';
import type { Play } from './types';

export interface CliRunOutcome {
  exitCode: number;
  /** What ran (absent when a plan was refused before any connection). */
  report?: RunReport;
  record?: RunRecord;
}

export async function runForCli(
  def: { name: string; plays: readonly Play[]; file?: string },
  cli: Pick<CliOptions, 'inventory' | 'limit' | 'tags' | 'skipTags' | 'planOut' | 'plan' | 'planMaxAgeSeconds' | 'forcePlan' | 'html' | 'shard'>,
  inventory: Inventory,
  options: RunOptions,
  say: (line: string) => void = (l) => process.stderr.write(redact(l) + '\n'),
): Promise<CliRunOutcome> {
  const commit = cli.html || cli.planOut ? gitCommit(def.file) : null;
  const meta = { playbook: def.name, inventory: cli.inventory, limit: cli.limit, commit };
  let outcome: CliRunOutcome;

  if (cli.plan) {
    const applied = await applyPlan(def, inventory, options, { file: cli.plan, maxAgeSeconds: cli.planMaxAgeSeconds, force: cli.forcePlan, say, shard: cli.shard });
    const record = applied.report && applied.recorder
      ? runRecord({ ...meta, limit: meta.limit ?? applied.plan.limit ?? undefined }, applied.report, applied.recorder, {
          plan: { file: cli.plan, createdAt: applied.plan.createdAt },
          refused: applied.refused,
          exitCode: applied.exitCode,
        })
      : undefined;
    outcome = { exitCode: applied.exitCode, report: applied.report && { ...applied.report, exitCode: applied.exitCode as RunReport['exitCode'] }, record };
  } else if (!cli.planOut && !cli.html && !cli.shard) {
    // Nothing to record: the run as it always was. (A shard's report keeps each result's step,
    // which `keel report merge` orders the shards' results by.)
    const report = await runPlaybook(def.plays, inventory, options);
    outcome = { exitCode: report.exitCode, report };
  } else {
    const recorder = new RunRecorder(options.reporter, def.plays, inventory, options);
    const capture = cli.planOut ? new FactCapture(def.plays) : undefined;
    const report = await runPlaybook(def.plays, inventory, { ...options, reporter: recorder, hooks: capture?.hooks ?? options.hooks });
    if (cli.planOut && capture) {
      if (report.interrupted || Object.keys(report.unreachable).length > 0 || Object.values(report.recap).some((r) => r.failed > 0)) {
        say(`no plan written to ${cli.planOut}: the check run did not read every host to the end (a host failed or was unreachable)`);
      } else {
        const plan = buildPlan({ ...meta, tags: options.tags, skipTags: options.skipTags }, recorder.plays, recorder.declared, capture);
        writePlan(cli.planOut, plan);
        const changes = plan.plays.flatMap((p) => Object.values(p.hosts).flatMap((h) => h.tasks)).filter((t) => t.status === 'would change').length;
        say(`plan written to ${cli.planOut}: ${changes} change${changes === 1 ? '' : 's'}; apply it with --plan ${cli.planOut}`);
      }
    }
    outcome = { exitCode: report.exitCode, report, record: runRecord(meta, report, recorder) };
  }

  if (cli.html) {
    if (outcome.record) {
      // Loaded only for --html.
      const { renderHtml } = require('./report/html') as typeof import('./report/html');
      writeAtomically(cli.html, renderHtml(outcome.record));
    }
    else say(`no HTML report written to ${cli.html}: nothing ran`);
  }
  return outcome;
}

export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
