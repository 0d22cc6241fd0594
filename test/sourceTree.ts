/**
 * What a source file of this repository imports, calls and spells out, read with the TypeScript parser (comments and
 * the text of rendered scripts are not code), for the tests that check where a kind of code may live
 * (test/sdkInternals.test.ts, test/workspace.test.ts, test/layout.test.ts, test/boundaries*.test.ts).
 *
 * The one module those tests import; each concern lives in its own file beside it: the files and their roots
 * (sourceTreeFiles.ts), one file parsed with its own checker (sourceTreeParse.ts), the modules it loads
 * (sourceTreeModules.ts), the values it passes and compares (sourceTreeValues.ts), and several files parsed into one
 * program whose checker follows a name from file to file (sourceTreeProgram.ts).
 */
export { expectFindings, moduleName, ROOT, rootsOf, SOURCE_ROOTS, sourceFacts, sourceFiles } from "./sourceTreeFiles";
export type { SourceFacts, SourceKind } from "./sourceTreeFiles";
export {
    bare,
    identifiersOf,
    isGlobalRef,
    isInType,
    isOwnName,
    memberChain,
    memberOf,
    nodesOf,
    outerExpression,
    parseSource,
} from "./sourceTreeParse";
export type { Parsed } from "./sourceTreeParse";
export { isSpecifier, moduleLoads } from "./sourceTreeModules";
export type { ModuleLoad, ModuleUse } from "./sourceTreeModules";
export {
    comparisons,
    propertyValues,
    referenceName,
    stringsPassed,
    typeDeclarations,
    typeReferences,
} from "./sourceTreeValues";
export type { Comparison } from "./sourceTreeValues";
export { parseProgram, resolvedSymbol, resolvedTypeReferences } from "./sourceTreeProgram";
export type { ResolvedReference } from "./sourceTreeProgram";
