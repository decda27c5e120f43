import { sh } from '../../lib/quote';
import { parentDir } from './facts';

export interface FileAttributes {
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Writes stdin to `path` atomically: a temporary file in the same directory, then rename.
 * If anything fails (a full disk), the trap removes the temporary file and the original stays.
 * With `expectSha256`, the write is refused when the file changed since it was read.
 */
export function atomicWriteScript(path: string, attrs: FileAttributes, expectSha256?: string): string {
  const dir = parentDir(path);
  const lines = ['set -e'];
  if (expectSha256 !== undefined) {
    lines.push(
      sh`[ "$(sha256sum < ${path} | cut -d' ' -f1)" = ${expectSha256} ] || { echo ${`${path} changed since it was read; run again`} >&2; exit 4; }`,
    );
  }
  lines.push(
    sh`[ -d ${dir} ] || { echo "parent directory "${dir}" does not exist" >&2; exit 3; }`,
    // mv onto a directory would move the file into it.
    sh`if [ -d ${path} ]; then echo ${path}" is a directory" >&2; exit 3; fi`,
    sh`tmp=$(mktemp ${dir + '/.keel.XXXXXX'})`,
    `trap 'rm -f "$tmp"' EXIT`,
    'cat > "$tmp"',
    attrs.mode ? sh`chmod ${attrs.mode} "$tmp"` : sh`if [ -e ${path} ]; then chmod --reference=${path} "$tmp"; else chmod 644 "$tmp"; fi`,
    sh`if [ -e ${path} ]; then chown --reference=${path} "$tmp"; fi`,
  );
  const owner = [attrs.owner ?? '', attrs.group ? `:${attrs.group}` : ''].join('');
  if (owner) lines.push(sh`chown ${owner} "$tmp"`);
  lines.push(sh`mv -f "$tmp" ${path}`, 'trap - EXIT');
  return lines.join('\n');
}

/** chmod and chown of an existing file, only for the attributes given. */
export function attributeScript(path: string, attrs: FileAttributes): string {
  const steps: string[] = ['set -e'];
  if (attrs.mode) steps.push(sh`chmod ${attrs.mode} ${path}`);
  if (attrs.owner || attrs.group) steps.push(sh`chown ${`${attrs.owner ?? ''}${attrs.group ? `:${attrs.group}` : ''}`} ${path}`);
  return steps.join('\n');
}
