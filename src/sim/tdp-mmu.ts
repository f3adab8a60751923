// arch/x86/kvm/mmu/tdp_mmu.c, function by function, under the kernel's names. Each function
// records a 'call' event (its anchor is the call site in the caller when the anchor table has
// one, else the function itself) and cites the condition it models. Functions that can run with
// mmu_lock held for read are generators: they `yield` at the points where another vCPU can
// interleave (SPTE reads, cmpxchg, the SEAMCALL window of a frozen SPTE), so that concurrent
// faults can be stepped in lockstep. Exclusive callers run them to completion with sync().
//
// Profiles switch behaviour only at the decision points named in profiles.ts.
import type { PgLevel, RootKind, Spte } from './types';
import { Kvm, KvmMmuPage, TdpIter, Thread, EventFields } from './kvm';
import * as spte from './spte';
import * as levels from './levels';

const {
  FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, is_shadow_present_pte, is_last_spte, is_large_pte, is_frozen_spte,
  sptePfn, make_nonleaf_spte, make_small_spte, makeLeafSpte, is_mmio_spte, is_writable_pte, is_mmu_writable_spte,
  EPT_SPTE_HOST_WRITABLE,
} = spte;
const { pagesPerHpage, gfnRoundForLevel, spteIndex, SPTE_ENT_PER_PAGE, tableSpanPages } = levels;

export type Gen<T> = Generator<void, T, void>;

