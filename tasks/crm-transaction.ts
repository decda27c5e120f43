import { ValidationError } from '../lib/errors';
import type { Decision, ExecResult, Task, TaskContext, TaskDefinition, TaskOptions } from '../lib/types';
import { CIB_QUERY, CRM_LOAD_UPDATE, type CibState } from './crm';

/**
 * Several crm tasks applied as ONE CIB transaction. Pacemaker acts on every commit: created
 * one at a time, a service can start on the wrong node before its colocation exists and then
 * move. Sent together, the resources and their constraints arrive at once. Each member still
 * decides on its own, so check mode and --diff name exactly which object differs.
 *
 * @example crmTransaction('floating IP and service', [
 *   crmPrimitive({ id: 'IP', agent: 'ocf:heartbeat:IPaddr2', params: { ip } }),
 *   crmPrimitive({ id: 'Service', agent: 'lsb:asterisk' }),
 *   crmColocation({ id: 'Service-With-IP', score: 'INFINITY', rsc: 'Service', withRsc: 'IP' }),
 * ], { runOnce: true })
 */
export function crmTransaction(name: string, members: readonly Task[], options: TaskOptions = {}): Task {
  const problems = members
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => !(m.definition.probes ?? []).includes(CIB_QUERY) || !m.definition.module.startsWith('crm'))
    .map(({ m, i }) => ({ path: `members.${i}`, message: `${m.definition.module} is not a crm task` }));
  if (members.length === 0) problems.push({ path: 'members', message: 'must hold at least one crm task' });
  if (problems.length) throw new ValidationError('crmTransaction parameters', problems);

  const defs = members.map((m) => m.definition as TaskDefinition<CibState>);
  const definition: TaskDefinition<CibState> = {
    module: 'crmTransaction',
    name: `crm transaction: ${name}`,
    probes: [CIB_QUERY],
    // Every member reads the same CIB; the first one's probe serves all.
    probe: (ctx) => defs[0].probe(ctx),
    decide(state, env): Decision {
      const parts = defs.map((d) => ({ d, decision: d.decide(state, env) }));
      const changed = parts.filter((p) => p.decision.changes.length > 0);
      return {
        changes: changed.flatMap(({ d, decision }) => decision.changes.map((c) => ({ ...c, field: qualify(objectOf(d), c.field) }))),
        diff: changed.map((p) => p.decision.diff).filter(Boolean).join('') || undefined,
        ok: parts.map((p) => p.decision.ok).join('; '),
      };
    },
    async apply(ctx, state) {
      // Each member's apply sends its crm text to CRM_LOAD_UPDATE; collect them and send once.
      const texts: string[] = [];
      const collecting: TaskContext = {
        ...ctx,
        run: async (command, opts): Promise<ExecResult> => {
          if (command !== CRM_LOAD_UPDATE || opts?.stdin === undefined) {
            throw new Error(`crmTransaction: a member ran "${command}", which cannot join the transaction`);
          }
          texts.push(opts.stdin);
          return { code: 0, stdout: '', stderr: '' };
        },
      };
      for (const d of defs) {
        const decision = d.decide(state, ctx);
        if (decision.changes.length > 0) await d.apply(collecting, state, decision);
      }
      await ctx.run(CRM_LOAD_UPDATE, { stdin: texts.join(''), what: `crm configure load update (${name})` });
    },
  };
  return { definition, options };
}

/** `params.ip` of HA-Asterisk-IP → `HA-Asterisk-IP params.ip`; `primitive HA-Asterisk-IP` stays as it is. */
function qualify(object: string, field: string): string {
  return field.split(' ').includes(object) ? field : `${object} ${field}`;
}

/** `crmPrimitive HA-Asterisk-IP` → `HA-Asterisk-IP`: the object a member manages. */
function objectOf(d: TaskDefinition<CibState>): string {
  return d.name.replace(/^crm[A-Za-z]+ /, '');
}
