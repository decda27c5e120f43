import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../../lib/errors';
import type { HostView } from '../../../lib/types';
import { template } from '../../../tasks/files';
import { ansibleVars, renderJinja } from '../../../tasks/files/jinja';
import { FakeConnection } from '../../helpers/fake-connection';
import { debianFacts, decideOn, runTask, testHost } from '../../helpers/task-harness';
import { applyForReal, fresh, record } from './real-sh';

/** node1 and node2 in group cluster; node1 sets a port, node2 does not. */
const vars = {
  port: 5070,
  debug: 'yes',
  enabled: true,
  nothing: null,
  tags: ['sip', "it's"],
  settings: { a: 1, b: false },
  users: [{ name: 'ann' }, { name: 'bob' }],
  conf_path: '/etc/app/x.conf',
};
const node1 = { name: 'node1', address: '198.18.0.11', groups: ['cluster'], vars };
const node2 = { name: 'node2', address: '198.18.0.12', groups: ['cluster'], vars: {} };
const host: HostView = { ...node1, inventory: { hosts: [node1, node2], groups: { cluster: ['node1', 'node2'] } } };

/**
 * A template using what Ansible roles use: ansible_managed, include, magic variables, filters
 * (default, bool, reject, join, map(attribute=), format, upper, regex_replace), dict.items(),
 * printing of booleans, None and lists, a comment with whitespace control, trim_blocks.
 */
const APP_INI_J2 = `# {{ ansible_managed }}
{% include '_header.j2' %}
[server]
name = {{ inventory_hostname }}
port = {{ port | default(5060) }}
debug = {{ debug | bool }}
enabled = {{ enabled }}
nothing = {{ nothing }}
peers = {{ groups['cluster'] | reject('equalto', inventory_hostname) | join(',') }}
{% for h in groups['cluster'] %}
peer.{{ loop.index }} = {{ hostvars[h].ansible_host }}:{{ hostvars[h].port | default(5060) }}
{% endfor %}
{% if extra is defined %}
extra = {{ extra }}
{% endif %}
tags = {{ tags }}
{% for k, v in settings.items() %}
{{ k }} = {{ v }}
{% endfor %}
users = {{ users | map(attribute='name') | join(' ') }}
label = {{ "%s-%03d" | format(inventory_hostname | upper, port) }}
path = {{ conf_path | regex_replace('^/etc/(.*)$', '/srv/\\\\1') }}
{#- a comment #}
    {% if True %}
indented
    {% endif %}
end
`;

/** What Jinja2 3.1 renders from APP_INI_J2 with Ansible's settings (trim_blocks, kept newline, None as ''). */
const APP_INI = `# Ansible managed (rendered by keel)
; host node1 (Debian bookworm)
[server]
name = node1
port = 5070
debug = True
enabled = True
nothing = 
peers = node2
peer.1 = 198.18.0.11:5070
peer.2 = 198.18.0.12:5060
tags = ['sip', "it's"]
a = 1
b = False
users = ann bob
label = NODE1-5070
path = /srv/app/x.conf    indented
    end
`;

const templates = () => {
  const d = fresh();
  writeFileSync(join(d, 'app.ini.j2'), APP_INI_J2);
  writeFileSync(join(d, '_header.j2'), '; host {{ inventory_hostname }} ({{ ansible_distribution }} {{ ansible_distribution_release }})\n');
  return d;
};

test('a Jinja2 role template renders as Jinja2 renders it, given the host vars, magic variables and facts', () => {
  const d = templates();
  assert.fixture(renderJinja(join(d, 'app.ini.j2'), ansibleVars(host, debianFacts)), APP_INI);
});

test('an undefined variable is an error naming the template and line; default() and "is defined" still work', () => {
  const d = fresh();
  writeFileSync(join(d, 't.j2'), 'a\n{{ missing }}\n');
  assert.throws(() => renderJinja(join(d, 't.j2'), {}), /template .*t\.j2: .*Line 2.*\n?.*attempted to output null or undefined value/s);
  writeFileSync(join(d, 'u.j2'), '{{ d.k | default("z") }}{% if x is defined %}y{% endif %}');
  assert.is(renderJinja(join(d, 'u.j2'), { d: {} }), 'z');
});

test('the Ansible variables: vars first-class, magic variables win, facts under ansible_ names', () => {
  const v = ansibleVars({ ...host, vars: { ...vars, inventory_hostname: 'spoofed' } }, debianFacts);
  assert.is(v.inventory_hostname, 'node1');
  assert.is(v.port, 5070);
  assert.is(v.ansible_hostname, 'node1');
  assert.is(v.ansible_os_family, 'Debian');
  assert.is(v.ansible_service_mgr, 'sysvinit');
  assert.equal(v.ansible_all_ipv4_addresses, ['198.18.0.11']);
  assert.equal(v.groups, { all: ['node1', 'node2'], cluster: ['node1', 'node2'] });
  assert.equal(v.group_names, ['cluster']);
  assert.equal((v.ansible_facts as Record<string, unknown>).distribution_release, 'bookworm');
});

