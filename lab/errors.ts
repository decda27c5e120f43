// A lab failure the CLI prints as one line, with the exit code it asks for.
export class LabError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'LabError';
  }
}
