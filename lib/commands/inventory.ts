/**
 * `keel inventory -i INVENTORY --list | --graph`: the inventory as `ansible-inventory` shows it.
 * A minimal version: the Ansible-inventories branch replaces this file with its own.
 */
import { parseArgs } from 'node:util';
import { parseExtraVars } from '../cli';
import { UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { buildInventory, loadInventorySpec, type InventorySpec } from '../inventory';
import { redactDeep } from '../secrets';

export const INVENTORY_USAGE = `usage: keel inventory -i INVENTORY (--list | --graph) [-e VARS]

  -i, --inventory NAME|PATH   inventories/NAME.ts (or .js) in the current directory, or a path
      --list                  every host's vars and every group, as JSON (ansible-inventory --list)
      --graph                 the group tree (ansible-inventory --graph)
  -e, --extra-vars VARS       as for keel run
  -h, --help                  this text`;

export async function inventoryCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        inventory: { type: 'string', short: 'i' },
        list: { type: 'boolean', default: false },
        graph: { type: 'boolean', default: false },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${INVENTORY_USAGE}`);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(INVENTORY_USAGE + '\n');
    return ExitCode.ok;
  }
  if (!v.inventory) throw new UsageError(`-i INVENTORY is required\n\n${INVENTORY_USAGE}`);
  if (v.list === v.graph) throw new UsageError(`one of --list or --graph\n\n${INVENTORY_USAGE}`);
  const { spec, file } = await loadInventorySpec(v.inventory);
  const inventory = buildInventory(spec, parseExtraVars(v['extra-vars'] ?? []), file);
  const groups = (spec as InventorySpec).groups ?? {};
  const grouped = new Set(Object.values(groups).flatMap((g) => g.hosts ?? []));
  const ungrouped = inventory.hosts.map((h) => h.name).filter((h) => !grouped.has(h));
  const isChild = new Set(Object.values(groups).flatMap((g) => g.children ?? []));
  const top = [...Object.keys(groups).filter((g) => !isChild.has(g)), ...(ungrouped.length ? ['ungrouped'] : [])].sort();

  if (v.list) {
    const out: Record<string, unknown> = {
      _meta: {
        hostvars: Object.fromEntries(
          inventory.hosts.map((h) => [
            h.name,
            { ansible_host: h.address, ansible_port: h.connection.port, ansible_user: h.connection.user, ...h.vars },
          ]),
        ),
      },
      all: { children: top },
    };
    if (ungrouped.length) out.ungrouped = { hosts: ungrouped };
    for (const [name, g] of Object.entries(groups)) {
      const entry: Record<string, string[]> = {};
      if (g.hosts?.length) entry.hosts = g.hosts;
      if (g.children?.length) entry.children = g.children;
      out[name] = entry;
    }
    process.stdout.write(JSON.stringify(redactDeep(out), null, 4) + '\n');
    return ExitCode.ok;
  }

  const lines = ['@all:'];
  const walk = (group: string, depth: number) => {
    const pad = '  |'.repeat(depth);
    lines.push(`${pad}--@${group}:`);
    const g = group === 'ungrouped' ? { hosts: ungrouped } : groups[group];
    for (const c of [...(g.children ?? [])].sort()) walk(c, depth + 1);
    for (const h of [...(g.hosts ?? [])].sort()) lines.push(`${pad}  |--${h}`);
  };
  for (const g of top) walk(g, 1);
  process.stdout.write(lines.join('\n') + '\n');
  return ExitCode.ok;
}
