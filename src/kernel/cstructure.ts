// The structure of one parsed C file as kernel readers see it: function definitions, forward
// declarations, call sites (including kvm_x86_ops hooks), macro calls and `if` statements.
// Everything comes from the tree-sitter syntax tree, never from regexes over the text.
//
// Kernel macros make tree-sitter produce odd trees; what this module relies on holds for all
// of them (see test/unit/kernel/cstructure.test.ts):
//  - `static inline int __must_check f(...)`, `__always_inline`: the definition keeps its
//    function_declarator; the annotation becomes an ERROR child that we ignore.
//  - `f(...) __must_hold(&kvm->mmu_lock) {`: the annotation parses as a call inside the
//    declarator; only calls inside the body are call sites.
//  - loop macros (`for_each_tdp_pte(...) {`, `list_for_each_entry(...)`): a call followed by a
//    MISSING `;` and a block; the calls inside the block are intact.
//  - `kvm_x86_call(hook)(args)` and `static_call(kvm_x86_hook)(args)`: a call whose function
//    is itself a call; reported once, as a call of the hook.
import type { Node, Tree } from 'web-tree-sitter';

/** Lines and columns are 1-based, as compilers print them; end is inclusive of the last char. */
export interface SourceSpan {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export interface FunctionDef {
  name: string;
  isStatic: boolean;
  /** From the first specifier (`static`) to the closing brace. */
  span: SourceSpan;
  /** From the first specifier to the end of the parameter list (and trailing annotations). */
  signature: SourceSpan;
  /** The `{ ... }` block. */
  body: SourceSpan;
  node: Node;
  bodyNode: Node;
}

export interface Prototype {
  name: string;
  isStatic: boolean;
  span: SourceSpan;
  node: Node;
}

/** How a call reaches its callee. */
export type CallVia =
  | 'direct'        // foo(...) or a function-like macro FOO(...)
  | 'kvm_x86_call'  // kvm_x86_call(foo)(...)
  | 'static_call'   // static_call(kvm_x86_foo)(...) / static_call_cond(...)
  | 'kvm_x86_ops'   // kvm_x86_ops.foo(...) / kvm_x86_ops->foo(...)
  | 'indirect';     // any other pointer call through a field: x->foo(...)

export interface CallSite {
  /** Callee name; for hooks the kvm_x86_ops member (kvm_x86_ prefix removed for static_call). */
  callee: string;
  via: CallVia;
  /** True when callee is spelled like a macro (upper case: KVM_BUG_ON, WARN_ON_ONCE). */
  isMacro: boolean;
  span: SourceSpan;
  /** The whole call expression, hook wrapper included. */
  node: Node;
  /** Enclosing function definition, when inside one. */
  fn?: FunctionDef;
}

export interface IfStatement {
  span: SourceSpan;
  /** `if (cond)` through the end of the then-branch: what a reader calls "the branch". */
  branchSpan: SourceSpan;
  node: Node;
  condition: Node;
  consequence: Node;
  /** The else branch's statement (an if_statement for `else if`), if any. */
  alternative?: Node;
  fn?: FunctionDef;
}

/** Hook forms are KVM's: `kvm_x86_call(x)(...)` since 6.12, `static_call(kvm_x86_x)` before. */
export function isHook(via: CallVia): boolean {
  return via === 'kvm_x86_call' || via === 'static_call' || via === 'kvm_x86_ops';
}

export function spanOf(node: Node): SourceSpan {
  return {
    startLine: node.startPosition.row + 1,
    startColumn: node.startPosition.column + 1,
    endLine: node.endPosition.row + 1,
    endColumn: node.endPosition.column,
  };
}

export function isMacroName(name: string): boolean {
  return /[A-Z]/.test(name) && name === name.toUpperCase();
}

/** Name declared by a declarator: through pointers, parentheses, attributes, nested
 *  function declarators (annotation macros after the parameter list produce those). */
export function declaratorName(decl: Node | null): string | undefined {
  for (let d = decl; d; ) {
    switch (d.type) {
      case 'identifier':
      case 'field_identifier':
        return d.text;
      case 'function_declarator':
      case 'pointer_declarator':
      case 'array_declarator':
      case 'attributed_declarator':
      case 'init_declarator':
        d = d.childForFieldName('declarator');
        break;
      case 'parenthesized_declarator':
        d = d.namedChild(0);
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** Whether a declarator declares a function: `f(...)`, `*f(...)`; not a pointer to one, `(*f)(...)`. */
function hasFunctionDeclarator(decl: Node | null): boolean {
  for (let d = decl; d; d = d.childForFieldName('declarator')) {
    if (d.type === 'function_declarator') return d.childForFieldName('declarator')?.type !== 'parenthesized_declarator';
    if (d.type !== 'pointer_declarator' && d.type !== 'attributed_declarator' && d.type !== 'init_declarator') return false;
  }
  return false;
}

function isStaticDecl(node: Node): boolean {
  for (const c of node.children) {
    if (!c) continue;
    if (c.type === 'storage_class_specifier' && c.text === 'static') return true;
    // `static __always_inline bool f(...)`: the specifiers may end up inside an ERROR child.
    if (c.type === 'ERROR' && c.children.some((g) => g?.type === 'storage_class_specifier' && g.text === 'static')) return true;
  }
  return false;
}

// Containers that can hold top-level definitions: #if/#ifdef blocks, and ERROR nodes that
// tree-sitter wraps around a definition it could not fit.
const TOP_LEVEL_CONTAINERS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'ERROR']);

/** The hook named by a call's function expression: `kvm_x86_call(x)`, `static_call(kvm_x86_x)`,
 *  `kvm_x86_ops.x` / `kvm_x86_ops->x`, or another struct member (indirect). */
function hookOf(fnNode: Node): { callee: string; via: CallVia } | undefined {
  if (fnNode.type === 'call_expression') {
    const inner = fnNode.childForFieldName('function');
    const args = fnNode.childForFieldName('arguments');
    const arg = args?.namedChildren.length === 1 ? args.namedChild(0) : null;
    if (inner?.type !== 'identifier' || arg?.type !== 'identifier') return undefined;
    if (inner.text === 'kvm_x86_call') return { callee: arg.text, via: 'kvm_x86_call' };
    if (inner.text === 'static_call' || inner.text === 'static_call_cond') {
      return { callee: arg.text.replace(/^kvm_x86_/, ''), via: 'static_call' };
    }
    return undefined;
  }
  if (fnNode.type === 'field_expression') {
    const obj = fnNode.childForFieldName('argument');
    const field = fnNode.childForFieldName('field');
    if (!field) return undefined;
    return { callee: field.text, via: obj?.text === 'kvm_x86_ops' ? 'kvm_x86_ops' : 'indirect' };
  }
  return undefined;
}

/** Lazily built index of one parsed file. Build a new one for each new tree. */
export class CStructure {
  private fnList?: FunctionDef[];
  private byName?: Map<string, FunctionDef[]>;
  private protoList?: Prototype[];
  private callList?: CallSite[];
  private ifList?: IfStatement[];

  constructor(readonly tree: Tree) {}

  get root(): Node {
    return this.tree.rootNode;
  }

  /** Function definitions in file order (also those under #if blocks). */
  functions(): readonly FunctionDef[] {
    if (!this.fnList) {
      const out: FunctionDef[] = [];
      const visit = (n: Node): void => {
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === 'function_definition') {
            const def = this.functionDef(c);
            if (def) out.push(def);
          } else if (TOP_LEVEL_CONTAINERS.has(c.type)) {
            visit(c);
          }
        }
      };
      visit(this.root);
      this.fnList = out;
    }
    return this.fnList;
  }

