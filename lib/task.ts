import type { Static, TSchema } from '@sinclair/typebox';
import { ValidationError } from './errors';
import { paramsHash } from './fingerprint';
import { registerSecret } from './secrets';
import { declareSchema, validate } from './validate';
import type { ApplyContext, ApplyOutcome, DecideEnv, Decision, Fact, FlushHandlersStep, Task, TaskKind, TaskOptions } from './types';

/** Engine options are checked like module parameters: a typo in `tags` fails before any host. */
const optionsSchema = declareSchema({
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    when: {},
    tags: { type: 'array', items: { type: 'string', minLength: 1 } },
    notify: { type: 'array', items: { type: 'string', minLength: 1 } },
    runOnce: { type: 'boolean' },
    ignoreErrors: { type: 'boolean' },
    register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
  },
} as const);

export type FactMap = Readonly<Record<string, Fact<unknown>>>;
export type FactValues<F extends FactMap> = { readonly [K in keyof F]: F[K] extends Fact<infer T> ? T : never };

/** A task module: typed parameters, the facts it reads, a pure decide step and an apply step. */
export interface ModuleSpec<S extends TSchema, F extends FactMap, Plan> {
  module: string;
  /** The parameters, as a TypeBox schema: their TypeScript type and their JSON schema in one declaration. */
  params: S;
  /** The display name from validated parameters: `writeFile /etc/default/corosync`. */
  title(p: Static<S>): string;
  /** The facts decide needs, by name. */
  facts(p: Static<S>): F;
  /** Pure: parameters and facts in, the changes and the plan for apply out. No connection. */
  decide(p: Static<S>, facts: FactValues<F>, env: DecideEnv): Decision<Plan>;
  /** Carries out the plan decide made. */
  apply(ctx: ApplyContext, plan: Plan, p: Static<S>): Promise<ApplyOutcome | void>;
  /** `wait` for tasks that only watch the host (never drift, never changed). Default `change`. */
  kind?: TaskKind;
  /** Checks a schema cannot make (a RegExp that must compile, a function): throw ValidationError. */
  check?(p: Static<S>): void;
  /** Values that are secret (file content): redacted everywhere, and the task shows no diff. */
  secrets?(p: Static<S>): readonly string[];
  /** Default deadline of the task's reads and commands, in seconds. */
  timeoutSeconds?(p: Static<S>): number;
}

/**
 * Turns a module spec into a task factory: `writeFile({ path, content }, { notify: [...] })`.
 * Parameters are validated here, so a playbook with bad parameters fails while it is being
 * built, with every bad field named, before any host is contacted.
 */
export function defineTask<S extends TSchema, F extends FactMap, Plan>(
  spec: ModuleSpec<S, F, Plan>,
): (params: Static<S>, options?: TaskOptions) => Task {
  declareSchema(spec.params);
  return (params, options = {}) => {
    validate(`${spec.module} parameters`, spec.params, params);
    spec.check?.(params);
    checkOptions(spec.module, options);
    const secrets = spec.secrets?.(params) ?? [];
    for (const s of secrets) registerSecret(s);
    const name = spec.title(params);
    return {
      kind: 'task',
      options,
      definition: {
        module: spec.module,
        name,
        kind: spec.kind ?? 'change',
        facts: spec.facts(params),
        decide: (facts, env) => spec.decide(params, facts as FactValues<F>, env),
        apply: (ctx, plan) => spec.apply(ctx, plan as Plan, params),
        secret: secrets.length > 0 || undefined,
        timeoutSeconds: spec.timeoutSeconds?.(params),
        paramsHash: paramsHash(spec.module, name, params),
      },
    };
  };
}

export function checkOptions(module: string, options: TaskOptions): void {
  validate(`${module} options`, optionsSchema, options);
  if (options.when !== undefined && typeof options.when !== 'function') {
    throw new ValidationError(`${module} options`, [{ path: 'when', message: 'must be a function' }]);
  }
}

/**
 * Runs the handlers notified so far, here rather than at the end of the play (Ansible's
 * `meta: flush_handlers`): restart corosync after its config changed, before waiting for it.
 */
export function flushHandlers(): FlushHandlersStep {
  return { kind: 'flush handlers' };
}
