/**
 * Plan files: what a check run decided, per host and task, with the hashes that let an apply
 * prove nothing moved since. `--plan-out FILE` writes one; `--plan FILE` applies it (plan-apply.ts).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DEPENDS_ON_EARLIER, taskName } from './execute';
import { UsageError } from './errors';
import { combinedHash, factHash, hostFactsHash } from './fingerprint';
import type { FactRead, TaskHooks } from './hooks';
import type { HostPlan } from './plan';
import type { RecordedPlay } from './report/record';
import { redact, redactDeep } from './secrets';
import type { Change, HostFacts, Play, Task, TaskStatus } from './types';

export const PLAN_FORMAT = 'keel-plan/1';

/** A fact as the plan keeps it: its name and sha256 over its command and raw result (never the result). */
export interface PlannedFact {
  name: string;
  sha256: string;
}

/** A task of the playbook as declared for a host: what tells one playbook version from another. */
export interface DeclaredTask {
  name: string;
  module: string;
  paramsHash: string | null;
}

/** What the check run decided for one task on one host. */
export interface PlannedTask {
  step: number;
  handler: boolean;
  name: string;
  module: string;
  paramsHash: string | null;
  /** A wait only watches the host: its facts are not compared (a wait's condition is expected to move). */
  wait: boolean;
  status: TaskStatus;
  changes: Change[];
  diff?: string;
  message?: string;
  error?: string;
  facts: PlannedFact[];
  /** sha256 over the facts' hashes: one value to compare. */
  fingerprint: string;
}

export interface PlannedHost {
  /** sha256 of the host's identity among its gathered facts (hostname, OS, init system). */
  hostFacts: string | null;
  /** The host's steps in this play (`null` for a flush step), and its handlers by name. */
  steps: (DeclaredTask | null)[];
  handlers: Record<string, DeclaredTask>;
  /** Every result, in the order it came. */
  tasks: PlannedTask[];
}

export interface PlanFile {
  format: typeof PLAN_FORMAT;
  playbook: string;
  createdAt: string;
  inventory: string;
  limit: string | null;
  tags: string[] | null;
  skipTags: string[] | null;
  commit: string | null;
  plays: { name: string; hosts: Record<string, PlannedHost> }[];
}

const key = (play: number, host: string, step: number, name: string) => `${play}\u0000${host}\u0000${step}\u0000${name}`;

/**
 * Collects, through the engine's hooks, what every task read: per fact its name and hash, per
 * host the hash of its gathered facts. Used on check runs (the plan, and an apply's verification).
 */
export class FactCapture {
  private readonly reads = new Map<string, PlannedFact[]>();
  readonly hostFacts = new Map<string, string>();

  constructor(private readonly plays: readonly Play[]) {}

  readonly hooks: TaskHooks = (site) => ({
    factsRead: (reads: readonly FactRead[], hostFacts: HostFacts) => {
      this.hostFacts.set(site.host, hostFactsHash(hostFacts));
      this.reads.set(
        key(this.plays.indexOf(site.play), site.host, site.index, taskName(site.task)),
        reads.map((r) => ({ name: redact(r.name), sha256: factHash(r.command, r.result, r.fingerprint) })),
      );
    },
  });

  factsOf(play: number, host: string, step: number, name: string): PlannedFact[] {
    return this.reads.get(key(play, host, step, name)) ?? [];
  }
}

function declared(task: Task): DeclaredTask {
  return { name: taskName(task), module: task.definition.module, paramsHash: task.definition.paramsHash ?? null };
}

