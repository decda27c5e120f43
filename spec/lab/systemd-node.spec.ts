/**
 * The systemd lab node's command line and kinds, without booting anything: the safety rules of
 * docs/LAB-SYSTEMD.md as checks (the root is the node's own overlay, nothing of this machine is
 * bound in, no machined, the node's own network namespace).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODES_DIR, nodePaths, parseNodeKind } from '../../lab/paths';
import { nspawnArgs } from '../../lab/systemd';

test('nspawn boots the node\'s own overlay root in its own network namespace, with nothing of this machine bound in', () => {
  const p = nodePaths(2);
  const args = nspawnArgs(p);
  assert.is(args[0], '/usr/bin/systemd-nspawn');
  assert.ok(args.includes(`--directory=${NODES_DIR}/node2/root`));
  assert.ok(args.includes('--boot'));
  assert.ok(args.includes('--network-namespace-path=/run/netns/keel-node2'));
  for (const flag of ['--keep-unit', '--register=no', '--capability=CAP_NET_ADMIN', '--resolv-conf=off', '--timezone=off', '--link-journal=no']) {
    assert.ok(args.includes(flag), flag);
  }
  // No host path goes in: no bind, overlay, image or template of this machine's files.
  assert.equal(args.filter((a) => /^--(bind|bind-ro|overlay|overlay-ro|tmpfs|image|template|volatile)\b/.test(a) || /^-D$|^-i$/.test(a)), []);
  assert.equal(args.filter((a) => a.startsWith('--directory=')).length, 1);
});

test('node kinds: keel and systemd; anything else is refused with the choices', () => {
  assert.is(parseNodeKind('systemd'), 'systemd');
  assert.is(parseNodeKind('keel'), 'keel');
  assert.throws(() => parseNodeKind('sysvinit'), /--init must be one of keel, systemd, got "sysvinit"/);
  assert.throws(() => parseNodeKind(undefined), /got null/);
});

test.run();
