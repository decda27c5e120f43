/**
 * tasks/files/facts.ts fileFact, its command run in a real `sh`: what a host answers for a small
 * file, a file past the content limit, an absent file, a missing parent and a directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileFact, sha } from '../../../tasks/files/facts';
import type { HostFacts } from '../../../lib/types';
import { fresh, sh } from './real-sh';

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

test.run();
