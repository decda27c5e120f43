import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeelError, ValidationError } from '../../../lib/errors';
import type { ExecResult } from '../../../lib/types';
import { group, groupFact, groupsFact, membershipsFact, passwdFact, user } from '../../../tasks/users';
import { applyPlan, debianFacts, decideOn, factCommand } from '../../helpers/task-harness';

const dir = join(__dirname, '..', '..', 'fixtures', 'users');
const recorded = (name: string): ExecResult => ({
  code: Number(readFileSync(join(dir, `${name}.code`), 'utf8')),
  stdout: readFileSync(join(dir, `${name}.stdout`), 'utf8'),
  stderr: readFileSync(join(dir, `${name}.stderr`), 'utf8'),
});
const NO_GROUPS = { code: 0, stdout: '', stderr: '' };
/** keelrec as recorded: uid 1001, comment "Keel Record", /bin/bash, in staff and users. */
const KEELREC = { passwd: recorded('passwd-keelrec'), memberships: recorded('id-keelrec') };
const MISSING = { passwd: recorded('passwd-nosuch'), memberships: recorded('id-nosuch') };
const commandsOf = (r: { commands: { command: string }[] }) => r.commands.map((c) => c.command);

test('facts: the recorded getent and id output, and the commands that produce it', () => {
  assert.is(factCommand(user({ name: 'keelrec' }), 'passwd'), 'getent passwd keelrec');
  assert.is(factCommand(user({ name: 'keelrec' }), 'memberships'), 'id -Gn keelrec');
  assert.is(factCommand(user({ name: 'keelrec', groups: ['users', 'staff'] }), 'groupsExist'), 'getent group staff users');
  assert.equal(passwdFact('postgres').parse(recorded('passwd-postgres'), debianFacts), {
    exists: true, name: 'postgres', uid: 101, gid: 104, comment: 'PostgreSQL administrator,,,', home: '/var/lib/postgresql', shell: '/bin/bash',
  });
  assert.equal(passwdFact('keelnosuch').parse(recorded('passwd-nosuch'), debianFacts), { exists: false });
  assert.equal(membershipsFact('keelrec').parse(recorded('id-keelrec'), debianFacts), { exists: true, primary: 'keelrec', supplementary: ['staff', 'users'] });
  assert.equal(membershipsFact('keelrec').parse(recorded('id-keelrec-none'), debianFacts), { exists: true, primary: 'keelrec', supplementary: [] });
  assert.equal(membershipsFact('keelnosuch').parse(recorded('id-nosuch'), debianFacts), { exists: false, supplementary: [] });
  assert.equal(groupFact('staff').parse(recorded('group-staff'), debianFacts), { exists: true, name: 'staff', gid: 50, members: ['keelrec'] });
  assert.equal(groupFact('keelnosuch').parse(recorded('group-nosuch'), debianFacts), { exists: false });
  assert.equal(groupsFact(['users', 'keelnosuch', 'staff']).parse(recorded('group-several'), debianFacts), { keelnosuch: false, staff: true, users: true });
  // Exit 1 of getent is "wrong arguments or database", not "no such entry".
  assert.throws(() => passwdFact('x').parse({ code: 1, stdout: '', stderr: 'Unknown database: passwd' }, debianFacts), (e: unknown) => e instanceof KeelError);
});

test('user: a missing user is created with useradd and exactly the options asked for', async () => {
  const task = user({ name: 'keelrec', shell: '/bin/bash', groups: ['staff', 'users'], comment: 'Keel Record', home: '/srv/keel rec' });
  const d = decideOn(task, { ...MISSING, groupsExist: recorded('group-several') });
  assert.equal(d.changes, [{ field: 'user keelrec', from: 'absent', to: 'created' }]);
  assert.is(d.dependsOn, undefined, 'staff and users exist');
  const { commands } = await applyPlan(task, d.plan);
  assert.equal(commandsOf({ commands }), ["useradd -G staff,users -s /bin/bash -d '/srv/keel rec' -c 'Keel Record' -m keelrec"]);
});

