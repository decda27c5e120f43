import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCli, parseExtraVars } from '../../lib/cli';
import { UsageError } from '../../lib/errors';

test('flags parse into options; lists split on commas', () => {
  const o = parseCli(['-i', 'lab', '--check', '--diff', '-l', 'cluster:!node3', '-t', 'a,b', '--forks', '4', '-e', 'x=1', '-e', 'y=two', '--json', 'r.json', '-v']);
  assert.equal(
    { inventory: o.inventory, check: o.check, diff: o.diff, limit: o.limit, tags: o.tags, forks: o.forks, extraVars: o.extraVars, json: o.json, verbose: o.verbose },
    { inventory: 'lab', check: true, diff: true, limit: 'cluster:!node3', tags: ['a', 'b'], forks: 4, extraVars: { x: 1, y: 'two' }, json: 'r.json', verbose: true },
  );
});

test('-F / --ssh-config names the ssh config; without it there is none on the options (~/.ssh/config is read)', () => {
  assert.is(parseCli(['-i', 'lab', '-F', '/x/ssh_config']).sshConfig, '/x/ssh_config');
  assert.is(parseCli(['-i', 'lab', '--ssh-config', 'cfg']).sshConfig, 'cfg');
  assert.is(parseCli(['-i', 'lab']).sshConfig, undefined);
});

test('an unknown flag, a missing inventory or a bad --forks is a UsageError with the usage text', () => {
  assert.throws(() => parseCli(['-i', 'lab', '--chek']), (e: unknown) => e instanceof UsageError && /Unknown option '--chek'/.test((e as Error).message) && /usage:/.test((e as Error).message));
  assert.throws(() => parseCli(['--check']), (e: unknown) => e instanceof UsageError && /-i INVENTORY is required/.test((e as Error).message));
  assert.throws(() => parseCli(['-i', 'lab', '--forks', '0']), /--forks must be a whole number from 1 to 1000, got "0"/);
  assert.throws(() => parseCli(['-i', 'lab', 'stray']), (e: unknown) => e instanceof UsageError && /Unexpected argument 'stray'/.test((e as Error).message));
});

test('-e values are JSON when they parse, strings otherwise; keys must be names', () => {
  assert.equal(parseExtraVars(['a=true', 'b=[1,2]', 'c=hello world', 'd=', 'e=x=y']), { a: true, b: [1, 2], c: 'hello world', d: '', e: 'x=y' });
  assert.throws(() => parseExtraVars(['novalue']), /-e wants key=value, a JSON object or @file.json, got "novalue"/);
  assert.throws(() => parseExtraVars(['a-b=1']), /"a-b" is not a valid var name/);
});

test('plan and report flags: --plan-out needs --check, --plan refuses it, --plan-max-age and --force-plan need --plan', () => {
  const out = parseCli(['-i', 'lab', '--check', '--plan-out', 'p.json', '--html', 'r.html']);
  assert.equal({ planOut: out.planOut, html: out.html, plan: out.plan, age: out.planMaxAgeSeconds, force: out.forcePlan }, { planOut: 'p.json', html: 'r.html', plan: undefined, age: 3600, force: false });
  const apply = parseCli(['-i', 'lab', '--plan', 'p.json', '--plan-max-age', '600', '--force-plan']);
  assert.equal({ plan: apply.plan, age: apply.planMaxAgeSeconds, force: apply.forcePlan, check: apply.check }, { plan: 'p.json', age: 600, force: true, check: false });
  assert.throws(() => parseCli(['-i', 'lab', '--plan-out', 'p.json']), (e: unknown) => e instanceof UsageError && /add --check/.test((e as Error).message));
  assert.throws(() => parseCli(['-i', 'lab', '--check', '--plan', 'p.json']), /leave out --check/);
  assert.throws(() => parseCli(['-i', 'lab', '--force-plan']), /go with --plan FILE/);
  assert.throws(() => parseCli(['-i', 'lab', '--plan', 'p.json', '--plan-max-age', 'soon']), /--plan-max-age must be a whole number of seconds, got "soon"/);
});

