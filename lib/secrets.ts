/**
 * Secrets known to this run (become passwords, secret file content, vars marked secret).
 * Every line of output and every report passes through `redact`, so a secret that slips
 * into an error message or a command's echo still never reaches a terminal or a file.
 */
const secrets = new Set<string>();

export const REDACTED = '[secret]';

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string') return;
  // Very short values would redact ordinary words; they are still never printed by design.
  if (value.length >= 4) addWithShellForm(value);
  for (const line of value.split('\n')) if (line.trim().length >= 8) addWithShellForm(line.trim());
}

/**
 * A secret with a `'` reaches commands (and so -v and error messages) shell-quoted, where
 * each `'` is written `'\''`: that spelling is a secret too.
 */
function addWithShellForm(value: string): void {
  secrets.add(value);
  if (value.includes("'")) secrets.add(value.replace(/'/g, `'\\''`));
}

export function redact(text: string): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep copy with every string redacted: for the JSON report. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