test('user: a system user gets -r and no home unless asked; uid and primary group are passed', () => {
  const d = decideOn(user({ name: 'svc', system: true, uid: 990, group: 'nogroup' }), { ...MISSING, groupsExist: 'nogroup:x:65534:\n' });
  assert.is(d.plan.command, 'useradd -r -u 990 -g nogroup -M svc');
  const withHome = decideOn(user({ name: 'svc', system: true, createHome: true }), { ...MISSING, groupsExist: NO_GROUPS });
  assert.is(withHome.plan.command, 'useradd -r -m svc');
});

test('user: a group that does not exist yet makes the prediction depend on earlier changes', () => {
  const d = decideOn(user({ name: 'keelrec', groups: ['staff', 'keelnosuch'] }), { ...MISSING, groupsExist: recorded('group-several') });
  assert.is(d.dependsOn, 'group keelnosuch does not exist yet');
  const existing = decideOn(user({ name: 'keelrec', groups: ['keelnosuch'], append: true }), { ...KEELREC, groupsExist: recorded('group-several') });
  assert.is(existing.dependsOn, 'group keelnosuch does not exist yet');
  assert.equal(existing.changes, [{ field: 'groups', from: 'staff,users', to: 'keelnosuch,staff,users' }]);
});

test('user: a converged user is ok, comment with commas and all', () => {
  const d = decideOn(user({ name: 'keelrec', shell: '/bin/bash', comment: 'Keel Record', groups: ['users', 'staff'], home: '/tmp/rec-home-keelrec', uid: 1001 }), {
    ...KEELREC,
    groupsExist: recorded('group-several'),
  });
  assert.equal(d.changes, []);
  assert.is(d.ok, 'user keelrec exists (uid 1001, shell /bin/bash, groups staff,users)');
  const pg = decideOn(user({ name: 'postgres', comment: 'PostgreSQL administrator,,,' }), {
    passwd: recorded('passwd-postgres'),
    memberships: recorded('id-postgres'),
    groupsExist: NO_GROUPS,
  });
  assert.equal(pg.changes, []);
});

test('user: only what differs is changed, in one usermod', async () => {
  const task = user({ name: 'keelrec', shell: '/bin/sh', comment: 'Keel', uid: 1001, home: '/tmp/rec-home-keelrec' });
  const d = decideOn(task, { ...KEELREC, groupsExist: NO_GROUPS });
  assert.equal(d.changes, [
    { field: 'shell', from: '/bin/bash', to: '/bin/sh' },
    { field: 'comment', from: 'Keel Record', to: 'Keel' },
  ]);
  assert.equal(commandsOf(await applyPlan(task, d.plan)), ['usermod -s /bin/sh -c Keel keelrec']);
  const moved = decideOn(user({ name: 'keelrec', home: '/home/keelrec', moveHome: true }), { ...KEELREC, groupsExist: NO_GROUPS });
  assert.is(moved.plan.command, 'usermod -d /home/keelrec -m keelrec');
});

test('user: groups are exact by default, added to with append; the primary group never counts', () => {
  const exact = decideOn(user({ name: 'keelrec', groups: ['staff'] }), { ...KEELREC, groupsExist: 'staff:x:50:keelrec\n' });
  assert.equal(exact.changes, [{ field: 'groups', from: 'staff,users', to: 'staff' }]);
  assert.is(exact.plan.command, 'usermod -G staff keelrec');
  const none = decideOn(user({ name: 'keelrec', groups: [] }), { ...KEELREC, groupsExist: NO_GROUPS });
  assert.equal(none.changes, [{ field: 'groups', from: 'staff,users', to: '(none)' }]);
  assert.is(none.plan.command, "usermod -G '' keelrec");
  const append = decideOn(user({ name: 'keelrec', groups: ['staff', 'sudo'], append: true }), { ...KEELREC, groupsExist: 'staff:x:50:\nsudo:x:27:\n' });
  assert.is(append.plan.command, 'usermod -a -G sudo keelrec');
  const appendDone = decideOn(user({ name: 'keelrec', groups: ['users'], append: true }), { ...KEELREC, groupsExist: 'users:x:100:\n' });
  assert.equal(appendDone.changes, []);
  // keelrec is its own primary group: asking for it among the groups changes nothing.
  const primary = decideOn(user({ name: 'keelrec', groups: ['keelrec', 'staff', 'users'] }), { ...KEELREC, groupsExist: recorded('group-several') });
  assert.equal(primary.changes, []);
  const newPrimary = decideOn(user({ name: 'keelrec', group: 'users', groups: ['staff', 'users'] }), { ...KEELREC, groupsExist: recorded('group-several') });
  assert.equal(newPrimary.changes, [
    { field: 'group', from: 'keelrec', to: 'users' },
    { field: 'groups', from: 'staff,users', to: 'staff' },
  ]);
  assert.is(newPrimary.plan.command, 'usermod -g users -G staff keelrec');
});

