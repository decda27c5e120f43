import type { Fact } from '../../lib/types';
import { fileFact, type FileState } from '../files/facts';

/** A cron.d file as the file fact reads it: existence, mode, owner, hash and content. */
export function cronFileFact(path: string): Fact<FileState> {
  return fileFact(path, true);
}
