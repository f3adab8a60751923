// The anchor table: every decision point the simulator records, named symbolically.
// Events carry an anchor id; src/kernel/ resolves each id to lines of the user's kernel tree
// using `pattern` (a structural description over the tree-sitter C syntax tree, never a line
// number or a regex over text). Ids are stable: scenarios, breakpoints and saved webview state
// refer to them. Ids are `<kernel function>` for the function itself, or
// `<kernel function>.<decision point>`.
//
// `profiles` lists the kernel generations where the construct exists, so that the linker can
// tell "absent in this version" (expected) from "not found" (a tree we do not understand).

import type { ProfileName } from './types';

export type KernelFile = 'mmu/tdp_mmu.c' | 'mmu/spte.h' | 'mmu/tdp_iter.c' | 'mmu/tdp_mmu.h' | 'vmx/tdx.c' | 'mmu/mmu.c';

/** Structural patterns, interpreted by src/kernel/resolve.ts. All are scoped to `fn`. */
export type AnchorPattern =
  /** The function definition itself (its signature line through its closing brace). */
  | { kind: 'function' }
  /** A call of `callee`: a plain call, or a kvm_x86_ops hook call (`kvm_x86_call(callee)(...)`,
   *  `static_call(kvm_x86_callee)(...)`, `kvm_x86_ops.callee(...)`). `via` narrows it to one of
   *  the two; `nth` (0-based) picks one of several such calls in source order. */
  | { kind: 'call'; callee: string; via?: 'direct' | 'hook'; nth?: number; within?: IfScope }
  /** A KVM_BUG_ON / WARN_ON / WARN_ON_ONCE / lockdep_assert_held* macro call whose arguments
   *  mention every identifier in `mentions` (variables, functions, struct fields). */
  | { kind: 'macro'; macro: string; mentions: string[]; within?: IfScope }
  /** An `if` (or `else if`) whose condition mentions every identifier in `mentions`;
   *  it resolves to `if (cond)` through the end of its then-branch. */
  | { kind: 'if'; mentions: string[]; within?: IfScope };

/** Narrows a pattern to one part of an enclosing `if`: the one whose condition mentions every
 *  identifier in `if` (e.g. "the KVM_BUG_ON in the else branch of the if on is_last_spte"). */
export interface IfScope {
  if: string[];
  /** Default 'then'. 'else' covers everything after `else`, including later else-ifs. */
  part?: 'condition' | 'then' | 'else';
  /** That `if` itself lies inside another scope. */
  within?: IfScope;
}

export interface Anchor {
  id: string;
  /** Kernel function containing the decision. */
  fn: string;
  file: KernelFile;
  /** One line for people: shown in hovers, the stepper and review comments. */
  title: string;
  pattern: AnchorPattern;
  profiles: readonly ProfileName[];
}

const ALL: readonly ProfileName[] = ['pre-tdx', 'mainline', 'hugepage-rfc-v2'];
const TDX: readonly ProfileName[] = ['mainline', 'hugepage-rfc-v2'];
const MAINLINE: readonly ProfileName[] = ['mainline'];
const RFC: readonly ProfileName[] = ['hugepage-rfc-v2'];

const fnDef = (fn: string, file: KernelFile, title: string, profiles = ALL): Anchor =>
  ({ id: fn, fn, file, title, pattern: { kind: 'function' }, profiles });

