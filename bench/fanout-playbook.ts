/**
 * The fan-out benchmark's playbook: 20 small tasks per host (4 command guards, 8 whole files,
 * 8 lines), on files under /tmp/keel-bench-HOST/ (light hosts share this machine's filesystem, so
 * each host has its own directory: the var `dir`). bench/ansible/fanout.yml is the same in Ansible.
 *
 *   npx ts-node bench/fanout-playbook.ts -i bench/fanout-inventory.ts [--check] --forks 64
 */
import { playbook } from '../lib/playbook';
import type { Task } from '../lib/types';
import { command } from '../tasks/command';
import { writeFile } from '../tasks/files';
import { lineInFile } from '../tasks/files';

export function fanoutTasks(dir: string): Task[] {
  const tasks: Task[] = [command({ cmd: `mkdir -p ${dir}`, creates: dir })];
  for (let i = 1; i <= 8; i++) tasks.push(writeFile({ path: `${dir}/file${i}.conf`, content: `# file ${i}\nvalue=${i}\n` }));
  for (let i = 1; i <= 8; i++) {
    const f = `${dir}/lines${1 + (i % 4)}.conf`;
    tasks.push(lineInFile({ path: f, line: `key${i}=value${i}`, regexp: `^key${i}=`, create: true }));
  }
  for (let i = 1; i <= 3; i++) tasks.push(command({ cmd: `touch ${dir}/done${i}`, creates: `${dir}/done${i}` }));
  return tasks;
}

export default playbook(
  'fanout',
  [{ name: 'fan-out: 20 tasks per host', hosts: 'all', tasks: (host) => fanoutTasks(String(host.vars.dir)) }],
  module,
);
