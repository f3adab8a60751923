// What a trace says (and does not say) about TDX. KVM sets kvm->arch.gfn_direct_bits to the
// TD's shared bit (vmx/tdx.c tdx_td_init: TDX_SHARED_BIT_PWL_5 = GPA bit 51 when the TD uses the
// maximum GPA width with 5-level EPT, else TDX_SHARED_BIT_PWL_4 = GPA bit 47), i.e. GFN bit 39
// or 35. Where that bit shows up in a trace:
//  - kvm_page_fault prints the faulting GPA as the CPU reported it: shared accesses carry it;
//  - kvm_tdp_mmu_spte_changed prints iter->gfn, which since "KVM: x86/mmu: Support GFN direct
//    bits" excludes the bits (tdp_iter keeps them in iter->gfn_bits), EXCEPT in
//    __tdp_mmu_zap_root, which walks the whole root with for_each_tdp_pte_min_level_all() and
//    gfn_bits 0, so zapping a TD's direct root prints GFNs with the shared bit;
//  - kvm_mmu_spte_requested prints fault->gfn, stripped of the bit.
// So the bit proves "this is a TD" and "this GFN is in the direct (shared) root"; its absence
// proves nothing: replay.ts has to infer the root of most SPTE changes of a TD.

export type SharedGfnBit = 35 | 39;

const P35 = 2 ** 35, P36 = 2 ** 36, P39 = 2 ** 39, P40 = 2 ** 40;

/** The shared bit a GFN carries, if any. GFN bit 35 counts only below 2^36: a GFN with bit 39
 *  set is a GPAW-52 shared GFN whatever bit 35 says (that is then an ordinary address bit). */
export function sharedBitOfGfn(gfn: number): SharedGfnBit | null {
  if (gfn >= P39 && gfn < P40) return 39;
  if (gfn >= P35 && gfn < P36) return 35;
  return null;
}

/** The shared bit a GPA (kvm_page_fault address) carries, as a GFN bit number. */
export function sharedBitOfGpa(gpa: bigint): SharedGfnBit | null {
  if (gpa >= 1n << 51n && gpa < 1n << 52n) return 39;
  if (gpa >= 1n << 47n && gpa < 1n << 48n) return 35;
  return null;
}

/** The GFN without the shared bit: how KVM itself names the entry everywhere but in zap_root. */
export function stripSharedBit(gfn: number, bit: SharedGfnBit | null): number {
  if (bit === null) return gfn;
  const b = 2 ** bit;
  return Math.floor(gfn / b) % 2 === 1 ? gfn - b : gfn;
}
