/** Exit codes, distinct so cron and CI can tell outcomes apart (documented in README.md). */
export const ExitCode = {
  ok: 0,
  /** A task failed on at least one host. */
  failed: 1,
  /** Bad flags, bad inventory or bad task parameters: nothing was contacted. */
  usage: 2,
  /** At least one host could not be reached (and no task failed). */
  unreachable: 3,
  /** Check mode found drift: at least one task would change. */
  drift: 4,
  /** Interrupted by SIGINT. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
