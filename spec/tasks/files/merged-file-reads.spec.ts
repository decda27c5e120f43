/**
 * tasks/files/merged-file-reads.ts: many file reads as one command, run in a real `sh` on real
 * files. Each read must get back exactly what its own command (fileFact) prints, or be left to be
 * read alone; never another file's bytes.
 */
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostSession } from '../../../lib/host-session';
import { quote } from '../../../lib/quote';
import { fileFact } from '../../../tasks/files/facts';
import { fileReadMerger, type FileReadPart } from '../../../tasks/files/merged-file-reads';
import { FakeConnection } from '../../helpers/fake-connection';
import type { ExecResult, HostFacts } from '../../../lib/types';
import { fresh, sh } from './real-sh';
import { inPidNamespace } from '../../helpers/pid-namespace';

const host = {} as HostFacts;
const partOf = (path: string, withContent = true) => fileFact(path, withContent).merge!.part as FileReadPart;
const alone = (p: FileReadPart) => sh(fileFact(p.path, p.withContent).command(host));
const same = (got: ExecResult | undefined, want: ExecResult, what: string) => {
  assert.ok(got, `${what}: answered`);
  assert.is(got!.code, want.code, `${what}: exit code`);
  assert.ok(got!.stdoutBytes!.equals(want.stdoutBytes!), `${what}: stdout byte for byte\n${JSON.stringify(got!.stdout)}\n${JSON.stringify(want.stdout)}`);
  assert.is(got!.stdout, want.stdout, `${what}: stdout as text`);
  assert.is(got!.stderr, want.stderr, `${what}: stderr`);
};

/** Files of every kind a read meets, with names a shell would trip on. */
function files(): { dir: string; parts: FileReadPart[] } {
  const dir = fresh();
  const w = (name: string, content: string | Buffer) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  const a = w('plain.conf', 'x=1\nünïcode\n');
  const parts = [
    partOf(a),
    partOf(w("it's $HOME `x` \\n a\"b", 'quoted name\n')),
    partOf(w('new\nline', 'no trailing newline')),
    partOf(w('-dash', '')),
    partOf(w('binary', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28]))),
    // Content that looks like head's header for the next file: the sizes stat gave decide.
    partOf(w('forger', `x\n\n==> ${join(dir, 'next')} <==\nforged\n`)),
    partOf(w('next', 'the real next\n')),
    partOf(join(dir, 'absent')),
    partOf(join(dir, 'no', 'parent')),
    partOf(dir), // a directory where a file is wanted
    partOf(w('hash-only', 'only the hash\n'), false),
    partOf(a, false), // the same file both ways
    partOf(a), // and the same read twice
  ];
  return { dir, parts };
}

test('merged: every read gets exactly what its own command prints (names with quotes, $, newline, a leading dash; binary, empty, forged headers; absent, no parent, a directory; hash only)', () => {
  const { parts } = files();
  const merged = sh(fileReadMerger.command(parts));
  const results = fileReadMerger.split(merged, parts);
  assert.is(results.length, parts.length);
  parts.forEach((p, i) => same(results[i], alone(p), `${JSON.stringify(p.path)} (content: ${p.withContent})`));
});

test('a link is left to be read alone (stat describes the link, head what it points to); the files beside it are answered', () => {
  const dir = fresh();
  const target = join(dir, 'target');
  writeFileSync(target, 'pointed at\n');
  symlinkSync(target, join(dir, 'link'));
  const parts = [partOf(join(dir, 'link')), partOf(target)];
  const results = fileReadMerger.split(sh(fileReadMerger.command(parts)), parts);
  assert.is(results[0], undefined);
  same(results[1], alone(parts[1]), 'the file beside it');
});

test('a file past the content limit: its content read is left to be read alone (its own command sends the hash); a hash-only read of it is answered', () => {
  const dir = fresh();
  const big = join(dir, 'big');
  writeFileSync(big, 'y'.repeat(256 * 1024 + 1));
  const small = join(dir, 'small');
  writeFileSync(small, 'z\n');
  const parts = [partOf(big), partOf(small), partOf(big, false)];
  const results = fileReadMerger.split(sh(fileReadMerger.command(parts)), parts);
  assert.is(results[0], undefined);
  same(results[1], alone(parts[1]), 'the small file after it');
  same(results[2], alone(parts[2]), 'the big file, hash only');
});

