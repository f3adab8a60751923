// Remark: a new KVM_BUG_ON / WARN_ON / WARN_ON_ONCE without a comment saying why.
//
// A KVM_BUG_ON() kills the VM and a WARN splats in every CI log; reviewers ask what invariant it
// guards and why it cannot fire. A comment counts as the explanation when it is on the macro's
// line, or when it directly precedes (at most one blank line between) the macro's statement or
// a statement enclosing it inside the same function: the comment above an `if` explains the
// KVM_BUG_ON(1) in its else branch. Comments are nodes of the tree-sitter syntax tree.

import type { Node } from 'web-tree-sitter';
import type { RemarkDraft, ReviewCheck } from './types';

const MACROS = new Set(['KVM_BUG_ON', 'WARN_ON', 'WARN_ON_ONCE']);

function explained(call: Node, body: Node): boolean {
  const row = call.startPosition.row;
  for (const c of body.descendantsOfType('comment')) {
    if (c && (c.startPosition.row === row || c.endPosition.row === row)) return true;
  }
  for (let n: Node | null = call; n && !n.equals(body); n = n.parent) {
    const prev = n.previousNamedSibling;
    if (prev?.type === 'comment' && n.startPosition.row - prev.endPosition.row <= 2) return true;
  }
  return false;
}

export const bugOnComment: ReviewCheck = {
  id: 'bug-on-without-comment',
  title: 'New KVM_BUG_ON/WARN_ON without an explanatory comment',
  run(ctx) {
    const out: RemarkDraft[] = [];
    for (const f of ctx.files) {
      const s = f.post();
      if (!s) continue;
      for (const call of s.macroCalls()) {
        if (!MACROS.has(call.callee) || !f.added.has(call.span.startLine) || !call.fn) continue;
        if (explained(call.node, call.fn.bodyNode)) continue;
        const text = call.node.text.replace(/\s+/g, ' ');
        out.push({
          file: f.applied.path,
          line: call.span.startLine,
          message: `Please add a comment saying why ${text} cannot trigger, or what it is there to catch.`,
          reason: `${call.callee === 'KVM_BUG_ON' ? 'A KVM_BUG_ON() kills the VM' : `A ${call.callee}() splats in every log`} when it fires; a new one in ${call.fn.name}() needs the invariant it guards written next to it.`,
        });
      }
    }
    return out;
  },
};
