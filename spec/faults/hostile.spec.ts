/**
 * Fault 7: hostile values (quotes, $(...), backticks, ;, &, |, newlines, globs, $VARS) in
 * inventory vars and -e, used as writeFile paths and content, lineInFile lines and command
 * creates/removes, through the real CLI on a real sshd. Canary files prove nothing ran.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { runCli, writeInventory } from '../helpers/cli';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { FIXTURES, fleetInventory, keelTempFiles } from './support';
import { suiteUnless } from '../helpers/not-run';

const PLAYBOOK = join(FIXTURES, 'hostile.ts');
let fleet: SshdFleet;
const tag = `keelf-canary-${process.pid}`;

/** Every shell construct that would run something, each touching its own canary. */
function attacks(dir: string): { names: string[]; content: string; line: string; guard: string; extra: string; canaries: string[] } {
  const canaries: string[] = [];
  const c = (i: number) => {
    const name = `${tag}-${i}`;
    canaries.push(name);
    return name;
  };
  // File names cannot hold `/`, so these touch relative canaries (in the remote shell's cwd, $HOME).
  const names = [
    `a'b"c $(touch ${c(1)})`,
    `\`touch ${c(2)}\``,
    `x; touch ${c(3)}; y`,
    `p | touch ${c(4)} & q`,
    `$(touch\${IFS}${c(5)})`,
    "'; touch " + c(6) + "; echo '",
    '"; touch ' + c(7) + '; echo "',
    '*',
    'a?',
    '[a]1',
    '$HOME ${PATH} ~ \\ \\\\',
    ' leading space and trailing ',
    '-n',
  ];
  // Content and lines may hold `/`: absolute canaries.
  const abs = (i: number) => join(dir, c(i));
  const content = [
    `$(touch ${abs(10)})`,
    `\`touch ${abs(11)}\``,
    `; touch ${abs(12)}`,
    'EOF',
    "'EOF'",
    `' ; touch ${abs(13)} ; '`,
    '\\',
    '* ?',
    '',
  ].join('\n');
  const line = `key="$(touch ${abs(14)})" \`touch ${abs(15)}\`; touch ${abs(16)} && echo '*' \\ $HOME`;
  const guard = `nope$(touch ${c(17)})\nstill \`touch ${c(18)}\` *`;
  const extra = `$(touch ${c(19)})'\`"`;
  return { names, content, line, guard, extra, canaries };
}

function canariesFound(canaries: string[]): string[] {
  const where = ['/root', '/', '/tmp', fleet.dir, ...fleet.hosts.map((h) => h.root), ...fleet.hosts.map((h) => join(h.root, 'w'))];
  const found: string[] = [];
  for (const d of where) {
    let entries: string[] = [];
    try {
      entries = readdirSync(d);
    } catch {
      continue;
    }
    for (const e of entries) if (canaries.includes(e)) found.push(join(d, e));
  }
  return found.filter((p) => canaries.includes(p.split('/').pop()!));
}

const reason = sshdUnavailable();
const test = suiteUnless(reason);
test.before(async () => {
  fleet = await startSshdFleet(1);
});
test.after(async () => {
  await fleet?.stop();
});

test('hostile values arrive as data: exact files, exact content, guards judged on literal paths, no canary', async () => {
  const host = fleet.hosts[0];
  const a = attacks(fleet.dir);
  mkdirSync(join(host.root, 'w'));
  // Glob bait: `*`, `a?` and `[a]1` must not touch these.
  writeFileSync(join(host.root, 'w', 'a1'), 'bait\n');
  writeFileSync(join(host.root, 'w', 'ab'), 'bait\n');
  const spec = fleetInventory(fleet, { vars: () => ({ names: a.names, content: a.content, line: a.line, guard: a.guard }) });
  const inv = writeInventory(fleet.dir, spec, 'inv-hostile.ts');
  const json = join(fleet.dir, 'hostile.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--json', json, '-e', `extra=${a.extra}`, '-v', '--diff']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const tasks = a.names.length + 1 + 2 + 3;
  assert.equal(report.recap.host1, { ok: 1, changed: tasks - 1, wouldChange: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
  const w = join(host.root, 'w');
  for (const n of a.names) assert.is(readFileSync(join(w, n), 'utf8'), `${n}\n${a.content}`, `file ${JSON.stringify(n)}`);
  assert.is(readFileSync(join(w, `extra ${a.extra}`), 'utf8'), a.extra);
  assert.equal(readdirSync(w).sort(), [...a.names, `extra ${a.extra}`, 'a1', 'ab'].sort());
  assert.is(readFileSync(join(w, 'a1'), 'utf8'), 'bait\n');
  assert.is(readFileSync(join(w, 'ab'), 'utf8'), 'bait\n');
  assert.is(readFileSync(join(host.root, 'lines'), 'utf8'), `${a.line}\nsecond ${a.line}\n`);
  assert.ok(existsSync(join(host.root, 'ran-creates')), 'creates: the literal hostile path does not exist, so it ran');
  assert.ok(existsSync(join(host.root, 'ran-removes')), 'removes: the literal hostile path exists, so it ran');
  assert.not.ok(existsSync(join(host.root, 'ran-never')), 'creates: the literal path exists, so it did not run');
  assert.equal(canariesFound(a.canaries), []);
  assert.equal(keelTempFiles(host.root), []);
  // The detector itself works: a canary file is found.
  writeFileSync(join(fleet.dir, a.canaries[0]), '');
  assert.equal(canariesFound(a.canaries), [join(fleet.dir, a.canaries[0])]);
  rmSync(join(fleet.dir, a.canaries[0]));
});

test('a second run with the same hostile values changes nothing (every probe read the literal paths)', async () => {
  const a = attacks(fleet.dir);
  const inv = join(fleet.dir, 'inv-hostile.ts');
  const json = join(fleet.dir, 'hostile2.json');
  const r = await runCli(PLAYBOOK, ['-i', inv, '--json', json, '-e', `extra=${a.extra}`]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const changed = report.plays[0].results.filter((x: { status: string }) => x.status !== 'ok').map((x: { task: string }) => x.task);
  // The two unguarded-by-existence commands run again by design; every file task is ok.
  assert.equal(changed, ['creates guard', 'removes guard']);
  assert.equal(canariesFound(a.canaries), []);
});

test.run();
