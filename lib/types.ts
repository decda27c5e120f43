/** The public types of keel's engine: connections, host facts, tasks, plays and results. */
import type { Readable } from 'node:stream';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's bytes as the host sent them, where a reader needs them (a file's content, hashed). */
  stdoutBytes?: Buffer;
}

/** A command's standard input: text, bytes, or a stream (a large file, never whole in memory). */
export type Stdin = string | Buffer | Readable;

export interface ExecOptions {
  /** Sent to the command's standard input, then closed. */
  stdin?: Stdin;
  /** Ends the command on the host and on the client (and fails with TimeoutError) after this long. */
  timeoutMs?: number;
  /**
   * The command kills its own parts on the host at their deadlines (a read batch): it runs in
   * `sh` with no `timeout` around it; `timeoutMs` still ends it on the client.
   */
  deadlinesOnHost?: boolean;
}

/** One open connection to one host. Commands run as separate channels; several may run at once. */
export interface Connection {
  readonly host: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface InterfaceAddress {
  iface: string;
  address: string;
  prefix: number;
  /** The network address (address AND mask), as corosync's bindnetaddr wants it. */
  network: string;
}

export type InitSystem = 'systemd' | 'sysvinit' | 'unknown';

/** Gathered once per host when it is connected, before any task reads its own facts. */
export interface HostFacts {
  hostname: string;
  os: { id: string; versionId: string; codename: string; prettyName: string };
  initSystem: InitSystem;
  interfaces: InterfaceAddress[];
}

/** What a task, a `when` or a role sees of a host: its name, address and merged vars. */
export interface HostView {
  readonly name: string;
  readonly address: string;
  readonly groups: readonly string[];
  readonly vars: Readonly<Record<string, unknown>>;
  /** The whole inventory, for roles that need the other hosts (a cluster's node list). */
  readonly inventory: InventoryView;
}

export interface InventoryView {
  /** Every host, in inventory order. */
  readonly hosts: readonly Omit<HostView, 'inventory'>[];
  /** Group name to member host names, in inventory order. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
}

/**
 * A piece of host state that tasks read: one read-only command and the parser of its result.
 * Facts are declared by tasks, not run by them: the engine batches every upcoming task's fact
 * commands into one round trip per host, under each task's deadline, and shares a command's
 * result between the tasks that read it until something on the host changes.
 */
export interface Fact<T> {
  /** Names the fact in messages: `file /etc/motd`, `dpkg status of pacemaker`. */
  readonly name: string;
  /** The read-only command; it may depend on the gathered host facts (the init system, the OS). */
  command(host: HostFacts): string;
  /** The typed value; throws (KeelError) when the result says the host cannot be read. */
  parse(result: ExecResult, host: HostFacts): T;
  /**
   * What of the raw result a plan compares (`--plan-out`, then `--plan`): by default the exit code,
   * stdout and stderr. A fact whose output also holds parts that move with no change to what tasks
   * decide on (the CIB's status section and update counter) returns the rest here.
   */
  fingerprint?(result: ExecResult): string;
  /**
   * The command leaves the shell it runs in as it found it: no `exit`, `cd`, `set`, `exec` or
   * trap, and it assigns only its own variables. A read batch then runs it in the batch's shell
   * rather than a subshell of its own: one process fewer per read, on every host.
   */
  readonly sharesShell?: boolean;
  /**
   * Reads of one kind that a single command answers together: in a read batch, the reads that
   * name the same `merge.by` (and deadline) run as one command, and each gets back the result its
   * own command would have given. File reads: one `stat` and one `head` for all of a batch's
   * files, where each alone costs a `stat` and a `cat`.
   */
  readonly merge?: MergedRead;
}

/** A read's part in a merged read: the merger it joins, and what that merger needs of it. */
export interface MergedRead<Part = unknown> {
  readonly by: ReadMerger<Part>;
  readonly part: Part;
}

/** One command for many reads of a kind, and the way back from its result to each read's own. */
export interface ReadMerger<Part = unknown> {
  command(parts: readonly Part[]): string;
  /**
   * Each part's result exactly as its own command would have given it (exit code, stdout and its
   * bytes, stderr), or `undefined` where the merged result cannot say (that read then runs alone).
   */
  split(result: ExecResult, parts: readonly Part[]): (ExecResult | undefined)[];
  /** The merged command leaves the batch's shell as it found it (see Fact.sharesShell). */
  readonly sharesShell?: boolean;
}

/** One difference between what is and what is wanted, stated for a person. */
export interface Change {
  /** What differs: `stonith-enabled`, `mode`, `package pacemaker`. */
  field: string;
  from?: string;
  to?: string;
}

/** The pure decide step's verdict. No changes means ok; `ok` then says what is true now. */
export interface Decision<Plan = unknown> {
  changes: Change[];
  /** A unified diff of file content or crm objects, for --diff (never for secret content). */
  diff?: string;
  /** The present state, when nothing needs doing: "package pacemaker is installed". */
  ok?: string;
  /** What apply will do, worked out here so that apply never decides again. Set when there are changes. */
  plan?: Plan;
  /**
   * Set when this prediction rests on state that an earlier task may create (a file a package
   * installs, a cluster not started yet). In check mode, after an earlier task on the host would
   * change, the task is reported skipped with this reason rather than counted as drift.
   */
  dependsOn?: string;
}

/** What decide sees besides its parameters and facts: the host's identity and gathered facts. */
export interface DecideEnv {
  host: HostView;
  facts: HostFacts;
}

/** What apply may do on the host. There is no raw connection: every command runs under the task's deadline. */
export interface ApplyContext extends DecideEnv {
  /** A command that must succeed; throws CommandError with its output otherwise. */
  run(command: string, options?: { stdin?: Stdin; what?: string }): Promise<ExecResult>;
  /** A read-only command run now (never from the fact cache), for polling; any exit code is returned. */
  poll(command: string): Promise<ExecResult>;
  /** Verbose output (-v); secrets must never be passed here. */
  log(line: string): void;
}

export interface ApplyOutcome {
  /** Defaults to true; a `command` with changedWhen may say no. */
  changed?: boolean;
  /** Kept in the task's result and in `register`. */
  output?: { code: number; stdout: string; stderr: string };
}

/**
 * What apply does to a host. `change` (the default) changes it; `wait` only watches it until a
 * condition holds: a wait is never drift and never counts as changed.
 */
export type TaskKind = 'change' | 'wait';

/** One task, ready for the engine: its facts, its pure decide step and its apply step. */
export interface TaskDefinition<Plan = unknown> {
  /** The module: `writeFile`, `crmPrimitive`. */
  module: string;
  /** A display name: `writeFile /etc/default/corosync`. */
  name: string;
  kind: TaskKind;
  /** The facts decide reads, by name. */
  facts: Readonly<Record<string, Fact<unknown>>>;
  decide(facts: Readonly<Record<string, unknown>>, env: DecideEnv): Decision<Plan>;
  apply(ctx: ApplyContext, plan: Plan): Promise<ApplyOutcome | void>;
  /** Content is secret: no diff, no values in output or reports. */
  secret?: boolean;
  /** Default deadline in seconds for this task's reads and commands (the engine's default is 300). */
  timeoutSeconds?: number;
  /** sha256 of the module, display name and parameters (stable JSON): a plan made from another playbook version is told by it. */
  paramsHash?: string;
}

/** Engine options of a task, kept apart from the module's own parameters. */
export interface TaskOptions {
  /** Replaces the display name. */
  name?: string;
  /**
   * The task runs only when this is true. A pure function of its arguments: the engine also asks
   * it ahead of time, with what is registered so far, to leave a task that will not run out of the
   * reads it sends ahead (lib/task-reads.ts mayRun).
   */
  when?: (host: HostView, registered: Readonly<Record<string, TaskResult>>, facts: HostFacts) => boolean;
  tags?: readonly string[];
  /** Handler names to run at the end of the play (or at flushHandlers) if this task changed. */
  notify?: readonly string[];
  /** Cluster-wide step: runs on the first reachable host of the play only. */
  runOnce?: boolean;
  /** A failure is reported but the host goes on. */
  ignoreErrors?: boolean;
  /** Store this task's result under this name for later tasks' `when`. */
  register?: string;
  /** The deadline of every command of this task, reads included. */
  timeoutSeconds?: number;
}

export interface Task {
  readonly kind: 'task';
  readonly definition: TaskDefinition<any>;
  readonly options: TaskOptions;
}

/** Runs the handlers notified so far, here rather than at the end of the play. */
export interface FlushHandlersStep {
  readonly kind: 'flush handlers';
}

/** What a play's task list holds. */
export type Step = Task | FlushHandlersStep;

export type TaskStatus = 'ok' | 'changed' | 'would change' | 'failed' | 'skipped';

export interface TaskResult {
  host: string;
  task: string;
  module: string;
  status: TaskStatus;
  changes: Change[];
  diff?: string;
  message?: string;
  error?: string;
  durationMs: number;
  output?: ApplyOutcome['output'];
  /** The host was lost during this task (connection closed, sshd killed). */
  unreachable?: boolean;
  /** It failed under ignoreErrors: the host went on, and the exit code does not count it. */
  ignored?: boolean;
}

export interface Play {
  name: string;
  /** A host pattern: `all`, a group, a host, `a:b`, `cluster:!node3`. */
  hosts: string;
  /**
   * The host's steps. Built before any host is contacted, so bad parameters fail first; a play
   * whose task list reads `facts` (the OS, the init system) is built once that host's facts are
   * gathered instead, still before any of its tasks runs.
   */
  tasks: (host: HostView, facts: HostFacts) => Step[];
  /** Handlers by name; they run once at the end of the play, only if notified. */
  handlers?: (host: HostView) => Record<string, Task>;
}

