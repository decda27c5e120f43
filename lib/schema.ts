/**
 * TypeBox's schema builders, as keel's own modules declare parameters with them:
 * `Type.Object({ path: Type.String() })`. They load from lib/generated/typebox.js, esbuild's
 * bundle of just these builders (tools/gen-typebox.js): TypeBox's CommonJS build is ~200 files,
 * which Node resolved, read and compiled one by one on every start from the sources (`npx
 * ts-node`, tsc's output), ~75 ms; the one file loads in ~4 ms. It is the same TypeBox code, so
 * its schemas are TypeBox's own to the package (its Kind symbols are global: Symbol.for). Types
 * come from the package. The public API (index.ts) gives users the whole of TypeBox's `Type`.
 */
import type { Type as TypeBox } from '@sinclair/typebox';

export type { Static, TSchema } from '@sinclair/typebox';

type Builders = Pick<typeof TypeBox, 'Array' | 'Boolean' | 'Integer' | 'Literal' | 'Number' | 'Object' | 'Optional' | 'Record' | 'String' | 'Union' | 'Unknown' | 'Unsafe'>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const Type: Builders = require('./generated/typebox.js');
