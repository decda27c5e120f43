import type { FieldProblem } from '../../lib/errors';

/** The five time fields of a crontab line, each a number or cron's text (`*`, `*\/5`, `1-5`, `0,30`). */
export interface CronSchedule {
  minute?: string | number;
  hour?: string | number;
  day?: string | number;
  month?: string | number;
  weekday?: string | number;
}

export const SCHEDULE_FIELDS = ['minute', 'hour', 'day', 'month', 'weekday'] as const;

interface FieldRule {
  min: number;
  max: number;
  /** Names cron accepts, alone, for this field (three-letter month and day names). */
  names?: readonly string[];
}

const RULES: Record<(typeof SCHEDULE_FIELDS)[number], FieldRule> = {
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  day: { min: 1, max: 31 },
  month: { min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  // 0 and 7 are both Sunday.
  weekday: { min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
};

/**
 * What is wrong with one field, or undefined. Accepts what cron(8) does: `*`, a number, a range
 * `a-b`, each optionally stepped (`*\/15`, `0-30/10`), in comma lists; or one month or day name
 * alone (cron allows no ranges or lists of names).
 */
export function cronFieldProblem(field: (typeof SCHEDULE_FIELDS)[number], value: string | number): string | undefined {
  const rule = RULES[field];
  const text = String(value);
  if (rule.names?.includes(text.toLowerCase())) return undefined;
  const range = `${rule.min}-${rule.max}`;
  for (const item of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `${JSON.stringify(item)} is not *, a number or a range (a-b), with an optional /step`;
    const [, , a, b, step] = m;
    for (const n of [a, b]) {
      if (n !== undefined && (Number(n) < rule.min || Number(n) > rule.max)) return `${n} is outside ${range}`;
    }
    if (a !== undefined && b !== undefined && Number(a) > Number(b)) return `range ${a}-${b} runs backwards`;
    if (step !== undefined && (Number(step) < 1 || Number(step) > rule.max - rule.min + 1)) return `step ${step} is not 1 to ${rule.max - rule.min + 1}`;
  }
  return undefined;
}

/** Every problem of a schedule, each at its field. */
export function cronScheduleProblems(s: CronSchedule): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const f of SCHEDULE_FIELDS) {
    const v = s[f];
    if (v === undefined) continue;
    const problem = cronFieldProblem(f, v);
    if (problem) problems.push({ path: f, message: problem });
  }
  return problems;
}

/** The five fields as a crontab line starts: unset fields are `*`. */
export function renderCronSchedule(s: CronSchedule): string {
  return SCHEDULE_FIELDS.map((f) => String(s[f] ?? '*')).join(' ');
}

/**
 * Where cron would cut a command: an unescaped `%` ends the command (the rest becomes its
 * standard input, `%` as newlines). Returns the index of the first such `%`, or -1.
 */
export function unescapedPercent(command: string): number {
  for (let i = 0; i < command.length; i++) {
    if (command[i] === '\\') i++;
    else if (command[i] === '%') return i;
  }
  return -1;
}
