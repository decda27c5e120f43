import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pythonValue, UnsupportedLiteral } from '../../../lib/ansible-inventory/python-literal';

// Each expectation is what python3's ast.literal_eval gives (a string when it raises
// ValueError or SyntaxError, as Ansible's INI plugin keeps the text then).
const cases: [string, unknown][] = [
  ['1', 1],
  ["'1'", '1'],
  ['"\'1\'"', "'1'"],
  ['yes', 'yes'],
  ['True', true],
  ['true', 'true'],
  ['None', null],
  ['[1, 2]', [1, 2]],
  ["[1, 'a', [True]]", [1, 'a', [true]]],
  ["{'k': 'v', 'n': 1}", { k: 'v', n: 1 }],
  ["{'k': 'v',}", { k: 'v' }],
  ['{}', {}],
  ['()', []],
  ['(1,)', [1]],
  ['(1)', 1],
  ['1,2', [1, 2]],
  ['-3', -3],
  ['- 3', -3],
  ['+4', 4],
  ['--1', '--1'],
  ['-True', '-True'],
  ['0x1F', 31],
  ['0o17', 15],
  ['0b101', 5],
  ['1_000', 1000],
  ['1__0', '1__0'],
  ['0123', '0123'],
  ['00', 0],
  ['0123.5', 123.5],
  ['1e3', 1000],
  ['1.', 1],
  ['.5', 0.5],
  ['1.2.3', '1.2.3'],
  ['bar # comment', 'bar # comment'],
  ['8080 # comment', 8080],
  ['', ''],
  ["'a' 'b'", 'ab'],
  ["'a' b'b'", "'a' b'b'"],
  ["r'a\\nb'", 'a\\nb'],
  ["'a\\nb'", 'a\nb'],
  ["'\\x41\\101\\u00e9'", 'AAé'],
  ["'''triple'''", 'triple'],
  ["f'x'", "f'x'"],
  ["u'x'", 'x'],
  ['1abc', '1abc'],
  ['{{ foo }}', '{{ foo }}'],
  ["'unterminated", "'unterminated"],
  ["'it''s'", 'its'],
  ['[1 2]', '[1 2]'],
  ['1+2', '1+2'],
  ['café', 'café'],
  ['-0x10', -16],
  ['(1, [2, (3,)])', [1, [2, [3]]]],
  ["'\\d'", '\\d'],
  ['1_', '1_'],
  ['_1', '_1'],
];

test('values are read as ast.literal_eval reads them; non-literals stay text', () => {
  for (const [text, want] of cases) assert.equal(pythonValue(text), want, `pythonValue(${JSON.stringify(text)})`);
});

test('literals keel cannot represent are errors, not text', () => {
  for (const text of ['1+2j', '3j', '{1, 2}', 'set()', "'\\N{BULLET}'", '123456789012345678901234567890', "{[1]: 2}"]) {
    assert.throws(() => pythonValue(text), (e: unknown) => e instanceof UnsupportedLiteral, text);
  }
});

test.run();
