// Kernel profiles: the same model, switched at the few decision points where the kernels differ.
// Each switch names the kernel function and condition it stands for.
import type { PgLevel, ProfileName } from './types';
import { PROFILE_NAMES } from './types';

export interface Profile {
  name: ProfileName;
  title: string;
  /** The kernel source the profile follows. */
  kernel: string;
  description: string;
  /** What is different from the other profiles, one line each (for `tdp-sim profiles`). */
  differences: string[];
  /** Mirror roots and the external-page-table hooks exist (KVM_X86_TDX_VM can be created). */
  tdx: boolean;
  /** Largest private mapping: tdx_gmem_private_max_mapping_level() (4K in mainline; 2M with the RFC). */
  privateMaxLevel: PgLevel;
  /** tdp_mmu_set_spte() on a mirror SPTE with a present new value:
   *  'bug'   — KVM_BUG_ON(is_shadow_present_pte(new_spte)) (mainline);
   *  'split' — leaf → non-leaf goes to split_external_spt(), anything else KVM_BUG_ON(1) (RFC v2 09/23). */
  setSpteMirrorPresent: 'bug' | 'split';
  /** kvm_tdp_mmu_map() meeting a huge mirror SPTE above the goal level:
   *  'bug'   — KVM_BUG_ON(is_mirror_sptep()) before tdp_mmu_split_huge_page() (mainline);
   *  'split' — no KVM_BUG_ON; set_external_spte_present() propagates the split with the lock
   *            shared and TDX refuses it (RFC v2 11/23). */
  faultPathMirrorSplit: 'bug' | 'split';
  /** kvm_tdp_mmu_map() calls disallowed_hugepage_adjust() for mirror roots: a fault whose goal
   *  level holds a page table steps down instead of replacing it by a huge leaf (RFC v2 07/23). */
  mirrorNoMerge: boolean;
  /** KVM_SET_MEMORY_ATTRIBUTES splits huge leaves crossing the range under write mmu_lock before
   *  unmapping (RFC v2 15-16/23, kvm_split_cross_boundary_leafs()). */
  splitOnConversion: boolean;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  'pre-tdx': {
    name: 'pre-tdx',
    title: 'Linux 6.12 (before TDX mirror roots)',
    kernel: 'Debian linux-source-6.12, arch/x86/kvm/mmu/tdp_mmu.c',
    description: 'The TDP MMU before TDX: only direct roots; no external page tables, no TDX VMs.',
    differences: [
      'no mirror roots and no kvm_x86_ops external page-table hooks',
      'a TDX VM (vm.type: tdx) is refused',
      'tdp_mmu_set_spte() and __tdp_mmu_set_spte_atomic() have no mirror branch',
    ],
    tdx: false,
    privateMaxLevel: 1,
    setSpteMirrorPresent: 'bug',
    faultPathMirrorSplit: 'bug',
    mirrorNoMerge: false,
    splitOnConversion: false,
  },
  mainline: {
    name: 'mainline',
    title: 'Mainline TDX (mirror roots, 4K private mappings)',
    kernel: 'kernelorg-mirror/virt_kvm_kvm @6249af46 (arch/x86/kvm/mmu/tdp_mmu.c, arch/x86/kvm/vmx/tdx.c)',
    description: 'Mirror roots for TDX private memory, propagated to the S-EPT through link/set/remove/free_external_spt; private memory is mapped at 4K only.',
    differences: [
      'private mappings are 4K only (tdx_gmem_private_max_mapping_level)',
      'tdp_mmu_set_spte(): KVM_BUG_ON if a mirror SPTE becomes present under write mmu_lock',
      'kvm_tdp_mmu_map(): KVM_BUG_ON before splitting a huge mirror SPTE in the fault path',
      'no split_external_spt hook; converting private memory to shared never splits',
    ],
    tdx: true,
    privateMaxLevel: 1,
    setSpteMirrorPresent: 'bug',
    faultPathMirrorSplit: 'bug',
    mirrorNoMerge: false,
    splitOnConversion: false,
  },
  'hugepage-rfc-v2': {
    name: 'hugepage-rfc-v2',
    title: 'TDX huge pages, RFC v2 (Aug 2025)',
    kernel: 'mainline TDX + "[RFC PATCH v2 00/23] KVM: TDX huge page support for private memory" (07/23, 09-11/23, 15-17/23)',
    description: '2M private mappings; a mirror huge page is split through the new split_external_spt hook (BLOCK, TRACK, DEMOTE in TDX).',
    differences: [
      'private mappings up to 2M; a fault never merges mirror page tables into a huge leaf (07/23)',
      'tdp_mmu_set_spte(): present leaf → present non-leaf on a mirror SPTE calls split_external_spt(); other present transitions KVM_BUG_ON(1) (09/23)',
      'tdx_sept_split_private_spt(): TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.DEMOTE (10/23)',
      'kvm_tdp_mmu_map(): no KVM_BUG_ON on a huge mirror SPTE; set_external_spte_present() splits with mmu_lock shared and TDX refuses (WARN_ON_ONCE, -EOPNOTSUPP); a present mirror SPTE may only be demoted (11/23)',
      'private → shared conversion splits huge leaves crossing the range before unmapping (15-16/23)',
    ],
    tdx: true,
    privateMaxLevel: 2,
    setSpteMirrorPresent: 'split',
    faultPathMirrorSplit: 'split',
    mirrorNoMerge: true,
    splitOnConversion: true,
  },
};

export function profileByName(name: string): Profile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`unknown profile '${name}': expected one of ${PROFILE_NAMES.join(', ')}`);
  }
  return PROFILES[name as ProfileName];
}

/** The decisions a what-if variant of a profile may change (src/patch/what-if.ts). */
export const SWITCH_KEYS = ['privateMaxLevel', 'setSpteMirrorPresent', 'faultPathMirrorSplit', 'mirrorNoMerge', 'splitOnConversion'] as const;
export type ProfileSwitches = Partial<Pick<Profile, (typeof SWITCH_KEYS)[number]>>;

/** How `variant` decides differently from the named profile it carries the name of. */
export function switchesOf(variant: Profile): ProfileSwitches {
  const named = PROFILES[variant.name];
  const out: Record<string, unknown> = {};
  for (const k of SWITCH_KEYS) if (variant[k] !== named[k]) out[k] = variant[k];
  return out as ProfileSwitches;
}

/** The named profile with `switches` applied: switchesOf() undone. */
export function withSwitches(name: ProfileName, switches: ProfileSwitches): Profile {
  return { ...PROFILES[name], ...switches };
}
