// Behaviour of the modelled kernel paths, checked against what the kernel source does (cited per
// test): mainline = kernelorg-mirror/virt_kvm_kvm @6249af46, RFC v2 09-11/23, Linux 6.12.
import { strict as assert } from 'assert';
import { simulate, simulateWithProfile, SimInputError } from '../../../src/sim/simulate';
import { PROFILES } from '../../../src/sim/profiles';
import { anchorById } from '../../../src/sim/anchors';
import { recordingToJSON } from '../../../src/sim/recording';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, decodeSeptEntry, is_large_pte, is_shadow_present_pte, spte_to_pfn } from '../../../src/sim/spte';
import { PRIVATE_BASE_PFN } from '../../../src/sim/kvm';
import { TDX_STATUS } from '../../../src/sim/tdx-status';
import type { Recording } from '../../../src/sim/types';
import { M, bugs, events, fault, inOrder, inStep, invariants, mappedAt, named, td, trail, vmx } from './helpers';

/** kvm_gfn_direct_bits() of a 4-level TD: GPA bit 47. */
const SHARED = 2 ** 35;

const TRACK_AND_REMOVE = ['remove_external_spte', 'remove_external_spte', 'tdx_sept_remove_private_spte', 'tdx_sept_zap_private_spte',
  'TDH.MEM.RANGE.BLOCK', 'tdx_track', 'TDH.MEM.TRACK', 'kvm_make_all_cpus_request', 'tdx_sept_drop_private_spte', 'TDH.MEM.PAGE.REMOVE', 'TDH.PHYMEM.PAGE.WBINVD'];

function assertClean(rec: Recording): void {
  assert.deepEqual(bugs(rec).map((e) => e.message), []);
  assert.deepEqual(invariants(rec).map((e) => e.message), []);
}

describe('sim/simulate: profiles and VM setup', () => {
  it('pre-tdx refuses a TDX VM with a clear error', () => {
    assert.throws(() => simulate(td([fault(0)], 'pre-tdx')), (e: Error) => e instanceof SimInputError && e.step === -1 && /mirror roots.*pre-tdx/.test(e.message));
  });

  it('the first step loads the MMU: mirror root, then direct root (kvm_mmu_alloc_direct_roots)', () => {
    const rec = simulate(td([fault(0)]));
    const roots = named(events(rec), 'kvm_tdp_mmu_alloc_root');
    assert.deepEqual(roots.map((e) => e.root), ['mirror', 'direct']);
    assert.deepEqual(roots[0].stack, ['kvm_mmu_load', 'kvm_mmu_alloc_direct_roots', 'kvm_tdp_mmu_alloc_root']);
    assert.equal(roots[0].lock, 'read');
  });

  it('a VMX VM has no mirror root and no S-EPT', () => {
    const rec = simulate(vmx([fault(0x10, { private: false })]));
    assert.deepEqual(rec.stateAt(rec.length - 1).walk('mirror', 0x10), []);
    assert.deepEqual(rec.stateAt(rec.length - 1).walk('sept', 0x10), []);
    assert.equal(mappedAt(rec, 'direct', 0x10), 1);
  });

  it('bad requests name the step and its source', () => {
    const sc = td([fault(0), fault(64 * M)]);
    sc.sources = [{ file: 'a.tdpsim.yaml', line: 4, column: 5 }, { file: 'a.tdpsim.yaml', line: 5, column: 5 }];
    assert.throws(() => simulate(sc), (e: Error) => e instanceof SimInputError && e.step === 1 && /^a\.tdpsim\.yaml:5:5: step 2: gfn range 0x4000\.\.0x4000 is beyond guest memory/.test(e.message));
    assert.throws(() => simulate(vmx([fault(0, { private: true })])), /private fault needs a TDX VM/);
    assert.throws(() => simulate(td([{ op: 'dirty_log', gfn: 0, npages: 1, enable: true, eager_split: true }])), /dirty logging cannot be enabled on a TD/);
    assert.throws(() => simulate(vmx([{ op: 'convert', gfn: 0, npages: 1, to: 'shared' }])), /needs a TDX VM/);
    assert.throws(() => simulate(td([{ op: 'inject', seamcall: 'TDH.MEM.NOPE', error: 'TDX_OPERAND_BUSY', times: 1 }])), /unknown SEAMCALL 'TDH.MEM.NOPE'/);
    assert.throws(() => simulate(td([{ op: 'inject', seamcall: 'TDH.MEM.TRACK', error: 'TDX_NOPE', times: 1 }])), /unknown TDX status 'TDX_NOPE'/);
    assert.throws(() => simulate(td([{ op: 'teardown' }, fault(0)])), /torn down by an earlier step/);
    assert.throws(() => simulate(td([fault(0, { vcpu: 5 })])), /vcpu 5 does not exist/);
  });
});

