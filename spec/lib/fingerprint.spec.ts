import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { factHash } from '../../lib/fingerprint';

test("a fact read's hash tells apart outputs that are not UTF-8 and decode alike; text hashes the same with or without its bytes", () => {
  const read = (bytes: number[]) => {
    const b = Buffer.from(bytes);
    return { code: 0, stdout: b.toString(), stderr: '', stdoutBytes: b };
  };
  const a = read([0x41, 0x80, 0x0a]);
  const b = read([0x41, 0x90, 0x0a]);
  assert.is(a.stdout, b.stdout, 'both decode to the same text');
  assert.is.not(factHash('cat f', a), factHash('cat f', b));
  const text = { code: 0, stdout: 'ünï\n', stderr: '' };
  assert.is(factHash('cat f', text), factHash('cat f', { ...text, stdoutBytes: Buffer.from(text.stdout) }));
});

test.run();
