import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shlexSplit } from '../../../lib/ansible-inventory/shlex';

// Expectations are python3's shlex.split(line, comments=True).
test('host lines split as shlex does: quotes group and disappear, # starts a comment', () => {
  assert.equal(shlexSplit('host a=1 b="two words"'), ['host', 'a=1', 'b=two words']);
  assert.equal(shlexSplit("h x='it''s'"), ['h', 'x=its']);
  assert.equal(shlexSplit('h x="a\\"b" y="c\\d"'), ['h', 'x=a"b', 'y=c\\d']);
  assert.equal(shlexSplit('h x=a\\ b'), ['h', 'x=a b']);
  assert.equal(shlexSplit('h a=b#comment'), ['h', 'a=b']);
  assert.equal(shlexSplit('h a=b # comment'), ['h', 'a=b']);
  assert.equal(shlexSplit('h ""'), ['h', '']);
  assert.equal(shlexSplit('h x="a \'b\' c"'), ['h', "x=a 'b' c"]);
  assert.equal(shlexSplit("h x='a \"b\" c'"), ['h', 'x=a "b" c']);
});

test('an unclosed quote or a trailing backslash is an error', () => {
  assert.throws(() => shlexSplit('h x="open'), /No closing quotation/);
  assert.throws(() => shlexSplit("h x='open"), /No closing quotation/);
  assert.throws(() => shlexSplit('h x=\\'), /No escaped character/);
});

test.run();