describe('sim/simulate: the fault path (kvm_tdp_mmu_map)', () => {
  it('mainline private 4K fault: links 3 tables through link_external_spt/TDH.MEM.SEPT.ADD, installs the leaf through set_external_spte/TDH.MEM.PAGE.AUG', () => {
    const rec = simulate(td([fault(0x200)]));
    const evs = inStep(rec, 0);
    assert.equal(named(evs, 'TDH.MEM.SEPT.ADD').length, 3);
    assert.deepEqual(named(evs, 'TDH.MEM.SEPT.ADD').map((e) => e.level), [4, 3, 2]);
    // set_external_spte_present(): freeze (cmpxchg to FROZEN_SPTE), hook, publish — then handle_changed_spte.
    const leaf = evs.slice(evs.findIndex((e) => e.fn === 'tdp_mmu_map_handle_target_level'));
    assert.deepEqual(trail(leaf).slice(0, 11), ['tdp_mmu_map_handle_target_level', 'tdp_mmu_set_spte_atomic', '__tdp_mmu_set_spte_atomic',
      'set_external_spte_present', 'try_cmpxchg64', 'set_external_spte', 'tdx_sept_set_private_spte', 'tdx_mem_page_aug', 'TDH.MEM.PAGE.AUG',
      '__kvm_tdp_mmu_write_spte', 'handle_changed_spte']);
    const freeze = named(leaf, 'try_cmpxchg64')[0];
    assert.equal(freeze.anchor, 'set_external_spte_present.freeze');
    assert.equal(freeze.writes?.[0].new, FROZEN_SPTE);
    const aug = named(leaf, 'TDH.MEM.PAGE.AUG')[0];
    assert.deepEqual(aug.stack.slice(-5), ['set_external_spte_present', 'set_external_spte', 'tdx_sept_set_private_spte', 'tdx_mem_page_aug', 'TDH.MEM.PAGE.AUG']);
    assert.equal(aug.status, 0n);
    assert.equal(aug.lock, 'read');
    // The S-EPT leaf: PENDING (the guest has not accepted it yet), same pfn as the mirror leaf.
    const st = rec.stateAt(rec.length - 1);
    const m = st.walk('mirror', 0x200).at(-1)!;
    const s = st.walk('sept', 0x200).at(-1)!;
    assert.equal(m.level, 1);
    assert.equal(decodeSeptEntry(s.spte).state, 'PENDING');
    assert.equal(decodeSeptEntry(s.spte).pfn, spte_to_pfn(m.spte));
    assert.equal(spte_to_pfn(m.spte), BigInt(PRIVATE_BASE_PFN + 0x200));
    assertClean(rec);
  });

  it('every event of a fault carries the read lock, the vCPU, and a stack that starts at the exit handler', () => {
    const rec = simulate(td([fault(0x200, { vcpu: 1 })]));
    for (const e of inStep(rec, 0).filter((x) => x.kind !== 'step' && x.fn !== 'kvm_tdp_mmu_alloc_root')) {
      assert.equal(e.lock, 'read', `${e.seq} ${e.fn}`);
      assert.equal(e.vcpu, 1);
      assert.deepEqual(e.stack.slice(0, 4), ['tdx_handle_ept_violation', 'kvm_mmu_page_fault', 'kvm_tdp_page_fault', 'kvm_tdp_mmu_page_fault']);
      if (e.kind === 'call' || e.kind === 'hook' || e.kind === 'seamcall') assert.equal(e.stack.at(-1), e.fn);
    }
  });

  it('mainline maps private memory at 4K only (tdx_gmem_private_max_mapping_level), the RFC at 2M', () => {
    assert.equal(mappedAt(simulate(td([fault(0x200, { max_level: 2 })])), 'mirror', 0x234), 0);
    assert.equal(mappedAt(simulate(td([fault(0x200, { max_level: 2 })])), 'mirror', 0x200), 1);
    const rfc = simulate(td([fault(0x234, { max_level: 2 })], 'hugepage-rfc-v2'));
    assert.equal(mappedAt(rfc, 'mirror', 0x234), 2);
    assert.equal(mappedAt(rfc, 'sept', 0x3ff), 2);
    assertClean(rfc);
  });

  it('shared faults of a TD go to the direct root at gfn | shared bit (GPA bit 47, or 51 with 5-level paging)', () => {
    const toShared = { op: 'convert', gfn: 0x10, npages: 1, to: 'shared' } as const;
    const rec = simulate(td([toShared, fault(0x10, { private: false })]));
    const leaf = named(events(rec), 'handle_changed_spte').at(-1)!;
    assert.equal(leaf.root, 'direct');
    assert.equal(leaf.gfn, 0x10 + 2 ** 35);
    const five = simulate(td([toShared, fault(0x10, { private: false })], 'mainline', { paging_levels: 5 }));
    assert.equal(named(events(five), 'handle_changed_spte').at(-1)!.gfn, 0x10 + 2 ** 39);
    assert.equal(named(events(five), 'kvm_tdp_mmu_alloc_root')[0].level, 5);
  });

  it('a fault that does not match the memory attributes exits to userspace without mapping', () => {
    const rec = simulate(td([fault(0x10, { private: false })].concat([{ op: 'convert', gfn: 0x20, npages: 1, to: 'shared' }, fault(0x20)])));
    assert.match(inStep(rec, 0)[0].message!, /KVM_EXIT_MEMORY_FAULT/);
    assert.match(inStep(rec, 2)[0].message!, /KVM_EXIT_MEMORY_FAULT/);
    assert.equal(named(events(rec), 'kvm_tdp_mmu_map').length, 0);
  });

  it('dirty logging keeps new faults at 4K, and a 2M fault over mixed attributes is 4K (kvm_mmu_hugepage_adjust)', () => {
    const rec = simulate(vmx([{ op: 'dirty_log', gfn: 0, npages: 512, enable: true, eager_split: false }, fault(0x20, { private: false, max_level: 2 })]));
    assert.equal(mappedAt(rec, 'direct', 0x20), 1);
    const mixed = simulate(td([{ op: 'convert', gfn: 0x210, npages: 1, to: 'shared' }, fault(0x200, { max_level: 2 })], 'hugepage-rfc-v2'));
    assert.equal(mappedAt(mixed, 'mirror', 0x200), 1);
  });
});

