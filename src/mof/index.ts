// The MOF layer's public API: compile MOF into a CIM repository, parse it to a syntax tree, and
// write model objects back as MOF.
export { compileMof, MofCompiler, DEFAULT_MOF_NAMESPACE, MAX_INCLUDE_DEPTH, normalizeNamespace } from './MofCompiler.js';
export type { CompileMofOptions, CompileMofResult, CompiledClass, CompiledInstance, CompiledQualifier, MofSourceText } from './MofCompiler.js';
export { parseMof, MAX_ERRORS_PER_FILE } from './MofParser.js';
export type { MofParseResult } from './MofParser.js';
export { MofError } from './MofError.js';
export type { MofErrorCode, MofPosition } from './MofError.js';
export { MofLexer } from './MofLexer.js';
export { TokenKind } from './MofToken.js';
export type { Token } from './MofToken.js';
export type * from './MofAst.js';
export { classToMof, instanceToMof, qualifierDeclarationToMof, mofString, mofValue, mofScalar } from './MofWriter.js';
export type { MofWriteOptions } from './MofWriter.js';
export { projectMofRoot, projectMofFiles, compileProjectMof } from './projectMof.js';
