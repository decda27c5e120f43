import { createHash } from 'node:crypto';
import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { ValidationError } from '../../lib/errors';
import { sh } from '../../lib/quote';
import { defineTask } from '../../lib/task';
import type { Change, Decision } from '../../lib/types';
import { atomicWriteScript } from '../files/atomic-write';
import { fileFact, type FileState, parentDir, sha } from '../files/facts';
import { FilePath } from '../params';

/** Where apt reads deb822 sources and where Debian puts keys that are not a package's own. */
export const APT_SOURCES_DIR = '/etc/apt/sources.list.d';
export const APT_KEYRINGS_DIR = '/etc/apt/keyrings';

/** One deb822 word: no whitespace, no comment sign, nothing a field line could be broken with. */
const Word = Type.String({ pattern: '^[^\\s#]+$' });
const Words = Type.Array(Word, { minItems: 1, uniqueItems: true });
const Dir = Type.String({ pattern: '^/[^\\n\\x00]*$' });

export const AptRepositoryParams = Type.Object(
  {
    /** Names the files: `NAME.sources`, and `NAME.asc` or `NAME.gpg` for the key. */
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }),
    /** Default `['deb']`. */
    types: Type.Optional(Type.Array(Type.Union([Type.Literal('deb'), Type.Literal('deb-src')]), { minItems: 1, uniqueItems: true })),
    /** The repository's base URIs: `http://198.18.0.1:3142/debian`. */
    uris: Words,
    /** `bookworm`, `bookworm-updates`; a flat repository has one path ending in `/` (`./`) and no components. */
    suites: Words,
    /** `main`, `contrib`...; required unless the suite is a flat path. */
    components: Type.Optional(Words),
    /** Restrict to these architectures (`amd64`). */
    architectures: Type.Optional(Words),
    /** An ASCII-armored OpenPGP key (`-----BEGIN PGP PUBLIC KEY BLOCK-----`), written to KEYRINGS/NAME.asc and named by Signed-By. */
    key: Type.Optional(Type.String({ pattern: '^-----BEGIN PGP PUBLIC KEY BLOCK-----' })),
    /** A binary OpenPGP keyring, base64-encoded, written to KEYRINGS/NAME.gpg and named by Signed-By. */
    keyBase64: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/\\s]+={0,2}\\s*$' })),
    /** A keyring already on the host (`/usr/share/keyrings/debian-archive-keyring.gpg`), for Signed-By, instead of a key. */
    signedBy: Type.Optional(FilePath),
    /** `Trusted: yes`: no signature check at all. Only for local test repositories. */
    trusted: Type.Optional(Type.Boolean()),
    /** Default /etc/apt/sources.list.d (another directory for tests). */
    sourcesDir: Type.Optional(Dir),
    /** Default /etc/apt/keyrings, created (0755) when missing (another directory for tests). */
    keyringDir: Type.Optional(Dir),
  },
  { additionalProperties: false },
);
export type AptRepositoryParams = Static<typeof AptRepositoryParams>;

/** One file apply writes, exactly as decide rendered it. */
export interface RepositoryFileWrite {
  path: string;
  /** The content as sent on stdin: text, or base64 for a binary keyring (decoded on the host). */
  stdin: string;
  base64?: boolean;
  /** For a decoded keyring: the hash the written file must have (checked before the rename). */
  sha256?: string;
}

/** What apply does, in order: create the keyring directory, write the key, then the sources file. */
export interface AptRepositoryPlan {
  mkdir?: string;
  key?: RepositoryFileWrite;
  sources?: RepositoryFileWrite;
}

const MODE = '644';

export function sourcesPath(p: AptRepositoryParams): string {
  return `${(p.sourcesDir ?? APT_SOURCES_DIR).replace(/\/+$/, '')}/${p.name}.sources`;
}

/** The key file this repository installs, when it installs one. */
export function keyPath(p: AptRepositoryParams): string | undefined {
  if (p.key === undefined && p.keyBase64 === undefined) return undefined;
  return `${(p.keyringDir ?? APT_KEYRINGS_DIR).replace(/\/+$/, '')}/${p.name}.${p.key !== undefined ? 'asc' : 'gpg'}`;
}

/** The key's bytes as the file will hold them. */
function keyBytes(p: AptRepositoryParams): Buffer | undefined {
  if (p.key !== undefined) return Buffer.from(p.key.endsWith('\n') ? p.key : `${p.key}\n`, 'utf8');
  if (p.keyBase64 !== undefined) return Buffer.from(p.keyBase64.replace(/\s+/g, ''), 'base64');
  return undefined;
}

/** The deb822 stanza, one field a line, in the order sources.list(5) shows them. */
export function renderSources(p: AptRepositoryParams): string {
  const signedBy = keyPath(p) ?? p.signedBy;
  const fields: [string, string | undefined][] = [
    ['Types', (p.types ?? ['deb']).join(' ')],
    ['URIs', p.uris.join(' ')],
    ['Suites', p.suites.join(' ')],
    ['Components', p.components?.join(' ')],
    ['Architectures', p.architectures?.join(' ')],
    ['Signed-By', signedBy],
    ['Trusted', p.trusted ? 'yes' : undefined],
  ];
  const lines = fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`);
  return `# Managed by keel (aptRepository ${p.name}).\n${lines.join('\n')}\n`;
}

