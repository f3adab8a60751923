// The model's functions driven directly (states the scenario steps do not reach on purpose):
// lockdep assertions, the KVM_BUG_ON/WARN/BUG sites, the freed-while-reachable check, and the TDX
// module's refusals with their status codes.
import { strict as assert } from 'assert';
import { RecordingBuilder } from '../../../src/sim/recording';
import { Kvm, Thread, KvmMmuPage, TdpIter } from '../../../src/sim/kvm';
import { TdpMmu, sync } from '../../../src/sim/tdp-mmu';
import { TdxModule } from '../../../src/sim/tdx-module';
import { TdxOps } from '../../../src/sim/tdx';
import { Invariants } from '../../../src/sim/invariants';
import { PROFILES } from '../../../src/sim/profiles';
import { TDX_STATUS, TDX_OPERAND_ID_RCX, tdxStatusName, tdxStatusByName, tdx_operand_busy } from '../../../src/sim/tdx-status';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, makeLeafSpte, make_nonleaf_spte, makeSeptEntry, decodeSeptEntry } from '../../../src/sim/spte';
import type { ProfileName, SimEvent } from '../../../src/sim/types';

function rig(profile: ProfileName = 'mainline', type: 'tdx' | 'vmx' = 'tdx') {
  const b = new RecordingBuilder({ profile, name: 'model' });
  const kvm = new Kvm(b, PROFILES[profile], { type, pages: 1 << 16, paging_levels: 4, vcpus: 1 });
  const mmu = new TdpMmu(kvm);
  const inv = new Invariants(kvm);
  kvm.observer = inv;
  mmu.windows = inv;
  const module = type === 'tdx' ? new TdxModule(kvm) : null;
  const tdx = module ? new TdxOps(kvm, module) : null;
  mmu.ops = tdx;
  const t = new Thread(0, []);
  b.beginStep(0, 'test');
  kvm.read_lock(t);
  if (type === 'tdx') {
    b.setRoot('sept', true);
    mmu.kvm_tdp_mmu_alloc_root(t, true);
  }
  mmu.kvm_tdp_mmu_alloc_root(t, false);
  kvm.read_unlock(t);
  const all = (): SimEvent[] => {
    const rec = b.finish();
    return Array.from({ length: rec.length }, (_, i) => rec.event(i));
  };
  return { b, kvm, mmu, module, tdx, t, all };
}

/** A present table chain from the root down to a table at `level`, in the mirror or direct root. */
function chain(kvm: Kvm, root: KvmMmuPage, gfn: number, level: number): KvmMmuPage {
  let sp = root;
  while (sp.level > level) {
    const index = Math.floor((gfn - sp.gfn) / 512 ** (sp.level - 1)) % 512;
    const child = kvm.allocSp((sp.level - 1) as 1, sp.gfn + index * 512 ** (sp.level - 1), sp.isMirror, sp, index);
    child.linked = true;
    sp.spt[index] = make_nonleaf_spte(child.pfn);
    sp = child;
  }
  return sp;
}

const iterAt = (sp: KvmMmuPage, index: number): TdpIter => ({ sp, index, level: sp.level, gfn: sp.gfn + index * 512 ** (sp.level - 1), old_spte: sp.spt[index], root: sp.isMirror ? 'mirror' : 'direct' });

