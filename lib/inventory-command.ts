/**
 * `keel inventory`: an inventory as keel reads it, in the formats of `ansible-inventory`
 * (`--list` JSON, `--graph` tree, `--host` vars), for any inventory `-i` accepts.
 */
import { parseFlags } from './cli';
import { describeError, UsageError, ValidationError } from './errors';
import { ExitCode } from './exit-codes';
import { loadInventory, type InventoryListing } from './inventory';
import { redact, redactDeep } from './secrets';

export const INVENTORY_USAGE = `usage: keel inventory -i INVENTORY (--list | --graph [GROUP] | --host HOST)

  -i, --inventory NAME|PATH   inventories/NAME.ts, a .ts file, an Ansible .ini/.yml/.yaml file or directory
      --list                  every group and host with its merged vars, as JSON (like ansible-inventory --list)
      --graph [GROUP]         the group tree from GROUP (default all), like ansible-inventory --graph
      --host HOST             one host's merged vars, as JSON
  -h, --help                  this text

Secrets (passwords, vars listed in secretVars) are shown as [secret].
exit codes: 0 ok, 2 usage or inventory error`;

export async function inventoryCommand(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  try {
    const parsed = parseFlags(
      {
        args: [...argv],
        strict: true,
        allowPositionals: true,
        options: {
          inventory: { type: 'string', short: 'i' },
          list: { type: 'boolean', default: false },
          graph: { type: 'boolean', default: false },
          host: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      },
      INVENTORY_USAGE,
    );
    const v = parsed.values;
    if (v.help) {
      out(INVENTORY_USAGE + '\n');
      return ExitCode.ok;
    }
    const modes = [v.list, v.graph, v.host !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new UsageError(`give one of --list, --graph or --host\n\n${INVENTORY_USAGE}`);
    if (parsed.positionals.length > (v.graph ? 1 : 0)) throw new UsageError(`unexpected argument "${parsed.positionals.at(-1)}"\n\n${INVENTORY_USAGE}`);
    if (!v.inventory) throw new UsageError(`-i INVENTORY is required\n\n${INVENTORY_USAGE}`);
    const inventory = await loadInventory(v.inventory);
    const listing = inventory.listing!;
    if (v.list) out(json(listJson(listing)) + '\n');
    else if (v.graph) out(graphText(listing, parsed.positionals[0] ?? 'all') + '\n');
    else {
      if (!Object.hasOwn(listing.hostvars, v.host!)) throw new UsageError(`the inventory has no host "${v.host}"`);
      out(json(listing.hostvars[v.host!]) + '\n');
    }
    return ExitCode.ok;
  } catch (err) {
    process.stderr.write(redact(describeError(err)) + '\n');
    if (err instanceof UsageError || err instanceof ValidationError) return ExitCode.usage;
    process.stderr.write(String((err as Error).stack ?? '') + '\n');
    return ExitCode.failed;
  }
}

/** The JSON of `ansible-inventory --list`: each group's own hosts and children, empty ones left out. */
export function listJson(listing: InventoryListing): Record<string, unknown> {
  const byName = new Map(listing.groups.map((g) => [g.name, g]));
  const result: Record<string, unknown> = {};
  const seen = new Set<string>();
  const format = (name: string) => {
    const g = byName.get(name)!;
    const entry: { hosts?: string[]; children?: string[] } = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = g.hosts;
    if (g.children.length) entry.children = g.children;
    if (entry.hosts || entry.children) result[name] = entry;
    for (const c of g.children) {
      if (!seen.has(c)) {
        seen.add(c);
        format(c);
      }
    }
  };
  format('all');
  const hostvars: Record<string, unknown> = {};
  for (const [host, vars] of Object.entries(listing.hostvars)) if (Object.keys(vars).length) hostvars[host] = redactDeep(vars);
  result._meta = { hostvars };
  return result;
}

/** The tree of `ansible-inventory --graph`: children first, then the group's own hosts. */
export function graphText(listing: InventoryListing, from = 'all'): string {
  const byName = new Map(listing.groups.map((g) => [g.name, g]));
  if (!byName.has(from)) throw new UsageError(`the inventory has no group "${from}"`);
  const line = (text: string, depth: number) => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const lines: string[] = [];
  const walk = (name: string, depth: number) => {
    const g = byName.get(name)!;
    lines.push(line(`@${name}:`, depth));
    for (const c of g.children) walk(c, depth + 1);
    if (name !== 'all') for (const h of g.hosts) lines.push(line(h, depth + 1));
  };
  walk(from, 0);
  return lines.join('\n');
}

/** JSON as Python's json.dumps(sort_keys=True, indent=4) writes it. */
function json(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 4);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
