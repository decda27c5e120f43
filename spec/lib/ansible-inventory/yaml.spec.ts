import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventoryFileError } from '../../../lib/errors';
import { InventoryModel } from '../../../lib/ansible-inventory/model';
import { parseVarsFile, parseYamlInventory } from '../../../lib/ansible-inventory/yaml';

function parse(text: string): InventoryModel {
  const model = new InventoryModel();
  parseYamlInventory(text, '/inv/hosts.yml', model);
  return model;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InventoryFileError) return err.message;
    throw err;
  }
  throw new Error('expected an InventoryFileError');
}

test('groups, children, hosts with ranges and ports, vars at each level', () => {
  const m = parse(`
all:
  vars: {level: all}
  hosts:
    solo:
  children:
    cluster:
      vars: {level: cluster}
      children:
        web:
          hosts:
            web[01:02]:
            web03:2222: {level: host}
    db:
      hosts: db1
`);
  assert.equal(m.groups.get('all')!.hosts, ['solo']);
  assert.equal(m.groups.get('all')!.children, ['ungrouped', 'cluster', 'db']);
  assert.equal(m.groups.get('cluster')!.children, ['web']);
  assert.equal(m.groups.get('web')!.hosts, ['web01', 'web02', 'web03']);
  assert.equal(m.groups.get('db')!.hosts, ['db1'], 'a string stands for a one-host mapping');
  assert.equal(m.hosts.get('web03')!.vars.values, { ansible_port: 2222, level: 'host' });
  assert.equal(m.groups.get('cluster')!.vars.values, { level: 'cluster' });
  assert.equal(m.hosts.get('web03')!.vars.origins.level.line, 13, 'vars know their line');
});

test("scalars mean what they mean to Ansible's PyYAML (YAML 1.1), not YAML 1.2", () => {
  const vars = parseVarsFile(
    ['a: yes', 'b: off', 'c: y', 'd: 0755', 'e: 08', 'f: 1e3', 'g: 1.5e+3', 'h: 1_000', 'i: 0x1f', 'j: 1:30', 'k: ~', "l: '0755'", 'm: 2024-05-01', 'n: True'].join('\n'),
    '/inv/group_vars/all.yml',
  )!.values;
  assert.equal(vars, { a: true, b: false, c: 'y', d: 493, e: '08', f: '1e3', g: 1500, h: 1000, i: 31, j: 90, k: null, l: '0755', m: '2024-05-01', n: true });
});

test('merge keys and anchors work in vars; each var keeps its line', () => {
  const vars = parseVarsFile('base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n', '/inv/group_vars/all.yml')!;
  assert.equal(vars.values, { base: { x: 1, y: 2 }, derived: { x: 1, y: 3 } });
  assert.equal(vars.origins.derived, { file: '/inv/group_vars/all.yml', line: 2 });
});

test('an empty vars file is no vars; !unsafe is a plain string', () => {
  assert.is(parseVarsFile('# nothing\n', '/inv/group_vars/all.yml'), undefined);
  assert.equal(parseVarsFile("t: !unsafe '{{ raw }}'\n", '/inv/group_vars/all.yml')!.values, { t: '{{ raw }}' });
});

test('unsupported YAML is an error naming the file and line', () => {
  const vault = 'secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n';
  assert.match(errorOf(() => parseVarsFile('ok: 1\n' + vault, '/inv/group_vars/db.yml')), /^\/inv\/group_vars\/db.yml:2: vault-encrypted values \(!vault\) are not supported$/);
  assert.match(errorOf(() => parseVarsFile('$ANSIBLE_VAULT;1.1;AES256\n6162\n', '/inv/group_vars/db.yml')), /^\/inv\/group_vars\/db.yml:1: vault-encrypted files are not supported/);
  assert.match(errorOf(() => parseVarsFile('a: 1\nmotd: "hi {{ name }}"\n', '/g.yml')), /^\/g.yml:2: Jinja2 templates are not supported/);
  assert.match(errorOf(() => parseVarsFile('a: !custom 1\n', '/g.yml')), /^\/g.yml:1: the YAML tag !custom is not supported/);
  assert.match(errorOf(() => parseVarsFile('a: 1\na: 2\n', '/g.yml')), /^\/g.yml:2: YAML: Map keys must be unique/);
  assert.match(errorOf(() => parseVarsFile('a: [1\n', '/g.yml')), /^\/g.yml:\d+: YAML: /);
  assert.match(errorOf(() => parseVarsFile('- a\n- b\n', '/g.yml')), /^\/g.yml:1: a vars file must be a mapping/);
  assert.match(errorOf(() => parse('plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n')), /^\/inv\/hosts.yml:1: inventory plugins are not supported \(plugin: amazon.aws.aws_ec2\)/);
  assert.match(errorOf(() => parse('all:\n  children:\n    web:\n      host:\n        w1:\n')), /^\/inv\/hosts.yml:4: group "web" has an unexpected key "host": only hosts, children and vars are valid/);
  assert.match(errorOf(() => parse('all:\n  hosts:\n    - w1\n')), /^\/inv\/hosts.yml:2: "hosts" of group "all" must be a mapping/);
  assert.match(errorOf(() => parse('all:\n  hosts:\n    42:\n')), /^\/inv\/hosts.yml:3: a host pattern must be a string \(quote numbers\)/);
  assert.match(errorOf(() => parse('web: [a, b]\n')), /^\/inv\/hosts.yml:1: group "web" must be a mapping/);
  assert.match(errorOf(() => parse('')), /^\/inv\/hosts.yml:1: the YAML inventory is empty/);
});

test.run();
