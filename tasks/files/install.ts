import { sh } from '../../lib/quote';
import type { FileAttributes } from './atomic-write';
import { parentDir } from './facts';

export interface InstallOptions {
  attrs: FileAttributes;
  /** The sha256 the content must have once on the host; anything else is refused and the file stays. */
  sha256: string;
  /** Keep the file being replaced as `PATH.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's name), printed on stdout. */
  backup?: boolean;
}

/** What the install script prints before the backup's path. */
export const BACKUP_PREFIX = 'backup: ';

/**
 * Writes stdin to `path` atomically, as atomicWriteScript does (a temporary file in the same
 * directory, then rename; the trap removes it on any failure), and checks the content's sha256
 * on the host before the rename: what lands is what decide compared. With `backup`, the file
 * being replaced is first hard-linked (copied where links are impossible) to its backup name.
 */
export function installScript(path: string, o: InstallOptions): string {
  const dir = parentDir(path);
  const lines = [
    'set -e',
    sh`[ -d ${dir} ] || { echo "parent directory "${dir}" does not exist" >&2; exit 3; }`,
    // mv onto a directory would move the file into it.
    sh`if [ -d ${path} ]; then echo ${path}" is a directory" >&2; exit 3; fi`,
    sh`tmp=$(mktemp ${dir + '/.keel.XXXXXX'})`,
    `trap 'rm -f "$tmp"' EXIT`,
    'cat > "$tmp"',
    sh`got=$(sha256sum < "$tmp" | cut -d' ' -f1)`,
    sh`[ "$got" = ${o.sha256} ] || { echo "the content arrived with sha256 $got, not "${o.sha256}"; "${path}" is unchanged" >&2; exit 5; }`,
    o.attrs.mode ? sh`chmod ${o.attrs.mode} "$tmp"` : sh`if [ -e ${path} ]; then chmod --reference=${path} "$tmp"; else chmod 644 "$tmp"; fi`,
    sh`if [ -e ${path} ]; then chown --reference=${path} "$tmp"; fi`,
  ];
  const owner = `${o.attrs.owner ?? ''}${o.attrs.group ? `:${o.attrs.group}` : ''}`;
  if (owner) lines.push(sh`chown ${owner} "$tmp"`);
  if (o.backup) {
    lines.push(
      sh`if [ -f ${path} ]; then`,
      sh`  b=${path}.$$.$(date +%Y-%m-%d@%H:%M:%S)~`,
      '  ln -- ' + sh`${path}` + ' "$b" 2>/dev/null || cp -p -- ' + sh`${path}` + ' "$b"',
      sh`  printf '%s%s\n' ${BACKUP_PREFIX} "$b"`,
      'fi',
    );
  }
  lines.push(sh`mv -f "$tmp" ${path}`, 'trap - EXIT');
  return lines.join('\n');
}

/** The backup's path, from the install script's output. */
export function backupPath(stdout: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(BACKUP_PREFIX));
  return line?.slice(BACKUP_PREFIX.length);
}
