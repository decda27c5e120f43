// The Debian mirror this machine already uses: the only archive reachable here, so the lab must
// never name one of its own.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { LabError } from './errors';

/** Parses deb822 .sources text; returns the first URI of an entry whose Suites include `suite`. */
export function mirrorFromDeb822(text: string, suite: string): string | null {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields[(last = m[1].toLowerCase())] = m[2];
      else if (/^\s/.test(line) && last) fields[last] += ' ' + line.trim();
    }
    const types = (fields['types'] ?? '').split(/\s+/);
    const suites = (fields['suites'] ?? '').split(/\s+/);
    if (types.includes('deb') && suites.includes(suite) && fields['uris']) {
      return fields['uris'].split(/\s+/)[0];
    }
  }
  return null;
}

/** Parses one-line sources.list text; returns the URI of the first `deb` line for `suite`. */
export function mirrorFromSourcesList(text: string, suite: string): string | null {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [opts] URI suite components...
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m && m[2] === suite) return m[1];
  }
  return null;
}

export function hostMirror(suite = 'bookworm'): string {
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.sources')).sort()) {
      const uri = mirrorFromDeb822(readFileSync(`${dir}/${f}`, 'utf8'), suite);
      if (uri) return uri.replace(/\/+$/, '');
    }
  }
  for (const f of ['/etc/apt/sources.list']) {
    if (existsSync(f)) {
      const uri = mirrorFromSourcesList(readFileSync(f, 'utf8'), suite);
      if (uri) return uri.replace(/\/+$/, '');
    }
  }
  throw new LabError(`no apt source for ${suite} found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list`);
}
