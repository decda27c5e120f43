import { Type } from '../../lib/schema';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Fact } from '../../lib/types';
import { atomicWriteScript } from '../files/atomic-write';
import { fileFact } from '../files/facts';

/** The name the kernel has now. */
export const currentHostname: Fact<string> = { name: 'hostname', command: () => 'hostname', parse: (r) => r.stdout.trim() };

/**
 * The host's name, now (`hostname NAME`) and after a reboot (/etc/hostname).
 *
 * @example hostname({ name: 'node1' })
 */
export const hostname = defineTask({
  module: 'hostname',
  params: Type.Object({ name: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }) }, { additionalProperties: false }),
  title: (p) => `hostname ${p.name}`,
  facts: () => ({ now: currentHostname, file: fileFact('/etc/hostname', true) }),
  decide(p, { now, file }) {
    const changes: Change[] = [];
    if (now !== p.name) changes.push({ field: 'hostname', from: now, to: p.name });
    if (file.content !== `${p.name}\n`) changes.push({ field: '/etc/hostname', from: file.content?.trim(), to: p.name });
    return { changes, ok: `the host is called ${p.name}`, plan: { now: now !== p.name, file: file.content !== `${p.name}\n` } };
  },
  async apply(ctx, plan, p) {
    if (plan.now) await ctx.run(sh`hostname ${p.name}`);
    if (plan.file) await ctx.run(atomicWriteScript('/etc/hostname', { mode: '0644' }), { stdin: `${p.name}\n` });
  },
});