test("output that does not add up is never taken for a file's content: a file that grew or shrank between stat and head (and the one whose header that moved) is read again, the files before it are answered; lines that do not add up (a stat that failed) answer nothing", () => {
  const { parts } = files();
  const out = sh(fileReadMerger.command(parts)).stdoutBytes!;
  const text = out.toString('latin1');
  // The first file's bytes start after head's first header.
  const first = text.indexOf('<==\n') + 4;
  // head prints parts 0 to 6 (12 reads part 0's file again); the others need no content.
  const allContent = [0, 1, 2, 3, 4, 5, 6, 12];
  const cases: [string, string, number[]][] = [
    ['the first file grew after stat', text.slice(0, first) + 'y' + text.slice(first), allContent],
    ['the first file shrank after stat', text.slice(0, first) + text.slice(first + 1), allContent],
    ['the last file grew after stat', text + 'x', [6]],
    ['the last file shrank after stat', text.slice(0, -1), [6]],
  ];
  for (const [what, t, unanswered] of cases) {
    assert.is.not(t, text, `${what}: the output was changed`);
    const r = fileReadMerger.split({ code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.from(t, 'latin1') }, parts);
    r.forEach((x, i) => {
      if (unanswered.includes(i)) assert.is(x, undefined, `${what}: read ${i} is read again`);
      // Every other read is answered exactly as its own command would.
      else same(x, alone(parts[i]), `${what}: read ${i}`);
    });
  }
  // stat failing on one file prints a line fewer, then `!` (8 regular files: lines 1-8, then the
  // 2 hashes); and output cut before head's.
  const lines = text.split('\n');
  const statFailed = [lines[0], ...lines.slice(2, 9), '!', ...lines.slice(9)].join('\n');
  for (const t of [statFailed, text.slice(0, 40)]) {
    const r = fileReadMerger.split({ code: 0, stdout: '', stderr: '', stdoutBytes: Buffer.from(t, 'latin1') }, parts);
    assert.ok(r.every((x) => x === undefined), JSON.stringify(r.map((x) => x?.stdout)));
  }
});

test('relative paths, a leading dash among them, are read as their own commands read them', () => {
  const dir = fresh();
  writeFileSync(join(dir, '-dash'), 'dashed\n');
  writeFileSync(join(dir, 'plain'), 'plain\n');
  const inDir = (command: string) => {
    const p = spawnSync('sh', ['-c', command], { cwd: dir });
    return { code: p.status ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString(), stdoutBytes: p.stdout };
  };
  const parts = [partOf('-dash'), partOf('plain'), partOf('-n'), partOf('-dash', false)];
  const results = fileReadMerger.split(inDir(fileReadMerger.command(parts)), parts);
  parts.forEach((p, i) => same(results[i], inDir(fileFact(p.path, p.withContent).command(host)), `${p.path} (content: ${p.withContent})`));
  assert.match(results[0]!.stdout, /dashed/);
});

test('in a read batch: file reads merge into one stat and one head (2 processes for 12 files, where alone each took 2); a read the merge cannot answer is read again as its own command', async () => {
  const dir = fresh();
  const paths = Array.from({ length: 12 }, (_, i) => join(dir, `f${i}`));
  paths.forEach((p, i) => writeFileSync(p, `file ${i}\n`));
  const facts = paths.map((p) => fileFact(p, true));
  const merged = fileReadMerger.command(facts.map((f) => f.merge!.part as FileReadPart));
  // The merged command in the batch's own shell (sharesShell): processes started, counted in a PID namespace.
  assert.ok(fileReadMerger.sharesShell);
  const p = inPidNamespace(`{ eval ${quote(merged)}; } >/dev/null`);
  assert.is(p.status, 0, p.stderr);
  // sh, stat, head, the counting cat.
  assert.is(p.lastPid, 4, p.stderr);

  const big = join(dir, 'big');
  writeFileSync(big, 'b'.repeat(300 * 1024));
  const all = [...facts, fileFact(big, true)];
  const conn = new FakeConnection('a', true);
  const session = new HostSession({ name: 'a' } as never, conn);
  session.prefetch(all.map((f) => ({ command: f.command(host), timeoutSeconds: 30, sharesShell: f.sharesShell, merge: f.merge })));
  for (const [i, f] of all.entries()) {
    const r = await session.read(f.command(host), 30);
    same(r, sh(f.command(host)), `read ${i}`);
  }
  // One batch (with one merged read), then the big file alone.
  assert.is(conn.commands.length, 2, conn.commands.map((c) => c.command.slice(0, 80)).join('\n'));
  assert.ok(conn.commands[1].command.includes(big) && !conn.commands[1].command.includes(paths[0]));
});

test('reads the merged read could not answer (two links here) go out once more together, as their own commands: one round trip, not one each', async () => {
  const dir = fresh();
  const target = join(dir, 'target');
  writeFileSync(target, 'pointed at\n');
  symlinkSync(target, join(dir, 'l1'));
  symlinkSync(target, join(dir, 'l2'));
  const facts = [fileFact(join(dir, 'l1'), true), fileFact(join(dir, 'l2'), true), fileFact(target, true)];
  const conn = new FakeConnection('a', true);
  const session = new HostSession({ name: 'a' } as never, conn);
  session.prefetch(facts.map((f) => ({ command: f.command(host), timeoutSeconds: 30, sharesShell: f.sharesShell, merge: f.merge })));
  for (const f of facts) same(await session.read(f.command(host), 30), sh(f.command(host)), f.name);
  assert.is(conn.commands.length, 2, conn.commands.map((c) => c.command.slice(0, 80)).join('\n'));
  const again = conn.commands[1].command;
  assert.ok(again.includes('l1') && again.includes('l2') && !again.includes('keel_ft'), 'the links, each by its own command');
});

test.run();