export const ANCHORS: readonly Anchor[] = [
  // Profiles and patterns verified by src/kernel against Debian linux-source-6.12 (pre-tdx), the
  // mainline TDX code of kernelorg-mirror/virt_kvm_kvm@6249af46 (mainline), and that code with
  // the RFC v2 series' tdp_mmu.c/tdx.c hunks (09/23, 10/23, 11/23) applied (hugepage-rfc-v2).
  // 'hugepage-rfc-v2' is the series as a whole, so patch 11's changes count (it drops the fault
  // path's KVM_BUG_ON on huge mirror SPTEs and lets set_external_spte_present() split too).

  // ---- fault path ------------------------------------------------------------------------
  fnDef('kvm_tdp_mmu_map', 'mmu/tdp_mmu.c', 'TDP MMU page fault handler: walk, link page tables, install the leaf'),
  { id: 'kvm_tdp_mmu_map.split_huge', fn: 'kvm_tdp_mmu_map', file: 'mmu/tdp_mmu.c', title: 'a huge SPTE is in the way of a smaller mapping: split it', pattern: { kind: 'call', callee: 'tdp_mmu_split_huge_page' }, profiles: ALL },
  { id: 'kvm_tdp_mmu_map.bug_mirror_huge', fn: 'kvm_tdp_mmu_map', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: no huge-page split of a mirror SPTE in the fault path (dropped by RFC v2 11/23)', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['is_mirror_sptep'] }, profiles: MAINLINE },
  { id: 'kvm_tdp_mmu_map.alloc_external_spt', fn: 'kvm_tdp_mmu_map', file: 'mmu/tdp_mmu.c', title: 'allocate the external (S-EPT) page for a new mirror page table', pattern: { kind: 'call', callee: 'kvm_mmu_alloc_external_spt' }, profiles: TDX },
  { id: 'kvm_tdp_mmu_map.link_sp', fn: 'kvm_tdp_mmu_map', file: 'mmu/tdp_mmu.c', title: 'link a new page table under read mmu_lock', pattern: { kind: 'call', callee: 'tdp_mmu_link_sp' }, profiles: ALL },
  { id: 'kvm_tdp_mmu_map.handle_target_level', fn: 'kvm_tdp_mmu_map', file: 'mmu/tdp_mmu.c', title: 'install the leaf at the goal level', pattern: { kind: 'call', callee: 'tdp_mmu_map_handle_target_level' }, profiles: ALL },
  fnDef('tdp_mmu_map_handle_target_level', 'mmu/tdp_mmu.c', 'build and atomically install the leaf SPTE'),
  { id: 'tdp_mmu_map_handle_target_level.set_spte_atomic', fn: 'tdp_mmu_map_handle_target_level', file: 'mmu/tdp_mmu.c', title: 'cmpxchg the new leaf into place', pattern: { kind: 'call', callee: 'tdp_mmu_set_spte_atomic' }, profiles: ALL },
  fnDef('tdp_mmu_link_sp', 'mmu/tdp_mmu.c', 'point an SPTE at a new child page table'),
  { id: 'tdp_mmu_link_sp.atomic', fn: 'tdp_mmu_link_sp', file: 'mmu/tdp_mmu.c', title: 'shared (read mmu_lock): atomic link', pattern: { kind: 'call', callee: 'tdp_mmu_set_spte_atomic' }, profiles: ALL },
  { id: 'tdp_mmu_link_sp.exclusive', fn: 'tdp_mmu_link_sp', file: 'mmu/tdp_mmu.c', title: 'exclusive (write mmu_lock): plain set', pattern: { kind: 'call', callee: 'tdp_mmu_iter_set_spte' }, profiles: ALL },
  fnDef('kvm_tdp_mmu_alloc_root', 'mmu/tdp_mmu.c', 'allocate (or reuse) a TDP root: direct, or mirror for TDX private memory'),
  fnDef('tdp_mmu_get_root_for_fault', 'mmu/tdp_mmu.h', 'pick the mirror root for a private GPA, the direct root otherwise', TDX),

  // ---- atomic set (read mmu_lock) ------------------------------------------------------------
  fnDef('tdp_mmu_set_spte_atomic', 'mmu/tdp_mmu.c', 'set an SPTE with cmpxchg under read mmu_lock'),
  { id: 'tdp_mmu_set_spte_atomic.lockdep', fn: 'tdp_mmu_set_spte_atomic', file: 'mmu/tdp_mmu.c', title: 'lockdep: mmu_lock held for read', pattern: { kind: 'macro', macro: 'lockdep_assert_held_read', mentions: ['mmu_lock'] }, profiles: ALL },
  { id: 'tdp_mmu_set_spte_atomic.handle_changed_spte', fn: 'tdp_mmu_set_spte_atomic', file: 'mmu/tdp_mmu.c', title: 'bookkeeping for the change (shared)', pattern: { kind: 'call', callee: 'handle_changed_spte' }, profiles: ALL },
  fnDef('__tdp_mmu_set_spte_atomic', 'mmu/tdp_mmu.c', 'the cmpxchg itself, or the mirror path'),
  { id: '__tdp_mmu_set_spte_atomic.mirror_branch', fn: '__tdp_mmu_set_spte_atomic', file: 'mmu/tdp_mmu.c', title: 'mirror SPTE: propagate to the external page table', pattern: { kind: 'if', mentions: ['is_mirror_sptep'] }, profiles: TDX },
  { id: '__tdp_mmu_set_spte_atomic.bug_mirror_zap', fn: '__tdp_mmu_set_spte_atomic', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: atomic zap of a mirror SPTE', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['is_shadow_present_pte'] }, profiles: TDX },
  { id: '__tdp_mmu_set_spte_atomic.set_external_spte_present', fn: '__tdp_mmu_set_spte_atomic', file: 'mmu/tdp_mmu.c', title: 'non-present → present on a mirror SPTE', pattern: { kind: 'call', callee: 'set_external_spte_present' }, profiles: TDX },
  { id: '__tdp_mmu_set_spte_atomic.cmpxchg', fn: '__tdp_mmu_set_spte_atomic', file: 'mmu/tdp_mmu.c', title: 'try_cmpxchg64 of the SPTE (fails if another thread changed it)', pattern: { kind: 'call', callee: 'try_cmpxchg64' }, profiles: ALL },
  fnDef('set_external_spte_present', 'mmu/tdp_mmu.c', 'freeze the mirror SPTE, call the TDX hook, then publish', TDX),
  { id: 'set_external_spte_present.bug_was_present', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: only non-present → present (RFC v2: or a split) is supported', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['was_present'] }, profiles: TDX },
  { id: 'set_external_spte_present.lockdep', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'lockdep: mmu_lock held (either mode)', pattern: { kind: 'macro', macro: 'lockdep_assert_held', mentions: ['mmu_lock'] }, profiles: TDX },
  { id: 'set_external_spte_present.freeze', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'cmpxchg the SPTE to FROZEN_SPTE while the TDX module is called', pattern: { kind: 'call', callee: 'try_cmpxchg64' }, profiles: TDX },
  { id: 'set_external_spte_present.set_external_spte', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'leaf: kvm_x86_ops.set_external_spte', pattern: { kind: 'call', callee: 'set_external_spte', via: 'hook' }, profiles: TDX },
  { id: 'set_external_spte_present.bug_no_external_spt', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: non-leaf without an external page table', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['external_spt'] }, profiles: TDX },
  { id: 'set_external_spte_present.link_external_spt', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'non-leaf: kvm_x86_ops.link_external_spt', pattern: { kind: 'call', callee: 'link_external_spt', via: 'hook' }, profiles: TDX },
  { id: 'set_external_spte_present.split_external_spt', fn: 'set_external_spte_present', file: 'mmu/tdp_mmu.c', title: 'RFC v2 11/23: present leaf → non-leaf under read mmu_lock: split (TDX refuses)', pattern: { kind: 'call', callee: 'split_external_spt', via: 'direct' }, profiles: RFC },

  // ---- exclusive set (write mmu_lock) -----------------------------------------------------
  fnDef('tdp_mmu_set_spte', 'mmu/tdp_mmu.c', 'set an SPTE under write mmu_lock'),
  { id: 'tdp_mmu_set_spte.lockdep', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'lockdep: mmu_lock held for write', pattern: { kind: 'macro', macro: 'lockdep_assert_held_write', mentions: ['mmu_lock'] }, profiles: ALL },
  { id: 'tdp_mmu_set_spte.handle_changed_spte', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'bookkeeping for the change (exclusive)', pattern: { kind: 'call', callee: 'handle_changed_spte' }, profiles: ALL },
  { id: 'tdp_mmu_set_spte.mirror_branch', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'mirror SPTE: propagate the change to the external page table', pattern: { kind: 'if', mentions: ['is_mirror_sptep'] }, profiles: TDX },
  { id: 'tdp_mmu_set_spte.bug_present', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: a mirror SPTE may only become non-present here', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['is_shadow_present_pte', 'new_spte'], within: { if: ['is_mirror_sptep'] } }, profiles: MAINLINE },
  { id: 'tdp_mmu_set_spte.remove_external_spte', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'present → non-present: remove from the external page table', pattern: { kind: 'call', callee: 'remove_external_spte', via: 'direct', within: { if: ['is_mirror_sptep'] } }, profiles: TDX },
  { id: 'tdp_mmu_set_spte.split_branch', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'present leaf → present non-leaf: the split transition', pattern: { kind: 'if', mentions: ['is_last_spte'], within: { if: ['is_mirror_sptep'] } }, profiles: RFC },
  { id: 'tdp_mmu_set_spte.split_external_spt', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'present leaf → present non-leaf: split the external mapping', pattern: { kind: 'call', callee: 'split_external_spt', via: 'direct', within: { if: ['is_mirror_sptep'] } }, profiles: RFC },
  { id: 'tdp_mmu_set_spte.bug_other', fn: 'tdp_mmu_set_spte', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: any other mirror transition under write mmu_lock', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: [], within: { if: ['is_last_spte'], part: 'else', within: { if: ['is_mirror_sptep'] } } }, profiles: RFC },
  fnDef('tdp_mmu_iter_set_spte', 'mmu/tdp_mmu.c', 'tdp_mmu_set_spte on the iterator position'),

  // ---- bookkeeping -------------------------------------------------------------------------
  fnDef('handle_changed_spte', 'mmu/tdp_mmu.c', 'bookkeeping after any SPTE change'),
  { id: 'handle_changed_spte.trace', fn: 'handle_changed_spte', file: 'mmu/tdp_mmu.c', title: 'tracepoint kvm_tdp_mmu_spte_changed', pattern: { kind: 'call', callee: 'trace_kvm_tdp_mmu_spte_changed' }, profiles: ALL },
  { id: 'handle_changed_spte.handle_removed_pt', fn: 'handle_changed_spte', file: 'mmu/tdp_mmu.c', title: 'a page table was unlinked: tear it down', pattern: { kind: 'call', callee: 'handle_removed_pt' }, profiles: ALL },
  fnDef('handle_removed_pt', 'mmu/tdp_mmu.c', 'tear down an unlinked page table, child by child'),
  { id: 'handle_removed_pt.bug_mirror_shared', fn: 'handle_removed_pt', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: mirror page table removed under read mmu_lock', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['shared'] }, profiles: TDX },
  { id: 'handle_removed_pt.remove_external_spte', fn: 'handle_removed_pt', file: 'mmu/tdp_mmu.c', title: 'remove each child leaf from the external page table', pattern: { kind: 'call', callee: 'remove_external_spte', via: 'direct' }, profiles: TDX },
  { id: 'handle_removed_pt.free_external_spt', fn: 'handle_removed_pt', file: 'mmu/tdp_mmu.c', title: 'free the external page table page (kvm_x86_ops.free_external_spt)', pattern: { kind: 'call', callee: 'free_external_spt', via: 'hook' }, profiles: TDX },
  fnDef('remove_external_spte', 'mmu/tdp_mmu.c', 'remove a leaf from the external page table', TDX),
  { id: 'remove_external_spte.skip_non_leaf', fn: 'remove_external_spte', file: 'mmu/tdp_mmu.c', title: 'a non-leaf SPTE: nothing to remove (page tables go through free_external_spt)', pattern: { kind: 'if', mentions: ['is_last_spte'] }, profiles: TDX },
  { id: 'remove_external_spte.lockdep', fn: 'remove_external_spte', file: 'mmu/tdp_mmu.c', title: 'lockdep: mmu_lock held for write', pattern: { kind: 'macro', macro: 'lockdep_assert_held_write', mentions: ['mmu_lock'] }, profiles: TDX },
  { id: 'remove_external_spte.hook', fn: 'remove_external_spte', file: 'mmu/tdp_mmu.c', title: 'kvm_x86_ops.remove_external_spte', pattern: { kind: 'call', callee: 'remove_external_spte', via: 'hook' }, profiles: TDX },
  { id: 'remove_external_spte.bug_ret', fn: 'remove_external_spte', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: the TDX module refused to remove the page', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['ret'] }, profiles: TDX },
  fnDef('split_external_spt', 'mmu/tdp_mmu.c', 'RFC v2 09/23: split the external mapping', RFC),
  { id: 'split_external_spt.bug_no_external_spt', fn: 'split_external_spt', file: 'mmu/tdp_mmu.c', title: 'KVM_BUG_ON: the new child page table has no external page', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['external_spt'] }, profiles: RFC },
  { id: 'split_external_spt.hook', fn: 'split_external_spt', file: 'mmu/tdp_mmu.c', title: 'kvm_x86_ops.split_external_spt', pattern: { kind: 'call', callee: 'split_external_spt', via: 'hook' }, profiles: RFC },

  // ---- huge pages --------------------------------------------------------------------------
  fnDef('tdp_mmu_split_huge_page', 'mmu/tdp_mmu.c', 'replace a huge leaf by a page table of 512 smaller leaves'),
  { id: 'tdp_mmu_split_huge_page.link_sp', fn: 'tdp_mmu_split_huge_page', file: 'mmu/tdp_mmu.c', title: 'link the pre-filled child table in place of the huge leaf', pattern: { kind: 'call', callee: 'tdp_mmu_link_sp' }, profiles: ALL },
  { id: 'tdp_mmu_split_huge_page.trace', fn: 'tdp_mmu_split_huge_page', file: 'mmu/tdp_mmu.c', title: 'tracepoint kvm_mmu_split_huge_page', pattern: { kind: 'call', callee: 'trace_kvm_mmu_split_huge_page' }, profiles: ALL },
  fnDef('tdp_mmu_split_huge_pages_root', 'mmu/tdp_mmu.c', 'walk a root and split every huge page in a range'),
  fnDef('kvm_tdp_mmu_try_split_huge_pages', 'mmu/tdp_mmu.c', 'eager page splitting for dirty logging'),

  // ---- zapping -------------------------------------------------------------------------------
  fnDef('tdp_mmu_zap_leafs', 'mmu/tdp_mmu.c', 'zap leaf SPTEs in a GFN range'),
  { id: 'tdp_mmu_zap_leafs.set_spte', fn: 'tdp_mmu_zap_leafs', file: 'mmu/tdp_mmu.c', title: 'set the leaf to SHADOW_NONPRESENT_VALUE', pattern: { kind: 'call', callee: 'tdp_mmu_iter_set_spte' }, profiles: ALL },
  fnDef('kvm_tdp_mmu_unmap_gfn_range', 'mmu/tdp_mmu.c', 'unmap a GFN range (memory attribute conversion, mmu notifier)'),
  fnDef('tdp_mmu_zap_root', 'mmu/tdp_mmu.c', 'zap a whole root, level by level'),
  fnDef('__tdp_mmu_zap_root', 'mmu/tdp_mmu.c', 'zap the entries of a root at one level'),
  { id: '__tdp_mmu_zap_root.set_spte', fn: '__tdp_mmu_zap_root', file: 'mmu/tdp_mmu.c', title: 'exclusive zap of one entry', pattern: { kind: 'call', callee: 'tdp_mmu_iter_set_spte' }, profiles: ALL },
  fnDef('kvm_tdp_mmu_zap_all', 'mmu/tdp_mmu.c', 'zap all direct roots (VM teardown)'),
  fnDef('kvm_tdp_mmu_invalidate_roots', 'mmu/tdp_mmu.c', 'mark roots invalid before zapping them', TDX),
  fnDef('kvm_tdp_mmu_zap_invalidated_roots', 'mmu/tdp_mmu.c', 'zap the invalidated roots'),

  // ---- TDX side of each hook (vmx/tdx.c) ---------------------------------------------------
  // A SEAMCALL that is retried once after TDX_OPERAND_BUSY appears twice: `nth: 0` is the
  // first attempt, the retry is the call inside the if on tdx_operand_busy.
  fnDef('tdx_sept_link_private_spt', 'vmx/tdx.c', 'TDX link_external_spt: TDH.MEM.SEPT.ADD', TDX),
  { id: 'tdx_sept_link_private_spt.sept_add', fn: 'tdx_sept_link_private_spt', file: 'vmx/tdx.c', title: 'SEAMCALL TDH.MEM.SEPT.ADD', pattern: { kind: 'call', callee: 'tdh_mem_sept_add' }, profiles: TDX },
  fnDef('tdx_sept_set_private_spte', 'vmx/tdx.c', 'TDX set_external_spte: TDH.MEM.PAGE.AUG', TDX),
  { id: 'tdx_sept_set_private_spte.page_aug', fn: 'tdx_sept_set_private_spte', file: 'vmx/tdx.c', title: 'map the page with TDH.MEM.PAGE.AUG', pattern: { kind: 'call', callee: 'tdx_mem_page_aug' }, profiles: TDX },
  fnDef('tdx_mem_page_aug', 'vmx/tdx.c', 'TDH.MEM.PAGE.AUG of one guest page', TDX),
  { id: 'tdx_mem_page_aug.seamcall', fn: 'tdx_mem_page_aug', file: 'vmx/tdx.c', title: 'SEAMCALL TDH.MEM.PAGE.AUG', pattern: { kind: 'call', callee: 'tdh_mem_page_aug' }, profiles: TDX },
  fnDef('tdx_sept_remove_private_spte', 'vmx/tdx.c', 'TDX remove_external_spte: BLOCK, TRACK, PAGE.REMOVE', TDX),
  { id: 'tdx_sept_remove_private_spte.zap', fn: 'tdx_sept_remove_private_spte', file: 'vmx/tdx.c', title: 'TDH.MEM.RANGE.BLOCK', pattern: { kind: 'call', callee: 'tdx_sept_zap_private_spte' }, profiles: TDX },
  { id: 'tdx_sept_remove_private_spte.track', fn: 'tdx_sept_remove_private_spte', file: 'vmx/tdx.c', title: 'TDH.MEM.TRACK and kick vCPUs', pattern: { kind: 'call', callee: 'tdx_track' }, profiles: TDX },
  { id: 'tdx_sept_remove_private_spte.drop', fn: 'tdx_sept_remove_private_spte', file: 'vmx/tdx.c', title: 'TDH.MEM.PAGE.REMOVE', pattern: { kind: 'call', callee: 'tdx_sept_drop_private_spte' }, profiles: TDX },
  fnDef('tdx_sept_zap_private_spte', 'vmx/tdx.c', 'block a private mapping: TDH.MEM.RANGE.BLOCK', TDX),
  { id: 'tdx_sept_zap_private_spte.range_block', fn: 'tdx_sept_zap_private_spte', file: 'vmx/tdx.c', title: 'SEAMCALL TDH.MEM.RANGE.BLOCK', pattern: { kind: 'call', callee: 'tdh_mem_range_block', nth: 0 }, profiles: TDX },
  { id: 'tdx_sept_zap_private_spte.range_block_retry', fn: 'tdx_sept_zap_private_spte', file: 'vmx/tdx.c', title: 'TDX_OPERAND_BUSY: stop vCPUs entering, retry TDH.MEM.RANGE.BLOCK', pattern: { kind: 'call', callee: 'tdh_mem_range_block', within: { if: ['tdx_operand_busy'] } }, profiles: TDX },
  fnDef('tdx_sept_drop_private_spte', 'vmx/tdx.c', 'remove a blocked private page: TDH.MEM.PAGE.REMOVE, then WBINVD', TDX),
  { id: 'tdx_sept_drop_private_spte.page_remove', fn: 'tdx_sept_drop_private_spte', file: 'vmx/tdx.c', title: 'SEAMCALL TDH.MEM.PAGE.REMOVE', pattern: { kind: 'call', callee: 'tdh_mem_page_remove', nth: 0 }, profiles: TDX },
  { id: 'tdx_sept_drop_private_spte.page_remove_retry', fn: 'tdx_sept_drop_private_spte', file: 'vmx/tdx.c', title: 'TDX_OPERAND_BUSY: stop vCPUs entering, retry TDH.MEM.PAGE.REMOVE', pattern: { kind: 'call', callee: 'tdh_mem_page_remove', within: { if: ['tdx_operand_busy'] } }, profiles: TDX },
  { id: 'tdx_sept_drop_private_spte.wbinvd', fn: 'tdx_sept_drop_private_spte', file: 'vmx/tdx.c', title: 'SEAMCALL TDH.PHYMEM.PAGE.WBINVD', pattern: { kind: 'call', callee: 'tdh_phymem_page_wbinvd_hkid' }, profiles: TDX },
  fnDef('tdx_sept_free_private_spt', 'vmx/tdx.c', 'TDX free_external_spt: reclaim the S-EPT page', TDX),
  { id: 'tdx_sept_free_private_spt.reclaim', fn: 'tdx_sept_free_private_spt', file: 'vmx/tdx.c', title: 'TDH.PHYMEM.PAGE.RECLAIM of the S-EPT page', pattern: { kind: 'call', callee: 'tdx_reclaim_page' }, profiles: TDX },
  fnDef('tdx_sept_split_private_spt', 'vmx/tdx.c', 'TDX split_external_spt: BLOCK, TRACK, PAGE.DEMOTE', RFC),
  { id: 'tdx_sept_split_private_spt.bug_state', fn: 'tdx_sept_split_private_spt', file: 'vmx/tdx.c', title: 'KVM_BUG_ON: split only of a 2M page in a runnable TD', pattern: { kind: 'macro', macro: 'KVM_BUG_ON', mentions: ['TD_STATE_RUNNABLE', 'PG_LEVEL_2M'] }, profiles: RFC },
  { id: 'tdx_sept_split_private_spt.shared', fn: 'tdx_sept_split_private_spt', file: 'vmx/tdx.c', title: 'WARN_ON_ONCE: split under read mmu_lock, refused with -EOPNOTSUPP (RFC v2 11/23)', pattern: { kind: 'macro', macro: 'WARN_ON_ONCE', mentions: ['mmu_lock_shared'] }, profiles: RFC },
  { id: 'tdx_sept_split_private_spt.zap', fn: 'tdx_sept_split_private_spt', file: 'vmx/tdx.c', title: 'TDH.MEM.RANGE.BLOCK of the 2M leaf', pattern: { kind: 'call', callee: 'tdx_sept_zap_private_spte' }, profiles: RFC },
  { id: 'tdx_sept_split_private_spt.track', fn: 'tdx_sept_split_private_spt', file: 'vmx/tdx.c', title: 'TDH.MEM.TRACK and kick vCPUs', pattern: { kind: 'call', callee: 'tdx_track' }, profiles: RFC },
  { id: 'tdx_sept_split_private_spt.demote', fn: 'tdx_sept_split_private_spt', file: 'vmx/tdx.c', title: 'TDH.MEM.PAGE.DEMOTE', pattern: { kind: 'call', callee: 'tdx_spte_demote_private_spte' }, profiles: RFC },
  fnDef('tdx_track', 'vmx/tdx.c', 'TDH.MEM.TRACK, then kick vCPUs out of guest mode', TDX),
  { id: 'tdx_track.mem_track', fn: 'tdx_track', file: 'vmx/tdx.c', title: 'SEAMCALL TDH.MEM.TRACK', pattern: { kind: 'call', callee: 'tdh_mem_track', nth: 0 }, profiles: TDX },
  { id: 'tdx_track.kick', fn: 'tdx_track', file: 'vmx/tdx.c', title: 'kick all vCPUs out of guest mode (KVM_REQ_OUTSIDE_GUEST_MODE)', pattern: { kind: 'call', callee: 'kvm_make_all_cpus_request' }, profiles: TDX },

  // ---- SPTE helpers (mmu/spte.h) and the iterator (mmu/tdp_iter.c) ---------------------------
  fnDef('is_shadow_present_pte', 'mmu/spte.h', 'the SPTE has SPTE_MMU_PRESENT_MASK (bit 11)'),
  fnDef('is_last_spte', 'mmu/spte.h', 'leaf at this level: 4K, or the large-page bit'),
  fnDef('is_large_pte', 'mmu/spte.h', 'bit 7 (PT_PAGE_SIZE_MASK)'),
  fnDef('is_frozen_spte', 'mmu/spte.h', 'the SPTE equals FROZEN_SPTE'),
  fnDef('is_mirror_sptep', 'mmu/spte.h', 'the SPTE lives in a mirror page table (role.is_mirror)', TDX),
  fnDef('tdp_iter_start', 'mmu/tdp_iter.c', 'start a pre-order walk of a root from a GFN'),
  fnDef('tdp_iter_next', 'mmu/tdp_iter.c', 'next SPTE of the walk: down, sideways, or up'),
];

const byId = new Map(ANCHORS.map((a) => [a.id, a]));

export function anchorById(id: string): Anchor | undefined {
  return byId.get(id);
}
