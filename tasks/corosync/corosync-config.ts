/**
 * corosync.conf, rendered from typed options for the corosync major version (2 or 3) asked for,
 * else the installed one, compared with the file on the host, and written atomically when it differs.
 */
import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { defineTask } from '../../lib/task';
import type { Change, DecideEnv, Decision } from '../../lib/types';
import { atomicWriteScript } from '../files/atomic-write';
import { parentDir, sha } from '../files/facts';
import { FilePath } from '../params';
import { bindnetaddrFor } from './bindnetaddr';
import { corosyncFact, corosyncMajorVersion, type CorosyncState, majorVersionFromFacts } from './facts';
import { CorosyncOptions, renderCorosyncConf } from './render';

export const CorosyncConfigParams = Type.Object(
  {
    ...CorosyncOptions.properties,
    /** Default `/etc/corosync/corosync.conf`. */
    path: Type.Optional(FilePath),
    /** The corosync major version; default: the installed one, else from the OS release. */
    version: Type.Optional(Type.Unsafe<2 | 3>({ enum: [2, 3] })),
  },
  { additionalProperties: false },
);
export type CorosyncConfigParams = Static<typeof CorosyncConfigParams>;

/** What apply writes: exactly the file decide rendered. */
export interface CorosyncConfigPlan {
  content: string;
  mode: string;
}

const DEFAULT_PATH = '/etc/corosync/corosync.conf';
const MODE = '644';

function shortSha(text: string): string {
  return 'sha256:' + sha(text).slice(0, 16);
}

/**
 * The wanted file: for `version` when given, else the installed major version, else the OS's;
 * bindnetaddr (corosync 2 only) from the parameters, else from the host facts.
 */
export function desiredCorosyncConf(params: CorosyncConfigParams, state: CorosyncState, env: DecideEnv): { major: 2 | 3; content: string } {
  const major = params.version ?? corosyncMajorVersion(state.versionOutput) ?? majorVersionFromFacts(env.facts);
  const bindnetaddr = major === 2 ? (params.bindnetaddr ?? bindnetaddrFor(params.nodes, env)) : undefined;
  return { major, content: renderCorosyncConf({ ...params, bindnetaddr }, major) };
}

/** What a fresh host's prediction rests on: the package creates the directory, and tells the version. */
function dependsOn(params: CorosyncConfigParams, state: CorosyncState, path: string): string | undefined {
  const reasons: string[] = [];
  if (!state.parentExists) reasons.push(`${parentDir(path)} does not exist yet`);
  if (params.version === undefined && corosyncMajorVersion(state.versionOutput) === undefined) {
    reasons.push('corosync is not installed yet (its version is guessed from the OS release)');
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

export function corosyncDecision(params: CorosyncConfigParams, state: CorosyncState, env: DecideEnv): Decision<CorosyncConfigPlan> {
  const path = params.path ?? DEFAULT_PATH;
  const { major, content: desired } = desiredCorosyncConf(params, state, env);
  const changes: Change[] = [];
  if (state.content === undefined) changes.push({ field: 'file', to: 'created' });
  else {
    if (state.content !== desired) changes.push({ field: 'content', from: shortSha(state.content), to: shortSha(desired) });
    if (state.mode !== MODE) changes.push({ field: 'mode', ...(state.mode ? { from: state.mode } : {}), to: MODE });
  }
  const ok = `${path} is up to date (corosync ${major})`;
  const depends = dependsOn(params, state, path);
  if (changes.length === 0) return { changes, ok, dependsOn: depends };
  return {
    changes,
    ok,
    diff: createTwoFilesPatch(path, path, state.content ?? '', desired),
    plan: { content: desired, mode: MODE },
    dependsOn: depends,
  };
}

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
export const corosyncConfig = defineTask({
  module: 'corosyncConfig',
  params: CorosyncConfigParams,
  title: (p) => `corosyncConfig ${p.path ?? DEFAULT_PATH}`,
  facts: (p) => ({ corosync: corosyncFact(p.path ?? DEFAULT_PATH) }),
  decide: (p, { corosync }, env) => corosyncDecision(p, corosync, env),
  async apply(ctx, plan, p) {
    const path = p.path ?? DEFAULT_PATH;
    // The content decide rendered and showed: apply does not render again.
    await ctx.run(atomicWriteScript(path, { mode: plan.mode }), { stdin: plan.content, what: `write ${path}` });
  },
});
