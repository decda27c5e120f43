// The lab's state file: the only thing other code (inventories/lab.ts) needs to find the lab.
import { existsSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { type NodeKind, STATE_FILE } from './paths';

export interface LabNodeState {
  name: string;
  address: string;
  prefix: number;
  running: boolean;
  /** What the node's PID 1 is: the lab's init script (`keel`) or systemd (`systemd`). */
  init: NodeKind;
}

export interface LabState {
  bridgeAddress: string;
  aptProxy: string;
  keyFile: string;
  knownHostsFile: string;
  nodes: LabNodeState[];
}

/** Reads /var/lib/keel-lab/state.json; null when no lab is up (or the file is unreadable). */
export function readLabState(): LabState | null {
  if (!existsSync(STATE_FILE)) return null;
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return null;
  }
}

export function writeLabState(state: LabState): void {
  // Write-then-rename so a reader never sees half a file.
  writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

export function removeLabState(): void {
  rmSync(STATE_FILE, { force: true });
}
