/** The escape hatch (a shell command with guards), and the generic facts guards and waits read. */
export { command, CommandParams, type CommandResult } from './command';
export { commandResult, pathExists } from './facts';
