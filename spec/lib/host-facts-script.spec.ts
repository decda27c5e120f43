import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FACTS_SCRIPT, parseHostFacts } from '../../lib/host-facts';
import { inPidNamespace } from '../helpers/pid-namespace';

test('the facts script, run in a real shell, says what this machine is', () => {
  const p = spawnSync('sh', ['-c', FACTS_SCRIPT], { encoding: 'utf8' });
  assert.is(p.status, 0, p.stderr);
  const facts = parseHostFacts(p.stdout);
  assert.is(facts.hostname, hostname());
  const id = /^ID=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1].replace(/"/g, '');
  assert.is(facts.os.id, id);
  assert.ok(facts.interfaces.some((i) => i.address === '127.0.0.1'), 'the loopback address');
});

test('the facts script starts one process (ip): the hostname and os-release are read by the shell', () => {
  // In a new PID namespace the last PID handed out counts the processes: sh, ip, then the counting cat.
  const p = inPidNamespace(FACTS_SCRIPT);
  assert.is(p.status, 0, p.stderr);
  assert.is(p.lastPid, 3);
});

test.run();