const shortSha = (hex: string | undefined) => `sha256:${(hex ?? '').slice(0, 12)}`;

/** The changes of one file compared with what is wanted (mode 644). */
function fileDiffers(field: string, state: FileState, wantedSha: string): Change[] {
  if (!state.exists) return [{ field, to: state.parentExists ? 'created' : 'created (directory missing now)' }];
  const changes: Change[] = [];
  if (state.sha256 !== wantedSha) changes.push({ field, from: shortSha(state.sha256), to: shortSha(wantedSha) });
  if (state.mode !== MODE) changes.push({ field: `${field} mode`, from: state.mode, to: MODE });
  return changes;
}

/** The pure decide step: the sources file and the key file, each written only when it differs. */
export function decideRepository(p: AptRepositoryParams, sources: FileState, key: FileState | undefined): Decision<AptRepositoryPlan> {
  const path = sourcesPath(p);
  const content = renderSources(p);
  const sourcesChanges = fileDiffers(path, sources, sha(content));
  const changes: Change[] = [];
  const plan: AptRepositoryPlan = {};
  const kPath = keyPath(p);
  const bytes = keyBytes(p);
  if (kPath !== undefined && bytes !== undefined && key !== undefined) {
    const keySha = createHash('sha256').update(bytes).digest('hex');
    const keyChanges = fileDiffers(kPath, key, keySha);
    changes.push(...keyChanges);
    if (keyChanges.length > 0) {
      if (!key.parentExists) plan.mkdir = parentDir(kPath);
      plan.key =
        p.key !== undefined
          ? { path: kPath, stdin: bytes.toString('utf8') }
          : { path: kPath, stdin: bytes.toString('base64'), base64: true, sha256: keySha };
    }
  }
  changes.push(...sourcesChanges);
  if (sourcesChanges.length > 0) plan.sources = { path, stdin: content };
  const ok = `${path} is up to date` + (kPath ? `, with its key ${kPath}` : '');
  if (changes.length === 0) return { changes, ok };
  const diff = sourcesChanges.length > 0 ? createTwoFilesPatch(path, path, sources.content ?? '', content, sources.exists ? 'current' : '(absent)', 'desired') : undefined;
  return { changes, ok, diff, plan, dependsOn: sources.parentExists ? undefined : `${parentDir(path)} does not exist yet` };
}

/** The command that writes one planned file atomically: a binary keyring is decoded on the host and its hash checked before the rename. */
export function repositoryWriteCommand(w: RepositoryFileWrite): string {
  if (!w.base64) return atomicWriteScript(w.path, { mode: MODE });
  const check = sh`[ "$(sha256sum < %s | cut -d' ' -f1)" = ${w.sha256 ?? ''} ]`;
  return sh`base64 -d | sh -c ${atomicWriteScript(w.path, { mode: MODE }, undefined, check)}`;
}

/**
 * An apt repository as a deb822 `NAME.sources` file in /etc/apt/sources.list.d, with its key
 * (ASCII-armored `key` → /etc/apt/keyrings/NAME.asc, or binary `keyBase64` → NAME.gpg) named by
 * Signed-By. Both are written atomically (mode 644), each only when its content differs, so a
 * `notify` (an `apt-get update` handler) fires only on a real change. The key is written before
 * the sources file that names it. aptInstall with `updateCacheMaxAgeSeconds` refreshes the lists
 * when a sources file is newer than them.
 *
 * @example aptRepository({ name: 'lab-mirror', uris: ['http://198.18.0.1:3142/debian'], suites: ['bookworm'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' })
 */
export const aptRepository = defineTask({
  module: 'aptRepository',
  params: AptRepositoryParams,
  title: (p) => `aptRepository ${p.name}`,
  check(p) {
    const problems: { path: string; message: string }[] = [];
    const keys = [p.key, p.keyBase64, p.signedBy].filter((k) => k !== undefined).length;
    if (keys > 1) problems.push({ path: 'key', message: 'give one of key, keyBase64 and signedBy' });
    const flat = p.suites.some((s) => s.endsWith('/'));
    if (flat && p.components !== undefined) problems.push({ path: 'components', message: 'a flat suite (ending in /) takes no components' });
    if (flat && p.suites.length > 1) problems.push({ path: 'suites', message: 'a flat suite (ending in /) must be the only one' });
    if (!flat && p.components === undefined) problems.push({ path: 'components', message: 'is required unless the suite is a flat path ending in /' });
    if (p.keyBase64 !== undefined && Buffer.from(p.keyBase64.replace(/\s+/g, ''), 'base64').length === 0) {
      problems.push({ path: 'keyBase64', message: 'decodes to nothing' });
    }
    if (problems.length > 0) throw new ValidationError('aptRepository parameters', problems);
  },
  facts: (p) => {
    const k = keyPath(p);
    return { sources: fileFact(sourcesPath(p), true), ...(k !== undefined ? { key: fileFact(k, false) } : {}) };
  },
  decide: (p, facts) => decideRepository(p, facts.sources, (facts as { key?: FileState }).key),
  async apply(ctx, plan) {
    if (plan.mkdir) await ctx.run(sh`install -d -m 0755 ${plan.mkdir}`, { what: `create ${plan.mkdir}` });
    for (const w of [plan.key, plan.sources]) {
      if (w) await ctx.run(repositoryWriteCommand(w), { stdin: w.stdin, what: `write ${w.path}` });
    }
  },
});
