/** An audit directory: `<UTC time>.json` and `.html` per audit, newest kept. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import type { RunRecord } from '../report/record';

/** `2025-11-25T143000Z`: sorts as time does, and holds no `:` (safe in every file system). */
const NAME = /^(\d{4}-\d{2}-\d{2}T\d{6}(?:\d{3})?Z)(?:-(\d+))?\.json$/;

export function auditStem(at: Date): string {
  return at.toISOString().replace(/[:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** A stem not yet used in `dir` for this time (a second audit in the same second gets `-1`). */
export function freshStem(dir: string, at: Date): string {
  const base = auditStem(at);
  let stem = base;
  for (let i = 1; existsSync(join(dir, `${stem}.json`)) || existsSync(join(dir, `${stem}.html`)); i++) stem = `${base}-${i}`;
  return stem;
}

/** The audits in `dir`, oldest first, as paths of their JSON files. */
export function listAudits(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort((a, b) => {
      const ma = NAME.exec(a)!;
      const mb = NAME.exec(b)!;
      return ma[1].localeCompare(mb[1]) || Number(ma[2] ?? 0) - Number(mb[2] ?? 0);
    })
    .map((f) => join(dir, f));
}

/** Removes all but the newest `keep` audits (their JSON and HTML); returns the removed JSON paths. */
export function pruneAudits(dir: string, keep: number): string[] {
  const all = listAudits(dir);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const json of old) {
    rmSync(json, { force: true });
    rmSync(json.replace(/\.json$/, '.html'), { force: true });
  }
  return old;
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** Reads an audit's JSON; anything else is a usage error. */
export function readAudit(file: string): RunRecord {
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the audit ${file}: ${(err as Error).message}`);
  }
  if (!record || record.format !== 'keel-run/1' || !Array.isArray(record.plays)) {
    throw new UsageError(`${file} is not a keel audit (format keel-run/1, as written by \`audit run\`)`);
  }
  return record;
}
