import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAuditRunArgs } from '../../lib/audit/cli';
import { reportNotRun } from '../helpers/not-run';

/** The shipped systemd units and cron example run an audit the CLI accepts, on files that exist. */
const root = join(__dirname, '..', '..');
const docs = join(root, 'docs', 'audit');

function auditArgs(line: string): string[] {
  const words = line.trim().split(/\s+/);
  const at = words.findIndex((w, i) => w === 'audit' && words[i - 1] === 'keel');
  assert.ok(at > 0, `no "keel audit" in: ${line}`);
  const args: string[] = [];
  for (const w of words.slice(at + 1)) {
    if (w === '2>&1' || w === '|' || w === '&&' || w === ';') break;
    args.push(w);
  }
  return args;
}

for (const [file, pick] of [
  ['keel-audit.service', (t: string) => /^ExecStart=(.*)$/m.exec(t)![1]],
  ['keel-audit.cron', (t: string) => t.split('\n').find((l) => /^\d/.test(l))!],
] as const) {
  test(`${file}: an audit run the CLI accepts, of a playbook that exists, keeping 30`, () => {
    const line = pick(readFileSync(join(docs, file), 'utf8'));
    const args = auditArgs(line);
    assert.is.not(args[0], 'diff');
    const o = parseAuditRunArgs(args);
    assert.ok(existsSync(join(root, o.playbook)), o.playbook);
    assert.ok(existsSync(join(root, 'inventories', `${o.inventory}.ts`)), o.inventory);
    assert.is(o.outDir, '/var/lib/keel-audit');
    assert.is(o.keep, 30);
  });
}

test('the cron line has five time fields and a user', () => {
  const line = readFileSync(join(docs, 'keel-audit.cron'), 'utf8').split('\n').find((l) => /^\d/.test(l))!;
  assert.match(line, /^30 2 \* \* \* root cd \/opt\/keel && /);
});

const analyze = '/usr/bin/systemd-analyze';
if (existsSync(analyze)) {
  test('systemd-analyze verify accepts the service and the timer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-units-'));
    for (const f of ['keel-audit.service', 'keel-audit.timer']) copyFileSync(join(docs, f), join(dir, f));
    const r = spawnSync(analyze, ['verify', join(dir, 'keel-audit.service'), join(dir, 'keel-audit.timer')], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.not.match(r.stderr, /keel-audit\.(service|timer):\d+:/, r.stderr);
  });
  test.run();
} else {
  test.run();
  reportNotRun(1, `needs ${analyze} (systemd) to verify the units`);
}