describe('sim/simulate: FROZEN_SPTE race between two vCPUs (read mmu_lock)', () => {
  const race = (interleave: 'lockstep' | 'sequential') => simulate(td([{ op: 'race', interleave, faults: [fault(0x200, { vcpu: 0 }) as never, fault(0x200, { vcpu: 1 }) as never] }]));

  it('lockstep: vCPU 1 loses the cmpxchg to FROZEN_SPTE, sees a frozen SPTE, retries and ends spurious', () => {
    const rec = race('lockstep');
    const evs = events(rec);
    const lost = evs.filter((e) => e.fn === 'try_cmpxchg64' && e.vcpu === 1);
    assert.ok(lost.length > 0 && lost.every((e) => e.result === 'false'));
    const frozen = evs.filter((e) => e.fn === 'is_frozen_spte');
    assert.ok(frozen.length > 0 && frozen.every((e) => e.vcpu === 1 && e.old_spte === FROZEN_SPTE && e.result === 'true'));
    // Where vCPU 1 saw FROZEN_SPTE, vCPU 0 had frozen it and not yet published (the SEAMCALL window).
    for (const f of frozen) assert.equal(rec.stateAt(f.seq).walk('mirror', 0x200).find((w) => w.level === f.level)?.spte, FROZEN_SPTE);
    assert.match(evs[0].message!, /vCPU 0: RET_PF_FIXED; vCPU 1: RET_PF_SPURIOUS/);
    // vCPU 1's losing page tables are freed without ever being linked.
    assert.ok(evs.some((e) => e.fn === 'tdp_mmu_free_sp' && e.vcpu === 1 && e.anchor === 'kvm_tdp_mmu_map'));
    assert.equal(named(evs, 'TDH.MEM.PAGE.AUG').length, 1);
    assertClean(rec);
  });

  it('sequential: the second vCPU finds the leaf and is spurious, no cmpxchg is lost', () => {
    const rec = race('sequential');
    assert.equal(events(rec).filter((e) => e.fn === 'try_cmpxchg64' && e.result === 'false').length, 0);
    assert.match(events(rec)[0].message!, /vCPU 1: RET_PF_SPURIOUS/);
  });

  it('on the direct root the loser\'s try_cmpxchg64 fails and refreshes iter->old_spte', () => {
    const rec = simulate(vmx([{ op: 'race', interleave: 'lockstep', faults: [fault(0x40, { private: false, vcpu: 0 }) as never, fault(0x40, { private: false, vcpu: 1 }) as never] }]));
    const lost = events(rec).filter((e) => e.fn === 'try_cmpxchg64' && e.result === 'false');
    assert.ok(lost.length > 0);
    assert.ok(lost.every((e) => e.anchor === '__tdp_mmu_set_spte_atomic.cmpxchg' && is_shadow_present_pte(e.old_spte!)));
    assert.equal(mappedAt(rec, 'direct', 0x40), 1);
  });
});

