/** lib/connection/local.ts: commands on the control machine, in a real sh. */
import { createReadStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../lib/connection/local';

const conn = new LocalConnection('localhost');

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const outcome = await p.then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  assert.match(outcome, pattern);
}

test('exit code, stdout as text and as its exact bytes, stderr; input as text or as a stream', async () => {
  const r = await conn.exec("printf '\\377ok'; echo warn >&2; exit 3");
  assert.is(r.code, 3);
  assert.equal([...r.stdoutBytes!], [0xff, 0x6f, 0x6b]);
  assert.is(r.stderr, 'warn\n');
  assert.is((await conn.exec('cat', { stdin: 'typed' })).stdout, 'typed');
  const f = join(mkdtempSync(join(tmpdir(), 'keel-local-')), 'in');
  writeFileSync(f, 'streamed');
  assert.is((await conn.exec('cat', { stdin: createReadStream(f) })).stdout, 'streamed');
  assert.is((await conn.exec('kill -TERM $$')).code, 143, 'killed by SIGTERM: 128 + 15');
});

test('a command past its deadline is killed with what it started, and the call ends at the deadline', async () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'keel-local-')), 'pid');
  const started = Date.now();
  await rejects(conn.exec(`sleep 600 & echo $! >${pidFile}; wait`, { timeoutMs: 500 }), /timed out/);
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  await new Promise((r) => setTimeout(r, 200));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] : 'gone';
  assert.ok(state === 'gone' || state === 'Z', `the background sleep ${pid} survived (state ${state})`);
});

test('an input stream that cannot be read fails the command at once instead of leaving it waiting for input', async () => {
  const started = Date.now();
  await rejects(conn.exec('cat', { stdin: createReadStream('/nonexistent/keel-input'), timeoutMs: 20_000 }), /ENOENT/);
  assert.ok(Date.now() - started < 3000);
});

test.run();
