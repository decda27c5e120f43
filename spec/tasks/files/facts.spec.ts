/**
 * tasks/files/facts.ts fileFact, its command run in a real `sh`: what a host answers for a small
 * file, a file past the content limit, an absent file, a missing parent and a directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostSession } from '../../../lib/host-session';
import { LocalConnection } from '../../../lib/connection/local';
import { fileFact, sha } from '../../../tasks/files/facts';
import { FakeConnection } from '../../helpers/fake-connection';
import { fileReadOutput } from '../../helpers/task-harness';
import type { HostFacts } from '../../../lib/types';
import { fresh, sh } from './real-sh';
import { inPidNamespace } from '../../helpers/pid-namespace';

const read = (path: string, withContent = true) => {
  const f = fileFact(path, withContent);
  const host = {} as HostFacts; // a file's command and parse do not depend on the host's facts
  return f.parse(sh(f.command(host)), host);
};

test('a small file: mode, owner, group, hash and whole content', () => {
  const p = join(fresh(), 'a b.conf');
  writeFileSync(p, 'x=1\nünïcode\n', { mode: 0o640 });
  const s = read(p);
  assert.equal({ ...s }, { exists: true, parentExists: true, mode: '640', owner: 'root', group: 'root', sha256: sha('x=1\nünïcode\n'), content: 'x=1\nünïcode\n' });
  assert.is(read(p, false).content, undefined);
  assert.is(read(p, false).sha256, sha('x=1\nünïcode\n'));
});

test('a file past 256 KiB (by one byte, or more): its hash, no content; at 256 KiB, the content', () => {
  for (const size of [256 * 1024 + 1, 300 * 1024]) {
    const p = join(fresh(), 'big');
    const text = 'y'.repeat(size);
    writeFileSync(p, text);
    const f = fileFact(p, true);
    const out = sh(f.command({} as HostFacts));
    assert.ok(out.stdout.length < 200, `the content is not sent (${out.stdout.length} bytes came back)`);
    const s = f.parse(out, {} as HostFacts);
    assert.is(s.sha256, sha(text));
    assert.is(s.content, undefined);
  }
  const p = join(fresh(), 'limit');
  writeFileSync(p, 'z'.repeat(256 * 1024));
  assert.is(read(p).content?.length, 256 * 1024);
});

test('absent, missing parent, and a directory where a file should be', () => {
  const d = fresh();
  assert.equal(read(join(d, 'none')), { exists: false, parentExists: true });
  assert.equal(read(join(d, 'no', 'such')), { exists: false, parentExists: false });
  mkdirSync(join(d, 'dir'));
  assert.throws(() => read(join(d, 'dir')), /exists but is not a regular file/);
});

test('a file that is not UTF-8 text: its hash is of its bytes, and no content is kept, whether read alone, in a batch or locally', async () => {
  const p = join(fresh(), 'key.bin');
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28, 0x41]);
  writeFileSync(p, bytes);
  const hash = sha(bytes);
  const alone = read(p);
  assert.is(alone.sha256, hash, 'read alone');
  assert.is(alone.content, undefined);
  // In a read batch (its output split into each read's exact bytes), with a UTF-8 file beside it.
  const q = join(fresh(), 'text.conf');
  writeFileSync(q, 'ünï\n');
  const session = new HostSession({ name: 'a' } as never, new FakeConnection('a', true));
  const [f, g] = [fileFact(p, true), fileFact(q, true)];
  const host = {} as HostFacts;
  // As the engine batches them: in the batch's own shell (fileFact says its command shares it).
  assert.ok(f.sharesShell && g.sharesShell);
  session.prefetch([
    { command: f.command(host), timeoutSeconds: 30, sharesShell: f.sharesShell },
    { command: g.command(host), timeoutSeconds: 30, sharesShell: g.sharesShell },
  ]);
  const batched = f.parse(await session.read(f.command(host), 30), host);
  assert.is(batched.sha256, hash, 'read in a batch');
  assert.is(batched.content, undefined);
  assert.equal(g.parse(await session.read(g.command(host), 30), host).content, 'ünï\n');
  const local = f.parse(await new LocalConnection('localhost').exec(f.command(host)), host);
  assert.is(local.sha256, hash, 'read through a local connection');
});

test('a small file is read with two processes (stat, cat): keel hashes its content; without content, stat and sha256sum', () => {
  const p = join(fresh(), 'small.conf');
  writeFileSync(p, 'a=1\n');
  for (const [withContent, want] of [[true, 'cat'], [false, 'sha256sum']] as const) {
    // In a new PID namespace the last PID handed out counts the processes: sh, the read's, cat.
    const command = fileFact(p, withContent).command({} as HostFacts);
    const r = inPidNamespace(`${command} >/dev/null`);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr.trim(), '4', `with content ${withContent}: sh, stat, ${want}, and the counting cat`);
  }
});

test("the output decide tests fabricate (fileReadOutput) is what fileFact's command prints", () => {
  const p = join(fresh(), 'same.conf');
  writeFileSync(p, 'x=1\nü\n', { mode: 0o600 });
  for (const withContent of [true, false]) {
    assert.is(sh(fileFact(p, withContent).command({} as HostFacts)).stdout, fileReadOutput('x=1\nü\n', { mode: '600', withContent }));
  }
});

test.run();