  private functionDef(node: Node): FunctionDef | undefined {
    const decl = node.childForFieldName('declarator');
    const body = node.childForFieldName('body');
    const name = declaratorName(decl);
    if (!name || !body || !hasFunctionDeclarator(decl)) return undefined;
    const sig = spanOf(node);
    const declSpan = spanOf(decl!);
    return {
      name,
      isStatic: isStaticDecl(node),
      span: spanOf(node),
      signature: { ...sig, endLine: declSpan.endLine, endColumn: declSpan.endColumn },
      body: spanOf(body),
      node,
      bodyNode: body,
    };
  }

  /** All definitions of `name` (more than one when #if blocks hold variants). */
  functionsNamed(name: string): readonly FunctionDef[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const f of this.functions()) {
        const list = this.byName.get(f.name);
        if (list) list.push(f);
        else this.byName.set(f.name, [f]);
      }
    }
    return this.byName.get(name) ?? [];
  }

  /** The function whose definition covers a 1-based line (definitions never nest). */
  functionAt(line: number): FunctionDef | undefined {
    return this.functions().find((f) => f.span.startLine <= line && line <= f.span.endLine);
  }

  /** Forward declarations of functions (`static void *get_external_spt(...);`). */
  prototypes(): readonly Prototype[] {
    if (!this.protoList) {
      const out: Prototype[] = [];
      const visit = (n: Node): void => {
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === 'declaration') {
            for (const d of c.childrenForFieldName('declarator')) {
              const name = declaratorName(d);
              if (d && name && hasFunctionDeclarator(d)) out.push({ name, isStatic: isStaticDecl(c), span: spanOf(c), node: c });
            }
          } else if (TOP_LEVEL_CONTAINERS.has(c.type)) {
            visit(c);
          }
        }
      };
      visit(this.root);
      this.protoList = out;
    }
    return this.protoList;
  }

  /** Every call site inside a function body, in file order. */
  calls(): readonly CallSite[] {
    if (!this.callList) {
      const fns = this.functions();
      const out: CallSite[] = [];
      let fi = 0;
      for (const node of this.root.descendantsOfType('call_expression')) {
        if (!node) continue;
        // Functions are sorted by position and calls come in document order: advance.
        while (fi < fns.length && fns[fi].bodyNode.endIndex <= node.startIndex) fi++;
        const fn = fi < fns.length && fns[fi].bodyNode.startIndex <= node.startIndex ? fns[fi] : undefined;
        if (!fn) continue;
        const site = this.callSite(node, fn);
        if (site) out.push(site);
      }
      this.callList = out;
    }
    return this.callList;
  }

  private callSite(node: Node, fn: FunctionDef): CallSite | undefined {
    const parent = node.parent;
    // The `kvm_x86_call(x)` part of `kvm_x86_call(x)(args)` is not a call of its own.
    if (parent?.type === 'call_expression' && parent.childForFieldName('function')?.equals(node) && hookOf(node)) return undefined;
    const f = node.childForFieldName('function');
    if (!f) return undefined;
    let callee: string;
    let via: CallVia;
    if (f.type === 'identifier') {
      callee = f.text;
      via = 'direct';
    } else {
      const hook = hookOf(f);
      if (!hook) return undefined; // e.g. `guard(rcu)()`: the inner call is listed instead
      ({ callee, via } = hook);
    }
    return { callee, via, isMacro: via === 'direct' && isMacroName(callee), span: spanOf(node), node, fn };
  }

  callsIn(fn: FunctionDef): CallSite[] {
    return this.calls().filter((c) => c.fn === fn);
  }

  /** Calls of function-like macros (KVM_BUG_ON, WARN_ON_ONCE, ...) in a function or the file. */
  macroCalls(fn?: FunctionDef): CallSite[] {
    return (fn ? this.callsIn(fn) : this.calls()).filter((c) => c.isMacro);
  }

  /** Every `if` statement inside a function body, in file order (else-ifs included). */
  ifs(): readonly IfStatement[] {
    if (!this.ifList) {
      const out: IfStatement[] = [];
      for (const fn of this.functions()) {
        for (const node of fn.bodyNode.descendantsOfType('if_statement')) {
          const condition = node?.childForFieldName('condition');
          const consequence = node?.childForFieldName('consequence');
          if (!node || !condition || !consequence) continue;
          const alt = node.childForFieldName('alternative');
          const span = spanOf(node);
          const cons = spanOf(consequence);
          out.push({
            span,
            branchSpan: { ...span, endLine: cons.endLine, endColumn: cons.endColumn },
            node,
            condition,
            consequence,
            alternative: alt?.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment').pop(),
            fn,
          });
        }
      }
      this.ifList = out;
    }
    return this.ifList;
  }

  ifsIn(fn: FunctionDef): IfStatement[] {
    return this.ifs().filter((s) => s.fn === fn);
  }

  /** 1-based lines of ERROR and MISSING nodes inside a node (kernel macros the grammar
   *  cannot read); empty when the subtree parsed cleanly. */
  parseErrorLines(node: Node): number[] {
    if (!node.hasError) return [];
    const lines = new Set<number>();
    const cursor = node.walk();
    const visit = (): void => {
      const n = cursor.currentNode;
      if (n.isError || n.isMissing) lines.add(n.startPosition.row + 1);
      else if (n.hasError && cursor.gotoFirstChild()) {
        do visit(); while (cursor.gotoNextSibling());
        cursor.gotoParent();
      }
    };
    visit();
    cursor.delete();
    return [...lines].sort((a, b) => a - b);
  }
}

/** Identifiers (variables, functions, struct fields, hook names) used anywhere under `node`. */
export function mentionedIdentifiers(node: Node): Set<string> {
  const out = new Set<string>();
  if (node.type === 'identifier' || node.type === 'field_identifier') out.add(node.text);
  for (const n of node.descendantsOfType(['identifier', 'field_identifier'])) if (n) out.add(n.text);
  return out;
}