describe('sim/simulate: splitting a private huge page (tdp_mmu_set_spte mirror branch)', () => {
  const steps = [fault(0x200, { max_level: 2 }), { op: 'split', gfn: 0x200, level: 2, private: true, shared: false } as const];

  it('RFC v2: leaf → non-leaf calls split_external_spt → BLOCK, TRACK, DEMOTE; 512 4K leaves in both trees', () => {
    const rec = simulate(td(steps, 'hugepage-rfc-v2'));
    const evs = inStep(rec, 1);
    assert.ok(inOrder(trail(evs), ['tdp_mmu_split_huge_page', 'tdp_mmu_link_sp', 'tdp_mmu_iter_set_spte', 'tdp_mmu_set_spte', 'handle_changed_spte',
      'split_external_spt', 'split_external_spt', 'tdx_sept_split_private_spt', 'TDH.MEM.RANGE.BLOCK', 'TDH.MEM.TRACK', 'TDH.MEM.PAGE.DEMOTE', 'trace_kvm_mmu_split_huge_page']));
    const split = named(evs, 'split_external_spt');
    assert.deepEqual(split.map((e) => [e.kind, e.anchor]), [['call', 'tdp_mmu_set_spte.split_external_spt'], ['hook', 'split_external_spt.hook']]);
    assert.deepEqual(['TDH.MEM.RANGE.BLOCK', 'TDH.MEM.TRACK', 'TDH.MEM.PAGE.DEMOTE'].map((n) => named(evs, n)[0].result), ['TDX_SUCCESS', 'TDX_SUCCESS', 'TDX_SUCCESS']);
    for (const g of [0x200, 0x2ff, 0x3ff]) {
      assert.equal(mappedAt(rec, 'mirror', g), 1);
      assert.equal(mappedAt(rec, 'sept', g), 1);
    }
    assert.equal(rec.stateAt(rec.length - 1).leafCounts('sept')[1], 512);
    assertClean(rec);
  });

  it('mainline (4K only): there is no huge mirror leaf, the split finds nothing', () => {
    const rec = simulate(td(steps));
    assert.equal(named(inStep(rec, 1), 'tdp_mmu_split_huge_page').length, 0);
    assertClean(rec);
  });

  it('mainline tdp_mmu_set_spte() with a 2M mirror leaf (RFC 01-08 without 09): KVM_BUG_ON at tdp_mmu_set_spte.bug_present', () => {
    const rec = simulateWithProfile(td(steps), { ...PROFILES.mainline, privateMaxLevel: 2 });
    const b = bugs(rec);
    assert.equal(b[0].anchor, 'tdp_mmu_set_spte.bug_present');
    assert.equal(b[0].root, 'mirror');
    assert.ok(is_shadow_present_pte(b[0].new_spte!));
    // ... and then remove_external_spte() runs on the old 2M leaf anyway (the KVM_BUG_ON does not return).
    assert.ok(inOrder(trail(inStep(rec, 1)), ['KVM_BUG_ON', 'remove_external_spte', 'remove_external_spte', 'tdx_sept_remove_private_spte']));
    assert.equal(named(events(rec), 'split_external_spt').length, 0);
    assert.ok(invariants(rec).length > 0, 'the mirror and the S-EPT disagree afterwards');
  });

  it('RFC v2 11/23: a 4K fault inside a 2M private mapping splits with mmu_lock shared and TDX refuses (-EOPNOTSUPP)', () => {
    const rec = simulate(td([fault(0x200, { max_level: 2 }), fault(0x201)], 'hugepage-rfc-v2'));
    const evs = inStep(rec, 1);
    assert.equal(named(evs, 'KVM_BUG_ON').length, 0, 'the fault-path KVM_BUG_ON is dropped by 11/23');
    const split = named(evs, 'split_external_spt').find((e) => e.kind === 'call')!;
    assert.equal(split.anchor, 'set_external_spte_present.split_external_spt');
    assert.equal(split.result, '-EOPNOTSUPP');
    // tdx_sept_split_private_spt: WARN_ON_ONCE(mmu_lock_shared), before any SEAMCALL.
    const warn = named(evs, 'WARN_ON_ONCE').find((e) => e.anchor === 'tdx_sept_split_private_spt.shared');
    assert.ok(warn, 'no WARN_ON_ONCE(mmu_lock_shared)');
    assert.ok(!evs.some((e) => e.kind === 'seamcall' && e.seq > warn.seq && e.seq < split.seq + 20 && e.fn === 'TDH.MEM.RANGE.BLOCK'), 'refused before TDH.MEM.RANGE.BLOCK');
    // The hook failed each time: the old 2M leaf is written back (restored), never the table.
    assert.ok(named(evs, '__kvm_tdp_mmu_write_spte').every((e) => e.old_spte === FROZEN_SPTE && is_large_pte(e.new_spte!)));
    assert.equal(mappedAt(rec, 'mirror', 0x201), 2);
    assertClean(rec);
  });

  it('RFC v2 11/23: a present mirror SPTE may only be demoted; a promotion bugs the VM once and is published unpropagated', () => {
    // Without 07/23's disallowed_hugepage_adjust() a 2M fault can try to replace a page table.
    const rec = simulateWithProfile(td([fault(0x201), fault(0x200, { max_level: 2 })], 'hugepage-rfc-v2'), { ...PROFILES['hugepage-rfc-v2'], mirrorNoMerge: false });
    const evs = inStep(rec, 1);
    const sesp = named(evs, 'set_external_spte_present').find((e) => e.kind === 'call')!;
    const inside = evs.filter((e) => e.parent === sesp.seq);
    assert.deepEqual(inside.filter((e) => e.kind === 'kvm_bug').map((e) => e.anchor), ['set_external_spte_present.bug_was_present']);
    assert.ok(!inside.some((e) => e.kind === 'hook'), 'no hook tells the S-EPT');
    assert.equal(sesp.result, '0');
    const publish = inside.find((e) => e.fn === '__kvm_tdp_mmu_write_spte')!;
    assert.equal(mappedAt(rec, 'mirror', 0x200, publish.seq), 2, 'the 2M leaf is published');
  });

  it('a scenario\'s what_if.private_max_level runs the same what-if through simulate()', () => {
    const sc = { ...td(steps), what_if: { private_max_level: 2 as const } };
    assert.equal(bugs(simulate(sc))[0].anchor, 'tdp_mmu_set_spte.bug_present');
    assert.throws(() => simulate({ ...vmx([]), what_if: { private_max_level: 2 } }), /needs a profile with TDX private memory/);
    assert.throws(() => simulate({ ...td([]), what_if: { private_max_level: 3 } }), /must be 4K or 2M \(got 1G\)/);
  });

  it('mainline: a huge mirror SPTE in the fault path is KVM_BUG_ON(is_mirror_sptep) (kvm_tdp_mmu_map.bug_mirror_huge)', () => {
    const rec = simulateWithProfile(td([fault(0x200, { max_level: 2 }), fault(0x201)]), { ...PROFILES.mainline, privateMaxLevel: 2 });
    assert.equal(bugs(rec)[0].anchor, 'kvm_tdp_mmu_map.bug_mirror_huge');
  });
});