/** The plan of a check run: its results, the declared tasks and the fact hashes, redacted. */
export function buildPlan(
  meta: { playbook: string; inventory: string; limit?: string; tags?: readonly string[]; skipTags?: readonly string[]; commit?: string | null; createdAt?: Date },
  recorded: readonly RecordedPlay[],
  declaredPlays: readonly HostPlan[][],
  capture: FactCapture,
): PlanFile {
  const plays = declaredPlays.map((hostPlans, i) => {
    const hosts: Record<string, PlannedHost> = {};
    for (const hp of hostPlans) {
      hosts[hp.host.name] = {
        hostFacts: capture.hostFacts.get(hp.host.name) ?? null,
        steps: (hp.steps ?? []).map((s) => (s.kind === 'task' ? declared(s) : null)),
        handlers: Object.fromEntries(Object.entries(hp.handlers).map(([name, t]) => [name, { ...declared(t), name }])),
        tasks: [],
      };
    }
    for (const r of recorded[i]?.results ?? []) {
      const h = hosts[r.host];
      if (!h) continue;
      const hp = hostPlans.find((p) => p.host.name === r.host)!;
      const step = hp.steps?.[r.step];
      const task = r.handler ? hp.handlers[r.task] : step?.kind === 'task' ? step : undefined;
      const facts = capture.factsOf(i, r.host, r.step, r.task);
      h.tasks.push({
        step: r.step,
        handler: r.handler,
        name: r.task,
        module: r.module,
        paramsHash: task?.definition.paramsHash ?? null,
        wait: task?.definition.kind === 'wait',
        status: r.status,
        changes: r.changes,
        ...(r.diff !== undefined ? { diff: r.diff } : {}),
        ...(r.message !== undefined ? { message: r.message } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        facts,
        fingerprint: combinedHash(facts),
      });
    }
    return { name: recorded[i]?.name ?? '', hosts };
  });
  return redactDeep({
    format: PLAN_FORMAT,
    playbook: meta.playbook,
    createdAt: (meta.createdAt ?? new Date()).toISOString(),
    inventory: meta.inventory,
    limit: meta.limit ?? null,
    tags: meta.tags ? [...meta.tags] : null,
    skipTags: meta.skipTags ? [...meta.skipTags] : null,
    commit: meta.commit ?? null,
    plays,
  });
}

export function writePlan(file: string, plan: PlanFile): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(plan, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Reads a plan file; one that cannot be read or is not a keel plan is a usage error (nothing contacted). */
export function readPlan(file: string): PlanFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the plan ${file}: ${(err as Error).message}`);
  }
  let plan: PlanFile;
  try {
    plan = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the plan ${file} is not JSON: ${(err as Error).message}`);
  }
  if (!plan || typeof plan !== 'object' || plan.format !== PLAN_FORMAT) {
    throw new UsageError(`${file} is not a keel plan (format ${PLAN_FORMAT}); make one with --check --plan-out ${file}`);
  }
  if (typeof plan.playbook !== 'string' || typeof plan.createdAt !== 'string' || Number.isNaN(Date.parse(plan.createdAt)) || !Array.isArray(plan.plays)) {
    throw new UsageError(`the plan ${file} is incomplete (playbook, createdAt and plays are required)`);
  }
  for (const [i, p] of plan.plays.entries()) {
    if (!p || typeof p !== 'object' || typeof p.hosts !== 'object' || p.hosts === null) throw new UsageError(`the plan ${file}: play ${i} has no hosts`);
    for (const [h, hp] of Object.entries(p.hosts)) {
      if (!hp || !Array.isArray(hp.steps) || !Array.isArray(hp.tasks) || typeof hp.handlers !== 'object') {
        throw new UsageError(`the plan ${file}: host ${h} of play ${i} is incomplete`);
      }
    }
  }
  return plan;
}

/** Why a plan cannot be applied: one per host, task and fact that differs. */
export interface PlanMismatch {
  kind: 'playbook' | 'hosts' | 'facts' | 'decision' | 'selection';
  host?: string;
  play?: string;
  task?: string;
  fact?: string;
  message: string;
}

export function formatMismatch(m: PlanMismatch): string {
  return [m.host, m.play && `play ${m.play}`, m.task, m.message].filter(Boolean).join(' | ');
}

