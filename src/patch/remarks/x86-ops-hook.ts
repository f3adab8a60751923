// Remark: a kvm_x86_ops hook added to (or removed from) struct kvm_x86_ops in kvm_host.h but not
// in kvm-x86-ops.h, or the other way round.
//
// x86.c expands kvm-x86-ops.h into one static call per hook (DEFINE_STATIC_CALL_NULL
// kvm_x86_<hook>) and kvm_ops_update() fills each from the vendor's kvm_x86_ops: KVM_X86_OP
// WARNs when the vendor leaves it NULL, KVM_X86_OP_OPTIONAL allows NULL, KVM_X86_OP_OPTIONAL_RET0
// makes NULL return 0 (read in linux-6.12 arch/x86/kvm/x86.c). A member missing from the list has
// no static call, so kvm_x86_call(hook) cannot use it; an entry without a member does not build.

import { declaratorName } from '../../kernel/cstructure';
import type { CStructure } from '../../kernel/cstructure';
import { leafTokens } from '../fragments';
import type { CheckContext, RemarkDraft, ReviewCheck, ReviewedFile } from './types';

export const KVM_HOST_H = 'arch/x86/include/asm/kvm_host.h';
export const KVM_X86_OPS_H = 'arch/x86/include/asm/kvm-x86-ops.h';
const OP_MACROS = new Set(['KVM_X86_OP', 'KVM_X86_OP_OPTIONAL', 'KVM_X86_OP_OPTIONAL_RET0']);

interface Entry { name: string; line: number }

/** Function-pointer members of struct kvm_x86_ops. */
export function structHooks(s: CStructure): Map<string, Entry> | undefined {
  const st = s.root.descendantsOfType('struct_specifier').find((n) => n?.childForFieldName('name')?.text === 'kvm_x86_ops' && n.childForFieldName('body'));
  if (!st) return undefined;
  const out = new Map<string, Entry>();
  for (const fd of st.childForFieldName('body')!.descendantsOfType('field_declaration')) {
    if (!fd) continue;
    for (const d of fd.childrenForFieldName('declarator')) {
      if (d?.type !== 'function_declarator') continue; // int (*hook)(...): a function pointer
      const name = declaratorName(d);
      if (name) out.set(name, { name, line: fd.startPosition.row + 1 });
    }
  }
  return out;
}

/**
 * KVM_X86_OP*(name) entries. A list of bare macro invocations is not C, and tree-sitter reads
 * each line differently (call, macro type, declarator): the token sequence MACRO ( name ) is
 * what all readings share.
 */
export function opsEntries(s: CStructure): Map<string, Entry & { macro: string }> {
  const t = leafTokens(s.tree);
  const out = new Map<string, Entry & { macro: string }>();
  for (let i = 0; i + 3 < t.length; i++) {
    if (OP_MACROS.has(t[i].text) && t[i + 1].text === '(' && /identifier$/.test(t[i + 2].type) && t[i + 3].text === ')') {
      out.set(t[i + 2].text, { name: t[i + 2].text, line: t[i].startPosition.row + 1, macro: t[i].text });
    }
  }
  return out;
}

interface Side<T> { post?: Map<string, T>; pre?: Map<string, T>; file?: ReviewedFile; path: string; known: boolean }

function side<T>(ctx: CheckContext, path: string, read: (s: CStructure) => Map<string, T> | undefined): Side<T> {
  const file = ctx.files.find((f) => f.applied.path === path || f.applied.path.endsWith('/' + path.split('/').pop()!));
  if (file) {
    const post = file.post();
    const pre = file.applied.source === 'hunks-only' ? undefined : file.pre();
    return { post: post && read(post), pre: pre && read(pre), file, path: file.applied.path, known: file.applied.source !== 'hunks-only' };
  }
  const other = ctx.fileAfter(path);
  const post = other && read(other.structure);
  return { post, pre: post, path, known: !!other };
}

export const x86OpsHook: ReviewCheck = {
  id: 'kvm-x86-ops-hook',
  title: 'kvm_x86_ops hook in kvm_host.h but not in kvm-x86-ops.h, or vice versa',
  needs: [KVM_HOST_H, KVM_X86_OPS_H],
  run(ctx) {
    const host = side(ctx, KVM_HOST_H, structHooks);
    const ops = side(ctx, KVM_X86_OPS_H, (s) => opsEntries(s));
    const out: RemarkDraft[] = [];
    const judged = (known: boolean) => (known ? '' : ' (judged from the patch alone: no tree to read it from)');
    // Members this patch adds or removes, by comparing the parsed struct before and after.
    if (host.file && host.post) {
      for (const [name, e] of host.post) {
        if (!host.file.added.has(e.line) || host.pre?.has(name)) continue;
        if (ops.post?.has(name)) continue;
        out.push({
          file: host.path,
          line: e.line,
          message: `${name} is added to struct kvm_x86_ops but not to kvm-x86-ops.h: please add KVM_X86_OP_OPTIONAL(${name}) there (KVM_X86_OP if every vendor must implement it, KVM_X86_OP_OPTIONAL_RET0 if a missing one should return 0).`,
          reason: `kvm-x86-ops.h is expanded into the static call behind kvm_x86_call(${name}) and into kvm_ops_update(); a hook missing from it cannot be called that way${judged(ops.known || !!ops.file)}.`,
        });
      }
      for (const name of host.pre?.keys() ?? []) {
        const entry = ops.post?.get(name);
        if (host.post.has(name) || !entry) continue;
        out.push({
          file: ops.path,
          line: entry.line,
          message: `${name} is removed from struct kvm_x86_ops but ${entry.macro}(${name}) is still in kvm-x86-ops.h: please remove it too.`,
          reason: 'every kvm-x86-ops.h entry names a struct kvm_x86_ops member; a stale one breaks the build of x86.c.',
        });
      }
    }
    if (ops.file && ops.post) {
      for (const [name, e] of ops.post) {
        if (!ops.file.added.has(e.line) || ops.pre?.has(name)) continue;
        if (host.post?.has(name)) continue;
        out.push({
          file: ops.path,
          line: e.line,
          message: `${e.macro}(${name}) is added to kvm-x86-ops.h but struct kvm_x86_ops has no member ${name}: please add the hook to the struct in kvm_host.h.`,
          reason: `x86.c takes the static call's type from struct kvm_x86_ops.${name}; without the member it does not build${judged(host.known || !!host.file)}.`,
        });
      }
      for (const name of ops.pre?.keys() ?? []) {
        const member = host.post?.get(name);
        if (ops.post.has(name) || !member) continue;
        out.push({
          file: host.path,
          line: member.line,
          message: `${name} is removed from kvm-x86-ops.h but is still a member of struct kvm_x86_ops: please remove the member too, or keep the entry.`,
          reason: `without the kvm-x86-ops.h entry the member is never wired to a static call, so kvm_x86_call(${name}) cannot reach it.`,
        });
      }
    }
    return out;
  },
};
