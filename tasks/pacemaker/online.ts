/** Waiting for pacemaker's membership: the parameters of a waitFor until every node is Online. */
import { ValidationError } from '../../lib/errors';

/**
 * The waitFor parameters this module builds. Declared here, structurally, so that this module
 * does not depend on where waitFor lives; it is assignable to waitFor's own parameter type.
 */
export interface OnlineWaitParams {
  readonly cmd: string;
  readonly until: string;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
  readonly description: string;
}

/** A host or node name as pacemaker shows it (also used inside a RegExp, so escaped anyway). */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The RegExp source that matches `crm_mon -1` output once every named node is in its Online list,
 * in any order: pacemaker 2.1 prints `  * Online: [ node1 node2 ]`, 1.1 prints `Online: [ node1 node2 ]`.
 * `RemoteOnline:`/`GuestOnline:` lines do not count, and `node1` does not match `node10`.
 */
export function onlineListPattern(nodes: readonly string[]): string {
  const each = nodes.map((n) => `(?=[^\\]\\n]*\\s${escapeRegExp(n)}\\s)`).join('');
  return `^\\s*(?:\\*\\s+)?Online:\\s*\\[${each}[^\\]\\n]*\\]`;
}

/**
 * waitFor parameters for "every node is online in pacemaker", about 23 s after a cold start
 * (pacemaker's 20 s election timeout).
 *
 * @example waitFor(allNodesOnline(['ha-asterisk-1', 'ha-asterisk-2']), { runOnce: true })
 */
export function allNodesOnline(nodes: readonly string[], timeoutSeconds = 120): OnlineWaitParams {
  const bad = nodes.filter((n) => !NODE_NAME.test(n));
  if (nodes.length === 0 || bad.length > 0) {
    throw new ValidationError('allNodesOnline parameters', [
      { path: 'nodes', message: nodes.length === 0 ? 'must name at least one node' : `not node names: ${bad.map((b) => JSON.stringify(b)).join(', ')}` },
    ]);
  }
  return {
    cmd: 'crm_mon -1',
    until: onlineListPattern(nodes),
    timeoutSeconds,
    intervalSeconds: 2,
    description: `nodes ${nodes.join(', ')} are online`,
  };
}

/**
 * The RegExp source that matches `crm_mon -1` output once the resource is started on a node:
 * pacemaker 2.1 prints `  * NAME\t(AGENT):\t Started node1`, 1.1 ` NAME\t(AGENT):\tStarted node1`.
 * `Stopped` and `FAILED` do not count, and `svc` does not match `svc2`.
 */
export function resourceStartedPattern(resource: string): string {
  return `^\\s*(?:\\*\\s+)?${escapeRegExp(resource)}\\s+\\([^)\\n]*\\):\\s+Started\\s+\\S+`;
}

/**
 * waitFor parameters for "the resource is started on some node", read from `crm_mon -1` like
 * allNodesOnline: reads are kept by command, so on a converged cluster both waits are answered by
 * one read, where `crm_resource --locate` cost the node another pacemaker client (~65 ms of a
 * lab node's time in every run).
 *
 * @example waitFor(resourceStarted('HA-Asterisk-Service'), { runOnce: true })
 */
export function resourceStarted(resource: string, timeoutSeconds = 60): OnlineWaitParams {
  // Resource ids follow the same rule as node names here (XML ids: letters, digits, - _ .).
  if (!NODE_NAME.test(resource)) {
    throw new ValidationError('resourceStarted parameters', [{ path: 'resource', message: `not a resource id: ${JSON.stringify(resource)}` }]);
  }
  return {
    cmd: 'crm_mon -1',
    until: resourceStartedPattern(resource),
    timeoutSeconds,
    intervalSeconds: 1,
    description: `${resource} is running`,
  };
}
