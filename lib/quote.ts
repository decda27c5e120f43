/**
 * The one place where values become shell words. Every value that reaches a
 * remote or local shell passes through `quote` (or the `sh` template, which
 * calls it for each interpolation), so safety comes by construction.
 *
 * POSIX single quotes, not bash's $'...': targets may run dash as /bin/sh.
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

/** A fragment of shell code that is trusted as-is (never built from input). */
export class RawShell {
  constructor(readonly code: string) {}
  toString(): string {
    return this.code;
  }
}

/** Marks trusted shell code so `sh` interpolates it without quoting. */
export function raw(code: string): RawShell {
  return new RawShell(code);
}

type ShellValue = string | number | RawShell | readonly (string | number)[];

/**
 * Tagged template for shell commands: `sh\`rm -f ${path}\``. Strings and
 * numbers are quoted, arrays become several quoted words, `raw()` passes.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): string {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return out;
}

function render(v: ShellValue): string {
  if (v instanceof RawShell) return v.code;
  if (Array.isArray(v)) return v.map((x) => quote(x)).join(' ');
  return quote(v as string | number);
}