describe('sim/simulate: zapping and private → shared conversion', () => {
  it('zapping private leaves: tdp_mmu_zap_leafs → tdp_mmu_set_spte → remove_external_spte → BLOCK, TRACK, REMOVE, WBINVD under write lock', () => {
    const rec = simulate(td([fault(0x200), fault(0x201), { op: 'zap', gfn: 0x200, npages: 1, private: true }]));
    const evs = inStep(rec, 2);
    assert.ok(inOrder(trail(evs), ['kvm_tdp_mmu_unmap_gfn_range', 'tdp_mmu_zap_leafs', 'tdp_mmu_iter_set_spte', 'tdp_mmu_set_spte', 'handle_changed_spte', ...TRACK_AND_REMOVE]));
    assert.ok(evs.filter((e) => e.kind !== 'step').every((e) => e.lock === 'write'));
    assert.deepEqual(evs[1].stack, ['kvm_gmem_punch_hole', 'kvm_gmem_invalidate_begin', 'kvm_mmu_unmap_gfn_range', 'kvm_tdp_mmu_unmap_gfn_range']);
    assert.equal(mappedAt(rec, 'mirror', 0x200), 0);
    assert.equal(mappedAt(rec, 'sept', 0x200), 0);
    assert.equal(mappedAt(rec, 'mirror', 0x201), 1);
    assertClean(rec);
  });

  it('RFC v2: converting one 4K page inside a 2M private mapping splits the huge page first, then zaps only that page', () => {
    const rec = simulate(td([fault(0x200, { max_level: 2 }), { op: 'convert', gfn: 0x210, npages: 1, to: 'shared' }], 'hugepage-rfc-v2'));
    const evs = inStep(rec, 1);
    assert.ok(inOrder(trail(evs), ['kvm_split_cross_boundary_leafs', 'tdp_mmu_split_huge_pages_root', 'split_external_spt', 'TDH.MEM.PAGE.DEMOTE',
      'kvm_tdp_mmu_unmap_gfn_range', 'tdp_mmu_zap_leafs', 'TDH.MEM.RANGE.BLOCK', 'TDH.MEM.PAGE.REMOVE']));
    assert.equal(mappedAt(rec, 'mirror', 0x210), 0);
    assert.equal(mappedAt(rec, 'sept', 0x210), 0);
    assert.equal(mappedAt(rec, 'mirror', 0x211), 1);
    assert.equal(rec.stateAt(rec.length - 1).leafCounts('mirror')[1], 511);
    assertClean(rec);
  });

  it('mainline: conversion zaps the 4K private page, nothing is split', () => {
    const rec = simulate(td([fault(0x210), { op: 'convert', gfn: 0x210, npages: 1, to: 'shared' }, fault(0x210, { private: false })]));
    assert.equal(named(events(rec), 'tdp_mmu_split_huge_pages_root').length, 0);
    assert.equal(mappedAt(rec, 'mirror', 0x210), 0);
    assert.equal(mappedAt(rec, 'direct', 0x210 + SHARED), 1);
    assertClean(rec);
  });

  it('without the RFC, zapping part of a 2M shared leaf zaps the whole leaf (tdp_mmu_zap_leafs visits the covering entry)', () => {
    const rec = simulate(vmx([fault(0x200, { private: false, max_level: 2 }), { op: 'zap', gfn: 0x210, npages: 1, private: false }]));
    assert.equal(mappedAt(rec, 'direct', 0x3ff), 0);
  });
});

describe('sim/simulate: dirty logging eager split on the direct root', () => {
  it('enabling dirty logging splits 2M shared leaves to 4K with mmu_lock held for read', () => {
    const rec = simulate(vmx([fault(0x200, { private: false, max_level: 2 }), { op: 'dirty_log', gfn: 0, npages: 4 * M, enable: true, eager_split: true }]));
    const evs = inStep(rec, 1);
    assert.ok(inOrder(trail(evs), ['kvm_tdp_mmu_try_split_huge_pages', 'tdp_mmu_split_huge_pages_root', 'tdp_mmu_split_huge_page', 'tdp_mmu_link_sp',
      'tdp_mmu_set_spte_atomic', '__tdp_mmu_set_spte_atomic', 'try_cmpxchg64', 'handle_changed_spte', 'trace_kvm_mmu_split_huge_page']));
    assert.ok(evs.filter((e) => e.kind !== 'step').every((e) => e.lock === 'read'));
    assert.equal(mappedAt(rec, 'direct', 0x3ff), 1);
    assert.equal(rec.stateAt(rec.length - 1).leafCounts('direct')[1], 512);
    for (const e of evs) if (e.anchor) assert.ok(anchorById(e.anchor)!.profiles.includes('pre-tdx'), e.anchor);
    assertClean(rec);
  });
});

