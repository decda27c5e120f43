/** The public types of keel's engine: connections, facts, tasks, plays and results. */

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The raw bytes of stdout, where byte offsets matter (batched probes). */
  stdoutBytes?: Buffer;
}

export interface ExecOptions {
  /** Sent to the command's standard input, then closed. */
  stdin?: string;
  /** Ends the command (and fails with TimeoutError) after this long. */
  timeoutMs?: number;
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

/** Gathered once per host, on first use. */
export interface Facts {
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

/** One difference between what is and what is wanted, stated for a person. */
export interface Change {
  /** What differs: `stonith-enabled`, `mode`, `package pacemaker`. */
  field: string;
  from?: string;
  to?: string;
}

/** The pure decide step's verdict. No changes means ok; `ok` then says what is true now. */
export interface Decision {
  changes: Change[];
  /** A unified diff of file content, for --diff (never for secret content). */
  diff?: string;
  /** The present state, when nothing needs doing: "package pacemaker is installed". */
  ok?: string;
}

/** What the decide step may look at besides the probed state: it stays a pure function. */
export interface DecideEnv {
  host: HostView;
  facts: Facts;
}

export interface TaskContext extends DecideEnv {
  conn: Connection;
  check: boolean;
  /** A read-only command, answered from this host's batched probe results when it was prefetched. */
  probe(command: string): Promise<ExecResult>;
  /** A command that must succeed; throws CommandError with its output otherwise. */
  run(command: string, options?: ExecOptions & { what?: string }): Promise<ExecResult>;
  /** Results registered by earlier tasks on this host. */
  registered: Readonly<Record<string, TaskResult>>;
  /** Verbose output (-v); secrets must never be passed here. */
  log(line: string): void;
}

export interface ApplyOutcome {
  /** Defaults to true; a `command` with changedWhen may say no. */
  changed?: boolean;
  /** Kept in the task's result and in `register`. */
  output?: { code: number; stdout: string; stderr: string };
}

/** What a task module supplies: read, decide, act. */
export interface TaskDefinition<S = unknown> {
  /** The module: `writeFile`, `crmPrimitive`. */
  module: string;
  /** A display name: `writeFile /etc/default/corosync`. */
  name: string;
  /** Probe commands this task will ask for, so the engine can batch them into one round trip. */
  probes?: string[];
  probe(ctx: TaskContext): Promise<S>;
  decide(state: S, env: DecideEnv): Decision;
  apply(ctx: TaskContext, state: S, decision: Decision): Promise<ApplyOutcome | void>;
  /** Its apply only reads (waitFor): it never counts as changed and keeps the probe cache. */
  readOnly?: boolean;
  /** Content is secret: no diff, no values in output or reports. */
  secret?: boolean;
  /** Default per-task timeout in seconds (the engine's default is 300). */
  timeoutSeconds?: number;
}

/** Engine options of a task, kept apart from the module's own parameters. */
export interface TaskOptions {
  /** Replaces the display name. */
  name?: string;
  when?: (host: HostView, registered: Readonly<Record<string, TaskResult>>) => boolean;
  tags?: readonly string[];
  /** Handler names to run at the end of the play (or at flushHandlers) if this task changed. */
  notify?: readonly string[];
  /** Cluster-wide step: runs on the first reachable host of the play only. */
  runOnce?: boolean;
  /** A failure is reported but the host goes on. */
  ignoreErrors?: boolean;
  /** Store this task's result under this name for later tasks' `when`. */
  register?: string;
  timeoutSeconds?: number;
}

export interface Task {
  readonly definition: TaskDefinition<any>;
  readonly options: TaskOptions;
}

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
  tasks: (host: HostView) => Task[];
  /** Handlers by name; they run once at the end of the play, only if notified. */
  handlers?: (host: HostView) => Record<string, Task>;
}

export type Playbook = readonly Play[];
