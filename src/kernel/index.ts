// Public API of the source linker (see each module for details).
//   KernelLinker   open a tree/file or in-memory texts, detect the profile, resolve anchors,
//                  follow edits (updateFile) — src/kernel/linker.ts
//   loadCParser    tree-sitter + C grammar; pass the directory holding tree-sitter.wasm and
//                  tree-sitter-c.wasm when bundled — src/kernel/parser.ts
//   SourceFile     one parsed file with incremental edits — src/kernel/source-file.ts
//   CStructure     functions, prototypes, call sites, hooks, macro calls, ifs of one file —
//                  src/kernel/cstructure.ts
export { KernelLinker, type LinkOptions, type LinkReport } from './linker';
export { loadCParser, wasmPaths, RUNTIME_WASM, C_GRAMMAR_WASM, type CParser, type WasmPaths } from './parser';
export { SourceFile, type TextChange } from './source-file';
export {
  CStructure, isHook, isMacroName, mentionedIdentifiers, spanOf,
  type CallSite, type CallVia, type FunctionDef, type IfStatement, type Prototype, type SourceSpan,
} from './cstructure';
export { detectProfile, type DetectedProfile } from './profile';
export { resolveAnchor, describe as describePattern, type AbsentCause, type FileLookup, type Location, type Resolution } from './resolve';
export { KernelTreeError, locateKernelTarget, kernelFileOf, TREE_FILES, KVM_DIR, type KernelTarget } from './tree-files';