describe('sim/simulate: SEAMCALL errors (injected) and the kernel\'s retries', () => {
  it('TDX_OPERAND_BUSY on TDH.MEM.PAGE.REMOVE: retried once with no vCPUs entering, then succeeds', () => {
    const rec = simulate(td([fault(0x200), { op: 'inject', seamcall: 'TDH.MEM.PAGE.REMOVE', error: 'TDX_OPERAND_BUSY', times: 1 },
      { op: 'zap', gfn: 0x200, npages: 1, private: true }]));
    const evs = inStep(rec, 2);
    const removes = named(evs, 'TDH.MEM.PAGE.REMOVE');
    assert.deepEqual(removes.map((e) => [e.result, e.anchor]), [['TDX_OPERAND_BUSY', 'tdx_sept_drop_private_spte.page_remove'], ['TDX_SUCCESS', 'tdx_sept_drop_private_spte.page_remove_retry']]);
    assert.equal(removes[0].status, TDX_STATUS.TDX_OPERAND_BUSY);
    assert.equal(removes[0].args?.injected, true);
    assert.ok(inOrder(trail(evs), ['TDH.MEM.PAGE.REMOVE', 'tdx_no_vcpus_enter_start', 'TDH.MEM.PAGE.REMOVE', 'tdx_no_vcpus_enter_stop']));
    assertClean(rec);
  });

  it('TDX_OPERAND_BUSY twice: the retry fails too → KVM_BUG_ON in tdx_sept_drop_private_spte and remove_external_spte; the S-EPT page stays BLOCKED', () => {
    const rec = simulate(td([fault(0x200), { op: 'inject', seamcall: 'TDH.MEM.PAGE.REMOVE', error: 'TDX_OPERAND_BUSY', times: 2 },
      { op: 'zap', gfn: 0x200, npages: 1, private: true }, fault(0x300)]));
    assert.deepEqual(bugs(rec).map((e) => e.anchor), ['tdx_sept_drop_private_spte', 'remove_external_spte.bug_ret']);
    assert.equal(decodeSeptEntry(rec.stateAt(rec.length - 1).walk('sept', 0x200).at(-1)!.spte).state, 'PENDING_BLOCKED');
    assert.ok(invariants(rec).some((e) => /S-EPT PENDING_BLOCKED leaf .* mirror SPTE is not present/.test(e.message!)));
    // The VM is bugged: the next vCPU fault is refused.
    assert.match(inStep(rec, 3)[0].message!, /refused: KVM_RUN returns -EIO/);
    assert.equal(rec.stateAt(rec.length - 1).bugged?.seq, bugs(rec)[0].seq);
  });

  it('TDX_OPERAND_BUSY on TDH.MEM.PAGE.AUG: -EBUSY, the frozen SPTE is restored and the fault retried', () => {
    const rec = simulate(td([{ op: 'inject', seamcall: 'TDH.MEM.PAGE.AUG', error: 'TDX_OPERAND_BUSY', times: 1 }, fault(0x200)]));
    const evs = inStep(rec, 1);
    assert.deepEqual(named(evs, 'TDH.MEM.PAGE.AUG').map((e) => e.result), ['TDX_OPERAND_BUSY', 'TDX_SUCCESS']);
    assert.deepEqual(named(evs, 'kvm_tdp_mmu_map').map((e) => e.result), ['RET_PF_RETRY', 'RET_PF_FIXED']);
    const writes = named(evs, '__kvm_tdp_mmu_write_spte').filter((e) => e.level === 1);
    assert.deepEqual(writes.map((e) => e.writes![0].new === SHADOW_NONPRESENT_VALUE), [true, false], 'restore after -EBUSY, then publish');
    assertClean(rec);
  });

  it('RFC v2: TDX_OPERAND_BUSY on TDH.MEM.PAGE.DEMOTE is retried with no vCPUs entering', () => {
    const rec = simulate(td([fault(0x200, { max_level: 2 }), { op: 'inject', seamcall: 'TDH.MEM.PAGE.DEMOTE', error: 'TDX_OPERAND_BUSY', times: 1 },
      { op: 'split', gfn: 0x200, level: 2, private: true, shared: false },
      { op: 'expect', seamcall_results: { 'TDH.MEM.PAGE.DEMOTE': 'TDX_SUCCESS' }, calls: { split_external_spt: 1, 'TDH.MEM.PAGE.DEMOTE': 2, tdx_sept_split_private_spt: 1 } }], 'hugepage-rfc-v2'));
    assert.deepEqual(named(events(rec), 'TDH.MEM.PAGE.DEMOTE').map((e) => e.result), ['TDX_OPERAND_BUSY', 'TDX_SUCCESS']);
    assert.deepEqual(rec.expectations.map((e) => [e.description, e.ok]), [['split_external_spt called 1 time(s)', true], ['TDH.MEM.PAGE.DEMOTE called 2 time(s)', true],
      ['tdx_sept_split_private_spt called 1 time(s)', true], ['last TDH.MEM.PAGE.DEMOTE returned TDX_SUCCESS', true]]);
    assertClean(rec);
  });

  it('a SEAMCALL error the module returns on its own is an invariant event, unless the scenario expects it', () => {
    // TDH.MEM.TRACK injected busy twice: KVM_BUG_ON in tdx_track; TDH.MEM.PAGE.REMOVE then meets an untracked block.
    const rec = simulate(td([fault(0x200), { op: 'inject', seamcall: 'TDH.MEM.TRACK', error: 'TDX_OPERAND_BUSY', times: 2 }, { op: 'zap', gfn: 0x200, npages: 1, private: true }]));
    assert.equal(named(events(rec), 'TDH.MEM.PAGE.REMOVE')[0].result, 'TDX_TLB_TRACKING_NOT_DONE');
    assert.ok(invariants(rec).some((e) => e.fn === 'TDX module' && /TDH.MEM.PAGE.REMOVE refused .*TDX_TLB_TRACKING_NOT_DONE/.test(e.message!)));
    const expected = simulate(td([fault(0x200), { op: 'inject', seamcall: 'TDH.MEM.TRACK', error: 'TDX_OPERAND_BUSY', times: 2 }, { op: 'zap', gfn: 0x200, npages: 1, private: true },
      { op: 'expect', seamcall_results: { 'TDH.MEM.PAGE.REMOVE': 'TDX_TLB_TRACKING_NOT_DONE' } }]));
    assert.ok(!invariants(expected).some((e) => e.fn === 'TDX module'));
  });
});

