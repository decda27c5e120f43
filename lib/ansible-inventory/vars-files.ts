/**
 * group_vars/ and host_vars/ beside an inventory file (or inside an inventory directory), found
 * as ansible-core's host_group_vars plugin finds them: for a group `web`, the first of
 * `group_vars/web`, `web.yml`, `web.yaml`, `web.json` that exists; when that is a directory,
 * every file in it (and its subdirectories) with no extension or one of those, in name order,
 * later files overriding earlier ones.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fail, emptyLayer, type VarsLayer } from './model';
import { parseVarsFile } from './yaml';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

export class VarsFiles {
  private readonly cache = new Map<string, VarsLayer>();

  constructor(private readonly baseDir: string) {
    for (const sub of ['group_vars', 'host_vars']) {
      const p = join(baseDir, sub);
      if (exists(p) && !statSync(p).isDirectory()) fail({ file: p }, `${sub} must be a directory`);
    }
  }

  group(name: string): VarsLayer {
    return this.load('group_vars', name);
  }

  host(name: string): VarsLayer {
    return this.load('host_vars', name);
  }

  private load(sub: 'group_vars' | 'host_vars', name: string): VarsLayer {
    const key = `${sub}/${name}`;
    let layer = this.cache.get(key);
    if (!layer) {
      layer = emptyLayer();
      for (const file of findVarsFiles(join(this.baseDir, sub), name)) {
        const vars = parseVarsFile(readFileSync(file, 'utf8'), file);
        if (!vars) continue; // an empty file
        Object.assign(layer.values, vars.values);
        Object.assign(layer.origins, vars.origins);
      }
      this.cache.set(key, layer);
    }
    return layer;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

export function findVarsFiles(dir: string, name: string): string[] {
  if (!exists(dir)) return [];
  for (const ext of EXTENSIONS) {
    const p = join(dir, name + ext);
    if (!exists(p)) continue;
    return statSync(p).isDirectory() ? filesIn(p) : [p];
  }
  return [];
}

function filesIn(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const p = join(dir, entry);
    const ext = extname(entry);
    const st = statSync(p);
    if (st.isDirectory() && !ext) found.push(...filesIn(p));
    else if (st.isFile() && EXTENSIONS.includes(ext)) found.push(p);
  }
  return found;
}
