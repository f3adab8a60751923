// arch/x86/kvm/vmx/tdx.c: the TDX implementation of the external page-table hooks, driving the
// TDX module model through SEAMCALLs; plus the TD teardown steps that release the HKID.
// Reference: kernelorg-mirror/virt_kvm_kvm @6249af46 (mainline); RFC v2 10/23 and 11/23 for
// tdx_sept_split_private_spt().
import type { PgLevel } from './types';
import type { Kvm, Thread } from './kvm';
import type { ExternalSptOps } from './tdp-mmu';
import { EBUSY, EINVAL, EIO, EOPNOTSUPP, errno } from './tdp-mmu';
import { TdxModule } from './tdx-module';
import * as tdxStatus from './tdx-status';

// Module-local copies: imported bindings are getter calls in CommonJS output (per SEAMCALL).
const { tdx_operand_busy, tdxStatusName } = tdxStatus;

/** The hooks of vt_x86_ops for a TD (tdx_hardware_setup()). */
export class TdxOps implements ExternalSptOps {
  readonly split_external_spt?: ExternalSptOps['split_external_spt'];

  constructor(private kvm: Kvm, readonly module: TdxModule) {
    if (kvm.profile.setSpteMirrorPresent === 'split') this.split_external_spt = this.tdx_sept_split_private_spt;
  }

  private err(t: Thread, cond: boolean, anchor: string | null, what: string, status?: bigint): boolean {
    return this.kvm.KVM_BUG_ON(t, cond, anchor, status === undefined ? what : `${what}: ${tdxStatusName(status)}`);
  }

