/**
 * corosync.conf, rendered from typed options for the installed corosync major version (2 or 3),
 * compared with the file on the host, and written atomically when it differs.
 */
import { createTwoFilesPatch } from 'diff';
import { KeelError } from '../lib/errors';
import { sh } from '../lib/quote';
import { defineModule } from '../lib/task';
import type { Change, DecideEnv, Decision, Facts } from '../lib/types';
import { bindNetAddr, corosyncMajorFromVersionText } from './facts';
import { atomicWriteScript, sha } from './file-state';

export type CorosyncTransport = 'udpu' | 'knet' | 'udp';

export interface CorosyncNode {
  /** The node's name (pacemaker's node name; rendered for corosync 3). */
  readonly name: string;
  /** Its cluster (ring 0) address. */
  readonly address: string;
  readonly nodeid: number;
}

export interface CorosyncOptions {
  readonly clusterName: string;
  /** Default `udpu` for corosync 2 (the runbook's unicast), `knet` for corosync 3. */
  readonly transport?: CorosyncTransport;
  readonly nodes: readonly CorosyncNode[];
  /** Network address of the cluster interface: required by corosync 2, not rendered for 3 (ignored there). */
  readonly bindnetaddr?: string;
  /** corosync 2 multicast address, for transport `udp`. */
  readonly mcastaddr?: string;
  /** Default 5405. */
  readonly mcastport?: number;
  /** Default: on with exactly two nodes. Off: `expected_votes` instead. */
  readonly twoNode?: boolean;
  /** Default: the number of nodes, when not two_node. */
  readonly expectedVotes?: number;
  /** Token timeout, default 3000. */
  readonly tokenMs?: number;
  /** Default 10. */
  readonly tokenRetransmitsBeforeLossConst?: number;
  /** Default 60. */
  readonly joinMs?: number;
  /** Default 3600. */
  readonly consensusMs?: number;
}

const WORD = /^[A-Za-z0-9_.:-]+$/;

function word(what: string, value: string | number): string {
  const s = String(value);
  if (!WORD.test(s)) throw new TypeError(`${what} must be a single word of letters, digits, _ . : -, got ${JSON.stringify(s)}`);
  return s;
}

