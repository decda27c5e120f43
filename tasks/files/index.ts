/** Files: whole files and single lines, and the file fact they read. */
export { fileFact, type FileState } from './facts';
export { lineInFile, LineInFileParams } from './line-in-file';
export { writeFile, WriteFileParams } from './write-file';
