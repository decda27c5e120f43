import { KeelError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import type { Fact } from '../../lib/types';

/** A kernel parameter's live value, or that the kernel has no such parameter (its module not loaded). */
export type SysctlValue = { exists: false } | { exists: true; value: string };

/**
 * The live value of one kernel parameter, `sysctl -n KEY`. A key the kernel does not have
 * ("cannot stat /proc/sys/...") is an answer, not an error: a module loaded by an earlier task
 * (br_netfilter for net.bridge.*) may bring it.
 */
export function sysctlFact(key: string): Fact<SysctlValue> {
  return {
    name: `kernel parameter ${key}`,
    command: () => sh`sysctl -n ${key}`,
    parse(r) {
      if (r.code === 0) return { exists: true, value: r.stdout.replace(/\n$/, '') };
      if (/cannot stat|No such file/i.test(r.stderr)) return { exists: false };
      throw new KeelError(`cannot read kernel parameter ${key}: ${r.stderr.trim() || `sysctl exited ${r.code}`}`);
    },
  };
}

/**
 * How sysctl values compare: `4096 131072 6291456` in a file is the `4096\t131072\t6291456`
 * the kernel prints; numbers and strings alike.
 */
export function normaliseSysctlValue(value: string | number): string {
  return String(value).trim().split(/\s+/).join(' ');
}
