import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quote, raw, sh } from '../../lib/quote';

const dir = mkdtempSync(join(tmpdir(), 'keel-quote-'));
const canary = (n: string) => join(dir, n);
const hostile = [
  `'; touch ${canary('a')}`,
  `$(touch ${canary('b')})`,
  `\`touch ${canary('c')}\``,
  `x\ntouch ${canary('d')}`,
  `a b  c`,
  `"double" 'single' \\back`,
  `*`,
  `-n`,
  `; rm -rf ${canary('e')} #`,
  '',
  `$HOME && touch ${canary('f')} || touch ${canary('g')}`,
];

for (const shell of ['sh', 'bash', 'dash']) {
  test(`${shell}: every hostile value comes back byte-for-byte and runs nothing`, () => {
    for (const value of hostile) {
      const p = spawnSync(shell, ['-c', `printf '%s' ${quote(value)}`], { encoding: 'utf8' });
      assert.is(p.stdout, value);
    }
    for (const c of 'abcdefg') assert.not.ok(existsSync(canary(c)), `canary ${c} appeared`);
  });
}

test('sh template quotes each interpolation and spreads arrays as words', () => {
  assert.is(sh`rm -f ${'a b'} ${['x', "y'z"]}`, `rm -f 'a b' x 'y'\\''z'`);
  assert.is(sh`echo ${raw('$HOME')}`, 'echo $HOME');
  assert.is(sh`echo ${42}`, 'echo 42');
});

test('safe words stay unquoted so commands read naturally', () => {
  assert.is(quote('/etc/default/corosync'), '/etc/default/corosync');
  assert.is(quote(''), "''");
});

test.run();
