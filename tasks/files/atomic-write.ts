import { Type } from '../../lib/schema';
import { sh } from '../../lib/quote';
import { parentDir } from './facts';

export interface FileAttributes {
  mode?: string;
  owner?: string;
  group?: string;
}

/** What a `validate` command must hold: `%s`, where the temporary file's path goes. */
export const VALIDATE_PLACEHOLDER = '%s';

/**
 * A `validate` parameter: shell code written by the playbook author (trusted, like `command`'s
 * cmd), holding `%s` where the path of the temporary file with the new content goes, bare (not
 * inside quotes of its own): `sshd -t -f %s`, `visudo -cf %s`. Exit 0 accepts the content.
 */
export const ValidateCommand = Type.String({ pattern: '%s' });

/** The exit code of an atomic write whose new content the `validate` command rejected. */
export const VALIDATE_FAILED_EXIT = 5;

/**
 * Writes stdin to `path` atomically: a temporary file in the same directory, then rename.
 * If anything fails (a full disk), the trap removes the temporary file and the original stays.
 * With `expectSha256`, the write is refused when the file changed since it was read.
 *
 * With `validate` (shell code written by the playbook author, like Ansible's `validate`:
 * `sshd -t -f %s`), the command checks the temporary file, with its final mode and owner, before
 * the rename: `%s` becomes `"$1"`, and the code runs as `sh -c CODE keel-validate "$tmp"`, so the
 * path is an argument, never shell code. If it exits non-zero the new content is never installed:
 * the old file stays, the temporary file is removed, and the script exits 5 with the validator's
 * output and a last line saying so on stderr.
 */
export function atomicWriteScript(path: string, attrs: FileAttributes, expectSha256?: string, validate?: string): string {
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
  if (validate !== undefined) lines.push(validateLines(path, validate));
  lines.push(sh`mv -f "$tmp" ${path}`, 'trap - EXIT');
  return lines.join('\n');
}

/**
 * The check of the temporary file `"$tmp"` by the `validate` command, for atomicWriteScript.
 * Its output (stdout and stderr together) is kept for the error; stdin is /dev/null.
 */
function validateLines(path: string, validate: string): string {
  if (!validate.includes(VALIDATE_PLACEHOLDER)) throw new Error(`validate must hold ${VALIDATE_PLACEHOLDER}: ${validate}`);
  const code = validate.split(VALIDATE_PLACEHOLDER).join('"$1"');
  return [
    sh`keel_out=$(sh -c ${code} keel-validate "$tmp" 2>&1 < /dev/null) && keel_rc=0 || keel_rc=$?`,
    'if [ "$keel_rc" -ne 0 ]; then',
    '  [ -z "$keel_out" ] || printf \'%s\\n\' "$keel_out" >&2',
    sh`  printf '%s\\n' "validate ("${validate}") rejected the new content (exit $keel_rc): "${path}" is unchanged" >&2`,
    `  exit ${VALIDATE_FAILED_EXIT}`,
    'fi',
  ].join('\n');
}

/** chmod and chown of an existing file, only for the attributes given. */
export function attributeScript(path: string, attrs: FileAttributes): string {
  const steps: string[] = ['set -e'];
  if (attrs.mode) steps.push(sh`chmod ${attrs.mode} ${path}`);
  if (attrs.owner || attrs.group) steps.push(sh`chown ${`${attrs.owner ?? ''}${attrs.group ? `:${attrs.group}` : ''}`} ${path}`);
  return steps.join('\n');
}
