import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { ValidationError, type FieldProblem } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { atomicWriteScript, attributeScript, type FileAttributes } from '../files/atomic-write';
import type { FileState } from '../files/facts';
import { changedAttributes, fileChanges } from '../files/write-file';
import { FilePath, PosixName } from '../params';
import { cronFileFact } from './facts';
import { type CronSchedule, renderCronSchedule, SCHEDULE_FIELDS, cronScheduleProblems, unescapedPercent } from './schedule';

/** One time field: a number, or cron's text (checked field by field before any host is contacted). */
const TimeField = Type.Unsafe<string | number>({ type: ['string', 'integer'], pattern: '^[0-9A-Za-z*,/-]+$', minimum: 0 });

const SPECIAL = ['@reboot', '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

export const CronParams = Type.Object(
  {
    /**
     * The file is DIR/NAME. Letters, digits, `_` and `-` only: Debian's cron skips files in
     * /etc/cron.d whose names have dots (run-parts naming).
     */
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
    /** Default `present`; `absent` removes the file. */
    state: Type.Optional(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
    minute: Type.Optional(TimeField),
    hour: Type.Optional(TimeField),
    /** Day of the month, 1-31. */
    day: Type.Optional(TimeField),
    /** 1-12 or jan..dec. */
    month: Type.Optional(TimeField),
    /** 0-7 (0 and 7 are Sunday) or sun..sat. */
    weekday: Type.Optional(TimeField),
    /** Instead of the five fields: `@reboot`, `@daily`, ... */
    special: Type.Optional(Type.Union(SPECIAL.map((s) => Type.Literal(s)))),
    /** The user the command runs as. Default root. */
    user: Type.Optional(PosixName),
    /** The command, one line. A literal `%` must be written `\%` (cron turns `%` into a newline). */
    command: Type.Optional(Type.String({ pattern: '^[^\\n\\r\\x00]*\\S[^\\n\\r\\x00]*$' })),
    /** Environment lines before the job, in this order: `{ MAILTO: '', PATH: '/usr/bin:/bin' }`. */
    env: Type.Optional(
      Type.Record(Type.String(), Type.String({ pattern: '^[^\\n\\r\\x00]*$' }), { propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } }),
    ),
    /** Default /etc/cron.d. */
    dir: Type.Optional(FilePath),
  },
  { additionalProperties: false },
);
export type CronParams = Static<typeof CronParams>;

/** What apply does: write the file, set its attributes, or remove it. */
export type CronPlan =
  | { action: 'write'; content: string; attrs: FileAttributes }
  | { action: 'attributes'; attrs: FileAttributes }
  | { action: 'remove' };

/** cron ignores a cron.d file that is writable by group or others, or not owned by root. */
const FILE_ATTRS = { mode: '0644', owner: 'root', group: 'root' } as const;

export const cronPath = (p: Pick<CronParams, 'name' | 'dir'>) => `${p.dir ?? '/etc/cron.d'}/${p.name}`;

/** An environment line: quoted when cron would otherwise lose blanks (or an empty value). */
function envLine(name: string, value: string): string {
  return value === '' || value.trim() !== value ? `${name}="${value}"` : `${name}=${value}`;
}

/** The whole file: environment lines, then the job `SCHEDULE USER COMMAND`, newline-terminated as cron needs. */
export function renderCron(p: CronParams): string {
  const when = p.special ?? renderCronSchedule(p);
  const env = Object.entries(p.env ?? {}).map(([k, v]) => envLine(k, v) + '\n');
  return `${env.join('')}${when} ${p.user ?? 'root'} ${p.command}\n`;
}

/** Pure: the file against the wanted one. */
export function decideCron(p: CronParams, file: FileState): Decision<CronPlan> {
  const path = cronPath(p);
  if (p.state === 'absent') {
    if (!file.exists) return { changes: [], ok: `${path} does not exist` };
    return {
      changes: [{ field: path, from: 'present', to: 'removed' }],
      ok: `${path} does not exist`,
      plan: { action: 'remove' },
      diff: file.content !== undefined ? createTwoFilesPatch(path, path, file.content, '', 'current', '(absent)') : undefined,
    };
  }
  const content = renderCron(p);
  const changes: Change[] = fileChanges(file, { content, ...FILE_ATTRS }).map((c) => ({ ...c, field: c.field === 'file' ? path : `${path} ${c.field}` }));
  const ok = `${path} runs ${content.trim().split('\n').pop()}`;
  if (changes.length === 0) return { changes, ok };
  const whole = changes.some((c) => c.field === path || c.field === `${path} content`);
  return {
    changes,
    ok,
    plan: whole ? { action: 'write', content, attrs: FILE_ATTRS } : { action: 'attributes', attrs: changedAttributes(file, FILE_ATTRS) },
    diff: whole ? createTwoFilesPatch(path, path, file.content ?? '', content, file.exists ? 'current' : '(absent)', 'desired') : undefined,
    // /etc/cron.d comes with the cron package, which an earlier task may install.
    dependsOn: file.parentExists ? undefined : `${p.dir ?? '/etc/cron.d'} does not exist yet`,
  };
}

/**
 * A job in its own cron.d file (default /etc/cron.d/NAME, 0644 root, as cron requires): a typed
 * schedule (minute, hour, day, month, weekday, or `special` such as @reboot), the user, the
 * command, and environment lines (MAILTO, PATH) before it. The schedule is checked field by field
 * when the playbook is built, so `minute: 61` fails before any host is contacted. The file is
 * written atomically; `state: 'absent'` removes it.
 *
 * @example cron({ name: 'backup', minute: 30, hour: 2, user: 'backup', command: '/usr/local/bin/backup', env: { MAILTO: 'ops@example.org' } })
 */
export const cron = defineTask({
  module: 'cron',
  params: CronParams,
  title: (p) => `cron ${cronPath(p)}${p.state === 'absent' ? ' absent' : ''}`,
  check(p) {
    const problems: FieldProblem[] = [];
    const timed = SCHEDULE_FIELDS.filter((f) => p[f] !== undefined);
    if (p.state === 'absent') {
      for (const k of [...timed, 'special', 'user', 'command', 'env'] as const) {
        if (p[k] !== undefined) problems.push({ path: k, message: 'applies to state present only' });
      }
    } else {
      if (p.command === undefined) problems.push({ path: 'command', message: 'is required for state present' });
      if (p.special !== undefined) for (const f of timed) problems.push({ path: f, message: `cannot be set with special ${p.special}` });
      if (p.special === undefined && timed.length === 0) problems.push({ path: 'minute', message: 'no schedule: set the time fields or special (a job every minute says minute: "*")' });
      problems.push(...cronScheduleProblems(p as CronSchedule));
      const at = p.command === undefined ? -1 : unescapedPercent(p.command);
      if (at >= 0) problems.push({ path: 'command', message: `has a % at ${at + 1} that cron would turn into a newline: write \\% for a literal one` });
    }
    if (problems.length) throw new ValidationError('cron parameters', problems);
  },
  facts: (p) => ({ file: cronFileFact(cronPath(p)) }),
  decide: (p, { file }) => decideCron(p, file),
  async apply(ctx, plan, p) {
    const path = cronPath(p);
    if (plan.action === 'remove') await ctx.run(sh`rm -f ${path}`, { what: `remove ${path}` });
    else if (plan.action === 'write') await ctx.run(atomicWriteScript(path, plan.attrs), { stdin: plan.content, what: `write ${path}` });
    else await ctx.run(attributeScript(path, plan.attrs), { what: `set attributes of ${path}` });
  },
});
