/** crm shell syntax: values as crm words, name=value lists, and the crm-syntax diff of an object. */
import { createTwoFilesPatch } from '../../lib/text-diff';
import type { NvPairs } from './cib';

/**
 * A value as one crm word. crmsh splits a statement with Python's shlex (POSIX): inside double
 * quotes only `\` and `"` need a backslash. Values never hold a newline (the schema refuses it),
 * so a value cannot end a statement, and a quoted value cannot end in a continuation backslash.
 */
export function crmWord(value: string): string {
  if (/^[A-Za-z0-9_.:\/+@%,-]+$/.test(value)) return value;
  return '"' + value.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

/** `ip=198.18.0.100 cidr_netmask=24`: names are ids (schema-checked), values are crm words. */
export function nvText(values: NvPairs): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${crmWord(v)}`)
    .join(' ');
}

/**
 * One object's statement over several lines, as `crm configure show` prints it:
 * `primitive X ocf:heartbeat:Dummy \` then each clause on a tab-indented continuation line.
 */
export function statement(head: string, clauses: readonly string[]): string {
  return [head, ...clauses].join(' \\\n\t') + '\n';
}

/** A unified diff of one object's crm text, as the CIB has it and as wanted. */
export function patch(label: string, before: string, after: string): string {
  return createTwoFilesPatch(`cib/${label}`, `wanted/${label}`, before, after);
}
