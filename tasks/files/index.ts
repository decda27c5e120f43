/** Files: whole files and single lines, paths, copies and templates, and the facts they read. */
export { fileFact, pathFact, type FileState, type PathState, type PathType } from './facts';
export { copy, CopyParams } from './copy';
export { file, FileParams } from './file';
export { lineInFile, LineInFileParams } from './line-in-file';
export { template, TemplateParams, type Render } from './template';
export { writeFile, WriteFileParams } from './write-file';
