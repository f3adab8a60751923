// Remark: a new forward declaration of a static function that reordering would make useless.
//
// Maintainers prefer defining helpers before their users over forward declarations. A new
// `static T f(...);` is only needed because some function defined before f() calls it. When
// every such user is new code whose own callers all come after f()'s definition, the new code
// can simply be placed after f() instead (the seed: get_external_spt() declared for a new
// split_external_spt() that only tdp_mmu_set_spte() calls, far below get_external_spt()).
// Everything is read from the parsed post-patch file (tree-sitter via the linker's CStructure).

import type { CStructure, FunctionDef } from '../../kernel/cstructure';
import { mentionedIdentifiers } from '../../kernel/cstructure';
import type { RemarkDraft, ReviewCheck, ReviewedFile } from './types';

const isNew = (f: ReviewedFile, fn: FunctionDef) => f.added.has(fn.signature.startLine);

/** Functions whose body (or signature annotations) mention `name`. */
function usersOf(s: CStructure, name: string): FunctionDef[] {
  return s.functions().filter((fn) => mentionedIdentifiers(fn.node).has(name) && fn.name !== name);
}

export const forwardDeclaration: ReviewCheck = {
  id: 'avoidable-forward-declaration',
  title: 'New forward declaration that moving the new code would remove',
  run(ctx) {
    const out: RemarkDraft[] = [];
    for (const f of ctx.files) {
      const s = f.post();
      // Needs the real layout of the file: hunks alone say nothing about what is defined where.
      if (!s || !f.applied.path.endsWith('.c') || f.applied.source === 'hunks-only') continue;
      for (const proto of s.prototypes()) {
        if (!proto.isStatic || !f.added.has(proto.span.startLine)) continue;
        const def = s.functionsNamed(proto.name)[0];
        if (!def) continue; // declared for a definition elsewhere: not about ordering
        const D = def.span.startLine;
        const early = usersOf(s, proto.name).filter((u) => u.span.startLine < D);
        const where = `${proto.name}() is defined at line ${D}`;
        if (early.length === 0) {
          out.push({
            file: f.applied.path,
            line: proto.span.startLine,
            message: `This declaration is not needed: nothing above the definition of ${proto.name}() uses it.`,
            reason: `${where}; a forward declaration without an earlier user is one more place to keep in sync.`,
          });
          continue;
        }
        // Every early user must be new, not used by f() itself (that would just move the
        // declaration), and only referenced after f()'s definition.
        const movable = early.every((u) =>
          isNew(f, u) &&
          !mentionedIdentifiers(def.node).has(u.name) &&
          usersOf(s, u.name).every((c) => c.span.startLine > D) &&
          s.prototypes().every((p) => p.name !== u.name || p.span.startLine > D));
        if (!movable) continue;
        const callers = early.map((u) => {
          const cs = usersOf(s, u.name);
          return `${u.name}() (line ${u.span.startLine}) is ${cs.length ? `only used by ${cs.map((c) => `${c.name}() at line ${c.span.startLine}`).join(', ')}` : 'not called yet'}`;
        });
        // Suggest the spot a reviewer would: after the last function between f() and the first
        // caller that also uses f(), else right after f().
        const firstCaller = Math.min(...early.flatMap((u) => usersOf(s, u.name).map((c) => c.span.startLine)), Number.MAX_SAFE_INTEGER);
        const neighbours = usersOf(s, proto.name).filter((u) => u.span.startLine > D && u.span.endLine < firstCaller);
        const after = neighbours.length ? neighbours[neighbours.length - 1] : def;
        const moved = early.map((u) => `${u.name}()`).join(' and ');
        out.push({
          file: f.applied.path,
          line: proto.span.startLine,
          message: `Is it possible to get rid of this declaration by defining ${moved} after ${after.name}()${after !== def ? `, which also uses ${proto.name}(),` : ''} instead?`,
          reason: `${where}; ${callers.join('; ')}: all below line ${D}, so the new code placed there needs no forward declaration.`,
        });
      }
    }
    return out;
  },
};
