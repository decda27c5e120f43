import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { ExecResult, HostFacts } from './types';

/** Hex sha256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * JSON with object keys sorted at every level and undefined members left out: the same value
 * always gives the same text, whatever order its keys were written in.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** What a task is, for a plan: its module, display name and parameters. A different playbook version gives a different hash. */
export function paramsHash(module: string, name: string, params: unknown): string {
  return sha256(stableJson({ module, name, params }));
}

/**
 * One fact read: the command and its raw result (exit code, stdout, stderr), or the fact's own
 * fingerprint of it. Output that is not UTF-8 (a small binary file's content) is hashed by its
 * bytes as well: two different invalid bytes decode to the same replacement character.
 */
export function factHash(command: string, result: Pick<ExecResult, 'code' | 'stdout' | 'stderr' | 'stdoutBytes'>, fingerprint?: string): string {
  if (fingerprint !== undefined) return sha256(stableJson({ command, fingerprint }));
  const bytes = result.stdoutBytes;
  const exact = bytes && !isUtf8(bytes) ? bytes.toString('base64') : undefined;
  return sha256(stableJson({ command, code: result.code, stdout: result.stdout, stderr: result.stderr, stdoutBytes: exact }));
}

/**
 * The host's identity among its gathered facts: hostname, OS and init system (fact commands and
 * apply steps depend on them). Interfaces are left out: addresses come and go on hosts that run
 * containers or a lab, and a decision that rests on them is compared as a decision.
 */
export function hostFactsHash(facts: HostFacts): string {
  return sha256(stableJson({ hostname: facts.hostname, os: facts.os, initSystem: facts.initSystem }));
}

/** A task's fingerprint: one hash over the hashes of every fact it read, by name. */
export function combinedHash(facts: readonly { name: string; sha256: string }[]): string {
  return sha256(stableJson(facts.map((f) => [f.name, f.sha256])));
}