describe('sim/model: lockdep assertions are recorded, never thrown', () => {
  it('tdp_mmu_set_spte_atomic() with mmu_lock held for write warns at tdp_mmu_set_spte_atomic.lockdep', () => {
    const { kvm, mmu, t, all } = rig('pre-tdx', 'vmx');
    const sp = chain(kvm, kvm.roots.direct!, 0, 1);
    kvm.write_lock(t);
    const r = sync(mmu.tdp_mmu_set_spte_atomic(t, iterAt(sp, 3), makeLeafSpte({ pfn: 9, level: 1, writable: true }), 'tdp_mmu_map_handle_target_level.set_spte_atomic'));
    assert.equal(r, 0);
    const warn = all().find((e) => e.kind === 'warn')!;
    assert.equal(warn.anchor, 'tdp_mmu_set_spte_atomic.lockdep');
    assert.match(warn.message!, /lockdep_assert_held_read.*held for write/);
  });

  it('tdp_mmu_set_spte() without the write lock warns at tdp_mmu_set_spte.lockdep, and the write is an invariant violation', () => {
    const { kvm, mmu, t, all } = rig('pre-tdx', 'vmx');
    const sp = chain(kvm, kvm.roots.direct!, 0, 1);
    mmu.tdp_mmu_set_spte(t, sp, 1, SHADOW_NONPRESENT_VALUE, makeLeafSpte({ pfn: 1, level: 1, writable: true }), 1, 1);
    const evs = all();
    assert.equal(evs.find((e) => e.kind === 'warn')!.anchor, 'tdp_mmu_set_spte.lockdep');
    assert.ok(evs.some((e) => e.kind === 'invariant' && e.fn === 'lock_rule'));
  });
});

describe('sim/model: KVM_BUG_ON, WARN and BUG sites', () => {
  it('handle_removed_pt(shared) on a mirror table: KVM_BUG_ON(shared) per child, then remove_external_spte with the wrong lock', () => {
    const { kvm, mmu, t, all } = rig();
    const sp = chain(kvm, kvm.roots.mirror!, 0, 1);
    sp.spt[5] = makeLeafSpte({ pfn: 0x5, level: 1, writable: true });
    kvm.read_lock(t);
    mmu.handle_removed_pt(t, sp, true);
    const evs = all();
    const bug = evs.find((e) => e.kind === 'kvm_bug')!;
    assert.equal(bug.anchor, 'handle_removed_pt.bug_mirror_shared');
    assert.equal(bug.gfn, 0);
    assert.ok(evs.some((e) => e.kind === 'warn' && e.anchor === 'remove_external_spte.lockdep'));
    assert.ok(kvm.bugged);
  });

  it('__tdp_mmu_set_spte_atomic(): an atomic zap of a mirror SPTE is KVM_BUG_ON and returns -EBUSY without writing', () => {
    const { kvm, mmu, t, all } = rig();
    const sp = chain(kvm, kvm.roots.mirror!, 0, 1);
    sp.spt[2] = makeLeafSpte({ pfn: 2, level: 1, writable: true });
    kvm.read_lock(t);
    const before = sp.spt[2];
    assert.equal(sync(mmu.__tdp_mmu_set_spte_atomic(t, iterAt(sp, 2), SHADOW_NONPRESENT_VALUE)), -16);
    assert.equal(sp.spt[2], before);
    assert.equal(all().find((e) => e.kind === 'kvm_bug')!.anchor, '__tdp_mmu_set_spte_atomic.bug_mirror_zap');
  });

  it('set_external_spte_present() on mainline: KVM_BUG_ON(was_present)', () => {
    const { kvm, mmu, t, all } = rig();
    const sp = chain(kvm, kvm.roots.mirror!, 0, 1);
    const old = makeLeafSpte({ pfn: 3, level: 1, writable: true });
    sp.spt[3] = old;
    kvm.read_lock(t);
    sync(mmu.set_external_spte_present(t, sp, 3, 3, old, makeLeafSpte({ pfn: 3, level: 1, writable: false }), 1));
    assert.equal(all().find((e) => e.kind === 'kvm_bug')!.anchor, 'set_external_spte_present.bug_was_present');
  });

  it('handle_changed_spte(): a present leaf replaced by a leaf with another pfn is BUG() — the host crashes', () => {
    const { kvm, mmu, t, all } = rig('pre-tdx', 'vmx');
    kvm.write_lock(t);
    mmu.handle_changed_spte(t, 'direct', 0x10, makeLeafSpte({ pfn: 1, level: 1, writable: true }), makeLeafSpte({ pfn: 2, level: 1, writable: true }), 1, false, '');
    const bug = all().find((e) => e.kind === 'kvm_bug')!;
    assert.equal(bug.fn, 'BUG');
    assert.match(bug.message!, /host crashes/);
    assert.ok(kvm.hostCrashed);
  });

  it('handle_changed_spte(): non-present → non-present other than MMIO or FROZEN is a WARN_ON_ONCE; an old == new change does not trace', () => {
    const { kvm, mmu, t, all } = rig('pre-tdx', 'vmx');
    kvm.write_lock(t);
    mmu.handle_changed_spte(t, 'direct', 0, SHADOW_NONPRESENT_VALUE, SHADOW_NONPRESENT_VALUE | 0x10n, 1, false, '');
    mmu.handle_changed_spte(t, 'direct', 0, SHADOW_NONPRESENT_VALUE, FROZEN_SPTE, 1, false, '');
    mmu.handle_changed_spte(t, 'direct', 0, FROZEN_SPTE, FROZEN_SPTE, 1, false, '');
    const evs = all();
    assert.equal(evs.filter((e) => e.kind === 'warn').length, 1);
    assert.deepEqual(evs.filter((e) => e.fn === 'handle_changed_spte').map((e) => e.anchor), ['handle_changed_spte.trace', 'handle_changed_spte.trace', 'handle_changed_spte']);
  });

  it('remove_external_spte() skips a non-leaf SPTE without calling the hook', () => {
    const { kvm, mmu, t, all } = rig();
    kvm.write_lock(t);
    mmu.remove_external_spte(t, 0, make_nonleaf_spte(0x100), 2, 'tdp_mmu_set_spte.remove_external_spte');
    const evs = all();
    assert.equal(evs.filter((e) => e.kind === 'hook').length, 0);
    assert.equal(evs.find((e) => e.fn === 'remove_external_spte')!.result, 'non-leaf: nothing to remove');
  });

  it('freeing a page table that its parent SPTE still points to is an invariant event', () => {
    const { kvm, mmu, t, all } = rig('pre-tdx', 'vmx');
    const sp = chain(kvm, kvm.roots.direct!, 0, 1);
    kvm.write_lock(t);
    mmu.tdp_mmu_free_sp(t, sp, 'handle_removed_pt');
    assert.ok(all().some((e) => e.kind === 'invariant' && e.fn === 'page_table_freed_while_reachable'));
  });
});

