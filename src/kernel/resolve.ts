// Resolves one anchor (src/sim/anchors.ts) against the parsed kernel files: found with its
// lines, absent with the reason, or ambiguous with every candidate. Never a guess.
import type { Node } from 'web-tree-sitter';
import type { Anchor, AnchorPattern, IfScope, KernelFile } from '../sim/anchors';
import type { ProfileName } from '../sim/types';
import { isHook, mentionedIdentifiers, spanOf, type CStructure, type FunctionDef, type SourceSpan } from './cstructure';
import type { SourceFile } from './source-file';

export interface Location extends SourceSpan {
  /** Path of the file as loaded (or the virtual name given for in-memory text). */
  file: string;
  kernelFile: KernelFile;
  /** The matched source text (for a function: the whole definition). */
  text: string;
}

export type AbsentCause =
  /** The anchor's profiles exclude this tree's profile: absence is what we expect. */
  | 'profile'
  /** The anchor's file is not part of what was loaded (single file, or not in the tree). */
  | 'file'
  /** The function or construct should be there for this profile but is not. */
  | 'missing';

export type Resolution =
  | { anchor: string; status: 'found'; location: Location; note?: string }
  | { anchor: string; status: 'absent'; cause: AbsentCause; expected: boolean; reason: string }
  | { anchor: string; status: 'ambiguous'; reason: string; candidates: Location[] };

/** Where the anchor's file comes from, to explain a missing file. */
export type FileLookup = (kernelFile: KernelFile) => SourceFile | { missing: string };

/** A construct a pattern matched: the range a reader should see (UTF-16 indices and lines). */
interface Match {
  start: number;
  end: number;
  span: SourceSpan;
}

export function resolveAnchor(anchor: Anchor, lookup: FileLookup, profile: ProfileName | undefined): Resolution {
  const inProfile = profile === undefined ? undefined : anchor.profiles.includes(profile);
  const absent = (cause: 'file' | 'missing', reason: string): Resolution =>
    inProfile === false
      ? { anchor: anchor.id, status: 'absent', cause: 'profile', expected: true, reason: `${reason}; expected: ${profileNote(anchor, profile!)}` }
      : { anchor: anchor.id, status: 'absent', cause, expected: false, reason };

  const file = lookup(anchor.file);
  if ('missing' in file) return absent('file', file.missing);
  const structure = file.structure;
  const defs = structure.functionsNamed(anchor.fn);
  if (defs.length === 0) return absent('missing', `function ${anchor.fn} is not defined in ${anchor.file}`);

  const matches: Match[] = [];
  for (const def of defs) matches.push(...matchPattern(structure, def, anchor.pattern));
  const loc = (m: Match): Location => ({ ...m.span, file: file.path, kernelFile: file.kernelFile, text: file.text.slice(m.start, m.end) });

  if (matches.length === 1) {
    const found: Resolution = { anchor: anchor.id, status: 'found', location: loc(matches[0]) };
    if (inProfile === false) found.note = `found although ${profileNote(anchor, profile!)}`;
    return found;
  }
  if (matches.length > 1) {
    const where = defs.length > 1 ? `${defs.length} definitions of ${anchor.fn}` : `${anchor.fn}`;
    const reason = anchor.pattern.kind === 'function'
      ? `${anchor.fn} is defined ${defs.length} times in ${anchor.file} (#if variants?)`
      : `${matches.length} matches for ${describe(anchor.pattern)} in ${where}`;
    return { anchor: anchor.id, status: 'ambiguous', reason, candidates: matches.map(loc) };
  }
  const lines = defs.map((d) => `${d.span.startLine}-${d.span.endLine}`).join(', ');
  let reason = `no ${describe(anchor.pattern)} in ${anchor.fn} (lines ${lines})`;
  // Only worth saying when the construct should be there: a macro may have hidden it.
  const errors = inProfile === false ? [] : defs.flatMap((d) => structure.parseErrorLines(d.bodyNode));
  if (errors.length) reason += `; the parser could not read lines ${errors.slice(0, 5).join(', ')}${errors.length > 5 ? ', ...' : ''} of its body (kernel macros?)`;
  return absent('missing', reason);
}

function profileNote(anchor: Anchor, profile: ProfileName): string {
  return `the anchor exists only in ${anchor.profiles.join(', ')}, this tree is ${profile}`;
}

/** Every construct in one function definition that the pattern describes, in source order. */
export function matchPattern(structure: CStructure, def: FunctionDef, pattern: AnchorPattern): Match[] {
  switch (pattern.kind) {
    case 'function':
      return [nodeMatch(def.node)];
    case 'call': {
      const calls = structure.callsIn(def).filter((c) =>
        c.callee === pattern.callee &&
        (pattern.via === undefined || (pattern.via === 'hook') === isHook(c.via)) &&
        inScope(structure, def, c.node, pattern.within));
      if (pattern.nth === undefined) return calls.map((c) => nodeMatch(c.node));
      const nth = calls[pattern.nth];
      return nth ? [nodeMatch(nth.node)] : [];
    }
    case 'macro':
      return structure.callsIn(def)
        .filter((c) => c.via === 'direct' && c.callee === pattern.macro &&
          mentionsAll(c.node.childForFieldName('arguments'), pattern.mentions) &&
          inScope(structure, def, c.node, pattern.within))
        .map((c) => nodeMatch(c.node));
    case 'if':
      return structure.ifsIn(def)
        .filter((s) => mentionsAll(s.condition, pattern.mentions) && inScope(structure, def, s.node, pattern.within))
        .map((s) => ({ start: s.node.startIndex, end: s.consequence.endIndex, span: s.branchSpan }));
  }
}

function nodeMatch(node: Node): Match {
  return { start: node.startIndex, end: node.endIndex, span: spanOf(node) };
}

function mentionsAll(node: Node | null, names: readonly string[]): boolean {
  if (names.length === 0) return true;
  if (!node) return false;
  const ids = mentionedIdentifiers(node);
  return names.every((n) => ids.has(n));
}

const contains = (outer: Node | null | undefined, inner: Node): boolean =>
  !!outer && outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;

/** Whether `node` lies in the scope's part of some `if` of `def` that satisfies the scope. */
function inScope(structure: CStructure, def: FunctionDef, node: Node, scope: IfScope | undefined): boolean {
  if (!scope) return true;
  return structure.ifsIn(def).some((s) => {
    if (s.node.equals(node) || !mentionsAll(s.condition, scope.if)) return false;
    const part = scope.part ?? 'then';
    const region = part === 'condition' ? s.condition : part === 'then' ? s.consequence : s.alternative;
    return contains(region, node) && inScope(structure, def, s.node, scope.within);
  });
}

/** Short human description of a pattern, for reasons. */
export function describe(p: AnchorPattern): string {
  let what: string;
  switch (p.kind) {
    case 'function': return 'definition';
    case 'call': what = `${p.via === 'hook' ? 'hook call' : p.via === 'direct' ? 'direct call' : 'call'} of ${p.callee}${p.nth !== undefined ? ` #${p.nth}` : ''}`; break;
    case 'macro': what = `${p.macro}(${p.mentions.length ? `mentioning ${p.mentions.join(', ')}` : '...'})`; break;
    case 'if': what = `if on ${p.mentions.join(', ') || 'anything'}`; break;
  }
  for (let s = p.within; s; s = s.within) what += ` in the ${s.part ?? 'then'} ${s.part === 'condition' ? 'of' : 'branch of'} the if on ${s.if.join(', ')}`;
  return what;
}
