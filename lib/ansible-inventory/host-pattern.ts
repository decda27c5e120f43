/**
 * Ansible's host patterns in inventory files: `web[01:20].example.com`, `db-[a:c]`,
 * `node[1:10:2]`, several ranges in one name, and an optional `:port` (`host:2222`,
 * `[2001:db8::1]:2222`). Follows `parse_address` and `expand_hostname_range` of ansible-core.
 */

export class HostPatternError extends Error {}

// A range inside a name: numeric begin:end(:step), or one letter to one letter.
const RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const NUMERIC_RANGE = String.raw`\[[0-9]+:[0-9]+(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\]`;
const LABEL = String.raw`(?:[\w]|${RANGE})(?:[\w-]|${RANGE})*(?<![_-])`;
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu');
const V4 = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const IPV4 = new RegExp(String.raw`^(?:${V4}\.){3}${V4}$`, 'i');
const H = String.raw`(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${H}:){7}${H}`,
      `(?:${H}:){1,6}:`,
      `(?:${H}:)(?::${H}){1,6}`,
      `(?:${H}:){2}(?::${H}){1,5}`,
      `(?:${H}:){3}(?::${H}){1,4}`,
      `(?:${H}:){4}(?::${H}){1,3}`,
      `(?:${H}:){5}(?::${H}){1,2}`,
      `(?:${H}:){6}(?::${H})`,
      `:(?::${H}){1,6}`,
      `${H}?::`,
      `(?:0:){6}(?:${H}\\.){3}${H}`,
      `::(?:ffff:)?(?:${H}\\.){3}${H}`,
      `(?:0:){5}ffff:(?:${H}\\.){3}${H}`,
    ].join('|') +
    ')$',
  'i',
);
const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;

/** `web[01:03]:2222` → the names it stands for and the port it gives them (if any). */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  let address = pattern;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1];
      port = Number(m[2]);
    }
  }
  if (!IPV4.test(address) && !IPV6.test(address) && !HOSTNAME.test(address)) {
    // Not an address Ansible recognises: the whole text is the name, without a port.
    address = pattern;
    port = undefined;
  }
  return { hosts: address.includes('[') ? expandRanges(address) : [address], port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Expands the first `[begin:end(:step)]` of a name, then the rest, recursively. */
export function expandRanges(name: string): string[] {
  const open = name.indexOf('[');
  const close = name.indexOf(']', open);
  if (open < 0) return [name];
  if (close < 0) throw new HostPatternError(`unclosed range in host pattern "${name}"`);
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostPatternError(`host range must be begin:end or begin:end:step in "${name}"`);
  const beg = bounds[0] || '0';
  const end = bounds[1];
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostPatternError(`host range must specify an end value in "${name}"`);
  if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) throw new HostPatternError(`host range step must be a positive number in "${name}"`);
  const step = Number(stepText);
  let seq: string[];
  if (LETTERS.includes(beg) && LETTERS.includes(end) && beg.length === 1 && end.length === 1) {
    const b = LETTERS.indexOf(beg);
    const e = LETTERS.indexOf(end);
    if (b > e) throw new HostPatternError(`host range must have begin <= end in "${name}"`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(LETTERS[i]);
  } else if (/^[0-9]+$/.test(beg) && /^[0-9]+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width && width !== end.length) throw new HostPatternError(`host range must specify equal-length begin and end formats in "${name}"`);
    const b = Number(beg);
    const e = Number(end);
    // Ansible makes no hosts of a backwards numeric range; keel says so instead.
    if (b > e) throw new HostPatternError(`host range must have begin <= end in "${name}"`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(width ? String(i).padStart(width, '0') : String(i));
  } else {
    throw new HostPatternError(`host range [${bounds.join(':')}] must be numbers or single letters in "${name}"`);
  }
  return seq.flatMap((s) => expandRanges(head + s + tail));
}