  /** tdx_no_vcpus_enter_start()/_stop(): keep vCPUs out of the guest while a SEAMCALL that lost
   *  against TDH.VP.ENTER is retried (asserts write mmu_lock). */
  private retryWithNoVcpusEnter(t: Thread, anchor: string, call: () => bigint): bigint {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'tdx_no_vcpus_enter_start', anchor, { message: 'wait_for_sept_zap = true; kick all vCPUs out of guest mode' });
    kvm.lockdep_assert(t, 'write', anchor);
    kvm.leave(t);
    const err = call();
    kvm.emit(t, 'call', 'tdx_no_vcpus_enter_stop', anchor, { message: 'wait_for_sept_zap = false' });
    return err;
  }

  /** link_external_spt: TDH.MEM.SEPT.ADD; TDX_OPERAND_BUSY → -EBUSY (the fault is retried). */
  link_external_spt(t: Thread, gfn: number, level: PgLevel, ext: number | null): number {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdx_sept_link_private_spt', 'tdx_sept_link_private_spt', undefined, gfn, level);
    let r = 0;
    const err = this.module.sept_add(t, 'tdx_sept_link_private_spt.sept_add', gfn, level, ext ?? 0);
    if (tdx_operand_busy(err)) r = EBUSY;
    else if (this.err(t, err !== 0n, 'tdx_sept_link_private_spt', 'TDH.MEM.SEPT.ADD failed', err)) r = EIO;
    kvm.leave(t, errno(r));
    return r;
  }

  /** set_external_spte: TDH.MEM.PAGE.AUG in a runnable TD (mainline: 4K only). */
  set_external_spte(t: Thread, gfn: number, level: PgLevel, pfn: number): number {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdx_sept_set_private_spte', 'tdx_sept_set_private_spte', undefined, gfn, level);
    let r: number;
    if (this.err(t, level > kvm.profile.privateMaxLevel, 'tdx_sept_set_private_spte', `private mapping at level ${level} is not supported`)) {
      r = EINVAL;
    } else {
      // tdx_mem_page_aug()
      kvm.enterAt(t, 'call', 'tdx_mem_page_aug', 'tdx_sept_set_private_spte.page_aug', undefined, gfn, level);
      const err = this.module.page_aug(t, 'tdx_mem_page_aug.seamcall', gfn, level, pfn);
      if (tdx_operand_busy(err)) r = EBUSY; // tdx_unpin()
      else if (this.err(t, err !== 0n, 'tdx_mem_page_aug', 'TDH.MEM.PAGE.AUG failed', err)) r = EIO;
      else r = 0;
      kvm.leave(t, errno(r));
    }
    kvm.leave(t, errno(r));
    return r;
  }

  /** tdx_sept_zap_private_spte(): TDH.MEM.RANGE.BLOCK, retried once with no vCPUs entering
   *  after TDX_OPERAND_BUSY. Returns 1 when blocked, <0 on error. */
  private tdx_sept_zap_private_spte(t: Thread, gfn: number, level: PgLevel, anchor: string): number {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdx_sept_zap_private_spte', anchor, undefined, gfn, level);
    // mainline: "For now large page isn't supported yet."
    if (kvm.profile.privateMaxLevel === 1) kvm.WARN_ON(t, level !== 1, 'tdx_sept_zap_private_spte', 'blocking a huge private page');
    let err = this.module.range_block(t, 'tdx_sept_zap_private_spte.range_block', gfn, level);
    if (tdx_operand_busy(err)) {
      err = this.retryWithNoVcpusEnter(t, 'tdx_sept_zap_private_spte.range_block_retry',
        () => this.module.range_block(t, 'tdx_sept_zap_private_spte.range_block_retry', gfn, level));
    }
    const r = this.err(t, err !== 0n, 'tdx_sept_zap_private_spte', 'TDH.MEM.RANGE.BLOCK failed', err) ? EIO : 1;
    kvm.leave(t, String(r));
    return r;
  }

  /** tdx_track(): TDH.MEM.TRACK (busy → retry with no vCPUs entering), then kick every vCPU out
   *  of guest mode so that none runs with the old TD epoch. */
  private tdx_track(t: Thread, anchor: string): void {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'tdx_track', anchor);
    kvm.lockdep_assert(t, 'write', 'tdx_track');
    let err = this.module.mem_track(t, 'tdx_track.mem_track');
    if (tdx_operand_busy(err)) err = this.retryWithNoVcpusEnter(t, 'tdx_track', () => this.module.mem_track(t, 'tdx_track'));
    this.err(t, err !== 0n, 'tdx_track', 'TDH.MEM.TRACK failed', err);
    kvm.emit(t, 'call', 'kvm_make_all_cpus_request', 'tdx_track.kick'); // KVM_REQ_OUTSIDE_GUEST_MODE
    kvm.leave(t);
  }

  /** tdx_sept_drop_private_spte(): TDH.MEM.PAGE.REMOVE (busy → retry), TDH.PHYMEM.PAGE.WBINVD. */
  private tdx_sept_drop_private_spte(t: Thread, gfn: number, level: PgLevel, pfn: number, anchor: string): number {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdx_sept_drop_private_spte', anchor, undefined, gfn, level);
    let r = 0;
    if (this.err(t, level > kvm.profile.privateMaxLevel, 'tdx_sept_drop_private_spte', `removing a private page at level ${level}`) ||
        this.err(t, !this.module.hkidAssigned, 'tdx_sept_drop_private_spte', 'no HKID assigned')) {
      r = EINVAL;
    } else {
      let err = this.module.page_remove(t, 'tdx_sept_drop_private_spte.page_remove', gfn, level);
      if (tdx_operand_busy(err)) {
        err = this.retryWithNoVcpusEnter(t, 'tdx_sept_drop_private_spte.page_remove_retry',
          () => this.module.page_remove(t, 'tdx_sept_drop_private_spte.page_remove_retry', gfn, level));
      }
      if (this.err(t, err !== 0n, 'tdx_sept_drop_private_spte', 'TDH.MEM.PAGE.REMOVE failed', err)) {
        r = EIO;
      } else {
        err = this.module.page_wbinvd(t, 'tdx_sept_drop_private_spte.wbinvd', gfn, level);
        if (this.err(t, err !== 0n, 'tdx_sept_drop_private_spte', 'TDH.PHYMEM.PAGE.WBINVD failed', err)) r = EIO;
      }
    }
    kvm.leave(t, errno(r));
    return r;
  }

  /** remove_external_spte: BLOCK, TRACK, REMOVE (write mmu_lock; HKID must still be assigned). */
  remove_external_spte(t: Thread, gfn: number, level: PgLevel, pfn: number): number {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdx_sept_remove_private_spte', 'tdx_sept_remove_private_spte', undefined, gfn, level);
    let r: number;
    if (this.err(t, !this.module.hkidAssigned, 'tdx_sept_remove_private_spte', 'no HKID: private pages are removed before the HKID is released')) {
      r = EINVAL;
    } else {
      r = this.tdx_sept_zap_private_spte(t, gfn, level, 'tdx_sept_remove_private_spte.zap');
      if (r > 0) {
        // TDX requires TLB tracking before dropping a private page.
        this.tdx_track(t, 'tdx_sept_remove_private_spte.track');
        r = this.tdx_sept_drop_private_spte(t, gfn, level, pfn, 'tdx_sept_remove_private_spte.drop');
      }
    }
    kvm.leave(t, errno(r));
    return r;
  }

  /** free_external_spt: only at teardown, after the HKID is released: TDH.PHYMEM.PAGE.RECLAIM. */
  free_external_spt(t: Thread, gfn: number, level: PgLevel, ext: number | null): number {
    const kvm = this.kvm;
    kvm.enterAt(t, 'call', 'tdx_sept_free_private_spt', 'tdx_sept_free_private_spt', undefined, gfn, level);
    let r = 0;
    if (this.err(t, this.module.hkidAssigned, 'tdx_sept_free_private_spt', 'S-EPT page freed while the HKID is still assigned')) {
      r = EINVAL;
    } else {
      // tdx_reclaim_page(): no TDX_OPERAND_BUSY check, nobody else can hold the page.
      const err = this.module.page_reclaim(t, 'tdx_sept_free_private_spt.reclaim', ext ?? 0);
      if (kvm.WARN_ON(t, err !== 0n, 'tdx_sept_free_private_spt.reclaim', `TDH.PHYMEM.PAGE.RECLAIM failed: ${tdxStatusName(err)}`)) r = EIO;
    }
    kvm.leave(t, errno(r));
    return r;
  }

  /** split_external_spt (RFC v2 10/23): BLOCK the 2M leaf, TRACK, DEMOTE into the new S-EPT page.
   *  With mmu_lock held for read (11/23) TDX refuses. */
  private tdx_sept_split_private_spt(t: Thread, gfn: number, level: PgLevel, ext: number | null, shared: boolean): number {
    const kvm = this.kvm;
    kvm.enter(t, 'call', 'tdx_sept_split_private_spt', 'tdx_sept_split_private_spt', { gfn, level, args: { mmu_lock_shared: shared } });
    let r: number;
    if (this.err(t, level !== 2, 'tdx_sept_split_private_spt.bug_state', 'split requested for a non-2M page')) {
      r = EINVAL;
    } else if (kvm.WARN_ON(t, shared, 'tdx_sept_split_private_spt.shared', 'split of a private huge page with mmu_lock held for read: not supported yet')) {
      r = EOPNOTSUPP;
    } else {
      r = this.tdx_sept_zap_private_spte(t, gfn, level, 'tdx_sept_split_private_spt.zap');
      if (r > 0) {
        this.tdx_track(t, 'tdx_sept_split_private_spt.track');
        // tdx_spte_demote_private_spte()
        kvm.enterAt(t, 'call', 'tdx_spte_demote_private_spte', 'tdx_sept_split_private_spt.demote', undefined, gfn, level);
        const page = ext ?? 0;
        let err = this.module.page_demote(t, 'tdx_sept_split_private_spt.demote', gfn, level, page);
        if (tdx_operand_busy(err)) {
          err = this.retryWithNoVcpusEnter(t, 'tdx_sept_split_private_spt.demote',
            () => this.module.page_demote(t, 'tdx_sept_split_private_spt.demote', gfn, level, page));
        }
        r = this.err(t, err !== 0n, 'tdx_sept_split_private_spt.demote', 'TDH.MEM.PAGE.DEMOTE failed', err) ? EIO : 0;
        kvm.leave(t, errno(r));
      }
    }
    kvm.leave(t, errno(r));
    return r;
  }

  /** tdx_mmu_release_hkid() (vt_vm_pre_destroy): flush the vCPUs, TDH.MNG.VPFLUSHDONE, write
   *  back caches, TDH.MNG.KEY.FREEID. After this private pages can no longer be removed (only
   *  reclaimed), and S-EPT pages can be freed. */
  tdx_mmu_release_hkid(t: Thread, vcpus: number): void {
    const kvm = this.kvm;
    if (!this.module.hkidAssigned) return;
    kvm.enter(t, 'call', 'tdx_mmu_release_hkid', null);
    for (let v = 0; v < vcpus; v++) {
      kvm.enter(t, 'call', 'tdx_flush_vp_on_cpu', null, { args: { vcpu: v } });
      this.module.vp_flush(t, null, v);
      kvm.leave(t);
    }
    let err = this.module.mng(t, 'TDH.MNG.VPFLUSHDONE', null);
    if (!this.err(t, err !== 0n, null, 'TDH.MNG.VPFLUSHDONE failed: the HKID is leaked', err)) {
      this.module.mng(t, 'TDH.PHYMEM.CACHE.WB', null);
      err = this.module.mng(t, 'TDH.MNG.KEY.FREEID', null);
      this.err(t, err !== 0n, null, 'TDH.MNG.KEY.FREEID failed: the HKID is leaked', err);
    }
    kvm.leave(t);
  }
}
