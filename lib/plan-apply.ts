/**
 * `--plan FILE`: applies a reviewed plan exactly, or refuses before anything changes.
 *
 * 1. Without contacting any host: the plan must be this playbook's, not older than the maximum
 *    age (unless forced), and for the same --limit/--tags/--skip-tags (taken from it when none given).
 * 2. A check pass over every host (reads and decide only, as --check): the same tasks with the
 *    same parameters, and every fact each task reads hashing as it did for the plan. Any host,
 *    task or fact that moved refuses the whole plan, on every host, with exit 5.
 * 3. The apply pass: a task is applied only when it was planned to change and decides the same
 *    changes now (facts are re-read after each change, so this is where a later task's own view is
 *    checked); a task planned ok is not touched. Only a task the check run could not predict
 *    (skipped: "depends on earlier changes") and a handler notified by an applied change decide anew.
 */
import { taskName } from './execute';
import { ExitCode } from './exit-codes';
import type { TaskHooks } from './hooks';
import type { Inventory } from './inventory';
import { buildPlan, comparePlans, decidedAtApply, FactCapture, formatMismatch, readPlan, type PlannedTask, type PlanFile } from './plan-file';
import { RunRecorder, silentReporter } from './report/record';
import { runPlaybook, type RunOptions, type RunReport } from './runner';
import { inShard, type Shard } from './shard';
import { redact, redactDeep } from './secrets';
import type { Change, Play } from './types';

export interface PlanApplyOptions {
  file: string;
  maxAgeSeconds: number;
  force: boolean;
  /** Where refusals and progress notes go (stderr by default). */
  say?: (line: string) => void;
  now?: () => Date;
  /** --shard: this run applies the plan's hosts in this shard; the other shards apply the rest. */
  shard?: Shard;
}

export interface PlanApplyOutcome {
  plan: PlanFile;
  exitCode: number;
  /** Set when the plan was refused: one line per reason. Nothing was changed on any host. */
  refused?: string[];
  /** The run that produced the outcome: the apply pass, or the check pass when the plan was refused there. */
  report?: RunReport;
  recorder?: RunRecorder;
}

const norm = (l: readonly string[] | null | undefined) => (l && l.length > 0 ? [...l].join(',') : null);

