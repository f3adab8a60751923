// Framing hunks for a C parser when there is no tree to apply them to. A hunk is a slice of a
// file: it may start inside a function (the @@ line names it) and end before the closing brace.
// Parsed as is, an unclosed function would swallow the next hunk and a stray '}' would confuse
// the parser, so each hunk gets synthetic lines around it: an opening for the function or struct
// it starts in, and closing braces for what it leaves open. Braces are counted on tree-sitter's
// tokens (never inside comments or strings), and a function wrapper is only used when it makes
// the fragment parse better.

import type { Node, Tree } from 'web-tree-sitter';
import type { CParser } from '../kernel/parser';
import type { FrameFragment } from './series';

/** Leaf tokens in source order: what the text holds, without comments and without the
 *  zero-width MISSING tokens tree-sitter invents to recover. */
export function leafTokens(tree: Tree): Node[] {
  const out: Node[] = [];
  const cursor = tree.walk();
  const visit = (): void => {
    const n = cursor.currentNode;
    if (n.childCount === 0) {
      if (n.type !== 'comment' && !n.isMissing) out.push(n);
      return;
    }
    if (cursor.gotoFirstChild()) {
      do visit(); while (cursor.gotoNextSibling());
      cursor.gotoParent();
    }
  };
  visit();
  cursor.delete();
  return out;
}

function withTree<T>(cparser: CParser, text: string, use: (t: Tree) => T): T {
  const tree = cparser.parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    return use(tree);
  } finally {
    tree.delete();
  }
}

function errorCount(tree: Tree): number {
  let n = 0;
  const cursor = tree.walk();
  const visit = (): void => {
    const node = cursor.currentNode;
    if (node.isError || node.isMissing) { n++; return; }
    if (node.hasError && cursor.gotoFirstChild()) {
      do visit(); while (cursor.gotoNextSibling());
      cursor.gotoParent();
    }
  };
  visit();
  cursor.delete();
  return n;
}

const CONTROL = new Set(['if_statement', 'for_statement', 'while_statement', 'do_statement', 'switch_statement', 'return_statement', 'goto_statement', 'break_statement', 'continue_statement', 'labeled_statement']);

/** A top-level node that can only come from a function body: control flow or an assignment
 *  (a bare call could be a top-level macro such as EXPORT_SYMBOL_GPL(x);). */
function bodyOnly(n: Node): boolean {
  if (CONTROL.has(n.type)) return true;
  const e = n.type === 'expression_statement' ? n.namedChild(0) : null;
  return !!e && (e.type === 'assignment_expression' || e.type === 'update_expression');
}

/** The @@ section's meaning: the function it names, or a struct/union/enum it opens. */
function sectionKind(cparser: CParser, section: string): { fn?: string; opens?: string } {
  if (!section) return {};
  return withTree(cparser, section, (tree) => {
    const t = leafTokens(tree);
    if (/^(struct|union|enum)$/.test(t[0]?.text ?? '') && t[t.length - 1]?.text === '{') return { opens: section };
    const paren = t.findIndex((x) => x.text === '(');
    const name = paren > 0 ? t[paren - 1] : undefined;
    return name && /identifier$/.test(name.type) && !/^(struct|union|enum|#)/.test(t[0].text) ? { fn: name.text } : {};
  });
}

export function fragmentFramer(cparser: CParser): FrameFragment {
  const errors = (text: string) => withTree(cparser, text, errorCount);
  return (lines, section) => {
    // A quote may start or end inside a block comment: close or open it first.
    let text = lines.join('\n');
    const commentBefore: string[] = [];
    const commentAfter: string[] = [];
    if (errors(`/*\n${text}`) < errors(text)) { commentBefore.push('/* tdp-sim: the hunk starts inside a comment'); text = `/*\n${text}`; }
    if (errors(`${text}\n*/`) < errors(text)) { commentAfter.push('   tdp-sim: the hunk ends inside a comment */'); text = `${text}\n*/`; }
    const frame = framing(cparser, text, section);
    return { before: [...frame.before, ...commentBefore], after: [...commentAfter, ...frame.after] };
  };
}

function framing(cparser: CParser, text: string, section: string): { before: string[]; after: string[] } {
  // Unmatched closers at the start (the hunk begins inside a block), openers left at the end.
  const { open, close } = withTree(cparser, text, (tree) => {
    let depth = 0;
    let min = 0;
    for (const tok of leafTokens(tree)) {
      if (tok.type === '{') depth++;
      else if (tok.type === '}') min = Math.min(min, --depth);
    }
    return { open: -min, close: depth - min };
  });
  const kind = sectionKind(cparser, section);
  const closers = (n: number) => Array.from({ length: n }, () => '} /* tdp-sim: closes what the hunk leaves open */');
  if (kind.opens && open > 0) {
    return { before: [kind.opens, ...Array.from({ length: open - 1 }, () => '{')], after: closers(close) };
  }
  if (kind.fn) {
    const wrapped = {
      before: [`/* tdp-sim: this hunk starts inside ${kind.fn}() */`, `void ${kind.fn}(void)`, ...Array.from({ length: Math.max(open, 1) }, () => '{')],
      after: closers(open > 0 ? close : close + 1),
    };
    // Balanced hunks too, when they hold what only a function body can (tree-sitter accepts
    // statements at top level, for macro-heavy code).
    if (open > 0 || withTree(cparser, text, (t) => t.rootNode.namedChildren.some((c) => !!c && bodyOnly(c)))) return wrapped;
  }
  return { before: Array.from({ length: open }, () => '{'), after: closers(close) };
}
