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
  assert.throws(() => parseExtraVars(['novalue']), /-e wants key=value, got "novalue"/);
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

test.run();
