/**
 * keel's public API, as `import { ... } from 'keel'` gives it to a user's playbooks, inventories
 * and task modules: the engine's entry points and types, and every task module and role.
 */
export { playbook, isPlaybook, type PlaybookDefinition } from './lib/playbook';
export {
  defineInventory,
  loadInventory,
  buildInventory,
  hostsOf,
  selectHosts,
  type ConnectionSpec,
  type HostSpec,
  type GroupSpec,
  type InventorySpec,
  type Inventory,
  type ResolvedHost,
} from './lib/inventory';
export { defineTask, flushHandlers, type ModuleSpec, type FactMap, type FactValues } from './lib/task';
export { runPlaybook, type RunOptions, type RunReport, type PlayReport } from './lib/runner';
export type { Reporter, HostRecap, PlannedHost } from './lib/reporter';
export { PlainReporter } from './lib/reporters/plain';
export { ExitCode } from './lib/exit-codes';
export {
  KeelError,
  ConfigError,
  UsageError,
  ValidationError,
  UnreachableError,
  HostKeyError,
  CommandError,
  TimeoutError,
  type FieldProblem,
} from './lib/errors';
export { quote, sh, raw } from './lib/quote';
export { registerSecret, redact } from './lib/secrets';
export { keel } from './lib/keel';
export type * from './lib/types';
/** TypeBox, for a task module's parameters: `Type.Object({ path: Type.String() })`. */
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export * from './tasks';