describe('sim/simulate: TD teardown', () => {
  const rec = simulate(td([fault(0x200), { op: 'convert', gfn: 0x10, npages: 1, to: 'shared' }, fault(0x10, { private: false }), { op: 'teardown' }]));
  const evs = inStep(rec, 3);
  const seamcalls = evs.filter((e) => e.kind === 'seamcall').map((e) => e.fn);

  it('removes private pages while the HKID is assigned, then releases the HKID, then reclaims the S-EPT pages', () => {
    const lastRemove = seamcalls.lastIndexOf('TDH.MEM.PAGE.REMOVE');
    const freeid = seamcalls.indexOf('TDH.MNG.KEY.FREEID');
    const firstReclaim = seamcalls.indexOf('TDH.PHYMEM.PAGE.RECLAIM');
    assert.ok(lastRemove >= 0 && lastRemove < freeid && freeid < firstReclaim);
    assert.ok(inOrder(seamcalls, ['TDH.VP.FLUSH', 'TDH.VP.FLUSH', 'TDH.MNG.VPFLUSHDONE', 'TDH.PHYMEM.CACHE.WB', 'TDH.MNG.KEY.FREEID']));
    assert.equal(seamcalls.filter((s) => s === 'TDH.PHYMEM.PAGE.RECLAIM').length, 3, 'one per S-EPT page KVM linked');
    assert.deepEqual(named(evs, 'tdx_mmu_release_hkid')[0].stack, ['kvm_destroy_vm', 'kvm_arch_pre_destroy_vm', 'vt_vm_pre_destroy', 'tdx_mmu_release_hkid']);
  });

  it('zaps the direct root from the mmu-notifier release, then every root from kvm_mmu_uninit_tdp_mmu, and frees them', () => {
    assert.ok(inOrder(trail(evs), ['kvm_tdp_mmu_zap_all', 'tdp_mmu_zap_root', 'kvm_tdp_mmu_invalidate_roots', 'kvm_tdp_mmu_zap_invalidated_roots', 'tdp_mmu_zap_root', 'tdp_mmu_zap_root']));
    assert.deepEqual(named(evs, '__tdp_mmu_zap_root').slice(0, 4).map((e) => e.level), [1, 2, 3, 4]);
    const st = rec.stateAt(rec.length - 1);
    for (const t of ['direct', 'mirror', 'sept'] as const) {
      assert.deepEqual(st.walk(t, 0x200), [], t);
      assert.deepEqual(st.leafCounts(t), {}, t);
    }
    assertClean(rec);
  });

  it('a VMX VM tears down with kvm_tdp_mmu_zap_all and no SEAMCALL', () => {
    const v = simulate(vmx([fault(0x10, { private: false }), { op: 'teardown' }]));
    assert.equal(events(v).filter((e) => e.kind === 'seamcall').length, 0);
    assert.deepEqual(v.stateAt(v.length - 1).walk('direct', 0x10), []);
    assertClean(v);
  });
});

describe('sim/simulate: a bugged VM', () => {
  it('refuses vCPU and VM ioctls but still zaps (guest_memfd / mmu notifier) and tears down', () => {
    const sc = td([fault(0x200), { op: 'inject', seamcall: 'TDH.MEM.RANGE.BLOCK', error: 'TDX_OPERAND_BUSY', times: 2 },
      { op: 'zap', gfn: 0x200, npages: 1, private: true }, fault(0x300), { op: 'convert', gfn: 0x300, npages: 1, to: 'shared' },
      { op: 'zap', gfn: 0x0, npages: 1, private: false }, { op: 'teardown' }, { op: 'expect', kvm_bug: true }]);
    const rec = simulate(sc);
    assert.equal(bugs(rec)[0].anchor, 'tdx_sept_zap_private_spte');
    assert.match(inStep(rec, 3)[0].message!, /refused: KVM_RUN/);
    assert.match(inStep(rec, 4)[0].message!, /refused: KVM_SET_MEMORY_ATTRIBUTES/);
    assert.ok(named(inStep(rec, 5), 'kvm_tdp_mmu_unmap_gfn_range').length === 1);
    assert.ok(named(inStep(rec, 6), 'tdx_mmu_release_hkid').length === 1);
    assert.deepEqual(rec.expectations.map((e) => e.ok), [true]);
  });
});

