/** Parameter types shared by several domains, declared once (TypeBox: TypeScript type and JSON schema). */
import { Type } from '../lib/schema';

/** An absolute path to a file: no newline, no NUL, not ending in `/`. */
export const FilePath = Type.String({ pattern: '^/[^\\n\\x00]*[^/\\n\\x00]$' });

/** Octal, as a string: `'0644'`. */
export const FileMode = Type.String({ pattern: '^0?[0-7]{3,4}$' });

/** A user or group name as Debian's adduser accepts it. */
export const PosixName = Type.String({ pattern: '^[a-z_][a-z0-9_.-]*$' });

/** Init script or unit names: no shell metacharacters, no path separators. */
export const ServiceName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@:+-]*$' });
