// YAML text → plain JSON-like value plus the position of every node, so that schema and
// semantic errors can name a line and column. Uses the `yaml` package's CST positions
// (LineCounter); we convert nodes ourselves instead of doc.toJS() to keep integers exact and
// to bound alias expansion.
import { LineCounter, parseDocument, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Node as YamlNode, Document } from 'yaml';
import type { ScenarioIssue } from './errors';

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export interface Pos { line: number; column: number }

export interface NodePos {
  /** Start of the value. */
  value: Pos;
  /** Start of the key when the value is a mapping entry (where "unknown key" errors point). */
  key?: Pos;
}

export interface YamlSource {
  /** null when the YAML itself is malformed (then `issues` says why). */
  value: Plain | undefined;
  /** Position per JSON pointer (the form ajv's instancePath uses: '/steps/0/fault/gfn'). */
  positions: Map<string, NodePos>;
  issues: ScenarioIssue[];
}

const MAX_YAML_ISSUES = 20;

/** More nodes than any sensible scenario has; bounds alias expansion ("billion laughs"). */
const MAX_NODES = 200_000;

export function pointerChild(pointer: string, key: string | number): string {
  return `${pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const issues: ScenarioIssue[] = [];
  const positions = new Map<string, NodePos>();
  const at = (offset: number): Pos => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const issue = (pos: Pos, message: string) => issues.push({ file, ...pos, message });

  let doc: Document.Parsed;
  try {
    // intAsBigInt: 0xffffffffffffffff must not silently round to 2^64.
    doc = parseDocument(text, { lineCounter, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser reports problems as doc.errors; a throw here is a parser bug, still reported.
    issue({ line: 1, column: 1 }, `cannot parse YAML: ${e instanceof Error ? e.message : String(e)}`);
    return { value: undefined, positions, issues };
  }
  // One broken construct can make the parser repeat itself hundreds of times: report each
  // distinct problem once, and at most MAX_YAML_ISSUES of them.
  const seen = new Set<string>();
  const problems = [...doc.errors, ...doc.warnings];
  for (const err of problems) {
    const pos = at(err.pos[0]);
    const message = yamlMessage(err.message);
    const key = `${pos.line}:${pos.column}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (issues.length === MAX_YAML_ISSUES) {
      issue(pos, `more YAML errors follow; fix the ones above first`);
      break;
    }
    issue(pos, message);
  }
  if (issues.length > 0) return { value: undefined, positions, issues };

  let budget = MAX_NODES;
  const convert = (node: unknown, pointer: string, keyPos: Pos | undefined, depth: number): Plain => {
    if (--budget < 0 || depth > 64) throw new Budget(node);
    const nodeStart = rangeStart(node);
    if (nodeStart !== undefined || keyPos) {
      positions.set(pointer, { value: nodeStart !== undefined ? at(nodeStart) : keyPos!, key: keyPos });
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return convert(node.resolve(doc), pointer, keyPos, depth + 1);
    if (isScalar(node)) return scalarValue(node.value, node.source);
    if (isMap(node)) {
      const out: { [key: string]: Plain } = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = pair.key;
        const kStart = rangeStart(k);
        const kPos = kStart !== undefined ? at(kStart) : (nodeStart !== undefined ? at(nodeStart) : { line: 1, column: 1 });
        if (k !== null && !isScalar(k)) {
          issue(kPos, 'a mapping key must be a plain name, not a list or mapping');
          continue;
        }
        const name = k === null ? '' : String(k.value);
        // defineProperty: a key named __proto__ must stay an ordinary (unknown) key.
        Object.defineProperty(out, name, {
          value: convert(pair.value, pointerChild(pointer, name), kPos, depth + 1),
          enumerable: true, writable: true, configurable: true,
        });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => convert(item, pointerChild(pointer, i), undefined, depth + 1));
    return null;
  };

  try {
    const value = convert(doc.contents, '', undefined, 0);
    return { value, positions, issues };
  } catch (e) {
    if (!(e instanceof Budget)) throw e;
    const start = rangeStart(e.node);
    issue(start !== undefined ? at(start) : { line: 1, column: 1 },
      `scenario too large or too deeply nested (more than ${MAX_NODES} values or 64 levels, counting alias expansions)`);
    return { value: undefined, positions, issues };
  }
}

class Budget {
  constructor(readonly node: unknown) {}
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null)?.range;
  return range ? range[0] : undefined;
}

/** Integers arrive as bigint: exact ones become numbers, larger ones their exact decimal text
 *  as written (so the number checks can say "larger than 2^53-1" instead of rounding).
 *  Integral floats (1.0, 1e3) keep their source text so they are not mistaken for integers. */
function scalarValue(v: unknown, source: string | undefined): Plain {
  if (typeof v === 'bigint') {
    if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) return Number(v);
    return source !== undefined && /^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(source) ? source : v.toString();
  }
  if (typeof v === 'number') return Number.isInteger(v) ? (source ?? String(v)) : v;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}

/** The yaml package's messages end with position text we already print in front. */
function yamlMessage(message: string): string {
  // The parser turns its own stack overflow on absurd nesting into an error message.
  if (/maximum call stack/i.test(message)) return 'nested too deeply for the YAML parser';
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}
