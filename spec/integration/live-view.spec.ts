/**
 * The live view as a person sees it: the playbook runs in a real pseudo-terminal (a tmux pane of
 * 200x50 on a tmux server of this test's own), against real sshd hosts, and the assertions read
 * the screen tmux shows, colours included.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { repoRoot, writeInventory } from '../helpers/cli';
import { suiteUnless } from '../helpers/not-run';
import { freePort, sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';

const PLAYBOOK = join(__dirname, 'fixtures', 'live-playbook.ts');
const SOCKET = `keel-live-${process.pid}`;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
let fleet: SshdFleet;
let inventory: string;
let sessions = 0;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

/** Runs a shell command in a fresh 200x50 pane; resolves with the screen once it has printed its exit code. */
async function inTerminal(command: string): Promise<{ screen: string; colours: string; code: number; cursorVisible: boolean }> {
  const name = `s${++sessions}`;
  const script = `cd ${repoRoot} && ${command}; echo "__EXIT__$?"; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', script);
  // Generous: on a loaded machine a task on a local sshd has been seen to take 40 s.
  const until = Date.now() + 600_000;
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-t', name);
    const exit = /__EXIT__(\d+)/.exec(screen);
    if (exit) {
      const colours = tmux('capture-pane', '-p', '-e', '-t', name);
      const cursorVisible = tmux('display-message', '-p', '-t', name, '#{cursor_flag}').trim() === '1';
      tmux('kill-session', '-t', name);
      return { screen, colours, code: Number(exit[1]), cursorVisible };
    }
    if (Date.now() > until) {
      tmux('kill-session', '-t', name);
      throw new Error(`timed out; the screen:\n${screen}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The lines of one host's branch: from its header to the next header at the left margin. */
function branch(screen: string, host: string): string[] {
  const lines = screen.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\S ${host}\\b`).test(l));
  assert.ok(start >= 0, `no branch for ${host}:\n${screen}`);
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

const reason =
  sshdUnavailable() ?? (spawnSync('tmux', ['-V']).status === 0 ? undefined : 'needs tmux (apt-get install tmux) for a real pseudo-terminal');
const test = suiteUnless(reason, 'live view');
test.before(async () => {
  fleet = await startSshdFleet(2);
  const closed = await freePort();
  inventory = writeInventory(fleet.dir, {
    defaults: { user: 'root', keyFile: fleet.clientKey, knownHostsFile: fleet.knownHosts, connectTimeoutSeconds: 3 },
    hosts: {
      ...Object.fromEntries(fleet.hosts.map((h) => [h.name, { address: '127.0.0.1', port: h.port, vars: { root: h.root } }])),
      host3: { address: '127.0.0.1', port: closed, vars: { root: '/nonexistent' } },
    },
  });
});
test.after(async () => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
  // tmux leaves its socket file behind.
  rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
  await fleet?.stop();
});

const run = (flags: string, env = 'env -u NO_COLOR -u FORCE_COLOR') =>
  inTerminal(`${env} TS_NODE_TRANSPILE_ONLY=true ${process.execPath} -r ts-node/register ${PLAYBOOK} -i ${inventory} ${flags}`);

test('a branch goes on after an ignored failure and shows the later real failure; each outcome has its mark and colour', async () => {
  const { screen, colours, code, cursorVisible } = await run('');
  assert.is(code, 1, screen);
  const h1 = branch(screen, 'host1');
  const at = (pattern: RegExp) => h1.findIndex((l) => pattern.test(l));
  const ignored = at(/✗ an ignored failure {2}failed \(ignored\)/);
  const after = at(/● writeFile \S+\/after-ignored {2}changed/);
  const failed = at(/✖ fails on host1 {2}failed .*command failed \(exit 1\)/);
  assert.ok(ignored > 0 && after > ignored && failed > after, `host1's branch:\n${h1.join('\n')}`);
  assert.ok(h1[0].startsWith('✖ host1'), 'host1 is marked failed');
  assert.ok(h1.some((l) => /· 2 not run/.test(l)), 'what the failure left undone is counted');
  const h2 = branch(screen, 'host2');
  assert.ok(h2.some((l) => /✔ fails on host1 {2}ok/.test(l)), h2.join('\n'));
  assert.ok(h2.some((l) => /↓ never on this host {2}skipped/.test(l)), h2.join('\n'));
  assert.ok(h2.some((l) => /● writeFile \S+\/last {2}changed/.test(l)), h2.join('\n'));
  assert.match(branch(screen, 'host3')[0], /^⊘ host3 {2}unreachable: connection refused by root@127\.0\.0\.1:\d+$/);
  // Colours, as the terminal holds them.
  assert.match(colours, /\x1b\[33m●/, 'changed: yellow');
  assert.match(colours, /\x1b\[31m✖/, 'failed: red');
  assert.match(colours, /\x1b\[91m⊘/, 'unreachable: bright red');
  assert.match(colours, /\x1b\[32m✔/, 'ok: green');
  // The end: the recap below the tree, nothing spinning, the cursor back.
  assert.match(screen, /PLAY RECAP\nhost1 : ok=2 changed=2 unreachable=0 failed=1 skipped=0 rescued=0 ignored=1\nhost2 : ok=4 changed=3 unreachable=0 failed=0 skipped=1 rescued=0 ignored=1\nhost3 : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0\n+__EXIT__1/, screen);
  assert.not.match(screen, SPINNER, 'no spinner left on the screen');
  assert.ok(cursorVisible, 'the cursor is shown again');
});

test('check mode with NO_COLOR: would change has its own mark, and the terminal holds no colour at all', async () => {
  writeFileSync(join(fleet.hosts[1].root, 'motd'), 'edited\n');
  const { screen, colours, code } = await run('--check -l host2', 'env -u FORCE_COLOR NO_COLOR=1');
  assert.is(code, 4, screen);
  const h2 = branch(screen, 'host2');
  assert.ok(h2.some((l) => /≠ writeFile \S+\/motd {2}would change .*content: sha256:\w+ → sha256:\w+/.test(l)), h2.join('\n'));
  assert.match(screen, /host2 : ok=\d+ changed=[1-9]/);
  assert.not.match(colours, /\x1b\[[0-9;]*m/, 'no SGR sequence on the screen');
  assert.not.match(screen, SPINNER);
  assert.ok(existsSync(join(fleet.hosts[1].root, 'motd')));
});

test.run();