/** A prediction the check run made only provisionally: the apply decides it (it rested on an earlier change). */
export function decidedAtApply(t: Pick<PlannedTask, 'status' | 'message'>): boolean {
  return t.status === 'skipped' && (t.message ?? '').startsWith(DEPENDS_ON_EARLIER);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const taskKey = (t: Pick<PlannedTask, 'step' | 'name' | 'handler'>) => `${t.handler ? 'h' : 's'}${t.step}\u0000${t.name}`;

function describeStatus(t: PlannedTask | undefined): string {
  if (!t) return 'not run';
  const what = t.changes.map((c) => (c.from === undefined && c.to === undefined ? c.field : `${c.field}: ${c.from ?? '(absent)'} → ${c.to ?? '(absent)'}`)).join('; ');
  return what ? `${t.status} (${what})` : t.status;
}

/**
 * Compares a plan with a fresh check run's (same shape): first whether it is the same playbook
 * and the same hosts, then per task whether each fact it read is the same, then whether the
 * decision is the same. Empty when the plan may be applied.
 */
export function comparePlans(planned: PlanFile, now: PlanFile): PlanMismatch[] {
  const out: PlanMismatch[] = [];
  if (planned.playbook !== now.playbook) {
    out.push({ kind: 'playbook', message: `the plan is for playbook "${planned.playbook}", this is "${now.playbook}"` });
    return out;
  }
  if (planned.plays.length !== now.plays.length) {
    out.push({ kind: 'playbook', message: `the playbook has ${now.plays.length} plays, the plan ${planned.plays.length}: it changed since the plan` });
    return out;
  }
  planned.plays.forEach((pp, i) => {
    const np = now.plays[i];
    const play = np.name;
    if (pp.name !== np.name) {
      out.push({ kind: 'playbook', play, message: `play ${i + 1} is "${np.name}", the plan's is "${pp.name}": the playbook changed since the plan` });
      return;
    }
    for (const host of Object.keys(pp.hosts)) {
      if (!np.hosts[host]) out.push({ kind: 'hosts', host, play, message: 'is in the plan but not in this run (inventory or --limit differ)' });
    }
    for (const host of Object.keys(np.hosts)) {
      const ph = pp.hosts[host];
      const nh = np.hosts[host];
      if (!ph) {
        out.push({ kind: 'hosts', host, play, message: 'is in this run but not in the plan (inventory or --limit differ)' });
        continue;
      }
      const before = out.length;
      compareDeclared(ph, nh, host, play, out);
      if (out.length > before) continue; // another playbook version: its facts and decisions say nothing more
      if (ph.hostFacts !== nh.hostFacts && ph.hostFacts !== null && nh.hostFacts !== null) {
        out.push({ kind: 'facts', host, play, fact: 'host facts', message: 'the host facts (hostname, OS or init system) moved since the plan' });
        continue;
      }
      compareTasks(ph, nh, host, play, out);
    }
  });
  return out;
}

function compareDeclared(ph: PlannedHost, nh: PlannedHost, host: string, play: string, out: PlanMismatch[]): void {
  const n = Math.max(ph.steps.length, nh.steps.length);
  for (let s = 0; s < n; s++) {
    const a = ph.steps[s];
    const b = nh.steps[s];
    if (same(a, b)) continue;
    if (a && b && a.name === b.name && a.module === b.module) {
      out.push({ kind: 'playbook', host, play, task: b.name, message: 'its parameters differ from the plan\'s: the playbook changed since the plan' });
    } else if (a && (!b || !nh.steps.some((x) => x?.name === a.name))) {
      out.push({ kind: 'playbook', host, play, task: a.name, message: 'is in the plan but not in the playbook' });
    } else if (b && !ph.steps.some((x) => x?.name === b.name)) {
      out.push({ kind: 'playbook', host, play, task: b.name, message: 'is in the playbook but not in the plan' });
    } else {
      out.push({ kind: 'playbook', host, play, task: (b ?? a)?.name, message: `step ${s + 1} differs from the plan's (tasks added, removed or moved)` });
    }
  }
  for (const name of new Set([...Object.keys(ph.handlers), ...Object.keys(nh.handlers)])) {
    const a = ph.handlers[name];
    const b = nh.handlers[name];
    if (same(a, b)) continue;
    const message = !a ? 'handler is in the playbook but not in the plan' : !b ? 'handler is in the plan but not in the playbook' : "handler's parameters differ from the plan's: the playbook changed since the plan";
    out.push({ kind: 'playbook', host, play, task: name, message });
  }
}

function compareTasks(ph: PlannedHost, nh: PlannedHost, host: string, play: string, out: PlanMismatch[]): void {
  const nowByKey = new Map(nh.tasks.map((t) => [taskKey(t), t]));
  const planKeys = new Set(ph.tasks.map(taskKey));
  for (const a of ph.tasks) {
    const b = nowByKey.get(taskKey(a));
    if (!b) {
      out.push({ kind: 'decision', host, play, task: a.name, message: `was ${describeStatus(a)} in the plan, and does not run now` });
      continue;
    }
    if (!a.wait) {
      const moved = movedFacts(a.facts, b.facts);
      if (moved.length > 0) {
        for (const fact of moved) out.push({ kind: 'facts', host, play, task: a.name, fact, message: `fact "${fact}" moved since the plan` });
        continue;
      }
    }
    if (a.wait) continue; // a wait's verdict rests on a condition expected to move; it changes nothing
    if (a.status !== b.status || !same(a.changes, b.changes) || (a.diff ?? null) !== (b.diff ?? null)) {
      out.push({ kind: 'decision', host, play, task: a.name, message: `the decision differs from the plan: planned ${describeStatus(a)}, now ${describeStatus(b)}` });
    }
  }
  for (const b of nh.tasks) {
    if (!planKeys.has(taskKey(b))) out.push({ kind: 'decision', host, play, task: b.name, message: `runs now (${describeStatus(b)}) but did not when the plan was made` });
  }
}

/** The names of facts whose hash differs, or that one side read and the other did not. */
function movedFacts(a: readonly PlannedFact[], b: readonly PlannedFact[]): string[] {
  const bm = new Map(b.map((f) => [f.name, f.sha256]));
  const am = new Map(a.map((f) => [f.name, f.sha256]));
  const moved: string[] = [];
  for (const f of a) if (bm.get(f.name) !== f.sha256) moved.push(f.name);
  for (const f of b) if (!am.has(f.name)) moved.push(f.name);
  return moved;
}
