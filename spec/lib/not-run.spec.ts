import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { suiteUnless } from '../helpers/not-run';

test('a suite that cannot run counts what was registered on it and says so with that count', () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    const s = suiteUnless('needs a unicorn');
    s.before(() => {});
    s('one', () => {});
    for (const n of [2, 3]) s(`loop ${n}`, () => {});
    s.after(() => {});
    s.run();
  } finally {
    console.log = log;
  }
  assert.match(printed.join('\n'), /^NOT RUN: 3 tests in .*: needs a unicorn$/m);
});

test('a suite that can run is a real uvu suite', () => {
  const s = suiteUnless(undefined, 'real');
  assert.type(s.run, 'function');
  assert.is(s.run.toString().includes('reportNotRun'), false);
});

test.run();
