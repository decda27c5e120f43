import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchScript, parseBatch } from '../../lib/probe-batch';

function runBatch(commands: string[]) {
  const { script, marker } = batchScript(commands);
  const p = spawnSync('sh', ['-c', script]);
  return parseBatch(p.stdout, marker, commands.length);
}

test('many probes in one shell come back as separate results with their own exit codes', () => {
  const rs = runBatch(['echo one', 'echo two >&2; exit 3', 'printf "no newline"', 'true']);
  assert.equal(rs[0], { code: 0, stdout: 'one\n', stderr: '' });
  assert.equal(rs[1], { code: 3, stdout: '', stderr: 'two\n' });
  assert.equal(rs[2], { code: 0, stdout: 'no newline', stderr: '' });
  assert.equal(rs[3], { code: 0, stdout: '', stderr: '' });
});

test('output that looks like a boundary or holds multibyte text cannot confuse the split', () => {
  const rs = runBatch(["printf 'keel-0000 0 0 5 5\\nzz ✓ ü\\n'", 'echo after']);
  assert.is(rs[0].stdout, 'keel-0000 0 0 5 5\nzz ✓ ü\n');
  assert.is(rs[1].stdout, 'after\n');
});

test('probes run concurrently: the first waits for a file that only the second creates', () => {
  const flag = join(mkdtempSync(join(tmpdir(), 'keel-batch-')), 'flag');
  const rs = runBatch([
    `i=0; while [ ! -e ${flag} ]; do i=$((i+1)); [ $i -gt 50 ] && exit 1; sleep 0.1; done; echo saw it`,
    `sleep 0.2; touch ${flag}`,
  ]);
  assert.equal(rs[0], { code: 0, stdout: 'saw it\n', stderr: '' });
});

test.run();
