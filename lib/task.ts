import { validate } from './validate';
import type { Task, TaskDefinition, TaskOptions } from './types';

/** Engine options are checked like module parameters: a typo in `tags` fails before any host. */
const optionsSchema = {
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
} as const;

export interface ModuleSpec<P, S> {
  module: string;
  /** JSON schema of the parameters; validated when the task is created, before any connection. */
  schema: object;
  /** The display name from validated parameters: `writeFile /etc/default/corosync`. */
  title(params: P): string;
  build(params: P): Omit<TaskDefinition<S>, 'module' | 'name'>;
}

/**
 * Turns a module spec into a task factory: `writeFile({ path, content }, { notify: [...] })`.
 * Parameters are validated here, so a playbook with bad parameters fails while it is being
 * built, with every bad field named, before any host is contacted.
 */
export function defineModule<P, S>(spec: ModuleSpec<P, S>): (params: P, options?: TaskOptions) => Task {
  return (params: P, options: TaskOptions = {}) => {
    const subject = `${spec.module} parameters`;
    validate(subject, spec.schema, params);
    validate(`${spec.module} options`, optionsSchema, options);
    if (options.when !== undefined && typeof options.when !== 'function') {
      validate(`${spec.module} options`, { type: 'object', properties: { when: { not: {} } } }, options);
    }
    const definition: TaskDefinition<S> = {
      module: spec.module,
      name: spec.title(params),
      ...spec.build(params),
    };
    return { definition, options };
  };
}
