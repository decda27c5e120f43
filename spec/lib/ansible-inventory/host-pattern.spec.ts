import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandHostPattern, HostPatternError } from '../../../lib/ansible-inventory/host-pattern';

const hosts = (p: string) => expandHostPattern(p).hosts;

test('numeric ranges keep leading zeros; without them, numbers are plain', () => {
  assert.equal(hosts('web[01:03].example.com'), ['web01.example.com', 'web02.example.com', 'web03.example.com']);
  assert.equal(hosts('web[8:11]'), ['web8', 'web9', 'web10', 'web11']);
  assert.equal(hosts('web[:2]'), ['web0', 'web1', 'web2'], 'a missing begin is 0');
  assert.equal(hosts('10.0.0.[1:3]'), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
});

test('alphabetic ranges, steps, and several ranges in one name', () => {
  assert.equal(hosts('db-[a:c]'), ['db-a', 'db-b', 'db-c']);
  assert.equal(hosts('db-[y:B]'), ['db-y', 'db-z', 'db-A', 'db-B'], 'Python string.ascii_letters order');
  assert.equal(hosts('n[01:10:3]'), ['n01', 'n04', 'n07', 'n10']);
  assert.equal(hosts('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
});

test('a :port applies to every host of the pattern; a plain name has none', () => {
  assert.equal(expandHostPattern('web[1:2]:2222'), { hosts: ['web1', 'web2'], port: 2222 });
  assert.equal(expandHostPattern('[2001:db8::1]:2200'), { hosts: ['2001:db8::1'], port: 2200 });
  assert.equal(expandHostPattern('host.example.com'), { hosts: ['host.example.com'], port: undefined });
});

test('bad ranges are errors naming the pattern', () => {
  const err = (p: string, re: RegExp) => assert.throws(() => hosts(p), (e: unknown) => e instanceof HostPatternError && re.test((e as Error).message), p);
  err('web[01:100]', /equal-length begin and end.*web\[01:100\]/);
  err('web[5:1]', /begin <= end/);
  err('web[c:a]', /begin <= end/);
  err('web[1:5:0]', /step must be a positive number/);
  err('web[1:]', /end value/);
  err('web[1:2:3:4]', /begin:end or begin:end:step/);
  err('web[1:b]', /numbers or single letters/);
});

test.run();
