import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision, Fact } from '../../lib/types';
import { atomicWriteScript, attributeScript, type FileAttributes } from '../files/atomic-write';
import { fileFact, type FileState } from '../files/facts';
import { changedAttributes, fileChanges } from '../files/write-file';
import { FilePath } from '../params';
import { normaliseSysctlValue, sysctlFact, type SysctlValue } from './facts';

/** A kernel parameter: `net.ipv4.ip_forward` or `net/ipv4/ip_forward`; no globs, no leading `-`. */
export const SYSCTL_KEY = '^[A-Za-z0-9_][A-Za-z0-9_.:@/+-]*$';

export const SysctlParams = Type.Object(
  {
    /** The file is DIR/NAME.conf: `60-keel` → /etc/sysctl.d/60-keel.conf. */
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*$' }),
    /** Parameter → value, written `key = value` in this order. Names are checked with propertyNames. */
    settings: Type.Record(Type.String(), Type.Unsafe<string | number>({ type: ['string', 'integer'], pattern: '^[^\\n\\r\\x00]*\\S[^\\n\\r\\x00]*$' }), {
      propertyNames: { pattern: SYSCTL_KEY },
      minProperties: 1,
    }),
    /** Default /etc/sysctl.d. */
    dir: Type.Optional(FilePath),
  },
  { additionalProperties: false },
);
export type SysctlParams = Static<typeof SysctlParams>;

/** What apply does: the file (whole, or its attributes), then `sysctl -w` for each live value that differs. */
export interface SysctlPlan {
  file?: { write: true; content: string; attrs: FileAttributes } | { write: false; attrs: FileAttributes };
  set: { key: string; value: string }[];
}

const FILE_ATTRS = { mode: '0644', owner: 'root', group: 'root' } as const;

export const sysctlPath = (p: Pick<SysctlParams, 'name' | 'dir'>) => `${p.dir ?? '/etc/sysctl.d'}/${p.name}.conf`;

/** The file's content: one `key = value` line per setting, in the order given. */
export function renderSysctl(settings: Readonly<Record<string, string | number>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${normaliseSysctlValue(v)}\n`)
    .join('');
}

const liveKey = (key: string) => `live ${key}` as const;

/** Pure: the file and each live value against the settings. */
export function decideSysctl(p: SysctlParams, file: FileState, live: Readonly<Record<string, SysctlValue>>): Decision<SysctlPlan> {
  const path = sysctlPath(p);
  const content = renderSysctl(p.settings);
  const changes: Change[] = fileChanges(file, { content, ...FILE_ATTRS }).map((c) => ({ ...c, field: c.field === 'file' ? path : `${path} ${c.field}` }));
  const whole = changes.some((c) => c.field === path || c.field === `${path} content`);
  const plan: SysctlPlan = { set: [] };
  if (changes.length) plan.file = whole ? { write: true, content, attrs: FILE_ATTRS } : { write: false, attrs: changedAttributes(file, FILE_ATTRS) };
  const unknown: string[] = [];
  for (const [key, raw] of Object.entries(p.settings)) {
    const want = normaliseSysctlValue(raw);
    const now = live[key];
    if (!now.exists) unknown.push(key);
    else if (normaliseSysctlValue(now.value) === want) continue;
    changes.push({ field: key, from: now.exists ? normaliseSysctlValue(now.value) : '(no such parameter)', to: want });
    plan.set.push({ key, value: want });
  }
  const dependsOn = [
    ...(file.parentExists ? [] : [`${p.dir ?? '/etc/sysctl.d'} does not exist yet`]),
    ...(unknown.length ? [`kernel parameter ${unknown.join(', ')} does not exist yet (a module not loaded?)`] : []),
  ].join('; ');
  const ok = `${path} and the kernel have ${Object.keys(p.settings).join(', ')}`;
  if (changes.length === 0) return { changes, ok };
  return {
    changes,
    ok,
    plan,
    diff: whole ? createTwoFilesPatch(path, path, file.content ?? '', content, file.exists ? 'current' : '(absent)', 'desired') : undefined,
    dependsOn: dependsOn || undefined,
  };
}

/**
 * Kernel parameters, now and after a reboot: DIR/NAME.conf (default /etc/sysctl.d) holds one
 * `key = value` line per setting (0644, root), written atomically; each live value (`sysctl -n`)
 * that differs is set with `sysctl -w` and read back, so a value the kernel does not keep as
 * given (ip_forward = 7 reads back 1) fails rather than changing on every run.
 *
 * @example sysctl({ name: '60-router', settings: { 'net.ipv4.ip_forward': 1 } })
 */
export const sysctl = defineTask({
  module: 'sysctl',
  params: SysctlParams,
  title: (p) => `sysctl ${sysctlPath(p)}`,
  facts: (p) => {
    const facts: { file: Fact<FileState> } & Record<`live ${string}`, Fact<SysctlValue>> = { file: fileFact(sysctlPath(p), true) };
    for (const key of Object.keys(p.settings)) facts[liveKey(key)] = sysctlFact(key);
    return facts;
  },
  decide(p, facts) {
    const live = Object.fromEntries(Object.keys(p.settings).map((k) => [k, facts[liveKey(k)]]));
    return decideSysctl(p, facts.file, live);
  },
  async apply(ctx, plan, p) {
    const path = sysctlPath(p);
    if (plan.file?.write) await ctx.run(atomicWriteScript(path, plan.file.attrs), { stdin: plan.file.content, what: `write ${path}` });
    else if (plan.file) await ctx.run(attributeScript(path, plan.file.attrs), { what: `set attributes of ${path}` });
    for (const { key, value } of plan.set) {
      await ctx.run(sh`sysctl -w ${`${key}=${value}`}`, { what: `set ${key}` });
      const r = await ctx.poll(sh`sysctl -n ${key}`);
      const got = normaliseSysctlValue(r.stdout);
      if (r.code !== 0 || got !== value) {
        throw new KeelError(`${key}: set to ${value}, but the kernel has ${r.code === 0 ? got : `(unreadable: ${r.stderr.trim()})`}: write the value as the kernel prints it`);
      }
    }
  },
});
