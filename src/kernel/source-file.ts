// One C file held in memory with its syntax tree. Edits re-parse incrementally: the old tree is
// told what changed (tree.edit) and handed to the parser, which reuses every unchanged subtree.
import type { Edit, Point, Tree } from 'web-tree-sitter';
import type { KernelFile } from '../sim/anchors';
import { CStructure } from './cstructure';
import type { CParser } from './parser';

/** A text change as VS Code reports it (TextDocumentContentChangeEvent): 0-based line and
 *  UTF-16 character. Changes of one event are applied in the order given. */
export interface TextChange {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

export class SourceFile {
  private currentText: string;
  private currentTree: Tree;
  private index?: CStructure;
  private lineStarts?: number[];

  constructor(
    private readonly cparser: CParser,
    /** Where the text came from (shown to users); may be a virtual name for patched text. */
    readonly path: string,
    /** The role of this file in the kernel tree: which anchors it can hold. */
    readonly kernelFile: KernelFile,
    text: string,
  ) {
    this.currentText = text;
    this.currentTree = this.parse(text, null);
  }

  get text(): string {
    return this.currentText;
  }

  get tree(): Tree {
    return this.currentTree;
  }

  /** The structure index of the current tree (rebuilt lazily after each edit). */
  get structure(): CStructure {
    return (this.index ??= new CStructure(this.currentTree));
  }

  /** Replace the whole text; the changed region is found by common prefix/suffix, so an editor
   *  buffer or a patched copy re-parses incrementally too. */
  setText(text: string): void {
    const old = this.currentText;
    if (text === old) return;
    let start = 0;
    const max = Math.min(old.length, text.length);
    while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++;
    let oldEnd = old.length;
    let newEnd = text.length;
    while (oldEnd > start && newEnd > start && old.charCodeAt(oldEnd - 1) === text.charCodeAt(newEnd - 1)) {
      oldEnd--;
      newEnd--;
    }
    const startPosition = this.pointAt(start);
    this.currentTree.edit({
      startIndex: start,
      oldEndIndex: oldEnd,
      newEndIndex: newEnd,
      startPosition,
      oldEndPosition: this.pointAt(oldEnd),
      newEndPosition: advance(startPosition, text, start, newEnd),
    });
    this.reparse(text);
  }

  /** Apply editor changes in order, then re-parse once. All changes are checked before the
   *  tree is touched, so a bad one leaves text and tree as they were. */
  applyChanges(changes: readonly TextChange[]): void {
    let text = this.currentText;
    const edits: Edit[] = [];
    for (const [i, c] of changes.entries()) {
      const starts = lineStartsOf(text);
      const startIndex = offsetOf(text, starts, c.range.start, `change ${i + 1} start`, this.path);
      const oldEndIndex = offsetOf(text, starts, c.range.end, `change ${i + 1} end`, this.path);
      if (oldEndIndex < startIndex) throw new Error(`${this.path}: change ${i + 1} ends (line ${c.range.end.line + 1}) before it starts (line ${c.range.start.line + 1})`);
      if (oldEndIndex === startIndex && c.text === '') continue;
      const startPosition: Point = { row: c.range.start.line, column: c.range.start.character };
      edits.push({
        startIndex,
        oldEndIndex,
        newEndIndex: startIndex + c.text.length,
        startPosition,
        oldEndPosition: { row: c.range.end.line, column: c.range.end.character },
        newEndPosition: advance(startPosition, c.text, 0, c.text.length),
      });
      text = text.slice(0, startIndex) + c.text + text.slice(oldEndIndex);
    }
    if (edits.length === 0) return;
    for (const e of edits) this.currentTree.edit(e);
    this.reparse(text);
  }

  /** Free the syntax tree (WebAssembly memory). */
  dispose(): void {
    this.currentTree.delete();
    this.index = undefined;
  }

  private parse(text: string, old: Tree | null): Tree {
    const tree = this.cparser.parser.parse(text, old);
    if (!tree) throw new Error(`${this.path}: tree-sitter returned no tree`);
    return tree;
  }

  private reparse(text: string): void {
    const old = this.currentTree;
    this.currentTree = this.parse(text, old);
    old.delete();
    this.currentText = text;
    this.index = undefined;
    this.lineStarts = undefined;
  }

  private pointAt(index: number): Point {
    const starts = (this.lineStarts ??= lineStartsOf(this.currentText));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { row: lo, column: index - starts[lo] };
  }
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function offsetOf(text: string, starts: number[], p: { line: number; character: number }, what: string, file: string): number {
  if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0 || p.line >= starts.length) {
    throw new Error(`${file}: ${what} is outside the text (line ${p.line + 1}, character ${p.character + 1}; the text has ${starts.length} lines)`);
  }
  const lineEnd = p.line + 1 < starts.length ? starts[p.line + 1] - 1 : text.length;
  if (starts[p.line] + p.character > lineEnd) {
    throw new Error(`${file}: ${what} is past the end of line ${p.line + 1} (character ${p.character + 1}, the line has ${lineEnd - starts[p.line]})`);
  }
  return starts[p.line] + p.character;
}

/** The point reached after `text[from, to)` starting at `start`. */
function advance(start: Point, text: string, from: number, to: number): Point {
  let row = start.row;
  let lineStart = from - start.column;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: to - lineStart };
}
