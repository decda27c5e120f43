import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventoryFileError } from '../../../lib/errors';
import { parseIniInventory } from '../../../lib/ansible-inventory/ini';
import { InventoryModel } from '../../../lib/ansible-inventory/model';

function parse(text: string): InventoryModel {
  const model = new InventoryModel();
  parseIniInventory(text, '/inv/hosts.ini', model);
  return model;
}
const group = (m: InventoryModel, g: string) => m.groups.get(g)!;
const hostVars = (m: InventoryModel, h: string) => m.hosts.get(h)!.vars.values;

/** The error's `file:line: message`, or a failure when there is none. */
function errorOf(text: string): InventoryFileError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof InventoryFileError) return err;
    throw err;
  }
  throw new Error('expected an InventoryFileError');
}

test('hosts before any section are ungrouped; [group] lists hosts, ranges expanded', () => {
  const m = parse('solo\n\n[web]\nweb[01:02].example.com\nweb03.example.com:2222\n');
  assert.equal(group(m, 'ungrouped').hosts, ['solo']);
  assert.equal(group(m, 'web').hosts, ['web01.example.com', 'web02.example.com', 'web03.example.com']);
  assert.equal(hostVars(m, 'web03.example.com'), { ansible_port: 2222 });
  assert.equal(hostVars(m, 'web01.example.com'), {});
});

test('host vars: shell quoting groups words, values are Python literals', () => {
  const m = parse(`h1 port=22 quoted='22' text="'22'" words="a b" yes=yes t=True list=[1,2] d="{'a': 1}" # comment\n`);
  assert.equal(hostVars(m, 'h1'), { port: 22, quoted: 22, text: '22', words: 'a b', yes: 'yes', t: true, list: [1, 2], d: { a: 1 } });
});

test(':vars take the rest of the line (comments included unless after a literal); :children may name later groups', () => {
  const m = parse(
    [
      '[prod:children]',
      'web  # the web tier',
      '[web]',
      'w1',
      '[web:vars]',
      'a = spaced value',
      'b=bar # kept',
      'c=8080 # dropped by Python',
      'd=',
      "e='x'",
      '[all:vars]',
      'top=1',
    ].join('\n'),
  );
  assert.equal(group(m, 'prod').children, ['web']);
  assert.equal(group(m, 'web').parents, ['prod']);
  assert.equal(group(m, 'web').vars.values, { a: 'spaced value', b: 'bar # kept', c: 8080, d: '', e: 'x' });
  assert.equal(group(m, 'web').vars.origins.c, { file: '/inv/hosts.ini', line: 8 }, 'each var knows its line');
  assert.equal(group(m, 'all').vars.values, { top: 1 });
});

test('a host listed again keeps its first port and takes later vars', () => {
  const m = parse('[a]\nh:2201 x=1\n[b]\nh:2202 x=2\n');
  assert.equal(hostVars(m, 'h'), { ansible_port: 2201, x: 2 });
  assert.equal(group(m, 'a').hosts, ['h']);
  assert.equal(group(m, 'b').hosts, ['h']);
});

test('ansible_group_priority sets the priority and is not a var', () => {
  const m = parse('[g]\nh\n[g:vars]\nansible_group_priority=5\n');
  assert.is(group(m, 'g').priority, 5);
  assert.equal(group(m, 'g').vars.values, {});
});

test('errors name the file and line', () => {
  const cases: [string, string][] = [
    ['[web:hosts]\n[web:nope]\n', '/inv/hosts.ini:2: section [web:nope] has an unknown type: nope'],
    ['[web]\nh\n[web:children]\nmissing\n', '/inv/hosts.ini:4: section [web:children] names a group that is not defined: missing'],
    ['[ghost:vars]\nx=1\n', '/inv/hosts.ini:1: section [ghost:vars] is for a group that is not defined: ghost'],
    ['[web]\nh1 novalue\n', '/inv/hosts.ini:2: expected key=value after the host, got: novalue'],
    ['[web]\n\nh1 x="open\n', '/inv/hosts.ini:3: cannot split host line (No closing quotation)'],
    ['[web:vars]\njust text\n[web]\n', '/inv/hosts.ini:2: expected key=value in [web:vars], got: just text'],
    ['[web group]\n', '/inv/hosts.ini:1: invalid section "[web group]"'],
    ['[web]\nweb[3:1]\n', '/inv/hosts.ini:2: host range must have begin <= end'],
    ['[web]\nh1:\n', '/inv/hosts.ini:2: host pattern "h1:" ends in ":"'],
    ['[a:children]\nb\n[b:children]\na\n', '/inv/hosts.ini:4: adding group "a" as a child of "b" creates a loop'],
    ['[web:children]\nall\n', '/inv/hosts.ini:2: group "all" cannot be a child of another group'],
    ['[web]\nbad/name\n', '/inv/hosts.ini:2: host name "bad/name" is not valid in keel'],
  ];
  for (const [text, message] of cases) {
    const e = errorOf(text);
    assert.ok(e.message.startsWith(message), `${JSON.stringify(text)}\n  got:  ${e.message}\n  want: ${message}`);
  }
});

test('unsupported: Jinja2 templates, vault files, unrepresentable literals', () => {
  assert.match(errorOf('[web]\nh1 motd="{{ greeting }}"\n').message, /^\/inv\/hosts.ini:2: motd: Jinja2 templates are not supported/);
  assert.match(errorOf('[web:vars]\nx={% if a %}b{% endif %}\n[web]\n').message, /^\/inv\/hosts.ini:2: x: Jinja2 templates are not supported/);
  assert.match(errorOf('$ANSIBLE_VAULT;1.1;AES256\n6162\n').message, /^\/inv\/hosts.ini:1: vault-encrypted inventory files are not supported/);
  assert.match(errorOf('[web]\nh1 z=1+2j\n').message, /^\/inv\/hosts.ini:2: z: complex numbers are not supported/);
});

test.run();
