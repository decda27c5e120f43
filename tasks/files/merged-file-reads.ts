import { quote, sh } from '../../lib/quote';
import type { ExecResult, ReadMerger } from '../../lib/types';

/** A file read's part in a merged read: which file, and whether its content is wanted. */
export interface FileReadPart {
  path: string;
  withContent: boolean;
  /** The file's parent directory, told apart from the file when it is absent. */
  dir: string;
}

/** Files up to this size come back whole, for --diff and line edits; larger ones by hash only. */
export const MAX_READ_CONTENT = 256 * 1024;

/** head's limit: one byte past the content limit, so that a file past it shows. */
const HEAD_LIMIT = MAX_READ_CONTENT + 1;

/**
 * Many file reads as one command, each answered with exactly what its own command (fileFact)
 * prints: with one file read per task, a host reading twelve files ran twelve `stat`s and twelve
 * `cat`s; merged it runs one `stat`, one `head` and, for files wanted without content, one
 * `sha256sum` (issue 13's fan-out). A file that is too large for its content to come back, or an
 * answer that does not add up (a file changed or vanished while it was read, a read error), leaves
 * that file, or all of them, to be read again as its own command.
 *
 * Output: a line with a letter per file (`f` regular, `o` not a regular file, `a` absent, `n` no
 * parent directory, `l` a link, left to be read as its own command), then `stat`'s line for each regular file, then `sha256sum`'s line for each
 * regular file wanted without content (`!` after either when it failed), then `head -v`'s
 * sections (a `==> PATH <==` header, then the first bytes, up to one past the content limit).
 */
export const fileReadMerger: ReadMerger<FileReadPart> = {
  // Builtins and the three readers; it assigns only its own variables (keel_f*).
  sharesShell: true,
  command(parts) {
    const files = distinct(parts);
    const lines = ['keel_ft= keel_fs= keel_fh= keel_fc='];
    for (const f of files) {
      // Each list holds the paths quoted for `eval`; appending a quoted literal keeps any byte inert.
      const add = (list: string) => `${list}="$${list} "${quote(quote(f.path))}`;
      const onRegular = ['keel_ft=${keel_ft}f', add('keel_fs')];
      if (f.content) onRegular.push(add('keel_fc'));
      if (f.hash) onRegular.push(add('keel_fh'));
      lines.push(
        // A link is read alone: stat describes the link itself, head what it points to.
        sh`if [ -L ${f.path} ]; then keel_ft=\${keel_ft}l; elif [ -f ${f.path} ]; then `.concat(
          onRegular.join('; '),
          sh`; elif [ -e ${f.path} ]; then keel_ft=\${keel_ft}o; elif [ -d ${f.dir} ]; then keel_ft=\${keel_ft}a; else keel_ft=\${keel_ft}n; fi`,
        ),
      );
    }
    lines.push(
      `printf '%s\\n' "$keel_ft"`,
      `[ -z "$keel_fs" ] || eval "stat -c '%a %U %G %s' -- $keel_fs" || echo '!'`,
      `[ -z "$keel_fh" ] || eval "sha256sum -- $keel_fh" || echo '!'`,
      `[ -z "$keel_fc" ] || eval "head -v -c ${HEAD_LIMIT} -- $keel_fc"`,
    );
    return lines.join('\n');
  },
  split(result, parts) {
    const files = distinct(parts);
    const answers = readAnswers(result.stdoutBytes ?? Buffer.from(result.stdout), files);
    return parts.map((p) => {
      const a = answers?.get(p.path);
      if (!a || a.kind === 'l') return undefined;
      if (a.kind !== 'f') return ok({ o: 'notfile\n', a: 'absent\n', n: 'noparent\n' }[a.kind]);
      const size = sizeOf(a.stat);
      if (p.withContent) {
        if (!a.content || size > MAX_READ_CONTENT || a.content.length !== size) return undefined;
        return ok(Buffer.concat([Buffer.from(`${a.stat}\ncontent\n`), a.content]));
      }
      return a.hash ? ok(`${a.stat}\n${a.hash}  -\n`) : undefined;
    });
  },
};

