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
  /**
   * --plan: the plan was refused before anything changed on any host (a host's facts moved since
   * it was made, it is from another playbook version, or it is older than --plan-max-age).
   */
  planRefused: 5,
  /** Interrupted by SIGINT. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
