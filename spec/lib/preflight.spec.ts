import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listPlaybook, startAtTask } from '../../lib/commands/list';
import { ConfigError } from '../../lib/errors';
import { buildInventory } from '../../lib/inventory';
import { checkOutputPath } from '../../lib/preflight';
import type { Play } from '../../lib/types';
import { writeFile } from '../../tasks/files';

const dir = mkdtempSync(join(tmpdir(), 'keel-preflight-'));

function configError(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ConfigError);
    const message = (err as Error).message;
    assert.not.match(message, '\n', 'one line');
    return message;
  }
  throw new Error('expected a ConfigError');
}

test('a report path in a missing directory, or naming a directory, is refused; a good one is probed and left clean', () => {
  assert.match(configError(() => checkOutputPath('--json', join(dir, 'nope', 'r.json'))), `--json ${join(dir, 'nope', 'r.json')}: the directory ${join(dir, 'nope')} does not exist`);
  mkdirSync(join(dir, 'adir'));
  assert.match(configError(() => checkOutputPath('--junit', join(dir, 'adir'))), 'is a directory, not a file');
  assert.match(configError(() => checkOutputPath('--junit', '/proc/keel-report.xml')), /--junit \/proc\/keel-report\.xml: cannot write in \/proc \(E[A-Z]+\)/);
  const before = readdirSync(dir).sort();
  checkOutputPath('--json', join(dir, 'fine.json'));
  assert.equal(readdirSync(dir).sort(), before, 'the probe file is removed');
  assert.not.ok(existsSync(join(dir, 'fine.json')));
});

// Key files are checked by lib/connect.ts's Connector.prepare before any contact: spec/lib/connect.spec.ts.

const inventory = buildInventory({
  hosts: { a: { vars: { n: 1 } }, b: { vars: { n: 2 } }, c: { vars: { n: 2 } } },
  groups: { web: { hosts: ['a', 'b'] } },
});
const plays: Play[] = [
  { name: 'base', hosts: 'all', tasks: () => [writeFile({ path: '/etc/motd', content: 'hi\n' }, { tags: ['motd'] })] },
  {
    name: 'web',
    hosts: 'web',
    tasks: (h) => [
      writeFile({ path: '/etc/one', content: '1\n' }, { name: 'one' }),
      writeFile({ path: `/etc/n${h.vars.n}`, content: '2\n' }, { name: 'two', tags: ['conf', 'always'] }),
      writeFile({ path: '/etc/three', content: '3\n' }, { name: 'three', tags: ['conf'] }),
    ],
  },
];

test('--list-hosts, --list-tasks and --list-tags, per play, with --limit and --tags applied', () => {
  const text = listPlaybook('site', plays, inventory, {}, { hosts: true, tasks: true, tags: true });
  assert.equal(text.split('\n'), [
    'playbook: site',
    '',
    '  play #1 (all): base',
    '    hosts (3):',
    '      a',
    '      b',
    '      c',
    '    tasks:',
    '      writeFile /etc/motd\tTAGS: [motd]',
    '      TASK TAGS: [motd]',
    '',
    '  play #2 (web): web',
    '    hosts (2):',
    '      a',
    '      b',
    '    tasks:',
    '      one\tTAGS: []',
    '      two\tTAGS: [conf, always]',
    '      three\tTAGS: [conf]',
    '      TASK TAGS: [always, conf]',
  ]);
  const limited = listPlaybook('site', plays, inventory, { limit: 'b', tags: ['conf'] }, { hosts: true, tasks: true, tags: false });
  assert.match(limited, '  play #2 (web): web\n    hosts (1):\n      b\n    tasks:\n      two\tTAGS: [conf, always]\n      three\tTAGS: [conf]');
});

test('--start-at-task skips the plays and steps before the first task of that name', () => {
  const from = startAtTask(plays, inventory, {}, 'two');
  assert.ok(from);
  assert.equal(from!.map((p) => p.name), ['web']);
  const a = inventory.hosts[0];
  assert.equal(from![0].tasks(a, {} as never).map((t) => (t.kind === 'task' ? t.options.name : 'flush')), ['two', 'three']);
  assert.is(startAtTask(plays, inventory, {}, 'nope'), undefined);
  assert.is(startAtTask(plays, inventory, { tags: ['motd'] }, 'two')?.length, 1, 'an always-tagged task is still found under --tags');
});

test.run();