describe('sim/simulate: expectations, anchors, determinism, limits', () => {
  it('evaluates calls, kvm_bug, invariants_ok, seamcall_results and mapped', () => {
    const rec = simulate(td([fault(0x200), { op: 'expect', calls: { 'TDH.MEM.PAGE.AUG': 1, split_external_spt: 0, 'TDH.MEM.SEPT.ADD': 2 }, kvm_bug: false, invariants_ok: true,
      seamcall_results: { 'TDH.MEM.PAGE.AUG': 'TDX_SUCCESS' }, mapped: [{ table: 'mirror', gfn: 0x200, level: 1 }, { table: 'sept', gfn: 0x201, level: 0 }, { table: 'direct', gfn: 0x200, level: 0 }] }]));
    assert.deepEqual(rec.expectations.map((e) => [e.description, e.ok, e.actual]), [
      ['TDH.MEM.PAGE.AUG called 1 time(s)', true, '1'],
      ['split_external_spt called 0 time(s)', true, '0'],
      ['TDH.MEM.SEPT.ADD called 2 time(s)', false, '3'],
      ['no KVM_BUG_ON', true, 'not bugged'],
      ['no invariant violated', true, '0 invariant event(s)'],
      ['last TDH.MEM.PAGE.AUG returned TDX_SUCCESS', true, 'TDX_SUCCESS'],
      ['gfn 0x200 is mapped at 4K in mirror', true, '4K'],
      ['gfn 0x201 is unmapped in sept', true, 'unmapped'],
      ['gfn 0x200 is unmapped in direct', true, 'unmapped'],
    ]);
    assert.ok(rec.expectations.every((e) => e.step === 1));
  });

  it('every anchor emitted exists and belongs to the profile', () => {
    const all = [
      simulate(td([fault(0x200, { max_level: 2 }), fault(0x201), { op: 'split', gfn: 0x200, level: 2, private: true, shared: false }, { op: 'convert', gfn: 0x210, npages: 1, to: 'shared' },
        fault(0x210, { private: false }), { op: 'teardown' }], 'hugepage-rfc-v2')),
      simulate(td([fault(0x200), { op: 'convert', gfn: 0x10, npages: 1, to: 'shared' }, fault(0x10, { private: false }), { op: 'zap', gfn: 0x200, npages: 1, private: true }, { op: 'teardown' }])),
      simulate(vmx([fault(0x200, { private: false, max_level: 2 }), { op: 'dirty_log', gfn: 0, npages: M, enable: true, eager_split: true }, { op: 'teardown' }])),
    ];
    for (const rec of all) {
      for (const e of events(rec)) {
        if (e.anchor === null) continue;
        const a = anchorById(e.anchor);
        assert.ok(a, `unknown anchor ${e.anchor}`);
        assert.ok(a.profiles.includes(rec.profile), `${e.anchor} is not in ${rec.profile}`);
      }
    }
  });

  it('the same scenario gives byte-identical JSON', () => {
    const sc = () => td([fault(0x200, { max_level: 2 }), { op: 'race', interleave: 'lockstep', faults: [fault(0x400, { vcpu: 0 }) as never, fault(0x400, { vcpu: 1 }) as never] },
      { op: 'split', gfn: 0x200, level: 2, private: true, shared: false }, { op: 'teardown' }], 'hugepage-rfc-v2');
    const a = recordingToJSON(simulate(sc()));
    assert.equal(a, recordingToJSON(simulate(sc())));
    assert.ok(a.length > 10000);
  });

  it('maxEvents ends the recording with a failed expectation; an aborted signal cancels', () => {
    const rec = simulate(td([fault(0x200), fault(0x400), { op: 'teardown' }]), { maxEvents: 30 });
    assert.equal(rec.length, 30);
    assert.match(rec.expectations.at(-1)!.actual, /stopped after 30 events/);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    assert.throws(() => simulate(td([fault(0)]), { signal: ac.signal }), /stop/);
    let progress: Array<[number, number]> = [];
    simulate(td([fault(0), fault(1)]), { onProgress: (d, t) => progress.push([d, t]) });
    assert.deepEqual(progress, [[1, 2], [2, 2]]);
    progress = [];
  });

  it('the recording steps back and forth: stateAt(seq) equals the state reached stepping from the start', () => {
    const rec = simulate(td([fault(0x200), fault(0x201), { op: 'zap', gfn: 0x200, npages: 2, private: true }]));
    const seen: string[] = [];
    for (let i = 0; i < rec.length; i++) seen.push(JSON.stringify(rec.stateAt(i).walk('sept', 0x201), (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)));
    for (let i = rec.length - 1; i >= 0; i -= 7) assert.equal(JSON.stringify(rec.stateAt(i).walk('sept', 0x201), (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)), seen[i]);
  });
});