function count(what: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${what} must be a non-negative integer, got ${JSON.stringify(n)}`);
  return n;
}

function block(name: string, body: readonly (string | readonly string[])[], depth = 0): string[] {
  const pad = '\t'.repeat(depth);
  const out = [`${pad}${name} {`];
  for (const line of body) {
    if (typeof line === 'string') out.push(`${pad}\t${line}`);
    else out.push(...line);
  }
  out.push(`${pad}}`);
  return out;
}

/**
 * corosync.conf for a corosync major version. Version 2 gives the runbook's file (totem with an
 * interface block and bindnetaddr, udpu, nodelist, amf, quorum, aisexec, logging); version 3 a
 * corosync 3 file (knet or udpu, nodes with name and nodeid, no bindnetaddr). Deterministic.
 */
export function renderCorosyncConf(opts: CorosyncOptions, majorVersion: 2 | 3): string {
  if (majorVersion !== 2 && majorVersion !== 3) throw new TypeError(`majorVersion must be 2 or 3, got ${JSON.stringify(majorVersion)}`);
  const transport = opts.transport ?? (majorVersion === 2 ? 'udpu' : 'knet');
  if (majorVersion === 2 && transport === 'knet') throw new TypeError('transport knet needs corosync 3');
  if (opts.nodes.length === 0) throw new TypeError('nodes must name at least one node');
  const ids = new Set(opts.nodes.map((n) => n.nodeid));
  const names = new Set(opts.nodes.map((n) => n.name));
  if (ids.size !== opts.nodes.length) throw new TypeError('nodes: every nodeid must be different');
  if (names.size !== opts.nodes.length) throw new TypeError('nodes: every name must be different');
  const cluster = word('clusterName', opts.clusterName);
  const timings = [
    `token: ${count('tokenMs', opts.tokenMs, 3000)}`,
    `token_retransmits_before_loss_const: ${count('tokenRetransmitsBeforeLossConst', opts.tokenRetransmitsBeforeLossConst, 10)}`,
    `join: ${count('joinMs', opts.joinMs, 60)}`,
    `consensus: ${count('consensusMs', opts.consensusMs, 3600)}`,
  ];
  const twoNode = opts.twoNode ?? opts.nodes.length === 2;
  const quorum = block('quorum', [
    'provider: corosync_votequorum',
    ...(twoNode ? ['two_node: 1'] : []),
    ...(!twoNode || opts.expectedVotes !== undefined
      ? [`expected_votes: ${count('expectedVotes', opts.expectedVotes, opts.nodes.length)}`]
      : []),
  ]);
  const mcastport = count('mcastport', opts.mcastport, 5405);
  const sections: string[][] = [];

  if (majorVersion === 2) {
    if (opts.bindnetaddr === undefined) throw new TypeError('bindnetaddr is required for corosync 2');
    const iface = block(
      'interface',
      [
        'ringnumber: 0',
        `bindnetaddr: ${word('bindnetaddr', opts.bindnetaddr)}`,
        ...(opts.mcastaddr !== undefined ? [`mcastaddr: ${word('mcastaddr', opts.mcastaddr)}`] : []),
        `mcastport: ${mcastport}`,
        'ttl: 1',
      ],
      1,
    );
    sections.push(
      block('totem', [
        'version: 2',
        ...timings,
        'vsftype: none',
        'max_messages: 20',
        'clear_node_high_bit: yes',
        'secauth: off',
        'threads: 0',
        'rrp_mode: none',
        iface,
        `transport: ${transport}`,
        `cluster_name: ${cluster}`,
      ]),
      block(
        'nodelist',
        opts.nodes.map((n) =>
          block('node', [`ring0_addr: ${word('node address', n.address)}`, `nodeid: ${count('nodeid', n.nodeid, 0)}`], 1),
        ),
      ),
      block('amf', ['mode: disabled']),
      quorum,
      block('aisexec', ['user: root', 'group: root']),
      block('logging', [
        'fileline: off',
        'to_stderr: yes',
        'to_logfile: no',
        'to_syslog: yes',
        'syslog_facility: daemon',
        'debug: off',
        'timestamp: on',
        block('logger_subsys', ['subsys: AMF', 'debug: off'], 1),
      ]),
    );
  } else {
    sections.push(
      block('totem', [
        'version: 2',
        `cluster_name: ${cluster}`,
        `transport: ${transport}`,
        ...timings,
        // crypto_* are only valid with knet; `none` keeps the runbook's unencrypted cluster.
        ...(transport === 'knet' ? ['crypto_cipher: none', 'crypto_hash: none'] : []),
        ...(opts.mcastport !== undefined ? [block('interface', ['linknumber: 0', `mcastport: ${mcastport}`], 1)] : []),
      ]),
      block(
        'nodelist',
        opts.nodes.map((n) =>
          block(
            'node',
            [`name: ${word('node name', n.name)}`, `nodeid: ${count('nodeid', n.nodeid, 0)}`, `ring0_addr: ${word('node address', n.address)}`],
            1,
          ),
        ),
      ),
      quorum,
      block('logging', [
        'fileline: off',
        'to_stderr: no',
        'to_logfile: no',
        'to_syslog: yes',
        'syslog_facility: daemon',
        'debug: off',
        'timestamp: on',
      ]),
    );
  }
  return sections.map((s) => s.join('\n')).join('\n\n') + '\n';
}

/** The major version from `corosync -v` ("Corosync Cluster Engine, version '3.1.7'" → 3); undefined when not installed. */
export function corosyncMajorVersion(versionOutput: string): 2 | 3 | undefined {
  try {
    return corosyncMajorFromVersionText(versionOutput) <= 2 ? 2 : 3;
  } catch {
    return undefined;
  }
}

/**
 * The corosync a distribution installs, for when it is not installed yet: Debian 10 and later and
 * Ubuntu 20.04 and later ship corosync 3; older ones 2 (Ubuntu 14.04, 16.04, 18.04; Debian 9). Else 3.
 */
export function majorVersionFromFacts(facts: Pick<Facts, 'os'>): 2 | 3 {
  const major = Number.parseInt(facts.os.versionId, 10);
  if (Number.isNaN(major)) return 3;
  if (facts.os.id === 'debian') return major >= 10 ? 3 : 2;
  if (facts.os.id === 'ubuntu') return major >= 20 ? 3 : 2;
  return 3;
}

/**
 * bindnetaddr: the network of the interface carrying this host's cluster address, which is its
 * node entry's address (by address, then by name), else the host var `cluster_address`.
 */
export function bindnetaddrFor(nodes: readonly CorosyncNode[], env: DecideEnv): string {
  const mine = nodes.find((n) => n.address === env.host.address) ?? nodes.find((n) => n.name === env.host.name);
  const varAddress = env.host.vars.cluster_address;
  const address = mine?.address ?? (typeof varAddress === 'string' ? varAddress : undefined);
  if (address === undefined) {
    throw new KeelError(
      `${env.host.name}: cannot tell its cluster address for bindnetaddr: no node has address ${env.host.address} or name ${env.host.name}, and no host var cluster_address is set`,
    );
  }
  return bindNetAddr(env.facts, address);
}

export interface CorosyncConfigParams extends CorosyncOptions {
  /** Default `/etc/corosync/corosync.conf`. */
  readonly path?: string;
  /** The corosync major version; default: the installed one, else from the OS release. */
  readonly version?: 2 | 3;
}

export interface CorosyncState {
  /** `corosync -v` output; empty when corosync is not installed. */
  versionOutput: string;
  /** Current content; undefined when the file does not exist. */
  content?: string;
  /** Octal permission bits (`644`). */
  mode?: string;
}

const MARKER = '@@keel-corosync-conf@@';
const MODE = '644';

/**
 * One read-only command: version, then the file's mode (or `absent`), then its content last and
 * byte for byte, so nothing in the file can be mistaken for a marker.
 */
export function corosyncProbeCommand(path: string): string {
  return sh`corosync -v 2>/dev/null; echo ${MARKER}; if [ -f ${path} ]; then stat -c %a ${path}; echo ${MARKER}; cat ${path}; else echo absent; echo ${MARKER}; fi`;
}

export function parseCorosyncProbe(stdout: string): CorosyncState {
  const first = stdout.indexOf(MARKER + '\n');
  const second = first < 0 ? -1 : stdout.indexOf(MARKER + '\n', first + MARKER.length + 1);
  if (first < 0 || second < 0) throw new KeelError('corosync probe output is missing its markers');
  const versionOutput = stdout.slice(0, first).trim();
  const mode = stdout.slice(first + MARKER.length + 1, second).trim();
  if (mode === 'absent') return { versionOutput };
  return { versionOutput, mode, content: stdout.slice(second + MARKER.length + 1) };
}

function shortSha(text: string): string {
  return 'sha256:' + sha(text).slice(0, 16);
}

/** The wanted file: the installed major version (else `version`, else the OS's), bindnetaddr from facts for 2. */
export function desiredCorosyncConf(params: CorosyncConfigParams, state: CorosyncState, env: DecideEnv): { major: 2 | 3; content: string } {
  const major = corosyncMajorVersion(state.versionOutput) ?? params.version ?? majorVersionFromFacts(env.facts);
  const bindnetaddr = major === 2 ? (params.bindnetaddr ?? bindnetaddrFor(params.nodes, env)) : undefined;
  return { major, content: renderCorosyncConf({ ...params, bindnetaddr }, major) };
}

export function corosyncDecision(params: CorosyncConfigParams, state: CorosyncState, env: DecideEnv): Decision {
  const path = params.path ?? '/etc/corosync/corosync.conf';
  const { major, content: desired } = desiredCorosyncConf(params, state, env);
  const changes: Change[] = [];
  if (state.content === undefined) changes.push({ field: 'file', to: 'created' });
  else {
    if (state.content !== desired) changes.push({ field: 'content', from: shortSha(state.content), to: shortSha(desired) });
    if (state.mode !== MODE) changes.push({ field: 'mode', ...(state.mode ? { from: state.mode } : {}), to: MODE });
  }
  if (changes.length === 0) return { changes, ok: `${path} is up to date (corosync ${major})` };
  return { changes, diff: createTwoFilesPatch(path, path, state.content ?? '', desired) };
}

const NAME = '^[A-Za-z0-9_.-]+$';
const ADDRESS = '^[A-Za-z0-9_.:-]+$';
const IPV4 = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';
const uint = (min: number, max: number) => ({ type: 'integer', minimum: min, maximum: max }) as const;

/**
 * /etc/corosync/corosync.conf for the installed corosync (2 or 3), written atomically (mode 644).
 *
 * @example corosyncConfig({
 *   clusterName: 'ha-asterisk', transport: 'udpu',
 *   nodes: [
 *     { name: 'node1', address: '198.18.0.11', nodeid: 1 },
 *     { name: 'node2', address: '198.18.0.12', nodeid: 2 },
 *   ],
 * }, { notify: ['restart corosync'] })
 */
export const corosyncConfig = defineModule<CorosyncConfigParams, CorosyncState>({
  module: 'corosyncConfig',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['clusterName', 'nodes'],
    properties: {
      clusterName: { type: 'string', pattern: NAME },
      transport: { enum: ['udpu', 'knet', 'udp'] },
      nodes: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'address', 'nodeid'],
          properties: {
            name: { type: 'string', pattern: NAME },
            address: { type: 'string', pattern: ADDRESS },
            nodeid: uint(1, 4294967295),
          },
        },
      },
      bindnetaddr: { type: 'string', pattern: IPV4 },
      mcastaddr: { type: 'string', pattern: IPV4 },
      mcastport: uint(1, 65535),
      twoNode: { type: 'boolean' },
      expectedVotes: uint(1, 65535),
      tokenMs: uint(1, 3600000),
      tokenRetransmitsBeforeLossConst: uint(1, 1000),
      joinMs: uint(1, 3600000),
      consensusMs: uint(1, 3600000),
      path: { type: 'string', pattern: '^/[^\\x00-\\x1f]*$' },
      version: { enum: [2, 3] },
    },
  },
  title: (p) => `corosyncConfig ${p.path ?? '/etc/corosync/corosync.conf'}`,
  build: (p) => {
    const path = p.path ?? '/etc/corosync/corosync.conf';
    const probe = corosyncProbeCommand(path);
    return {
      probes: [probe],
      probe: async (ctx) => parseCorosyncProbe((await ctx.probe(probe)).stdout),
      decide: (state, env) => corosyncDecision(p, state, env),
      apply: async (ctx, state) => {
        await ctx.run(atomicWriteScript(path, { mode: MODE }), { stdin: desiredCorosyncConf(p, state, ctx).content, what: `write ${path}` });
      },
    };
  },
});
