/**
 * Errors are values with context: each one prints as a readable paragraph
 * (no stack trace) naming the host, the command and what to do next.
 */
export class KeelError extends Error {
  override name = 'KeelError';
}

/** One bad field, as ajv or our own checks found it: `hosts.node2.port: must be integer`. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Bad inventory, task parameters or flags. Raised before any host is contacted. */
export class ValidationError extends KeelError {
  override name = 'ValidationError';
  constructor(
    readonly subject: string,
    readonly problems: FieldProblem[],
  ) {
    super(`${subject} is invalid:\n` + problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'));
  }
}

export class UsageError extends KeelError {
  override name = 'UsageError';
}

/** A problem in an inventory file, with its place: `hosts.ini:12: unclosed quote`. */
export class InventoryFileError extends UsageError {
  override name = 'InventoryFileError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${line ? `${file}:${line}` : file}: ${problem}`);
  }
}

/**
 * A playbook, inventory or file that cannot work as given (a syntax error, a missing key file,
 * an unwritable report path, a notify naming no handler): found before any host is contacted.
 */
export class ConfigError extends KeelError {
  override name = 'ConfigError';
}

/** A host that could not be connected to (refused, timed out, bad host key, auth failed). */
export class UnreachableError extends KeelError {
  override name = 'UnreachableError';
  constructor(
    readonly host: string,
    /** The message without the `host: unreachable:` prefix. */
    readonly reason: string,
  ) {
    super(`${host}: unreachable: ${reason}`);
  }
}

export class HostKeyError extends UnreachableError {
  override name = 'HostKeyError';
}

/** A command that exited non-zero where success was required. */
export class CommandError extends KeelError {
  override name = 'CommandError';
  constructor(
    readonly host: string,
    readonly command: string,
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
    what?: string,
  ) {
    // With a description (`write /etc/x`) the script itself stays out of the message: -v shows it.
    const head = what ? `${what} failed (exit ${code ?? 'signal'})` : `command failed (exit ${code ?? 'signal'}): ${command}`;
    const tail = lastLines(stderr || stdout);
    super(tail ? `${head}: ${tail}` : head);
  }
}

export class TimeoutError extends KeelError {
  override name = 'TimeoutError';
}

/** The last few lines of a command's output: enough to explain a failure. */
export function lastLines(text: string, n = 8): string {
  // Tools such as crmsh colour their errors even without a terminal; keep the words only.
  const lines = stripAnsi(text).trimEnd().split('\n');
  return lines.slice(-n).join('\n').trim();
}

/** A one-paragraph message for any thrown value, without a stack for our own errors. */
export function describeError(err: unknown): string {
  if (err instanceof KeelError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}