test('template from a .j2 file: rendered in decide for the host, diff in check mode, written, then ok', async () => {
  const d = templates();
  const dest = join(d, 'app.ini');
  const task = template({ src: join(d, 'app.ini.j2'), dest, mode: '0644' });
  const decision = decideOn(task, record(task), { host });
  assert.equal(decision.changes, [{ field: 'file', to: 'created' }]);
  assert.match(decision.diff!, '+users = ann bob');
  await applyForReal(task, decision.plan);
  assert.is(readFileSync(dest, 'utf8'), APP_INI);
  assert.equal(decideOn(task, record(task), { host }).changes, []);
  // A hand edit of one line is one content change, and the diff shows that line only.
  writeFileSync(dest, APP_INI.replace('port = 5070', 'port = 9999'));
  const drift = decideOn(task, record(task), { host });
  assert.equal(drift.changes.map((c) => c.field), ['content']);
  const edits = drift.diff!.split('\n').filter((l) => /^[-+][^-+]/.test(l));
  assert.equal(edits, ['-port = 9999', '+port = 5070']);
});

test('template from a render function: typed TypeScript of host and facts', async () => {
  const d = fresh();
  const dest = join(d, 'motd');
  const task = template({ dest, render: (h, f) => `${h.name} runs ${f.os.prettyName}\n` });
  const decision = decideOn(task, record(task));
  await applyForReal(task, decision.plan);
  assert.is(readFileSync(dest, 'utf8'), `${testHost.name} runs ${debianFacts.os.prettyName}\n`);
  const other = decideOn(task, record(task), { host: { ...testHost, name: 'node7' } });
  assert.equal(other.changes.map((c) => c.field), ['content'], 'another host renders other content');
});

test('backup on a content change, through the engine; none for an unchanged file', async () => {
  const d = fresh();
  const dest = join(d, 'x.conf');
  writeFileSync(dest, 'before\n');
  const conn = new FakeConnection('x', true);
  const task = template({ dest, render: () => 'after\n', backup: true });
  const check = await runTask(task, conn, { check: true });
  const r = await runTask(task, conn);
  assert.is(r.status, 'changed', r.error);
  assert.equal(r.changes, check.changes);
  const backups = readdirSync(d).filter((f) => f !== 'x.conf');
  assert.is(backups.length, 1);
  assert.is(readFileSync(join(d, backups[0]), 'utf8'), 'before\n');
  assert.is((await runTask(task, conn)).status, 'ok');
  assert.is(readdirSync(d).length, 2);
});

test('secret: no diff, no hashes, and the file is not read back', () => {
  const d = fresh();
  writeFileSync(join(d, 'k'), 'old');
  const task = template({ dest: join(d, 'k'), render: () => 'password=hunter2\n', secret: true });
  const decision = decideOn(task, record(task));
  assert.is(decision.diff, undefined);
  assert.not.match(JSON.stringify(decision.changes), 'hunter2');
  assert.equal(decision.changes, [{ field: 'content', from: 'sha256:(secret)', to: 'sha256:(secret)' }]);
});

test('include finds its siblings next to the template wherever it is copied', () => {
  const d = templates();
  const e = fresh();
  copyFileSync(join(d, 'app.ini.j2'), join(e, 'app.ini.j2'));
  writeFileSync(join(e, '_header.j2'), '; elsewhere\n');
  assert.match(renderJinja(join(e, 'app.ini.j2'), ansibleVars(host, debianFacts)), '# Ansible managed (rendered by keel)\n; elsewhere\n[server]');
});

test('parameters: exactly one of render and src, src must exist, vars only for src', () => {
  const bad = (p: Parameters<typeof template>[0], field: string) => {
    try {
      template(p);
    } catch (err) {
      assert.instance(err, ValidationError);
      assert.match((err as Error).message, field);
      return;
    }
    assert.unreachable(`accepted ${JSON.stringify(p)}`);
  };
  bad({ dest: '/x' }, 'render: give exactly one of render and src');
  bad({ dest: '/x', src: '/nonexistent.j2', render: () => '' }, 'render: give exactly one');
  bad({ dest: '/x', src: '/nonexistent.j2' }, 'src: cannot read /nonexistent.j2');
  bad({ dest: '/x', render: 'text' as never }, 'render: must be a function');
  bad({ dest: '/x', render: () => '', vars: { a: 1 } }, 'vars: is only for a Jinja2 src');
});

test.run();
