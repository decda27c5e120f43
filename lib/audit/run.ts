/**
 * One audit: a check run of a playbook, stored as `DIR/<UTC time>.json` (a RunRecord, redacted)
 * and `.html`, the newest N kept, and compared with the audit before it.
 */
import { resolve } from 'node:path';
import { writeAtomically } from '../cli-run';
import { loadInventory } from '../inventory';
import { isPlaybook, type PlaybookDefinition } from '../playbook';
import { loadUserModule } from '../load-module';
import { gitCommit, RunRecorder, runRecord, type RunRecord } from '../report/record';
import type { Reporter } from '../reporter';
import { PlainReporter } from '../reporters/plain';
import { runPlaybook } from '../runner';
import { UsageError } from '../errors';
import { diffAudits, formatAuditDiff, type AuditDiff } from './diff';
import { ensureDir, freshStem, listAudits, pruneAudits, readAudit } from './store';

export const DEFAULT_KEEP = 30;

export interface AuditRunOptions {
  /** The playbook file (`playbooks/site.ts`), loaded as a module. */
  playbook: string;
  inventory: string;
  outDir: string;
  keep?: number;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: Record<string, unknown>;
  forks?: number;
  acceptNewHostKeys?: boolean;
  /** Progress and the comparison (plain lines to stdout by default). */
  reporter?: Reporter;
  say?: (line: string) => void;
  now?: () => Date;
}

export interface AuditRunResult {
  exitCode: number;
  json: string;
  html: string;
  record: RunRecord;
  /** Against the audit before this one, when there is one. */
  diff?: AuditDiff;
  previous?: string;
  removed: string[];
}

/** The playbook a file exports (`export default playbook(...)`). */
export function loadPlaybook(file: string): PlaybookDefinition {
  const path = resolve(file);
  // A .ts playbook of the user's own repository loads through their ts-node, as `keel run` does.
  const mod = loadUserModule(path, 'playbook') as { default?: unknown };
  const def = mod.default;
  if (!isPlaybook(def)) throw new UsageError(`${file} has no default export made by playbook(...)`);
  return { ...def, file: def.file ?? path };
}

export async function runAudit(o: AuditRunOptions): Promise<AuditRunResult> {
  const say = o.say ?? ((l: string) => process.stdout.write(l + '\n'));
  const keep = o.keep ?? DEFAULT_KEEP;
  const def = loadPlaybook(o.playbook);
  const inventory = await loadInventory(o.inventory, o.extraVars ?? {});
  ensureDir(o.outDir);
  const previous = listAudits(o.outDir).at(-1);
  const older = previous ? readAudit(previous) : undefined;

  const options = { check: true, forks: o.forks ?? 10, limit: o.limit, tags: o.tags, skipTags: o.skipTags, acceptNewHostKeys: o.acceptNewHostKeys };
  const recorder = new RunRecorder(o.reporter ?? new PlainReporter({ diff: false }), def.plays, inventory, options);
  const report = await runPlaybook(def.plays, inventory, { ...options, reporter: recorder });
  const record = runRecord({ playbook: def.name, inventory: o.inventory, limit: o.limit, commit: gitCommit(def.file) }, report, recorder);

  const stem = freshStem(o.outDir, (o.now ?? (() => new Date()))());
  const json = resolve(o.outDir, `${stem}.json`);
  const html = resolve(o.outDir, `${stem}.html`);
  writeAtomically(json, JSON.stringify(record, null, 2) + '\n');
  // Loaded here, not when `keel` starts (lib/keel.ts loads this module for every command).
  const { renderHtml } = require('../report/html') as typeof import('../report/html');
  writeAtomically(html, renderHtml(record));
  const removed = pruneAudits(o.outDir, keep);

  say(`audit written: ${json} and ${html}${removed.length ? ` (${removed.length} older audit${removed.length === 1 ? '' : 's'} removed, keeping ${keep})` : ''}`);
  let diff: AuditDiff | undefined;
  if (previous && older) {
    diff = diffAudits(older, record);
    say(formatAuditDiff(diff, { label: previous, record: older }, { label: json, record }));
  }
  return { exitCode: report.exitCode, json, html, record, diff, previous, removed };
}
