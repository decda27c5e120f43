/**
 * Every task module and role, from one place: `import { writeFile, crmPrimitive } from '../tasks'`.
 * Each domain folder holds its tasks and the facts they read (tasks/files/facts.ts, ...).
 */
export { flushHandlers } from '../lib/task';
export * from './apt';
export * from './command';
export * from './cron';
export * from './corosync';
export * from './files';
export * from './host';
export * from './pacemaker';
export * from './service';
export * from './sysctl';
export * from './users';
export * from './wait';
export { floatingService } from './roles/floating-service';
export { haClusterOptions, isTwoNode, type HaClusterOptions } from './roles/ha-cluster-options';
export { pacemakerNode, pacemakerNodeHandlers, pacemakerNodePrepare, pacemakerNodeStart } from './roles/pacemaker-node';