test('Ansible\'s short flags: -C -D -l -t -f -u -b -v -e -i', () => {
  const o = parseCli(['-i', 'prod', '-C', '-D', '-l', 'web', '-t', 'x', '-f', '3', '-u', 'admin', '-b', '-v', '-e', 'a=1']);
  assert.equal(
    { inventory: o.inventory, check: o.check, diff: o.diff, limit: o.limit, tags: o.tags, forks: o.forks, user: o.user, become: o.become, verbose: o.verbose, extraVars: o.extraVars },
    { inventory: 'prod', check: true, diff: true, limit: 'web', tags: ['x'], forks: 3, user: 'admin', become: true, verbose: true, extraVars: { a: 1 } },
  );
  const grouped = parseCli(['-CDbv', '-i', 'prod']);
  assert.equal([grouped.check, grouped.diff, grouped.become, grouped.verbose], [true, true, true, true]);
  const none = parseCli(['-i', 'prod']);
  assert.equal([none.check, none.diff, none.become, none.user], [false, false, false, undefined]);
});

test('every existing long flag still parses', () => {
  const o = parseCli(['--inventory', 'lab', '--check', '--diff', '--limit', 'a', '--tags', 't', '--skip-tags', 's', '--forks', '2', '--extra-vars', 'k=v', '--json', 'r.json', '--verbose', '--accept-new-host-keys', '--plain']);
  assert.equal(
    [o.inventory, o.check, o.diff, o.limit, o.tags, o.skipTags, o.forks, o.extraVars, o.json, o.verbose, o.acceptNewHostKeys, o.plain],
    ['lab', true, true, 'a', ['t'], ['s'], 2, { k: 'v' }, 'r.json', true, true, true],
  );
});

test('--list-hosts, --list-tasks, --list-tags, --start-at-task, --json -, --junit FILE, --user, --become', () => {
  const o = parseCli(['-i', 'lab', '--list-hosts', '--list-tasks', '--list-tags', '--start-at-task', 'write motd', '--json', '-', '--junit', 'out.xml', '--user', 'ops', '--become']);
  assert.equal(
    [o.listHosts, o.listTasks, o.listTags, o.startAtTask, o.json, o.junit, o.user, o.become],
    [true, true, true, 'write motd', '-', 'out.xml', 'ops', true],
  );
  assert.throws(() => parseCli(['-i', 'lab', '--junit', '-']), /--junit wants a file name/);
  assert.throws(() => parseCli(['-i', 'lab', '-u', 'a b']), /-u: "a b" is not a user name/);
  assert.throws(() => parseCli(['-i', 'lab', '--start-at-task', ' ']), /--start-at-task wants a task name/);
});

test('-e @vars.json and -e \'{"json": 1}\' merge with key=value, later ones winning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-cli-'));
  const file = join(dir, 'vars.json');
  writeFileSync(file, JSON.stringify({ port: 7777, list: [1, 2], name: 'from-file' }));
  assert.equal(parseExtraVars([`@${file}`, '{"name": "from-json", "deep": {"a": true}}', 'port=1']), {
    port: 1,
    list: [1, 2],
    name: 'from-json',
    deep: { a: true },
  });
  assert.equal(parseCli(['-i', 'lab', '-e', `@${file}`]).extraVars, { port: 7777, list: [1, 2], name: 'from-file' });
  assert.throws(() => parseExtraVars([`@${join(dir, 'missing.json')}`]), /-e @.*missing\.json: cannot read it \(ENOENT\)/);
  writeFileSync(join(dir, 'bad.json'), '{ nope');
  assert.throws(() => parseExtraVars([`@${join(dir, 'bad.json')}`]), /bad\.json: not valid JSON/);
  assert.throws(() => parseExtraVars(['[1, 2]']), /-e wants key=value/);
  assert.throws(() => parseExtraVars(['{"a": 1']), /not valid JSON/);
  assert.throws(() => parseExtraVars(['{"not-a-name": 1}']), /"not-a-name" is not a valid var name/);
  writeFileSync(join(dir, 'list.json'), '[1]');
  assert.throws(() => parseExtraVars([`@${join(dir, 'list.json')}`]), /must be a JSON object of vars/);
});

test.run();