test('user: absent removes with userdel, the home only with removeHome; a missing user is ok', async () => {
  const d = decideOn(user({ name: 'keelrec', state: 'absent' }), { ...KEELREC, groupsExist: NO_GROUPS });
  assert.equal(d.changes, [{ field: 'user keelrec', from: 'present', to: 'removed' }]);
  assert.equal(commandsOf(await applyPlan(user({ name: 'keelrec', state: 'absent' }), d.plan)), ['userdel keelrec']);
  const withHome = decideOn(user({ name: 'keelrec', state: 'absent', removeHome: true }), { ...KEELREC, groupsExist: NO_GROUPS });
  assert.is(withHome.plan.command, 'userdel -r keelrec');
  const gone = decideOn(user({ name: 'keelnosuch', state: 'absent', removeHome: true }), { ...MISSING, groupsExist: NO_GROUPS });
  assert.equal(gone.changes, []);
  assert.is(gone.ok, 'user keelnosuch does not exist');
});

test('user: parameters that cannot apply fail before any host is contacted', () => {
  const invalid = (f: () => unknown, field: string) =>
    assert.throws(f, (e: unknown) => e instanceof ValidationError && e.problems.some((p) => p.path === field));
  invalid(() => user({ name: 'keelrec', removeHome: true }), 'removeHome');
  invalid(() => user({ name: 'keelrec', state: 'absent', shell: '/bin/sh' }), 'shell');
  invalid(() => user({ name: 'keelrec', append: true }), 'append');
  invalid(() => user({ name: 'Keel; rm -rf /' }), 'name');
  invalid(() => user({ name: 'keelrec', comment: 'a:b' }), 'comment');
  invalid(() => user({ name: 'keelrec', shell: 'bash' }), 'shell');
});

test('user: a failing useradd fails the task with its message', async () => {
  const task = user({ name: 'keelrec', groups: ['nosuchgrp'] });
  const d = decideOn(task, { ...MISSING, groupsExist: { code: 2, stdout: '', stderr: '' } });
  assert.is(d.dependsOn, 'group nosuchgrp does not exist yet');
  try {
    await applyPlan(task, d.plan, () => ({ code: 6, stderr: "useradd: group 'nosuchgrp' does not exist\n" }));
    assert.unreachable('apply should fail');
  } catch (err) {
    assert.match((err as Error).message, "group 'nosuchgrp' does not exist");
  }
});

test('group: created with groupadd (-r, -g), gid changed with groupmod, removed with groupdel', async () => {
  const fresh = decideOn(group({ name: 'keelrec', gid: 2001, system: true }), { entry: recorded('group-nosuch') });
  assert.equal(fresh.changes, [{ field: 'group keelrec', from: 'absent', to: 'created' }]);
  assert.equal(commandsOf(await applyPlan(group({ name: 'keelrec' }), fresh.plan)), ['groupadd -r -g 2001 keelrec']);
  const gid = decideOn(group({ name: 'keelrec', gid: 2001 }), { entry: recorded('group-keelrec') });
  assert.equal(gid.changes, [{ field: 'gid', from: '1001', to: '2001' }]);
  assert.is(gid.plan.command, 'groupmod -g 2001 keelrec');
  const same = decideOn(group({ name: 'keelrec', gid: 1001, system: true }), { entry: recorded('group-keelrec') });
  assert.equal(same.changes, []);
  assert.is(same.ok, 'group keelrec exists (gid 1001)');
  const rm = decideOn(group({ name: 'staff', state: 'absent' }), { entry: recorded('group-staff') });
  assert.is(rm.plan.command, 'groupdel staff');
  assert.equal(decideOn(group({ name: 'keelnosuch', state: 'absent' }), { entry: recorded('group-nosuch') }).changes, []);
  assert.throws(() => group({ name: 'staff', state: 'absent', gid: 50 }), (e: unknown) => e instanceof ValidationError);
});

test.run();
