// Remark: a function named in the changelog without "()".
// The x86 tip rules, which KVM x86 follows (Documentation/process/maintainer-tip.rst, "Function
// references in changelogs"), ask for function_name() so that readers tell functions from
// variables and struct members at a glance. The seed review makes exactly this remark about a
// hook that the patch also adds as a function.

import { isMacroName } from '../../kernel/cstructure';
import type { CheckContext, RemarkDraft, ReviewCheck } from './types';

/** Names that are functions after the patch: definitions and prototypes in the patched C files. */
function functionNames(ctx: CheckContext): Map<string, string> {
  const where = new Map<string, string>();
  for (const f of ctx.files) {
    const s = f.post();
    if (!s) continue;
    for (const d of s.functions()) if (!where.has(d.name)) where.set(d.name, `defined in ${f.applied.path || 'the patched file'} after this patch`);
    for (const p of s.prototypes()) if (!where.has(p.name)) where.set(p.name, `declared in ${f.applied.path || 'the patched file'} after this patch`);
  }
  for (const n of ctx.knownFunctions) if (!where.has(n)) where.set(n, 'a kernel function or kvm_x86_ops hook');
  return where;
}

/** Function names in one line of prose that are not followed by "(". */
function bareFunctionNames(line: string, fns: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const name = m[0];
    const before = line.slice(0, m.index);
    const after = line.slice(m.index + name.length);
    if (!fns.has(name) || isMacroName(name)) continue;
    if (/^\s*\(/.test(after)) continue;                                            // name() or name (...)
    if (/(->|\.|\/|::)$/.test(before) || /^(->|\.[A-Za-z_]|\/)/.test(after)) continue; // member, path, file name
    if (/\b(struct|union|enum)\s+$/.test(before)) continue;                         // a type sharing the name
    out.push(name);
  }
  return out;
}

export const changelogParens: ReviewCheck = {
  id: 'changelog-function-parens',
  title: 'Function named in the changelog without "()"',
  run(ctx) {
    const fns = functionNames(ctx);
    const out: RemarkDraft[] = [];
    const remark = (line: number, name: string, where: 'subject' | 'changelog') => out.push({
      line,
      message: where === 'subject'
        ? `Nit: please say ${name}() in the shortlog too, it is a function.`
        : `Please write ${name}() here: it is a function, and a bare "${name}" reads like a variable or a struct field.`,
      reason: `${name} is ${fns.get(name)}; Documentation/process/maintainer-tip.rst ("Function references in changelogs") asks for function_name() in the subject and the changelog.`,
    });
    const { subject, subjectLine, parsedSubject } = ctx.patch;
    if (subject && subjectLine) {
      // Only the summary after the "KVM: x86/mmu:" area prefix.
      const summary = parsedSubject.title.slice(parsedSubject.title.lastIndexOf(': ') + 1);
      for (const name of bareFunctionNames(summary, fns)) remark(subjectLine, name, 'subject');
    }
    const { lines, src } = ctx.patch.changelog;
    lines.forEach((line, i) => {
      // Indented lines quote code, logs or call traces: leave them as they are.
      if (/^(\t| {2,})/.test(line)) return;
      for (const name of bareFunctionNames(line, fns)) remark(src[i], name, 'changelog');
    });
    return out;
  },
};