interface DistinctFile {
  path: string;
  dir: string;
  /** Some part wants the content, some the hash alone. */
  content: boolean;
  hash: boolean;
}

function distinct(parts: readonly FileReadPart[]): DistinctFile[] {
  const byPath = new Map<string, DistinctFile>();
  for (const p of parts) {
    const f = byPath.get(p.path) ?? { path: p.path, dir: p.dir, content: false, hash: false };
    byPath.set(p.path, f);
    if (p.withContent) f.content = true;
    else f.hash = true;
  }
  return [...byPath.values()];
}

type Answer = { kind: 'o' | 'a' | 'n' | 'l' } | { kind: 'f'; stat: string; hash?: string; content?: Buffer };

/**
 * Each file's answer (a file's content missing where head's output does not add up for it), or
 * `undefined` when the lines before head's do not add up: every file is then read again.
 */
function readAnswers(out: Buffer, files: readonly DistinctFile[]): Map<string, Answer> | undefined {
  let pos = 0;
  const line = (): string | undefined => {
    const end = out.indexOf(0x0a, pos);
    if (end < 0) return undefined;
    const text = out.subarray(pos, end).toString();
    pos = end + 1;
    return text;
  };
  const kinds = line();
  if (kinds === undefined || kinds.length !== files.length || !/^[foanl]*$/.test(kinds)) return undefined;
  const answers = new Map<string, Answer>();
  const regular = files.filter((_, i) => kinds[i] === 'f');
  files.forEach((f, i) => kinds[i] !== 'f' && answers.set(f.path, { kind: kinds[i] as 'o' | 'a' | 'n' | 'l' }));
  const found = new Map<string, { kind: 'f'; stat: string; hash?: string; content?: Buffer }>();
  for (const f of regular) {
    const stat = line();
    if (stat === undefined || !/^[0-7]+ \S+ \S+ \d+$/.test(stat)) return undefined;
    found.set(f.path, { kind: 'f', stat });
  }
  for (const f of regular.filter((f) => f.hash)) {
    // `HASH  NAME`, or `\HASH  NAME` with the name escaped: either way one line per file.
    const hash = /^\\?([0-9a-f]{64}) /.exec(line() ?? '')?.[1];
    if (!hash) return undefined;
    found.get(f.path)!.hash = hash;
  }
  // head -v: `==> PATH <==` before each file, after a blank line from the second on, then up to
  // HEAD_LIMIT bytes. The sizes stat gave say where each header must be, so content cannot forge
  // one, and a file that grew or shrank between `stat` and `head` does not add up: the header
  // after it is not where its size says (or the output does not end there). That file and those
  // after it are then left without content (read again); the files before it are answered.
  let previous: { content?: Buffer } | undefined;
  let whole = true;
  for (const [i, f] of regular.filter((g) => g.content).entries()) {
    const header = Buffer.from(`${i === 0 ? '' : '\n'}==> ${f.path} <==\n`);
    const a = found.get(f.path)!;
    const at = pos + header.length;
    const end = at + Math.min(sizeOf(a.stat), HEAD_LIMIT);
    // Not where it should be: the file before did not have the size stat gave.
    const misplaced = !out.subarray(pos, at).equals(header);
    if (misplaced && previous) previous.content = undefined;
    // Misplaced, or this file shorter than stat said: it and the files after it are read again.
    if (misplaced || end > out.length) {
      whole = false;
      break;
    }
    a.content = out.subarray(at, end);
    previous = a;
    pos = end;
  }
  // Bytes past the last file: it grew after stat.
  if (whole && previous && pos !== out.length) previous.content = undefined;
  for (const [path, a] of found) answers.set(path, a);
  return answers;
}

/** The size field of stat's line (`%a %U %G %s`). */
function sizeOf(stat: string): number {
  return Number(stat.split(' ')[3]);
}

function ok(stdout: string | Buffer): ExecResult {
  const bytes = typeof stdout === 'string' ? Buffer.from(stdout) : stdout;
  return { code: 0, stdout: bytes.toString(), stdoutBytes: bytes, stderr: '' };
}