export async function applyPlan(
  def: { name: string; plays: readonly Play[] },
  inventory: Inventory,
  options: RunOptions,
  po: PlanApplyOptions,
): Promise<PlanApplyOutcome> {
  const say = po.say ?? ((l: string) => process.stderr.write(redact(l) + '\n'));
  const plan = readPlan(po.file);
  const refuse = (reasons: string[], extra: Partial<PlanApplyOutcome> = {}, code: number = ExitCode.planRefused): PlanApplyOutcome => {
    say(`plan refused: ${po.file} (made ${plan.createdAt}); nothing was changed on any host`);
    for (const r of reasons) say(`  ${r}`);
    return { plan, exitCode: code, refused: reasons, ...extra };
  };

  // 1. Before any connection.
  if (plan.playbook !== def.name) return refuse([`the plan is for playbook "${plan.playbook}", this is "${def.name}"`]);
  const ageSeconds = ((po.now ?? (() => new Date()))().getTime() - Date.parse(plan.createdAt)) / 1000;
  if (ageSeconds > po.maxAgeSeconds && !po.force) {
    return refuse([`the plan is ${Math.round(ageSeconds)}s old, more than --plan-max-age ${po.maxAgeSeconds}s: make a new one, or apply it anyway with --force-plan`]);
  }
  const selection = {
    limit: options.limit ?? plan.limit ?? undefined,
    tags: options.tags ?? plan.tags ?? undefined,
    skipTags: options.skipTags ?? plan.skipTags ?? undefined,
  };
  const differs: string[] = [];
  if ((selection.limit ?? null) !== (plan.limit ?? null)) differs.push(`--limit ${selection.limit ?? '(none)'}, the plan's ${plan.limit ?? '(none)'}`);
  if (norm(selection.tags) !== norm(plan.tags)) differs.push(`--tags ${norm(selection.tags) ?? '(none)'}, the plan's ${norm(plan.tags) ?? '(none)'}`);
  if (norm(selection.skipTags) !== norm(plan.skipTags)) differs.push(`--skip-tags ${norm(selection.skipTags) ?? '(none)'}, the plan's ${norm(plan.skipTags) ?? '(none)'}`);
  if (differs.length > 0) return refuse(differs.map((d) => `this run selects ${d}: leave them out to use the plan's`));

  // 2. The check pass: reads and decide only, on every host, before anything changes anywhere.
  say(`verifying plan ${po.file} (made ${plan.createdAt}): reading every host again`);
  const capture = new FactCapture(def.plays);
  const checkRecorder = new RunRecorder(silentReporter, def.plays, inventory, selection);
  const checked = await runPlaybook(def.plays, inventory, { ...options, ...selection, check: true, reporter: checkRecorder, hooks: capture.hooks });
  if (checked.interrupted) return refuse(['interrupted during the verification pass'], { report: checked, recorder: checkRecorder }, ExitCode.interrupted);
  if (checked.exitCode === ExitCode.failed || checked.exitCode === ExitCode.unreachable) {
    const reasons = [
      ...Object.entries(checked.unreachable).map(([h, e]) => `${h} | unreachable: ${e.split('\n')[0]}`),
      ...checked.plays.flatMap((p) => p.results.filter((r) => r.status === 'failed' && !r.ignored && !r.unreachable).map((r) => `${r.host} | ${r.task} | failed: ${(r.error ?? '').split('\n')[0]}`)),
    ];
    return refuse(['the verification pass could not check every host:', ...reasons], { report: checked, recorder: checkRecorder }, checked.exitCode);
  }
  const now = buildPlan({ playbook: def.name, inventory: plan.inventory, ...selection }, checkRecorder.plays, checkRecorder.declared, capture);
  const mine = po.shard ? planForShard(plan, po.shard) : plan;
  const mismatches = comparePlans(mine, now);
  if (mismatches.length > 0) {
    return refuse(mismatches.map(formatMismatch), { report: { ...checked, exitCode: ExitCode.planRefused }, recorder: checkRecorder });
  }

  // 3. The apply pass, held to the plan task by task.
  const planned = mine.plays.flatMap((p) => Object.values(p.hosts).flatMap((h) => h.tasks)).filter((t) => t.status === 'would change').length;
  say(`plan verified: every fact read as when the plan was made; applying ${planned} planned change${planned === 1 ? '' : 's'}`);
  const recorder = new RunRecorder(options.reporter, def.plays, inventory, selection);
  const report = await runPlaybook(def.plays, inventory, { ...options, ...selection, check: false, reporter: recorder, hooks: planGate(plan, def.plays) });
  return { plan, exitCode: report.exitCode, report, recorder };
}

function changeText(changes: readonly Change[]): string {
  return changes.map((c) => (c.from === undefined && c.to === undefined ? c.field : `${c.field}: ${c.from ?? '(absent)'} → ${c.to ?? '(absent)'}`)).join('; ') || 'nothing';
}

/** The apply pass's hooks: a change is applied only as planned. */
export function planGate(plan: PlanFile, plays: readonly Play[]): TaskHooks {
  const index = new Map<string, PlannedTask>();
  plan.plays.forEach((p, i) => {
    for (const [host, h] of Object.entries(p.hosts)) for (const t of h.tasks) index.set(`${i}\u0000${host}\u0000${t.handler}\u0000${t.step}\u0000${t.name}`, t);
  });
  return (site) => ({
    beforeApply(decision) {
      const name = redact(taskName(site.task));
      const t = index.get(`${plays.indexOf(site.play)}\u0000${site.host}\u0000${site.handler}\u0000${site.index}\u0000${name}`);
      const changes = redactDeep(decision.changes);
      const diff = decision.diff === undefined ? undefined : redact(decision.diff);
      if (t?.status === 'would change') {
        if (JSON.stringify(t.changes) === JSON.stringify(changes) && (t.diff ?? undefined) === diff) return undefined;
        return `refused by the plan: it planned ${changeText(t.changes)}, and this task would now change ${changeText(changes)}${
          JSON.stringify(t.changes) === JSON.stringify(changes) ? ' (another diff)' : ''
        }; nothing was changed by this task`;
      }
      if (t && decidedAtApply(t)) return undefined;
      if (!t && site.handler) return undefined;
      return `refused by the plan: planned ${t ? t.status : 'not to run'}, and it would now change ${changeText(changes)}; nothing was changed by this task`;
    },
  });
}

/**
 * The part of a plan one shard applies: its hosts in that shard (lib/shard.ts shardOf). A plan
 * host of this shard that this run does not have is still refused, as without --shard.
 */
function planForShard(plan: PlanFile, shard: Shard): PlanFile {
  return { ...plan, plays: plan.plays.map((p) => ({ ...p, hosts: Object.fromEntries(Object.entries(p.hosts).filter(([h]) => inShard(h, shard))) })) };
}
