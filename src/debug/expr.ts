// A small, safe expression language for breakpoint conditions, watches, hovers and the debug
// console: C-like operators over simulated values, e.g.
//     gfn == 0x200 && level == 2
//     is_mirror && !is_shadow_present_pte(new_spte)
//     root == "mirror" || spte(mirror, 0x200, 2).pfn != 0
// Parsed into a tree once (conditions are compiled when the breakpoint is set) and interpreted
// against an environment; nothing is ever handed to eval/Function. Names and functions come
// from the environment (src/debug/vocabulary.ts), so this module knows no kernel facts.

/** A value an expression can produce. Integers are bigint so that 64-bit SPTEs stay exact. */
export type Value = bigint | boolean | string | null | Fields;

/** A structured value (a decoded SPTE, a walk entry, ...) whose members `x.name` can be read.
 *  `scalar` is what the value means in arithmetic and comparisons (the raw SPTE), if anything. */
export class Fields {
  constructor(readonly fields: ReadonlyMap<string, Value>, readonly scalar: bigint | null = null, readonly text?: string) {}
}

/** Where the names and functions come from. `lookup` returns undefined for an unknown name
 *  (an error) and null for a known name that has no value at this point (e.g. `gfn` on an event
 *  without one): comparisons with null are false, so conditions simply do not match there. */
export interface Env {
  lookup(name: string): Value | undefined;
  call(name: string, args: Value[]): Value;
}

/** A parse or evaluation error, with the 1-based column it points at. */
export class ExprError extends Error {
  constructor(message: string, readonly column: number) {
    super(`${message} (column ${column})`);
  }
}

type Node =
  | { k: 'lit'; v: Value; col: number }
  | { k: 'name'; name: string; col: number }
  | { k: 'member'; obj: Node; name: string; col: number }
  | { k: 'call'; fn: string; args: Node[]; col: number }
  | { k: 'unary'; op: string; arg: Node; col: number }
  | { k: 'binary'; op: string; left: Node; right: Node; col: number };

/** A parsed expression: `names` and `functions` it refers to, for validation up front. */
export interface Compiled {
  readonly source: string;
  readonly names: ReadonlySet<string>;
  readonly functions: ReadonlySet<string>;
  evaluate(env: Env): Value;
}

const MAX_LENGTH = 2000;
const MAX_DEPTH = 64;

interface Token { t: 'num' | 'str' | 'id' | 'op' | 'end'; v: string; col: number }

// '->' reads a member like '.', so hovers over `iter->old_spte` work.
const OPERATORS = ['->', '||', '&&', '==', '!=', '<=', '>=', '<<', '>>', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '(', ')', ',', '.'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const col = i + 1;
    if (/\s/.test(c)) { i++; continue; }
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*)([uU]?[lL]{0,2})?(?![A-Za-z0-9_])/.exec(src.slice(i));
      if (!m) throw new ExprError(`malformed number '${/^[0-9A-Za-z_]+/.exec(src.slice(i))![0]}'`, col);
      out.push({ t: 'num', v: m[1].replace(/_/g, ''), col });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], col });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprError('unterminated string', col);
      out.push({ t: 'str', v: src.slice(i + 1, end), col });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character '${c}'`, col);
    out.push({ t: 'op', v: op, col });
    i += op.length;
  }
  out.push({ t: 'end', v: '', col: src.length + 1 });
  return out;
}

// Binary operators by C precedence, loosest first.
const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

/** Parse an expression; throws ExprError with the column of the problem. */
export function compile(source: string): Compiled {
  if (source.length > MAX_LENGTH) throw new ExprError(`expression longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const toks = tokenize(source);
  let pos = 0;
  const names = new Set<string>();
  const functions = new Set<string>();
  const peek = (): Token => toks[pos];
  const expect = (v: string): Token => {
    const t = toks[pos];
    if (t.t !== 'op' || t.v !== v) throw new ExprError(t.t === 'end' ? `expected '${v}' at the end` : `expected '${v}' but found '${t.v}'`, t.col);
    pos++;
    return t;
  };
  const isOp = (v: string): boolean => peek().t === 'op' && peek().v === v;

  const binary = (level: number, depth: number): Node => {
    if (level === LEVELS.length) return unary(depth);
    let left = binary(level + 1, depth);
    while (peek().t === 'op' && LEVELS[level].includes(peek().v)) {
      const t = toks[pos++];
      left = { k: 'binary', op: t.v, left, right: binary(level + 1, depth), col: t.col };
    }
    return left;
  };
  const unary = (depth: number): Node => {
    if (depth > MAX_DEPTH) throw new ExprError('expression nested too deeply', peek().col);
    const t = peek();
    if (t.t === 'op' && (t.v === '!' || t.v === '-' || t.v === '~')) {
      pos++;
      return { k: 'unary', op: t.v, arg: unary(depth + 1), col: t.col };
    }
    return postfix(depth);
  };
  const postfix = (depth: number): Node => {
    let node = primary(depth);
    while (isOp('.') || isOp('->')) {
      pos++;
      const t = peek();
      if (t.t !== 'id') throw new ExprError(`expected a field name after '${toks[pos - 1].v}'`, t.col);
      pos++;
      node = { k: 'member', obj: node, name: t.v, col: t.col };
    }
    return node;
  };
  const primary = (depth: number): Node => {
    const t = toks[pos];
    switch (t.t) {
      case 'num': pos++; return { k: 'lit', v: BigInt(t.v), col: t.col };
      case 'str': pos++; return { k: 'lit', v: t.v, col: t.col };
      case 'id': {
        pos++;
        if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true', col: t.col };
        if (isOp('(')) {
          pos++;
          const args: Node[] = [];
          if (!isOp(')')) {
            do { args.push(binary(0, depth + 1)); } while (isOp(',') && ++pos);
          }
          expect(')');
          functions.add(t.v);
          return { k: 'call', fn: t.v, args, col: t.col };
        }
        names.add(t.v);
        return { k: 'name', name: t.v, col: t.col };
      }
      case 'op':
        if (t.v === '(') {
          pos++;
          const inner = binary(0, depth + 1);
          expect(')');
          return inner;
        }
        throw new ExprError(`unexpected '${t.v}'`, t.col);
      case 'end':
        throw new ExprError(source.trim() ? 'unexpected end of expression' : 'empty expression', t.col);
    }
  };

  const root = binary(0, 0);
  if (peek().t !== 'end') throw new ExprError(`unexpected '${peek().v}'`, peek().col);
  return { source, names, functions, evaluate: (env) => evaluate(root, env) };
}

