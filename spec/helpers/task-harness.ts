import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { executeTask } from '../../lib/execute';
import { HostSession } from '../../lib/host-session';
import type { ApplyContext, Connection, Decision, ExecResult, HostFacts, HostView, Stdin, Task, TaskResult } from '../../lib/types';
import { collect } from './fake-connection';

/** Debian 12 facts as the lab's node1 reports them. */
export const debianFacts: HostFacts = {
  hostname: 'node1',
  os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  initSystem: 'sysvinit',
  interfaces: [
    { iface: 'lo', address: '127.0.0.1', prefix: 8, network: '127.0.0.0' },
    { iface: 'eth0', address: '198.18.0.11', prefix: 24, network: '198.18.0.0' },
  ],
};

const node = (n: number) => ({ name: `node${n}`, address: `198.18.0.1${n}`, groups: ['cluster'], vars: {} });
export const testHost: HostView = {
  ...node(1),
  inventory: { hosts: [node(1), node(2)], groups: { cluster: ['node1', 'node2'] } },
};

const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: '' });

/**
 * The pure half of a task, on recorded output: each named fact parses its result (a string is
 * stdout with exit 0), then decide runs. No connection is involved.
 */
export function decideOn(
  task: Task,
  results: Readonly<Record<string, ExecResult | string>>,
  options: { facts?: HostFacts; host?: HostView } = {},
): Decision<any> {
  const facts = options.facts ?? debianFacts;
  const values: Record<string, unknown> = {};
  for (const [name, fact] of Object.entries(task.definition.facts)) {
    const r = results[name];
    if (r === undefined) throw new Error(`decideOn: no result given for fact "${name}" (${fact.name})`);
    values[name] = fact.parse(typeof r === 'string' ? ok(r) : r, facts);
  }
  return task.definition.decide(values, { host: options.host ?? testHost, facts });
}

/** The command a task's fact runs on a host with these facts. */
export function factCommand(task: Task, name: string, facts: HostFacts = debianFacts): string {
  const fact = task.definition.facts[name];
  if (!fact) throw new Error(`no fact "${name}"`);
  return fact.command(facts);
}

/**
 * Runs a task's apply with a plan, recording every command and its input (`bytes`; `streamed`
 * when it came as a stream); `answer` gives each command's
 * result (default: exit 0, no output). Returns the commands run, in order.
 */
export async function applyPlan(
  task: Task,
  plan: unknown,
  answer: (command: string) => Partial<ExecResult> | undefined = () => undefined,
  options: { facts?: HostFacts; host?: HostView } = {},
): Promise<{ commands: { command: string; stdin?: string; bytes?: Buffer; streamed?: boolean }[]; outcome: unknown }> {
  const commands: { command: string; stdin?: string; bytes?: Buffer; streamed?: boolean }[] = [];
  const exec = async (command: string, input?: Stdin): Promise<ExecResult> => {
    const bytes = await collect(input);
    // bytes and streamed are not enumerable: tests compare records with { command, stdin }.
    const record = Object.defineProperties({ command, stdin: bytes?.toString() }, {
      bytes: { value: bytes, enumerable: false },
      streamed: { value: input instanceof Readable, enumerable: false },
    }) as { command: string; stdin?: string; bytes?: Buffer; streamed?: boolean };
    commands.push(record);
    return { code: 0, stdout: '', stderr: '', ...answer(command) };
  };
  const ctx: ApplyContext = {
    host: options.host ?? testHost,
    facts: options.facts ?? debianFacts,
    run: async (command, o) => {
      const r = await exec(command, o?.stdin);
      if (r.code !== 0) throw new Error(`${o?.what ?? command} failed (exit ${r.code}): ${r.stderr}`);
      return r;
    },
    poll: (command) => exec(command),
    log: () => {},
  };
  const outcome = await task.definition.apply(ctx, plan);
  return { commands, outcome };
}

/** Runs one task through the real engine (executeTask) on a connection, with fixed host facts. */
export async function runTask(
  task: Task,
  conn: Connection,
  options: { check?: boolean; facts?: HostFacts; host?: HostView } = {},
): Promise<TaskResult> {
  const session = new HostSession(options.host ?? testHost, conn);
  session.useFacts(options.facts ?? debianFacts);
  return executeTask(task, session, options.check ?? false);
}

/**
 * What fileFact's command prints for a regular file owned by root holding `content`: the stat
 * line, then `content` and the bytes (keel hashes them), or, when the content is not wanted,
 * sha256sum's line. For decide tests that fabricate a host's answer.
 */
export function fileReadOutput(content: string, { mode = '644', withContent = true }: { mode?: string; withContent?: boolean } = {}): string {
  const head = `${mode} root root ${Buffer.byteLength(content)}\n`;
  return head + (withContent ? `content\n${content}` : `${createHash('sha256').update(content).digest('hex')}  -\n`);
}
