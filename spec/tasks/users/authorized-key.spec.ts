import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../../lib/errors';
import type { ExecResult } from '../../../lib/types';
import { authorizedKey, authorizedKeysFact, parseKeyLine } from '../../../tasks/users';
import { applyPlan, debianFacts, decideOn } from '../../helpers/task-harness';

const dir = join(__dirname, '..', '..', 'fixtures', 'users');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
const recorded = (name: string): ExecResult => ({ code: Number(read(`${name}.code`)), stdout: read(`${name}.stdout`), stderr: read(`${name}.stderr`) });
const ED25519 = read('ed25519.pub').trim();
const RSA = read('rsa.pub').trim();
const [, ED_BLOB] = ED25519.split(' ');
const HOME = '/tmp/keelrec-home';
const FILE = `${HOME}/.ssh/authorized_keys`;
/** The recorded file: a comment, the RSA key, the ed25519 key with options and the comment old@laptop. */
const OTHER_LINES = recorded('keys-other-lines');
const RECORDED_CONTENT = OTHER_LINES.stdout.split('\n').slice(5).join('\n');

test('the fact: recorded reads of a fresh home, a file with other lines, a symlink and no user', () => {
  const fact = authorizedKeysFact('keelrec');
  const fresh = fact.parse(recorded('keys-no-ssh-dir'), debianFacts);
  assert.ok(fresh.user);
  if (!fresh.user) return;
  assert.is(fresh.home, HOME);
  assert.is(fresh.entry.gid, 1001);
  assert.ok(fresh.homeExists);
  assert.equal(fresh.sshDir, { exists: false });
  assert.equal(fresh.file, { exists: false, parentExists: false });
  const full = fact.parse(OTHER_LINES, debianFacts);
  if (!full.user) return assert.unreachable('recorded user');
  assert.equal(full.sshDir, { exists: true, mode: '755', owner: 'keelrec' });
  assert.is(full.file.mode, '644');
  assert.is(full.file.content, RECORDED_CONTENT);
  assert.throws(() => fact.parse(recorded('keys-symlink'), debianFacts), (e: unknown) => e instanceof KeelError && /symbolic link/.test(e.message));
  assert.equal(fact.parse(recorded('keys-no-user'), debianFacts), { user: false });
});

test('key lines: options with quoted blanks, the type, the blob and the comment are told apart', () => {
  assert.equal(parseKeyLine(`no-pty,command="echo a b" ${ED25519.split(' ').slice(0, 2).join(' ')} old@laptop`), {
    options: 'no-pty,command="echo a b"',
    type: 'ssh-ed25519',
    blob: ED_BLOB,
    comment: 'old@laptop',
  });
  assert.is(parseKeyLine('# deploy keys'), undefined);
  assert.is(parseKeyLine(''), undefined);
  assert.is(parseKeyLine(RSA)?.type, 'ssh-rsa');
});

test('a fresh home: .ssh made 0700 and the file 0600, both the user\'s, holding just the key', async () => {
  const task = authorizedKey({ user: 'keelrec', key: ED25519 });
  const d = decideOn(task, { keys: recorded('keys-no-ssh-dir') });
  assert.equal(d.changes, [
    { field: `${HOME}/.ssh`, to: 'created (700)' },
    { field: FILE, to: 'created (600)' },
    { field: `key ssh-ed25519 …${ED_BLOB.slice(-8)} keel@test`, to: 'added' },
  ]);
  const { commands } = await applyPlan(task, d.plan);
  assert.is(commands.length, 2);
  assert.is(commands[0].command, `mkdir -m 700 ${HOME}/.ssh && chown keelrec:1001 ${HOME}/.ssh`);
  assert.match(commands[1].command, 'chmod 0600 "$tmp"');
  assert.match(commands[1].command, 'chown keelrec:1001 "$tmp"');
  assert.match(commands[1].command, `mv -f "$tmp" ${FILE}`);
  assert.is(commands[1].stdin, `${ED25519}\n`);
});

test('the same key with other options and comment is replaced in place; other lines stay; modes are fixed', async () => {
  const task = authorizedKey({ user: 'keelrec', key: ED25519 });
  const d = decideOn(task, { keys: OTHER_LINES });
  assert.equal(d.changes, [
    { field: `${HOME}/.ssh mode`, from: '755', to: '700' },
    { field: `key ssh-ed25519 …${ED_BLOB.slice(-8)} keel@test`, from: 'no-pty,command="echo a b" ssh-ed25519 old@laptop', to: 'ssh-ed25519 keel@test' },
    { field: `${FILE} mode`, from: '644', to: '600' },
  ]);
  const lines = d.plan.content.split('\n');
  assert.equal(lines, ['# deploy keys', RSA, ED25519, ''], 'replaced in place, not appended');
  assert.match(d.diff ?? '', `-no-pty,command="echo a b" ssh-ed25519 ${ED_BLOB} old@laptop\n+${ED25519}`);
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(commands[0].command, `chmod 700 ${HOME}/.ssh && chown keelrec:1001 ${HOME}/.ssh`);
  // The write is refused if the file changed since it was read (the hash it was read with).
  assert.match(commands[1].command, OTHER_LINES.stdout.split('\n')[4]);
});

