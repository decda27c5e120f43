import type { Task } from './types';

/**
 * Which handlers each host has been notified to run, in the order the play declares them.
 * A handler runs once per flush however many tasks notified it, as in Ansible.
 */
export class Notifications {
  private pending = new Map<string, Set<string>>();

  notify(host: string, names: readonly string[]): void {
    let set = this.pending.get(host);
    if (!set) this.pending.set(host, (set = new Set()));
    for (const n of names) set.add(n);
  }

  /** The notified handlers of a host, as tasks reported under their handler names; forgotten once taken. */
  take(host: string, handlers: Readonly<Record<string, Task>>): Task[] {
    const wanted = this.pending.get(host);
    if (!wanted || wanted.size === 0) return [];
    const due = Object.entries(handlers).filter(([name]) => wanted.has(name));
    for (const [name] of due) wanted.delete(name);
    return due.map(([name, handler]) => ({ ...handler, options: { name, ...handler.options } }));
  }
}
