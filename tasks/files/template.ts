import { type Static, Type } from '../../lib/schema';
import { createTwoFilesPatch } from '../../lib/text-diff';
import { KeelError, ValidationError } from '../../lib/errors';
import { defineTask } from '../../lib/task';
import type { Change, DecideEnv, Decision, HostFacts, HostView } from '../../lib/types';
import { FileMode, FilePath, PosixName } from '../params';
import { attributeScript, type FileAttributes } from './atomic-write';
import { fileFact, type FileState, sha } from './facts';
import { backupPath, installScript } from './install';
import { ansibleVars, renderJinja } from './jinja';
import { localStat } from './local-file';
import { changedAttributes, fileChanges } from './write-file';

/** Renders a file's content from the host (name, address, groups, vars, inventory) and its gathered facts. */
export type Render = (host: HostView, facts: HostFacts) => string;

export const TemplateParams = Type.Object(
  {
    dest: FilePath,
    /** A typed TypeScript function of the host and its facts: the keel way. Exactly one of render and src. */
    render: Type.Optional(Type.Unsafe<Render>({})),
    /**
     * A Jinja2 template file on the controller (an Ansible role's `.j2`), rendered with nunjucks
     * given the host's vars, Ansible's magic variables and the gathered facts under Ansible's names.
     */
    src: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\x00]*$' })),
    /** Extra variables for a Jinja2 template, above the host's vars (Ansible's task `vars`). */
    vars: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Unknown())),
    /** Octal, as a string: `'0644'`. Unset: keep an existing file's mode, 0644 for a new one. */
    mode: Type.Optional(FileMode),
    owner: Type.Optional(PosixName),
    group: Type.Optional(PosixName),
    /** Keep the replaced file as `dest.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's name), only when the content changes. */
    backup: Type.Optional(Type.Boolean()),
    /** The rendered content is secret: no diff, no hashes in the changes, and the host's file is not read back. */
    secret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type Params = Static<typeof TemplateParams>;

/** The rendered content, written whole; or only attributes. */
export type TemplatePlan = { write: true; content: string; sha256: string; attrs: FileAttributes; backup: boolean } | { write: false; attrs: FileAttributes };

/**
 * A file rendered for each host, in decide (rendering is pure: the host's vars and facts in,
 * text out), compared with the host's file and written atomically when it differs, with a
 * unified diff in check mode. `render` is a TypeScript function; `src` a Jinja2 file.
 *
 * @example template({ dest: '/etc/motd', render: (h, f) => `${h.name} runs ${f.os.prettyName}\n` })
 * @example template({ src: join(__dirname, 'templates/kamailio.cfg.j2'), dest: '/etc/kamailio/kamailio.cfg', backup: true })
 */
export const template = defineTask({
  module: 'template',
  params: TemplateParams,
  title: (p) => `template ${p.dest}`,
  check(p) {
    const problems: { path: string; message: string }[] = [];
    if ((p.render === undefined) === (p.src === undefined)) problems.push({ path: 'render', message: 'give exactly one of render and src' });
    if (p.render !== undefined && typeof p.render !== 'function') problems.push({ path: 'render', message: 'must be a function (host, facts) => string' });
    if (p.vars !== undefined && p.src === undefined) problems.push({ path: 'vars', message: 'is only for a Jinja2 src (a render function has its own scope)' });
    if (p.src !== undefined) {
      try {
        localStat(p.src);
      } catch (err) {
        problems.push({ path: 'src', message: (err as Error).message });
      }
    }
    if (problems.length) throw new ValidationError('template parameters', problems);
  },
  facts: (p) => ({ dest: fileFact(p.dest, !p.secret) }),
  decide: (p, { dest }, env) => decideTemplate(p, dest, renderContent(p, env)),
  async apply(ctx, plan, p) {
    if (!plan.write) {
      await ctx.run(attributeScript(p.dest, plan.attrs), { what: `set attributes of ${p.dest}` });
      return;
    }
    const r = await ctx.run(installScript(p.dest, { attrs: plan.attrs, sha256: plan.sha256, backup: plan.backup }), {
      stdin: plan.content,
      what: `write ${p.dest}`,
    });
    const backup = backupPath(r.stdout);
    if (backup) ctx.log(`backup of ${p.dest}: ${backup}`);
    return { output: { code: r.code, stdout: r.stdout, stderr: r.stderr } };
  },
});

/** The content for this host: the render function's, or the Jinja2 file's given the host's vars. */
export function renderContent(p: Params, env: DecideEnv): string {
  if (p.render) {
    const content = p.render(env.host, env.facts);
    if (typeof content !== 'string') throw new KeelError(`template ${p.dest}: render returned ${typeof content}, not a string`);
    return content;
  }
  return renderJinja(p.src ?? '', { ...ansibleVars(env.host, env.facts), ...p.vars });
}

/** The pure comparison of rendered content with the host's file, exported for its tests. */
export function decideTemplate(p: Params, dest: FileState, content: string): Decision<TemplatePlan> {
  const changes: Change[] = fileChanges(dest, { content, mode: p.mode, owner: p.owner, group: p.group }).map((c) =>
    p.secret && c.field === 'content' ? { field: 'content', from: 'sha256:(secret)', to: 'sha256:(secret)' } : c,
  );
  const ok = `${p.dest} has the rendered content`;
  const dependsOn = dest.parentExists ? undefined : 'its directory does not exist yet';
  if (changes.length === 0) return { changes, ok };
  const hash = sha(content);
  const write = !dest.exists || dest.sha256 !== hash;
  if (!write) return { changes, ok, dependsOn, plan: { write: false, attrs: changedAttributes(dest, p) } };
  const shown = !p.secret && (!dest.exists || dest.content !== undefined);
  const diff = !shown ? undefined : createTwoFilesPatch(p.dest, p.dest, dest.content ?? '', content, dest.exists ? 'current' : '(absent)', 'rendered');
  const attrs = { mode: p.mode, owner: p.owner, group: p.group };
  return { changes, diff, ok, dependsOn, plan: { write: true, content, sha256: hash, attrs, backup: !!p.backup && dest.exists } };
}
