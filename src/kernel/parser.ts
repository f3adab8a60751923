// Loads tree-sitter (web-tree-sitter, WebAssembly: no native build) and the C grammar.
//
// Two .wasm files are needed at run time:
//   tree-sitter.wasm    the runtime, from node_modules/web-tree-sitter/
//   tree-sitter-c.wasm  the C grammar, from node_modules/tree-sitter-c/
// In tests and the CLI they are read from node_modules. A bundle (esbuild → dist/) copies both
// into one directory and passes it as `wasmDir` (the extension passes `<extension>/dist`).
import * as fs from 'fs';
import * as path from 'path';
// `import = require` so that bundlers take the package's CommonJS build: its ES module build
// needs import.meta.url, which a CommonJS bundle (dist/extension.js, dist/cli.js) lacks.
import TreeSitter = require('web-tree-sitter');
type Language = TreeSitter.Language;
type Parser = TreeSitter.Parser;
const { Language, Parser } = TreeSitter;

export const RUNTIME_WASM = 'tree-sitter.wasm';
export const C_GRAMMAR_WASM = 'tree-sitter-c.wasm';

export interface WasmPaths {
  runtime: string;
  grammar: string;
}

/** Where the two .wasm files are: both in `wasmDir` when given, else in node_modules. */
export function wasmPaths(wasmDir?: string): WasmPaths {
  if (wasmDir) return { runtime: path.join(wasmDir, RUNTIME_WASM), grammar: path.join(wasmDir, C_GRAMMAR_WASM) };
  // Resolved when run from node_modules; a bundle passes wasmDir, so bundlers need not see this.
  const resolve = (id: string): string => require.resolve(id);
  return {
    runtime: path.join(path.dirname(resolve('web-tree-sitter')), RUNTIME_WASM),
    grammar: resolve(`tree-sitter-c/${C_GRAMMAR_WASM}`),
  };
}

/** A C parser ready to use. One per process is enough; parse() is synchronous. */
export interface CParser {
  readonly parser: Parser;
  readonly language: Language;
}

// The Emscripten runtime can be initialised once per process; languages are cached per file.
let runtime: Promise<void> | undefined;
const parsers = new Map<string, Promise<CParser>>();

export function loadCParser(wasmDir?: string): Promise<CParser> {
  const paths = wasmPaths(wasmDir);
  let p = parsers.get(paths.grammar);
  if (!p) {
    p = load(paths);
    parsers.set(paths.grammar, p);
    p.catch(() => parsers.delete(paths.grammar));
  }
  return p;
}

async function load(paths: WasmPaths): Promise<CParser> {
  const runtimeBytes = readWasm(paths.runtime);
  const grammarBytes = readWasm(paths.grammar);
  // Handing the bytes over (wasmBinary) also avoids a second read by the Emscripten loader.
  runtime ??= Parser.init({ locateFile: () => paths.runtime, wasmBinary: runtimeBytes } as object);
  try {
    await runtime;
  } catch (e) {
    runtime = undefined;
    throw e;
  }
  const language = await Language.load(grammarBytes);
  const parser = new Parser();
  try {
    parser.setLanguage(language);
  } catch (e) {
    throw new Error(`tree-sitter: ${paths.grammar} (ABI ${language.abiVersion}) cannot be used with this web-tree-sitter: ${(e as Error).message}`);
  }
  return { parser, language };
}

/** Read and validate a .wasm file: the Emscripten loader would abort the whole process on a
 *  broken one (its rejection escapes), so check it here and fail with a clear error instead. */
function readWasm(file: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch {
    throw new Error(`tree-sitter: ${file} is missing (copy ${RUNTIME_WASM} and ${C_GRAMMAR_WASM} next to each other and pass that directory)`);
  }
  if (!WebAssembly.validate(bytes)) throw new Error(`tree-sitter: ${file} is not a valid WebAssembly module (reinstall, or copy it again)`);
  return bytes;
}