/** The number a value stands for in arithmetic, or null (absent / not a number). */
function num(v: Value, col: number, op: string): bigint | null {
  if (v === null) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof Fields && v.scalar !== null) return v.scalar;
  throw new ExprError(`'${op}' needs a number, got ${describe(v)}`, col);
}

/** C truthiness: non-zero numbers, true, non-empty strings; absent values are false. */
export function truthy(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'boolean') return v;
  return v.scalar !== null ? v.scalar !== 0n : true;
}

function describe(v: Value): string {
  if (v === null) return 'no value';
  if (v instanceof Fields) return 'a structure';
  return `${typeof v === 'bigint' ? 'number' : typeof v} ${format(v)}`;
}

function equal(a: Value, b: Value, col: number): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a !== typeof b) throw new ExprError(`cannot compare ${describe(a)} with ${describe(b)}`, col);
    return a === b;
  }
  return num(a, col, '==') === num(b, col, '==');
}

function evaluate(n: Node, env: Env): Value {
  switch (n.k) {
    case 'lit': return n.v;
    case 'name': {
      const v = env.lookup(n.name);
      if (v === undefined) throw new ExprError(`unknown name '${n.name}'`, n.col);
      return v;
    }
    case 'member': {
      const obj = evaluate(n.obj, env);
      if (obj === null) return null;
      if (!(obj instanceof Fields)) throw new ExprError(`'.${n.name}' on ${describe(obj)}`, n.col);
      const v = obj.fields.get(n.name);
      if (v === undefined) throw new ExprError(`no field '${n.name}' (fields: ${[...obj.fields.keys()].join(', ')})`, n.col);
      return v;
    }
    case 'call': {
      const args = n.args.map((a) => evaluate(a, env));
      try {
        return env.call(n.fn, args);
      } catch (e) {
        if (e instanceof ExprError) throw e;
        throw new ExprError(`${n.fn}(): ${e instanceof Error ? e.message : String(e)}`, n.col);
      }
    }
    case 'unary': {
      const v = evaluate(n.arg, env);
      if (n.op === '!') return !truthy(v);
      const x = num(v, n.col, n.op);
      if (x === null) return null;
      return n.op === '-' ? -x : BigInt.asUintN(64, ~x);
    }
    case 'binary': {
      if (n.op === '&&') return truthy(evaluate(n.left, env)) && truthy(evaluate(n.right, env));
      if (n.op === '||') return truthy(evaluate(n.left, env)) || truthy(evaluate(n.right, env));
      const a = evaluate(n.left, env);
      const b = evaluate(n.right, env);
      if (n.op === '==') return equal(a, b, n.col);
      if (n.op === '!=') return a === null || b === null ? a !== b : !equal(a, b, n.col);
      const x = num(a, n.col, n.op);
      const y = num(b, n.col, n.op);
      if (x === null || y === null) return n.op === '<' || n.op === '<=' || n.op === '>' || n.op === '>=' ? false : null;
      switch (n.op) {
        case '<': return x < y;
        case '<=': return x <= y;
        case '>': return x > y;
        case '>=': return x >= y;
        case '+': return x + y;
        case '-': return x - y;
        case '*': return x * y;
        case '/': case '%':
          if (y === 0n) throw new ExprError('division by zero', n.col);
          return n.op === '/' ? x / y : x % y;
        case '&': return x & y;
        case '|': return x | y;
        case '^': return x ^ y;
        case '<<': case '>>':
          if (y < 0n || y > 63n) throw new ExprError(`shift count ${y} out of range 0..63`, n.col);
          return BigInt.asUintN(64, n.op === '<<' ? x << y : x >> y);
      }
      throw new ExprError(`unknown operator '${n.op}'`, n.col);
    }
  }
}

/** How a value is shown in the debugger: integers in hex like the kernel's tracepoints. */
export function format(v: Value): string {
  if (v === null) return '<none>';
  if (typeof v === 'bigint') return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  return v.text ?? (v.scalar !== null ? format(v.scalar) : `{${[...v.fields.keys()].join(', ')}}`);
}