describe('sim/model: the TDX module refuses what the real one refuses', () => {
  const at = (evs: SimEvent[], name: string) => evs.filter((e) => e.fn === name);

  it('status values are the kernel\'s tdx_errno.h ones, and names round-trip', () => {
    assert.equal(TDX_STATUS.TDX_OPERAND_BUSY, 0x8000020000000000n);
    assert.equal(TDX_STATUS.TDX_EPT_WALK_FAILED, 0xc0000b0000000000n);
    assert.equal(TDX_STATUS.TDX_EPT_ENTRY_STATE_INCORRECT, 0xc0000b0d00000000n);
    assert.equal(TDX_STATUS.TDX_TLB_TRACKING_NOT_DONE, 0xc0000b0800000000n);
    assert.equal(tdxStatusName(TDX_STATUS.TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX), 'TDX_EPT_ENTRY_STATE_INCORRECT');
    assert.ok(tdx_operand_busy(TDX_STATUS.TDX_OPERAND_BUSY | 0x92n));
    assert.equal(tdxStatusByName('TDX_SUCCESS'), 0n);
    assert.throws(() => tdxStatusByName('TDX_NOPE'), /unknown TDX status 'TDX_NOPE'/);
  });

  it('walks, states and TLB tracking', () => {
    const { module, t, all } = rig();
    const m = module!;
    const RCX = TDX_OPERAND_ID_RCX;
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', 0x200, 1, 0x1234), TDX_STATUS.TDX_EPT_WALK_FAILED | RCX, 'no S-EPT pages below the root yet');
    assert.equal(m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 4, 10), 0n);
    assert.equal(m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 4, 11), TDX_STATUS.TDX_EPT_ENTRY_STATE_INCORRECT | RCX, 'the entry is no longer FREE');
    assert.equal(m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 3, 12), 0n);
    assert.equal(m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 2, 13), 0n);
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', 0x200, 1, 0x1234), 0n);
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', 0x200, 1, 0x1234), TDX_STATUS.TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
    assert.equal(m.page_remove(t, 'tdx_sept_drop_private_spte.page_remove', 0x200, 1), TDX_STATUS.TDX_GPA_RANGE_NOT_BLOCKED | RCX);
    assert.equal(m.range_block(t, 'tdx_sept_zap_private_spte.range_block', 0x200, 1), 0n);
    assert.equal(m.range_block(t, 'tdx_sept_zap_private_spte.range_block', 0x200, 1), TDX_STATUS.TDX_EPT_ENTRY_STATE_INCORRECT | RCX, 'already blocked');
    assert.equal(m.page_remove(t, 'tdx_sept_drop_private_spte.page_remove', 0x200, 1), TDX_STATUS.TDX_TLB_TRACKING_NOT_DONE | RCX, 'no TDH.MEM.TRACK since the block');
    assert.equal(m.mem_track(t, 'tdx_track.mem_track'), 0n);
    assert.equal(m.page_remove(t, 'tdx_sept_drop_private_spte.page_remove', 0x200, 1), 0n);
    assert.equal(m.page_reclaim(t, 'tdx_sept_free_private_spt.reclaim', 13), TDX_STATUS.TDX_KEY_STATE_INCORRECT, 'RECLAIM only once the HKID is freed');
    const evs = all();
    // Each refusal the kernel did not ask for is an invariant event naming the S-EPT state.
    assert.ok(evs.some((e) => e.kind === 'invariant' && /TDH.MEM.PAGE.AUG refused .*TDX_EPT_WALK_FAILED/.test(e.message!)));
    assert.ok(evs.some((e) => e.kind === 'invariant' && /TDH.MEM.PAGE.REMOVE refused .*TDX_TLB_TRACKING_NOT_DONE.*PENDING_BLOCKED/.test(e.message!)));
    const aug = at(evs, 'TDH.MEM.PAGE.AUG')[1];
    assert.equal(aug.old_spte, 0n);
    assert.deepEqual([decodeSeptEntry(aug.new_spte!).state, decodeSeptEntry(aug.new_spte!).pfn], ['PENDING', 0x1234n]);
    assert.equal(aug.args?.tdx_level, undefined, 'hot SEAMCALLs carry no args object');
  });

  it('TLB tracking is per blocked entry: entries blocked before and after a TRACK, removed in any order', () => {
    const { module, t } = rig();
    const m = module!;
    const RCX = TDX_OPERAND_ID_RCX;
    const [A, B, C] = [0x200, 0x201, 0x202];
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 4, 10);
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 3, 11);
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0x200, 2, 12);
    for (const g of [A, B, C]) assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', g, 1, 0x1000 + g), 0n);
    const remove = (g: number) => m.page_remove(t, 'tdx_sept_drop_private_spte.page_remove', g, 1);
    m.range_block(t, 'tdx_sept_zap_private_spte.range_block', A, 1);
    m.range_block(t, 'tdx_sept_zap_private_spte.range_block', B, 1);
    m.mem_track(t, 'tdx_track.mem_track');
    m.range_block(t, 'tdx_sept_zap_private_spte.range_block', C, 1);
    assert.equal(remove(C), TDX_STATUS.TDX_TLB_TRACKING_NOT_DONE | RCX, 'C was blocked after the last TRACK');
    assert.equal(remove(A), 0n, 'A was blocked before the TRACK');
    assert.equal(remove(A), TDX_STATUS.TDX_EPT_ENTRY_STATE_INCORRECT | RCX, 'A is FREE now');
    assert.equal(remove(B), 0n);
    m.mem_track(t, 'tdx_track.mem_track');
    assert.equal(remove(C), 0n);
    // A re-blocked entry needs a TRACK again.
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', A, 1, 0x1000 + A), 0n);
    m.range_block(t, 'tdx_sept_zap_private_spte.range_block', A, 1);
    assert.equal(remove(A), TDX_STATUS.TDX_TLB_TRACKING_NOT_DONE | RCX);
  });

  it('the S-EPT walk sees an upper level that changed since the last SEAMCALL to the same table', () => {
    const { module, t } = rig();
    const m = module!;
    const RCX = TDX_OPERAND_ID_RCX;
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 4, 10);
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 3, 11);
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 2, 12);
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', 0, 1, 0x1000), 0n);
    // Blocking the 2M non-leaf entry above: the next walk to the same 4K table still passes
    // (NL_BLOCKED is walkable), but an entry the walk needs turning FREE must fail it.
    assert.equal(m.range_block(t, 'tdx_sept_zap_private_spte.range_block', 0, 2), 0n);
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', 1, 1, 0x1001), 0n);
    m.mem_track(t, 'tdx_track.mem_track');
    m.mng(t, 'TDH.MNG.VPFLUSHDONE', null);
    m.mng(t, 'TDH.MNG.KEY.FREEID', null);
    assert.equal(m.page_reclaim(t, 'tdx_sept_free_private_spt.reclaim', 12), 0n, 'the 4K S-EPT page and its 2M entry go');
    assert.equal(m.range_block(t, 'tdx_sept_zap_private_spte.range_block', 2, 1), TDX_STATUS.TDX_EPT_WALK_FAILED | RCX);
  });

  it('TDH.MEM.PAGE.DEMOTE turns a blocked, tracked 2M leaf into a non-leaf over 512 leaves of the same state', () => {
    const { module, kvm, t } = rig('hugepage-rfc-v2');
    const m = module!;
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 4, 10);
    m.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 3, 11);
    assert.equal(m.page_aug(t, 'tdx_mem_page_aug.seamcall', 0x200, 2, 0x4000), 0n);
    assert.equal(m.page_demote(t, 'tdx_sept_split_private_spt.demote', 0x200, 2, 12), TDX_STATUS.TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
    m.range_block(t, 'tdx_sept_zap_private_spte.range_block', 0x200, 2);
    m.mem_track(t, 'tdx_track.mem_track');
    assert.equal(m.page_demote(t, 'tdx_sept_split_private_spt.demote', 0x200, 2, 12), 0n);
    assert.equal(kvm.readSept(0x200, 2), makeSeptEntry('NL_MAPPED', 2, 12));
    assert.equal(kvm.readSept(0x3ff, 1), makeSeptEntry('PENDING', 1, 0x4000 + 0x1ff));
  });

  it('injected errors change nothing and are not invariant violations', () => {
    const { module, kvm, t, all } = rig();
    module!.inject('TDH.MEM.SEPT.ADD', TDX_STATUS.TDX_OPERAND_BUSY, 1);
    assert.equal(module!.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 4, 10), TDX_STATUS.TDX_OPERAND_BUSY);
    assert.equal(kvm.readSept(0, 4), 0n);
    assert.equal(module!.sept_add(t, 'tdx_sept_link_private_spt.sept_add', 0, 4, 10), 0n);
    const evs = all();
    assert.equal(evs.filter((e) => e.kind === 'invariant').length, 0);
    assert.equal(evs.find((e) => e.fn === 'TDH.MEM.SEPT.ADD')!.args?.injected, true);
  });
});