/** Run a generator-modelled function to completion (exclusive callers: nobody interleaves). */
export function sync<T>(g: Gen<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** RET_PF_* of kvm_tdp_mmu_map() and tdp_mmu_map_handle_target_level(). */
export type RetPf = 'RET_PF_FIXED' | 'RET_PF_RETRY' | 'RET_PF_SPURIOUS';

/** struct kvm_page_fault, the fields the TDP MMU reads. */
export interface KvmPageFault {
  /** fault->gfn (with the shared bit set for a TD's shared access, as kvm_tdp_mmu_map walks it). */
  gfn: number;
  is_private: boolean;
  write: boolean;
  /** After kvm_mmu_hugepage_adjust(). */
  goal_level: PgLevel;
  /** fault->pfn, already aligned down to goal_level by kvm_mmu_hugepage_adjust(). */
  pfn: number;
}

/** The external page-table hooks of kvm_x86_ops (TDX implements them in vmx/tdx.c). Each
 *  returns the int the kernel hook returns; external_spt is a pfn, or null for NULL. */
export interface ExternalSptOps {
  link_external_spt(t: Thread, gfn: number, level: PgLevel, external_spt: number | null): number;
  set_external_spte(t: Thread, gfn: number, level: PgLevel, pfn: number): number;
  free_external_spt(t: Thread, gfn: number, level: PgLevel, external_spt: number | null): number;
  remove_external_spte(t: Thread, gfn: number, level: PgLevel, pfn: number): number;
  /** RFC v2 09/23 (with 11/23's mmu_lock_shared). */
  split_external_spt?(t: Thread, gfn: number, level: PgLevel, external_spt: number | null, shared: boolean): number;
}

/** Invariant windows: the span a function is propagating from the mirror to the S-EPT. */
export interface PropagationWindows {
  open(t: Thread, gfn: number, level: PgLevel): void;
  close(t: Thread): void;
}

const errno = (r: number): string => (r === 0 ? '0' : ERRNO[r] ?? String(r));
const ERRNO: Record<number, string> = { [-16]: '-EBUSY', [-5]: '-EIO', [-22]: '-EINVAL', [-95]: '-EOPNOTSUPP', [-12]: '-ENOMEM' };
export const EBUSY = -16, EIO = -5, EINVAL = -22, EOPNOTSUPP = -95;
export { errno };

/** Retries the kernel would repeat forever (a persistent failure under goto retry) are cut here. */
const MAX_RETRY = 3;

export class TdpMmu {
  ops: ExternalSptOps | null = null;
  windows: PropagationWindows | null = null;

  constructor(readonly kvm: Kvm) {}

  private get mirrorOn(): boolean {
    return this.kvm.profile.tdx;
  }

  private spteFields(iter: { gfn: number; level: PgLevel; root: RootKind }, old?: Spte, nv?: Spte): EventFields {
    return { root: iter.root, gfn: iter.gfn, level: iter.level, old_spte: old, new_spte: nv };
  }

  /** A kvm_x86_ops hook invocation is an event: enterHook(), call the hook, leaveHook(its return). */
  private enterHook(t: Thread, name: keyof ExternalSptOps, anchor: string, gfn: number, level: PgLevel, old?: Spte, nv?: Spte, more?: EventFields): void {
    this.kvm.enterAt(t, 'hook', name, anchor, undefined, gfn, level, old, nv, more);
  }

  private leaveHook(t: Thread, r: number): number {
    this.kvm.leave(t, errno(r));
    return r;
  }

  /** Write an SPTE and, when it links a table, make the table's pre-filled entries visible. */
  private write(sp: KvmMmuPage, index: number, v: Spte): void {
    if (is_shadow_present_pte(v) && !is_last_spte(v, sp.level)) {
      const child = this.kvm.pages.get(sptePfn(v));
      if (child && !child.linked) this.kvm.publishTable(child);
    }
    this.kvm.writeSpte(sp, index, v);
  }

  // ---- roots ------------------------------------------------------------------------------
  /** kvm_tdp_mmu_alloc_root(vcpu, mirror): role.is_mirror for the mirror root; refcount 2 (the
   *  vCPU's reference and the TDP MMU's own, put by kvm_tdp_mmu_zap_invalidated_roots()). */
  kvm_tdp_mmu_alloc_root(t: Thread, mirror: boolean): KvmMmuPage {
    const kvm = this.kvm;
    const root = kvm.allocSp(kvm.rootLevel, 0, mirror, null, 0);
    root.linked = true;
    root.refcount = 2;
    kvm.b.setRoot(mirror ? 'mirror' : 'direct', true);
    kvm.emit(t, 'call', 'kvm_tdp_mmu_alloc_root', 'kvm_tdp_mmu_alloc_root', { root: mirror ? 'mirror' : 'direct', level: kvm.rootLevel, args: { mirror, root_hpa: BigInt(root.pfn) << 12n } });
    kvm.roots[mirror ? 'mirror' : 'direct'] = root;
    return root;
  }

  /** kvm_tdp_mmu_put_root(): drop a reference; the last one frees the (invalid) root. */
  kvm_tdp_mmu_put_root(t: Thread, root: KvmMmuPage): void {
    const kvm = this.kvm;
    root.refcount--;
    const kind: RootKind = root.isMirror ? 'mirror' : 'direct';
    if (root.refcount > 0) {
      kvm.emit(t, 'call', 'kvm_tdp_mmu_put_root', null, { root: kind, args: { refcount: root.refcount } });
      return;
    }
    kvm.enter(t, 'call', 'kvm_tdp_mmu_put_root', null, { root: kind, args: { refcount: 0 } });
    kvm.KVM_BUG_ON(t, !root.invalid, null, 'kvm_tdp_mmu_put_root(): the last reference of a valid root was put');
    this.tdp_mmu_free_sp(t, root, null);
    kvm.roots[kind] = null;
    kvm.leave(t);
  }

  // ---- the fault path (mmu_lock held for read) ----------------------------------------------
  /** tdp_mmu_get_root_for_fault(): the mirror root for a private GPA, the direct root otherwise. */
  private rootForFault(t: Thread, fault: KvmPageFault): KvmMmuPage | null {
    const mirror = fault.is_private && this.mirrorOn;
    if (this.mirrorOn) {
      this.kvm.emitAt(t, 'call', 'tdp_mmu_get_root_for_fault', 'tdp_mmu_get_root_for_fault', mirror ? 'mirror' : 'direct', fault.gfn, undefined, undefined, undefined);
    }
    return this.kvm.roots[mirror ? 'mirror' : 'direct'];
  }

  /** kvm_tdp_mmu_map(): walk from the root to the goal level, linking page tables (or splitting a
   *  huge SPTE in the way), then install the leaf. */
  *kvm_tdp_mmu_map(t: Thread, fault: KvmPageFault): Gen<RetPf> {
    const kvm = this.kvm;
    const root = this.rootForFault(t, fault);
    const rootKind: RootKind = root?.isMirror ? 'mirror' : 'direct';
    kvm.enterAt(t, 'call', 'kvm_tdp_mmu_map', 'kvm_tdp_mmu_map', rootKind, fault.gfn, fault.goal_level);
    if (!root) {
      kvm.leave(t, 'RET_PF_RETRY');
      return 'RET_PF_RETRY';
    }
    let sp = root;
    let ret: RetPf = 'RET_PF_RETRY';
    // for_each_tdp_pte(iter, kvm, root, fault->gfn, fault->gfn + 1): one iterator, moved down.
    const iter: TdpIter = { sp, index: 0, level: root.level, gfn: 0, old_spte: SHADOW_NONPRESENT_VALUE, root: rootKind };
    for (let level = root.level; ;) {
      yield; // tdp_iter reads the SPTE: other vCPUs may have changed it
      const index = spteIndex(fault.gfn, level);
      iter.sp = sp; iter.index = index; iter.level = level; iter.gfn = gfnRoundForLevel(fault.gfn, level); iter.old_spte = sp.spt[index];
      // RFC v2 07/23: disallowed_hugepage_adjust() for mirror roots: no page merging, step down.
      if (kvm.profile.mirrorNoMerge && sp.isMirror && level > 1 && level === fault.goal_level && is_shadow_present_pte(iter.old_spte) && !is_large_pte(iter.old_spte)) {
        fault.goal_level = (level - 1) as PgLevel;
        fault.pfn = kvm.guestPfn(gfnRoundForLevel(fault.gfn, fault.goal_level), fault.is_private);
      }
      // If SPTE has been frozen by another thread, give up and retry.
      if (is_frozen_spte(iter.old_spte)) {
        kvm.emitAt(t, 'call', 'is_frozen_spte', 'is_frozen_spte', iter.root, iter.gfn, iter.level, iter.old_spte, undefined, 'true');
        break;
      }
      if (iter.level === fault.goal_level) {
        ret = yield* this.tdp_mmu_map_handle_target_level(t, fault, iter);
        break;
      }
      // Step down into the lower level page table if it exists.
      if (!(is_shadow_present_pte(iter.old_spte) && !is_large_pte(iter.old_spte))) {
        // The SPTE is either non-present or points to a huge page that needs to be split.
        const child = kvm.allocSp((level - 1) as PgLevel, iter.gfn, sp.isMirror, sp, index); // tdp_mmu_init_child_sp
        if (child.isMirror) {
          child.externalSpt = kvm.allocPfn(); // kvm_mmu_alloc_external_spt()
          kvm.emit(t, 'call', 'kvm_mmu_alloc_external_spt', 'kvm_tdp_mmu_map.alloc_external_spt', { root: rootKind, gfn: iter.gfn, level: child.level, args: { external_spt: BigInt(child.externalSpt) << 12n } });
        }
        let r: number;
        if (is_shadow_present_pte(iter.old_spte)) {
          // mainline: "Don't support large page for mirrored roots (TDX)"; RFC v2 11/23 drops it.
          if (this.kvm.profile.faultPathMirrorSplit === 'bug') {
            kvm.KVM_BUG_ON(t, sp.isMirror, 'kvm_tdp_mmu_map.bug_mirror_huge', 'huge mirror SPTE in the way of the fault: no split of a mirror SPTE in the fault path', this.spteFields(iter, iter.old_spte));
          }
          r = yield* this.tdp_mmu_split_huge_page(t, iter, child, true, 'kvm_tdp_mmu_map.split_huge');
        } else {
          r = yield* this.tdp_mmu_link_sp(t, iter, child, true, 'kvm_tdp_mmu_map.link_sp');
        }
        // Force the guest to retry if installing an upper level SPTE failed.
        if (r) {
          this.tdp_mmu_free_sp(t, child, 'kvm_tdp_mmu_map');
          break;
        }
      }
      // tdp_iter_next() -> try_step_down(): re-read the SPTE, follow it if it is a page table.
      const cur = sp.spt[index];
      if (!is_shadow_present_pte(cur) || is_last_spte(cur, level)) {
        // The walk ended above the goal level (e.g. the entry changed under us).
        kvm.WARN_ON(t, iter.level === fault.goal_level, 'kvm_tdp_mmu_map', 'walk aborted at the goal level');
        break;
      }
      sp = kvm.childSp(cur);
      level = (level - 1) as PgLevel;
    }
    kvm.leave(t, ret);
    return ret;
  }

  /** tdp_mmu_map_handle_target_level(): build the leaf with make_spte() and cmpxchg it in. */
  private *tdp_mmu_map_handle_target_level(t: Thread, fault: KvmPageFault, iter: TdpIter): Gen<RetPf> {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdp_mmu_map_handle_target_level', 'kvm_tdp_mmu_map.handle_target_level', iter.root, iter.gfn, iter.level, iter.old_spte);
    let ret: RetPf = 'RET_PF_FIXED';
    // is_access_allowed(): private memory is always mapped RWX; shared memory writable here.
    if (is_shadow_present_pte(iter.old_spte) && is_last_spte(iter.old_spte, iter.level)) {
      kvm.leave(t, 'RET_PF_SPURIOUS');
      return 'RET_PF_SPURIOUS';
    }
    // make_spte(): EPT, A/D enabled, WB; a TD disables KVM_X86_QUIRK_IGNORE_GUEST_PAT (no IPAT).
    const nv = makeLeafSpte({ pfn: fault.pfn, level: iter.level, writable: true, ipat: !kvm.isTd });
    if (nv === iter.old_spte) ret = 'RET_PF_SPURIOUS';
    else if (yield* this.tdp_mmu_set_spte_atomic(t, iter, nv, 'tdp_mmu_map_handle_target_level.set_spte_atomic')) ret = 'RET_PF_RETRY';
    kvm.leave(t, ret);
    return ret;
  }

  /** tdp_mmu_link_sp(): point the SPTE at a new child table (atomically when shared). */
  *tdp_mmu_link_sp(t: Thread, iter: TdpIter, sp: KvmMmuPage, shared: boolean, anchor: string): Gen<number> {
    const kvm = this.kvm;
    const s = make_nonleaf_spte(sp.pfn, false);
    kvm.enterAt(t, 'call', 'tdp_mmu_link_sp', anchor, iter.root, iter.gfn, iter.level, iter.old_spte, s);
    if (shared) {
      const r = yield* this.tdp_mmu_set_spte_atomic(t, iter, s, 'tdp_mmu_link_sp.atomic');
      if (r) {
        kvm.leave(t, errno(r));
        return r;
      }
    } else {
      this.tdp_mmu_iter_set_spte(t, iter, s, 'tdp_mmu_link_sp.exclusive');
    }
    kvm.leave(t, '0');
    return 0;
  }

  // ---- atomic set (read mmu_lock) -------------------------------------------------------------
  /** tdp_mmu_set_spte_atomic(): __tdp_mmu_set_spte_atomic(), then handle_changed_spte(shared). */
  *tdp_mmu_set_spte_atomic(t: Thread, iter: TdpIter, nv: Spte, anchor: string): Gen<number> {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdp_mmu_set_spte_atomic', anchor, iter.root, iter.gfn, iter.level, iter.old_spte, nv);
    kvm.lockdep_assert(t, 'read', 'tdp_mmu_set_spte_atomic.lockdep');
    const r = yield* this.__tdp_mmu_set_spte_atomic(t, iter, nv);
    if (r) {
      kvm.leave(t, errno(r));
      return r;
    }
    this.handle_changed_spte(t, iter.root, iter.gfn, iter.old_spte, nv, iter.level, true, 'tdp_mmu_set_spte_atomic.handle_changed_spte');
    kvm.leave(t, '0');
    return 0;
  }

  /** __tdp_mmu_set_spte_atomic(): the mirror path through set_external_spte_present(), or a
   *  try_cmpxchg64() that refreshes iter->old_spte when another thread changed the SPTE. */
  *__tdp_mmu_set_spte_atomic(t: Thread, iter: TdpIter, nv: Spte): Gen<number> {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', '__tdp_mmu_set_spte_atomic', '__tdp_mmu_set_spte_atomic', iter.root, iter.gfn, iter.level, iter.old_spte, nv);
    kvm.WARN_ON(t, is_frozen_spte(iter.old_spte), '__tdp_mmu_set_spte_atomic', 'the caller tried to replace a FROZEN SPTE');
    let r = 0;
    if (this.mirrorOn && iter.sp.isMirror && !is_frozen_spte(nv)) {
      // Users of atomic zapping don't operate on mirror roots.
      if (kvm.KVM_BUG_ON(t, !is_shadow_present_pte(nv), '__tdp_mmu_set_spte_atomic.bug_mirror_zap', 'atomic zap of a mirror SPTE', this.spteFields(iter, iter.old_spte, nv))) {
        r = EBUSY;
      } else {
        r = yield* this.set_external_spte_present(t, iter.sp, iter.index, iter.gfn, iter.old_spte, nv, iter.level);
      }
    } else {
      yield; // another vCPU may write the SPTE before our cmpxchg
      const cur = iter.sp.spt[iter.index];
      if (cur !== iter.old_spte) {
        kvm.emitAt(t, 'call', 'try_cmpxchg64', '__tdp_mmu_set_spte_atomic.cmpxchg', iter.root, iter.gfn, iter.level, cur, nv, 'false', { message: 'the SPTE changed since it was read: iter->old_spte refreshed' });
        iter.old_spte = cur;
        r = EBUSY;
      } else {
        this.write(iter.sp, iter.index, nv);
        kvm.emitAt(t, 'call', 'try_cmpxchg64', '__tdp_mmu_set_spte_atomic.cmpxchg', iter.root, iter.gfn, iter.level, cur, nv, 'true');
      }
    }
    kvm.leave(t, errno(r));
    return r;
  }

  /** set_external_spte_present(): freeze the mirror SPTE with FROZEN_SPTE, propagate it to the
   *  external page table through a hook, then publish the new value (or restore the old one). */
  *set_external_spte_present(t: Thread, sp: KvmMmuPage, index: number, gfn: number, old: Spte, nv: Spte, level: PgLevel): Gen<number> {
    const kvm = this.kvm;
    const f = { root: 'mirror' as const, gfn, level, old_spte: old, new_spte: nv };
    kvm.enterAt(t, 'call', 'set_external_spte_present', '__tdp_mmu_set_spte_atomic.set_external_spte_present', 'mirror', gfn, level, old, nv);
    const was_present = is_shadow_present_pte(old);
    const is_present = is_shadow_present_pte(nv);
    const was_leaf = was_present && is_last_spte(old, level);
    const is_leaf = is_present && is_last_spte(nv, level);
    const rfc = kvm.profile.faultPathMirrorSplit === 'split';
    if (rfc) {
      // RFC v2 11/23: a present old SPTE is allowed only for a demote (leaf → non-leaf); the
      // other valid transitions start from a non-present SPTE.
      kvm.KVM_BUG_ON(t, was_present && !(was_leaf && !is_leaf), 'set_external_spte_present.bug_was_present', 'a present mirror SPTE may only change from a leaf to a page table (demote)', f);
    } else {
      kvm.KVM_BUG_ON(t, was_present, 'set_external_spte_present.bug_was_present', 'only non-present → present is supported for a mirror SPTE', f);
    }
    kvm.lockdep_assert(t, 'held', 'set_external_spte_present.lockdep');
    yield; // another vCPU may write the SPTE before our cmpxchg
    const cur = sp.spt[index];
    if (cur !== old) {
      kvm.emitAt(t, 'call', 'try_cmpxchg64', 'set_external_spte_present.freeze', 'mirror', gfn, level, cur, FROZEN_SPTE, 'false');
      kvm.leave(t, '-EBUSY');
      return EBUSY;
    }
    this.windows?.open(t, gfn, level);
    this.write(sp, index, FROZEN_SPTE);
    kvm.emitAt(t, 'call', 'try_cmpxchg64', 'set_external_spte_present.freeze', 'mirror', gfn, level, old, FROZEN_SPTE, 'true');
    yield; // the SEAMCALL takes time: other vCPUs see FROZEN_SPTE meanwhile
    let ret = 0;
    const ops = this.ops!;
    if (!rfc || !was_present) {
      if (is_leaf) {
        this.enterHook(t, 'set_external_spte', 'set_external_spte_present.set_external_spte', gfn, level, undefined, nv);
        ret = this.leaveHook(t, ops.set_external_spte(t, gfn, level, sptePfn(nv)));
      } else {
        const ext = this.get_external_spt(t, gfn, nv, level);
        kvm.KVM_BUG_ON(t, ext === null, 'set_external_spte_present.bug_no_external_spt', 'non-leaf mirror SPTE without an external page table', f);
        this.enterHook(t, 'link_external_spt', 'set_external_spte_present.link_external_spt', gfn, level, undefined, undefined, { args: { external_spt: BigInt(ext ?? 0) << 12n } });
        ret = this.leaveHook(t, ops.link_external_spt(t, gfn, level, ext));
      }
    } else if (was_leaf && !is_leaf) {
      ret = this.split_external_spt(t, gfn, old, nv, level, true, 'set_external_spte_present.split_external_spt'); // demote
    }
    // RFC v2 11/23: any other change of a present SPTE already hit the KVM_BUG_ON above and is
    // published without telling the S-EPT (ret stays 0).
    this.write(sp, index, ret ? old : nv);
    // Publish the new SPTE, or restore the old one if the hook failed (new_spte says which).
    kvm.emitAt(t, 'call', '__kvm_tdp_mmu_write_spte', 'set_external_spte_present', 'mirror', gfn, level, FROZEN_SPTE, ret ? old : nv);
    this.windows?.close(t);
    kvm.leave(t, errno(ret));
    return ret;
  }

  /** get_external_spt(): the child table's external page for a present non-leaf new SPTE. */
  private get_external_spt(t: Thread, gfn: number, nv: Spte, level: PgLevel): number | null {
    if (!is_shadow_present_pte(nv) || is_last_spte(nv, level)) return null;
    const sp = this.kvm.childSp(nv);
    this.kvm.WARN_ON(t, sp.level + 1 !== level, 'set_external_spte_present', 'child table level does not match');
    this.kvm.WARN_ON(t, sp.gfn !== gfn, 'set_external_spte_present', 'child table gfn does not match');
    return sp.externalSpt;
  }

  // ---- exclusive set (write mmu_lock) ----------------------------------------------------------
  /** tdp_mmu_set_spte(): write, handle_changed_spte(exclusive), then propagate a mirror change:
   *  mainline only allows a mirror SPTE to become non-present here (KVM_BUG_ON otherwise);
   *  RFC v2 09/23 adds present leaf → present non-leaf through split_external_spt(). */
  tdp_mmu_set_spte(t: Thread, sp: KvmMmuPage, index: number, old: Spte, nv: Spte, gfn: number, level: PgLevel): Spte {
    const kvm = this.kvm;
    const root: RootKind = sp.isMirror ? 'mirror' : 'direct';
    const f = { root, gfn, level, old_spte: old, new_spte: nv };
    const mirror = this.mirrorOn && sp.isMirror;
    if (mirror) this.windows?.open(t, gfn, level);
    old = sp.spt[index]; // kvm_tdp_mmu_write_spte() returns the current value
    this.write(sp, index, nv);
    kvm.enterAt(t, 'call', 'tdp_mmu_set_spte', 'tdp_mmu_set_spte', root, gfn, level, old, nv);
    kvm.lockdep_assert(t, 'write', 'tdp_mmu_set_spte.lockdep');
    kvm.WARN_ON(t, is_frozen_spte(old) || is_frozen_spte(nv), 'tdp_mmu_set_spte', 'FROZEN_SPTE set or replaced under write mmu_lock');
    this.handle_changed_spte(t, root, gfn, old, nv, level, false, 'tdp_mmu_set_spte.handle_changed_spte');
    if (mirror) {
      if (kvm.profile.setSpteMirrorPresent === 'bug') {
        kvm.KVM_BUG_ON(t, is_shadow_present_pte(nv), 'tdp_mmu_set_spte.bug_present', 'a mirror SPTE became present under write mmu_lock (only present → non-present is supported)', f);
        this.remove_external_spte(t, gfn, old, level, 'tdp_mmu_set_spte.remove_external_spte');
      } else if (!is_shadow_present_pte(nv)) {
        this.remove_external_spte(t, gfn, old, level, 'tdp_mmu_set_spte.remove_external_spte');
      } else if (is_last_spte(old, level) && !is_last_spte(nv, level)) {
        this.split_external_spt(t, gfn, old, nv, level, false, 'tdp_mmu_set_spte.split_external_spt');
      } else {
        kvm.KVM_BUG_ON(t, true, 'tdp_mmu_set_spte.bug_other', 'unsupported mirror SPTE transition under write mmu_lock', f);
      }
      this.windows?.close(t);
    }
    kvm.leave(t);
    return old;
  }

  /** tdp_mmu_iter_set_spte(): tdp_mmu_set_spte() at the iterator, refreshing iter->old_spte. */
  tdp_mmu_iter_set_spte(t: Thread, iter: TdpIter, nv: Spte, anchor: string): void {
    this.kvm.enterAt(t, 'call', 'tdp_mmu_iter_set_spte', anchor, iter.root, iter.gfn, iter.level, iter.old_spte, nv);
    iter.old_spte = this.tdp_mmu_set_spte(t, iter.sp, iter.index, iter.old_spte, nv, iter.gfn, iter.level);
    iter.old_spte = iter.sp.spt[iter.index];
    this.kvm.leave(t);
  }

  // ---- bookkeeping -------------------------------------------------------------------------
  /** handle_changed_spte(): its event is anchored at the kvm_tdp_mmu_spte_changed tracepoint
   *  when the SPTE changed (old != new), so it lines up with trace_kvm_tdp_mmu_spte_changed. */
  handle_changed_spte(t: Thread, root: RootKind, gfn: number, old: Spte, nv: Spte, level: PgLevel, shared: boolean, _callSite: string): void {
    const kvm = this.kvm;
    const was_present = is_shadow_present_pte(old);
    const is_present = is_shadow_present_pte(nv);
    const was_leaf = was_present && is_last_spte(old, level);
    const is_leaf = is_present && is_last_spte(nv, level);
    const pfn_changed = sptePfn(old) !== sptePfn(nv);
    kvm.enterAt(t, 'call', 'handle_changed_spte', old === nv ? 'handle_changed_spte' : 'handle_changed_spte.trace', root, gfn, level, old, nv);
    // Messages are built only when the WARN fires (this runs several times per fault).
    const badLevel = level > kvm.rootLevel || level < 1;
    kvm.WARN_ON(t, badLevel, 'handle_changed_spte', badLevel ? `bad level ${level}` : '');
    const misaligned = gfn % pagesPerHpage(level) !== 0;
    kvm.WARN_ON(t, misaligned, 'handle_changed_spte', misaligned ? `gfn 0x${gfn.toString(16)} not aligned to its level` : '');
    if (was_leaf && is_leaf && pfn_changed) {
      // A present leaf replaced by a present leaf with another pfn: crash the host.
      kvm.BUG(t, 'handle_changed_spte', 'present leaf SPTE replaced by a present leaf mapping a different pfn', { root, gfn, level, old_spte: old, new_spte: nv });
      kvm.leave(t);
      return;
    }
    if (old === nv) {
      kvm.leave(t);
      return;
    }
    if (is_leaf) this.check_spte_writable_invariants(t, nv);
    if (!was_present && !is_present) {
      const vm = kvm.isTd ? 'tdx' : 'vmx';
      kvm.WARN_ON(t, !is_mmio_spte(old, vm) && !is_mmio_spte(nv, vm) && !is_frozen_spte(nv), 'handle_changed_spte', 'unexpected change between non-present SPTEs');
      kvm.leave(t);
      return;
    }
    if (was_present && !was_leaf && (is_leaf || !is_present || kvm.WARN_ON(t, pfn_changed, 'handle_changed_spte', 'page table pfn changed'))) {
      this.handle_removed_pt(t, kvm.childSp(old), shared);
    }
    kvm.leave(t);
  }

  /** check_spte_writable_invariants() (spte.h) */
  private check_spte_writable_invariants(t: Thread, s: Spte): void {
    if (is_mmu_writable_spte(s)) this.kvm.WARN_ON(t, !(s & EPT_SPTE_HOST_WRITABLE), 'handle_changed_spte', 'MMU-writable SPTE is not host-writable', 'WARN_ONCE');
    else if (is_writable_pte(s)) this.kvm.WARN_ON(t, true, 'handle_changed_spte', 'writable SPTE is not MMU-writable', 'WARN_ONCE');
  }

  /** handle_removed_pt(): freeze every child (FROZEN_SPTE), recurse through handle_changed_spte,
   *  remove mirror children from the external page table, free the external page, then free the
   *  table (call_rcu). Under read mmu_lock a mirror table is a KVM_BUG_ON. */
  handle_removed_pt(t: Thread, sp: KvmMmuPage, shared: boolean): void {
    const kvm = this.kvm;
    const root: RootKind = sp.isMirror ? 'mirror' : 'direct';
    kvm.enter(t, 'call', 'handle_removed_pt', 'handle_changed_spte.handle_removed_pt', { root, gfn: sp.gfn, level: sp.level, args: { shared } });
    for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
      const gfn = kvm.entryGfn(sp, i);
      const old = sp.spt[i];
      if (shared) {
        // xchg to FROZEN until the old value was not FROZEN: another thread owned it.
        if (is_frozen_spte(old)) {
          kvm.emit(t, 'invariant', 'handle_removed_pt', 'handle_removed_pt', { root, gfn, level: sp.level, message: 'handle_removed_pt() would spin: the child SPTE is FROZEN by another thread' });
        }
      } else if (!is_shadow_present_pte(old)) {
        continue;
      }
      this.write(sp, i, FROZEN_SPTE);
      this.handle_changed_spte(t, root, gfn, old, FROZEN_SPTE, sp.level, shared, 'handle_removed_pt');
      if (this.mirrorOn && sp.isMirror) {
        kvm.KVM_BUG_ON(t, shared, 'handle_removed_pt.bug_mirror_shared', 'mirror page table removed with mmu_lock held for read', { root, gfn, level: sp.level, old_spte: old });
        this.remove_external_spte(t, gfn, old, sp.level, 'handle_removed_pt.remove_external_spte');
      }
    }
    if (this.mirrorOn && sp.isMirror) {
      const ext = sp.externalSpt;
      this.enterHook(t, 'free_external_spt', 'handle_removed_pt.free_external_spt', sp.gfn, sp.level, undefined, undefined, { root, args: { external_spt: BigInt(ext ?? 0) << 12n } });
      const r = this.leaveHook(t, this.ops!.free_external_spt(t, sp.gfn, sp.level, ext));
      if (kvm.WARN_ON(t, r !== 0, 'handle_removed_pt.free_external_spt', 'free_external_spt failed: the external page is leaked', 'WARN_ON')) sp.externalSpt = null;
    }
    this.tdp_mmu_free_sp(t, sp, 'handle_removed_pt');
    kvm.leave(t);
  }

  /** tdp_mmu_free_sp() (directly, or via call_rcu from handle_removed_pt): the table's memory is
   *  released; `anchor` is where the caller frees it. */
  tdp_mmu_free_sp(t: Thread, sp: KvmMmuPage, anchor: string | null): void {
    const kvm = this.kvm;
    const table: RootKind = sp.isMirror ? 'mirror' : 'direct';
    const reachable = sp.parent !== null && sp.linked && sp.parent.linked && is_shadow_present_pte(sp.parent.spt[sp.index]) &&
      !is_last_spte(sp.parent.spt[sp.index], sp.parent.level) && sptePfn(sp.parent.spt[sp.index]) === sp.pfn;
    if (sp.linked) kvm.b.clearTable(table, sp.gfn, sp.level);
    if (!sp.parent) kvm.b.setRoot(table, false);
    sp.linked = false;
    kvm.pages.delete(sp.pfn);
    kvm.emit(t, 'call', 'tdp_mmu_free_sp', anchor, { root: table, gfn: sp.gfn, level: sp.level, args: { spt: BigInt(sp.pfn) << 12n } });
    if (reachable) {
      kvm.emit(t, 'invariant', 'page_table_freed_while_reachable', null, { root: table, gfn: sp.gfn, level: sp.level, message: `page table at pfn 0x${sp.pfn.toString(16)} freed while its parent SPTE still points to it` });
    }
  }

  /** remove_external_spte(): remove a mirror leaf from the external page table (write lock);
   *  a non-leaf SPTE is skipped (external page tables go through free_external_spt()). */
  remove_external_spte(t: Thread, gfn: number, old: Spte, level: PgLevel, anchor: string): void {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'remove_external_spte', anchor, 'mirror', gfn, level, old);
    if (!is_last_spte(old, level)) {
      kvm.leave(t, 'non-leaf: nothing to remove');
      return;
    }
    kvm.lockdep_assert(t, 'write', 'remove_external_spte.lockdep');
    const pfn = sptePfn(old);
    this.enterHook(t, 'remove_external_spte', 'remove_external_spte.hook', gfn, level, old);
    const ret = this.leaveHook(t, this.ops!.remove_external_spte(t, gfn, level, pfn));
    if (ret !== 0) kvm.KVM_BUG_ON(t, true, 'remove_external_spte.bug_ret', `remove_external_spte returned ${errno(ret)}`, { root: 'mirror', gfn, level, old_spte: old });
    kvm.leave(t);
  }

  /** split_external_spt() (RFC v2 09/23; `shared` from 11/23): hand the new child table's
   *  external page to the split hook. Its return value is returned, not checked. */
  split_external_spt(t: Thread, gfn: number, old: Spte, nv: Spte, level: PgLevel, shared: boolean, anchor: string): number {
    const kvm = this.kvm;
    const f = { root: 'mirror' as const, gfn, level, old_spte: old, new_spte: nv };
    kvm.enter(t, 'call', 'split_external_spt', anchor, { ...f, args: { shared } });
    const ext = this.get_external_spt(t, gfn, nv, level);
    kvm.KVM_BUG_ON(t, ext === null, 'split_external_spt.bug_no_external_spt', 'the new child page table has no external page', f);
    this.enterHook(t, 'split_external_spt', 'split_external_spt.hook', gfn, level, undefined, undefined, { args: { external_spt: BigInt(ext ?? 0) << 12n, shared } });
    const ret = this.leaveHook(t, this.ops!.split_external_spt!(t, gfn, level, ext, shared));
    kvm.leave(t, errno(ret));
    return ret;
  }

  // ---- huge pages ----------------------------------------------------------------------------
  /** tdp_mmu_split_huge_page(): fill the new table with make_small_spte() of the huge SPTE, link
   *  it in place of the huge leaf, trace kvm_mmu_split_huge_page. */
  *tdp_mmu_split_huge_page(t: Thread, iter: TdpIter, sp: KvmMmuPage, shared: boolean, anchor: string): Gen<number> {
    const kvm = this.kvm;
    const huge = iter.old_spte;
    kvm.enterAt(t, 'call', 'tdp_mmu_split_huge_page', anchor, iter.root, iter.gfn, iter.level, huge, undefined, { args: { shared } });
    for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) kvm.fillUnlinked(sp, i, make_small_spte(huge, sp.level, i));
    const ret = yield* this.tdp_mmu_link_sp(t, iter, sp, shared, 'tdp_mmu_split_huge_page.link_sp');
    kvm.emitAt(t, 'call', 'trace_kvm_mmu_split_huge_page', 'tdp_mmu_split_huge_page.trace', iter.root, iter.gfn, iter.level, huge, undefined, errno(ret));
    kvm.leave(t, errno(ret));
    return ret;
  }

  /** tdp_mmu_split_huge_pages_root(): split every huge leaf above target_level in [start, end)
   *  (pre-order, so a 1G page is split to 2M and then each 2M to 4K). A split sp for a mirror root
   *  gets an external page only with the RFC (tdp_mmu_alloc_sp_for_split(mirror), 08/23). */
  tdp_mmu_split_huge_pages_root(t: Thread, root: KvmMmuPage, start: number, end: number, target: PgLevel, shared: boolean, anchor = 'tdp_mmu_split_huge_pages_root'): number {
    const kvm = this.kvm;
    const rootKind: RootKind = root.isMirror ? 'mirror' : 'direct';
    kvm.enter(t, 'call', 'tdp_mmu_split_huge_pages_root', anchor, { root: rootKind, gfn: start, level: target, args: { end: BigInt(end), shared } });
    this.forEachPte(root, start, end, (target + 1) as PgLevel, (iter) => {
      let sp: KvmMmuPage | null = null;
      for (let attempt = 0; ; attempt++) {
        if (!is_shadow_present_pte(iter.old_spte) || !is_large_pte(iter.old_spte)) break;
        sp ??= kvm.allocSp((iter.level - 1) as PgLevel, iter.gfn, iter.sp.isMirror, iter.sp, iter.index);
        if (sp.isMirror && kvm.profile.setSpteMirrorPresent === 'split') sp.externalSpt ??= kvm.allocPfn();
        if (!sync(this.tdp_mmu_split_huge_page(t, iter, sp, shared, 'tdp_mmu_split_huge_page'))) {
          sp = null;
          break;
        }
        if (attempt + 1 >= MAX_RETRY || kvm.hostCrashed) {
          kvm.emit(t, 'call', 'tdp_mmu_split_huge_pages_root', anchor, { root: rootKind, gfn: iter.gfn, level: iter.level, message: `the split keeps failing; the kernel retries (goto retry) — cut after ${MAX_RETRY} attempts` });
          break;
        }
        iter.old_spte = iter.sp.spt[iter.index];
      }
      // It's possible to exit having never used the sp: free it.
      if (sp) this.tdp_mmu_free_sp(t, sp, 'tdp_mmu_split_huge_pages_root');
    });
    kvm.leave(t, '0');
    return 0;
  }

  /** kvm_tdp_mmu_try_split_huge_pages(): eager page splitting on every valid root. */
  kvm_tdp_mmu_try_split_huge_pages(t: Thread, start: number, end: number, target: PgLevel, shared: boolean): void {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'kvm_tdp_mmu_try_split_huge_pages', 'kvm_tdp_mmu_try_split_huge_pages', { gfn: start, level: target, args: { end: BigInt(end), shared } });
    kvm.lockdep_assert(t, shared ? 'read' : 'write', 'kvm_tdp_mmu_try_split_huge_pages');
    for (const root of this.validRoots()) this.tdp_mmu_split_huge_pages_root(t, root, start, end, target, shared);
    kvm.leave(t);
  }

  // ---- zapping -------------------------------------------------------------------------------
  /** tdp_mmu_zap_leafs(): zap present leaf SPTEs in [start, end) under write mmu_lock. */
  tdp_mmu_zap_leafs(t: Thread, root: KvmMmuPage, start: number, end: number): void {
    const kvm = this.kvm;
    const rootKind: RootKind = root.isMirror ? 'mirror' : 'direct';
    kvm.enter(t, 'call', 'tdp_mmu_zap_leafs', 'tdp_mmu_zap_leafs', { root: rootKind, gfn: start, args: { end: BigInt(end) } });
    kvm.lockdep_assert(t, 'write', 'tdp_mmu_zap_leafs');
    this.forEachPte(root, start, end, 1, (iter) => {
      if (!is_shadow_present_pte(iter.old_spte) || !is_last_spte(iter.old_spte, iter.level)) return;
      this.tdp_mmu_iter_set_spte(t, iter, SHADOW_NONPRESENT_VALUE, 'tdp_mmu_zap_leafs.set_spte');
    });
    kvm.leave(t);
  }

  /** The roots a kvm_gfn_range's attr_filter selects (kvm_gfn_range_filter_to_root_types()),
   *  valid or invalid (kvm_tdp_mmu_unmap_gfn_range() ORs KVM_INVALID_ROOTS). */
  private rootsFor(filter: 'private' | 'shared' | 'all'): KvmMmuPage[] {
    const out: KvmMmuPage[] = [];
    // list_add_rcu() puts the newest root first: the direct root, allocated after the mirror one.
    if (filter !== 'private' && this.kvm.roots.direct) out.push(this.kvm.roots.direct);
    if (filter !== 'shared' && this.kvm.roots.mirror) out.push(this.kvm.roots.mirror);
    return out;
  }

  private validRoots(): KvmMmuPage[] {
    return this.rootsFor('all').filter((r) => !r.invalid);
  }

  /** kvm_tdp_mmu_unmap_gfn_range(): zap leaves of the roots the range's attribute filter selects. */
  kvm_tdp_mmu_unmap_gfn_range(t: Thread, start: number, end: number, filter: 'private' | 'shared' | 'all'): void {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'kvm_tdp_mmu_unmap_gfn_range', 'kvm_tdp_mmu_unmap_gfn_range', { gfn: start, args: { end: BigInt(end), attr_filter: filter } });
    for (const root of this.rootsFor(filter)) {
      // The shared (direct) root of a TD maps gfn | shared bit.
      const off = root.isMirror ? 0 : kvm.sharedBits;
      this.tdp_mmu_zap_leafs(t, root, start + off, end + off);
    }
    kvm.leave(t);
  }

  /** __tdp_mmu_zap_root(): zap the present entries at zap_level (tables go with their subtree). */
  private __tdp_mmu_zap_root(t: Thread, root: KvmMmuPage, shared: boolean, zapLevel: PgLevel): void {
    const kvm = this.kvm;
    const rootKind: RootKind = root.isMirror ? 'mirror' : 'direct';
    kvm.enter(t, 'call', '__tdp_mmu_zap_root', '__tdp_mmu_zap_root', { root: rootKind, level: zapLevel, args: { shared } });
    this.forEachPte(root, 0, Number.MAX_SAFE_INTEGER, zapLevel, (iter) => {
      for (let attempt = 0; ; attempt++) {
        if (!is_shadow_present_pte(iter.old_spte) || iter.level > zapLevel) return;
        if (!shared) {
          this.tdp_mmu_iter_set_spte(t, iter, SHADOW_NONPRESENT_VALUE, '__tdp_mmu_zap_root.set_spte');
          return;
        }
        if (!sync(this.tdp_mmu_set_spte_atomic(t, iter, SHADOW_NONPRESENT_VALUE, '__tdp_mmu_zap_root'))) return;
        if (attempt + 1 >= MAX_RETRY) {
          kvm.emit(t, 'call', '__tdp_mmu_zap_root', '__tdp_mmu_zap_root', { root: rootKind, gfn: iter.gfn, level: iter.level, message: `the atomic zap keeps failing; the kernel retries forever (goto retry) — cut after ${MAX_RETRY} attempts` });
          return;
        }
      }
    });
    kvm.leave(t);
  }

  /** tdp_mmu_zap_root(): zap in passes of decreasing granularity, 4K → 2M → 1G → root level. */
  tdp_mmu_zap_root(t: Thread, root: KvmMmuPage, shared: boolean): void {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'tdp_mmu_zap_root', 'tdp_mmu_zap_root', { root: root.isMirror ? 'mirror' : 'direct', args: { shared } });
    kvm.lockdep_assert(t, shared ? 'read' : 'write', 'tdp_mmu_zap_root');
    for (const l of [1, 2, 3] as PgLevel[]) this.__tdp_mmu_zap_root(t, root, shared, l);
    this.__tdp_mmu_zap_root(t, root, shared, root.level);
    kvm.leave(t);
  }

  /** kvm_tdp_mmu_zap_all(): zap all direct roots (valid or not); mirror roots are left alone
   *  (the mmu-notifier release does not own private memory). */
  kvm_tdp_mmu_zap_all(t: Thread): void {
    this.kvm.enter(t, 'call', 'kvm_tdp_mmu_zap_all', 'kvm_tdp_mmu_zap_all');
    this.kvm.lockdep_assert(t, 'write', 'kvm_tdp_mmu_zap_all');
    for (const root of this.rootsFor('shared')) this.tdp_mmu_zap_root(t, root, false);
    this.kvm.leave(t);
  }

  /** kvm_tdp_mmu_invalidate_roots(): mark roots invalid and scheduled to zap. */
  kvm_tdp_mmu_invalidate_roots(t: Thread): KvmMmuPage[] {
    const roots = this.validRoots();
    const anchor = this.mirrorOn ? 'kvm_tdp_mmu_invalidate_roots' : null;
    this.kvm.emit(t, 'call', 'kvm_tdp_mmu_invalidate_roots', anchor, { args: { roots: roots.map((r) => (r.isMirror ? 'mirror' : 'direct')).join(',') } });
    for (const r of roots) r.invalid = true;
    return roots;
  }

  /** kvm_tdp_mmu_zap_invalidated_roots(): zap each scheduled root, then put the TDP MMU's reference. */
  kvm_tdp_mmu_zap_invalidated_roots(t: Thread, roots: KvmMmuPage[], shared: boolean): void {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'kvm_tdp_mmu_zap_invalidated_roots', 'kvm_tdp_mmu_zap_invalidated_roots', { args: { shared } });
    if (shared) kvm.read_lock(t);
    else kvm.write_lock(t);
    for (const root of roots) {
      kvm.KVM_BUG_ON(t, !root.invalid, 'kvm_tdp_mmu_zap_invalidated_roots', 'zapping a root that is not invalid');
      this.tdp_mmu_zap_root(t, root, shared);
      this.kvm_tdp_mmu_put_root(t, root);
    }
    if (shared) kvm.read_unlock(t);
    else kvm.write_unlock(t);
    kvm.leave(t);
  }

  // ---- the iterator ----------------------------------------------------------------------------
  /** for_each_tdp_pte_min_level(): pre-order walk of the entries overlapping [start, end) down to
   *  min_level. After `visit`, the entry is re-read (try_step_down) and followed if it is a page
   *  table; `visit` sees iter.old_spte as read. */
  forEachPte(root: KvmMmuPage, start: number, end: number, minLevel: PgLevel, visit: (iter: TdpIter) => void): void {
    const rootKind: RootKind = root.isMirror ? 'mirror' : 'direct';
    const kvm = this.kvm;
    // One iterator for the whole walk, like the kernel's: `visit` must not keep it.
    const iter: TdpIter = { sp: root, index: 0, level: root.level, gfn: 0, old_spte: SHADOW_NONPRESENT_VALUE, root: rootKind };
    const walk = (sp: KvmMmuPage): void => {
      const span = pagesPerHpage(sp.level);
      const first = Math.max(0, Math.floor((start - sp.gfn) / span));
      const last = Math.min(SPTE_ENT_PER_PAGE - 1, Math.floor((Math.min(end, sp.gfn + tableSpanPages(sp.level)) - 1 - sp.gfn) / span));
      for (let i = first; i <= last; i++) {
        if (!sp.linked || kvm.hostCrashed) return; // the table was freed under us (zapped by visit)
        iter.sp = sp; iter.index = i; iter.level = sp.level; iter.gfn = sp.gfn + i * span; iter.old_spte = sp.spt[i];
        visit(iter);
        const cur = sp.spt[i];
        if (sp.level > minLevel && is_shadow_present_pte(cur) && !is_last_spte(cur, sp.level)) walk(kvm.childSp(cur));
      }
    };
    if (root.linked) walk(root);
  }
}
