/**
 * corosync.conf from typed options, for a corosync major version (2 or 3): the options' schema
 * (TypeBox: their TypeScript type and JSON schema in one declaration) and the pure renderer.
 */
import { type Static, Type } from '../../lib/schema';

const NAME = '^[A-Za-z0-9_.-]+$';
const ADDRESS = '^[A-Za-z0-9_.:-]+$';
const IPV4 = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';
const uint = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });
/** A plain `enum`, so that a bad value is reported as "must be one of ..." with the allowed values. */
const oneOf = <T extends string | number>(values: readonly T[]) => Type.Unsafe<T>({ enum: [...values] });

export const CorosyncTransport = oneOf(['udpu', 'knet', 'udp'] as const);
export type CorosyncTransport = Static<typeof CorosyncTransport>;

export const CorosyncNode = Type.Object(
  {
    /** The node's name (pacemaker's node name; rendered for corosync 3). */
    name: Type.String({ pattern: NAME }),
    /** Its cluster (ring 0) address. */
    address: Type.String({ pattern: ADDRESS }),
    nodeid: uint(1, 4294967295),
  },
  { additionalProperties: false },
);
export type CorosyncNode = Static<typeof CorosyncNode>;

export const CorosyncOptions = Type.Object(
  {
    clusterName: Type.String({ pattern: NAME }),
    /** Default `udpu` for corosync 2 (the runbook's unicast), `knet` for corosync 3. */
    transport: Type.Optional(CorosyncTransport),
    nodes: Type.Array(CorosyncNode, { minItems: 1 }),
    /** Network address of the cluster interface: required by corosync 2, not rendered for 3 (ignored there). */
    bindnetaddr: Type.Optional(Type.String({ pattern: IPV4 })),
    /** corosync 2 multicast address, for transport `udp`. */
    mcastaddr: Type.Optional(Type.String({ pattern: IPV4 })),
    /** Default 5405. */
    mcastport: Type.Optional(uint(1, 65535)),
    /** Default: on with exactly two nodes. Off: `expected_votes` instead. */
    twoNode: Type.Optional(Type.Boolean()),
    /** Default: the number of nodes, when not two_node. */
    expectedVotes: Type.Optional(uint(1, 65535)),
    /** Token timeout, default 3000. */
    tokenMs: Type.Optional(uint(1, 3600000)),
    /** Default 10. */
    tokenRetransmitsBeforeLossConst: Type.Optional(uint(1, 1000)),
    /** Default 60. */
    joinMs: Type.Optional(uint(1, 3600000)),
    /** Default 3600. */
    consensusMs: Type.Optional(uint(1, 3600000)),
  },
  { additionalProperties: false },
);
export type CorosyncOptions = Static<typeof CorosyncOptions>;

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
