/** Cron jobs: cron (one /etc/cron.d file with a typed schedule), and the schedule checks it makes. */
export { cronFileFact } from './facts';
export { cron, CronParams, cronPath, type CronPlan, renderCron } from './cron';
export { type CronSchedule, cronFieldProblem, renderCronSchedule, cronScheduleProblems } from './schedule';
