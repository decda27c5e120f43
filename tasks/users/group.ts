import { type Static, Type } from '../../lib/schema';
import { ValidationError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Decision } from '../../lib/types';
import { PosixName } from '../params';
import { type GroupEntry, groupFact } from './facts';

export const GroupParams = Type.Object(
  {
    name: PosixName,
    /** Default `present`. `absent` removes the group (groupdel refuses a user's primary group). */
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
    gid: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967294 })),
    /** A system group (groupadd -r: gid below GID_MIN). Applies when the group is created only. */
    system: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type GroupParams = Static<typeof GroupParams>;

/** One command: groupadd, groupmod or groupdel with its options, worked out by decide. */
export interface GroupPlan {
  action: 'create' | 'modify' | 'remove';
  command: string;
}

/** Pure: what to do about one group, from its entry. */
export function decideGroup(p: GroupParams, entry: GroupEntry): Decision<GroupPlan> {
  const field = `group ${p.name}`;
  if (p.state === 'absent') {
    if (!entry.exists) return { changes: [], ok: `${field} does not exist` };
    return {
      changes: [{ field, from: 'present', to: 'removed' }],
      ok: `${field} does not exist`,
      plan: { action: 'remove', command: sh`groupdel ${p.name}` },
    };
  }
  if (!entry.exists) {
    const args = [...(p.system ? ['-r'] : []), ...(p.gid !== undefined ? ['-g', String(p.gid)] : []), p.name];
    return { changes: [{ field, from: 'absent', to: 'created' }], ok: `${field} exists`, plan: { action: 'create', command: sh`groupadd ${args}` } };
  }
  const ok = `${field} exists (gid ${entry.gid})`;
  if (p.gid === undefined || entry.gid === p.gid) return { changes: [], ok };
  return {
    changes: [{ field: 'gid', from: String(entry.gid), to: String(p.gid) }],
    ok,
    plan: { action: 'modify', command: sh`groupmod -g ${p.gid} ${p.name}` },
  };
}

/**
 * A local group: created (groupadd, `system` for -r), its gid changed (groupmod -g), or removed
 * (groupdel). Read with `getent group`. `system` applies when the group is created only.
 *
 * @example group({ name: 'deploy', gid: 2000 })
 */
export const group = defineTask({
  module: 'group',
  params: GroupParams,
  title: (p) => `group ${p.name}${p.state === 'absent' ? ' absent' : ''}`,
  check(p) {
    if (p.state !== 'absent') return;
    const given = (['gid', 'system'] as const).filter((k) => p[k] !== undefined);
    if (given.length) throw new ValidationError('group parameters', given.map((k) => ({ path: k, message: 'applies to state present only' })));
  },
  facts: (p) => ({ entry: groupFact(p.name) }),
  decide: (p, { entry }) => decideGroup(p, entry),
  async apply(ctx, plan, p) {
    const r = await ctx.run(plan.command, { what: `${plan.action} group ${p.name}` });
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});
