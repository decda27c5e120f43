import { spawnSync } from 'node:child_process';

/**
 * Runs `script` with sh in a new PID namespace, then a `cat` of the namespace's last PID to
 * stderr. PIDs there start at 1 (the sh), so `lastPid` counts every process the namespace
 * started, the counting `cat` included: the way the specs count what a read costs a host.
 */
export function inPidNamespace(script: string): { status: number | null; stdout: string; stderr: string; lastPid: number } {
  const p = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', `${script}\ncat /proc/sys/kernel/ns_last_pid >&2`], { encoding: 'utf8' });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr, lastPid: Number(p.stderr.trim().split('\n').pop()) };
}
