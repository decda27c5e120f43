import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyRecap, type HostRecap } from '../../lib/reporter';
import { recapLines } from '../../lib/reporters/format';
import { PlainReporter } from '../../lib/reporters/plain';

const recap = (r: Partial<HostRecap>): HostRecap => ({ ...emptyRecap(), ...r });

test('the recap is Ansible\'s line form: ok counts changed tasks too, so CI greps written for Ansible work', () => {
  const text = recapLines({ node1: recap({ ok: 16 }), node2: recap({ ok: 10, changed: 6, skipped: 1, ignored: 2 }) }, false);
  assert.equal(text.split('\n'), [
    'PLAY RECAP',
    'node1 : ok=16 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0',
    'node2 : ok=16 changed=6 unreachable=0 failed=0 skipped=1 rescued=0 ignored=2',
  ]);
  assert.match(text, /changed=[1-9]/);
  assert.not.match(recapLines({ node1: recap({ ok: 16 }) }, false), /changed=[1-9]/);
});

test('in check mode changed= counts what would change; host names line up', () => {
  const text = recapLines({ a: recap({ ok: 2, wouldChange: 3 }), 'longer-name': recap({ failed: 1, unreachable: 1 }) }, true);
  const [head, a, b] = text.split('\n');
  assert.match(head, 'check mode');
  assert.is(a, 'a           : ok=5 changed=3 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0');
  assert.is(b, 'longer-name : ok=0 changed=0 unreachable=1 failed=1 skipped=0 rescued=0 ignored=0');
});

test('the plain reporter prints the recap lines', () => {
  const lines: string[] = [];
  new PlainReporter({ diff: false, write: (l) => lines.push(l) }).recap({ web1: recap({ ok: 1, changed: 1 }) }, false);
  assert.ok(lines.join('\n').split('\n').includes('web1 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0'), lines.join('\n'));
});

test.run();