test('a key already there exactly is no change to the content; duplicates of it go', () => {
  const present = decideOn(authorizedKey({ user: 'keelrec', key: RSA }), { keys: OTHER_LINES });
  assert.equal(present.changes.map((c) => c.field), [`${HOME}/.ssh mode`, `${FILE} mode`], 'only the modes');
  assert.is(present.diff, undefined);
  const doubled = OTHER_LINES.stdout.replace(RECORDED_CONTENT, RECORDED_CONTENT + RSA + '\n');
  const d = decideOn(authorizedKey({ user: 'keelrec', key: RSA }), { keys: doubled.replace(/^[0-9a-f]{64}$/m, sha(RECORDED_CONTENT + RSA + '\n')) });
  assert.ok(d.changes.some((c) => c.from === '2 lines' && c.to === 'ssh-rsa rsa@test'), JSON.stringify(d.changes));
  assert.is(d.plan.content, RECORDED_CONTENT);
});

test('only .ssh wrong: it is fixed and the file is not rewritten', async () => {
  const okFile = OTHER_LINES.stdout.replace('\n644 keelrec keelrec\n', '\n600 keelrec keelrec\n');
  const task = authorizedKey({ user: 'keelrec', key: RSA });
  const d = decideOn(task, { keys: okFile });
  assert.equal(d.changes, [{ field: `${HOME}/.ssh mode`, from: '755', to: '700' }]);
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(commands.map((c) => c.command), [`chmod 700 ${HOME}/.ssh && chown keelrec:1001 ${HOME}/.ssh`]);
  const converged = okFile.replace('\ndir 755 keelrec\n', '\ndir 700 keelrec\n');
  const ok = decideOn(task, { keys: converged });
  assert.equal(ok.changes, []);
  assert.is(ok.ok, `keelrec authorizes ssh-rsa …${RSA.split(' ')[1].slice(-8)} rsa@test`);
});

test('absent removes every line of the key, keeps the rest and the file\'s own mode', async () => {
  const task = authorizedKey({ user: 'keelrec', key: ED25519, state: 'absent' });
  const d = decideOn(task, { keys: OTHER_LINES });
  assert.equal(d.changes, [{ field: `key ssh-ed25519 …${ED_BLOB.slice(-8)} keel@test`, from: 'present', to: 'removed' }]);
  assert.equal(d.plan.content, `# deploy keys\n${RSA}\n`);
  const { commands } = await applyPlan(task, d.plan);
  assert.is(commands.length, 1);
  assert.match(commands[0].command, 'chmod --reference=');
  assert.equal(decideOn(task, { keys: recorded('keys-no-ssh-dir') }).changes, []);
  assert.equal(decideOn(task, { keys: recorded('keys-no-user') }).changes, []);
});

test('a user that does not exist yet: check mode depends on earlier changes, apply refuses', async () => {
  const task = authorizedKey({ user: 'keelrec', key: ED25519 });
  const d = decideOn(task, { keys: recorded('keys-no-user') });
  assert.is(d.dependsOn, 'user keelrec does not exist yet');
  try {
    await applyPlan(task, d.plan);
    assert.unreachable('apply should refuse');
  } catch (err) {
    assert.is((err as Error).message, 'user keelrec does not exist');
  }
});

test('a key line that is not one, or a blob cut short, fails before any host is contacted', () => {
  const invalid = (key: string) => assert.throws(() => authorizedKey({ user: 'keelrec', key }), (e: unknown) => e instanceof ValidationError);
  invalid('not a key');
  invalid(`ssh-ed25519 ${ED_BLOB.slice(0, 40)} cut@short`);
  invalid(`ssh-rsa ${ED_BLOB} wrong@type`);
  invalid(`${ED25519}\nssh-rsa AAAA`);
});

test('the fact command and the write, run in a local shell on a real file with other lines', async () => {
  // The fact reads ~USER: root's home is not touched, only parsed; the write goes to a temp dir.
  const r = spawnSync('sh', ['-c', authorizedKeysFact('root').command(debianFacts)], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^root:x:0:0:/);
  const tmp = mkdtempSync(join(tmpdir(), 'keel-keys-'));
  const path = join(tmp, 'authorized_keys');
  writeFileSync(path, RECORDED_CONTENT, { mode: 0o644 });
  const task = authorizedKey({ user: 'keelrec', key: ED25519 });
  const d = decideOn(task, { keys: OTHER_LINES });
  const plan = { ...d.plan, path, dir: tmp, fixDir: false, attrs: { mode: '0600' } };
  const { commands } = await applyPlan(task, plan);
  const w = spawnSync('sh', ['-c', commands[0].command], { input: commands[0].stdin, encoding: 'utf8' });
  assert.is(w.status, 0, w.stderr);
  assert.is(readFileSync(path, 'utf8'), `# deploy keys\n${RSA}\n${ED25519}\n`);
  assert.is((statSync(path).mode & 0o777).toString(8), '600');
  assert.equal(readdirSync(tmp), ['authorized_keys']);
  // Run again with the old hash: the file changed since it was read, so the write is refused.
  const again = spawnSync('sh', ['-c', commands[0].command], { input: 'x\n', encoding: 'utf8' });
  assert.is(again.status, 4);
  assert.is(readFileSync(path, 'utf8'), `# deploy keys\n${RSA}\n${ED25519}\n`);
});

function sha(text: string): string {
  return require('node:crypto').createHash('sha256').update(text).digest('hex');
}

test.run();
