// Which simulator profiles to compare for one patch. detectProfile() names the kernel generation
// of the code before and after the patch; but a named profile bundles several switches (e.g.
// hugepage-rfc-v2 = 09/23's tdp_mmu_set_spte() split + 11/23's fault-path split + 15-16/23's
// split on conversion + 2M private mappings). To show what *this patch* changes, the "after"
// side is the "before" profile with only the switches whose code the patch changed, and both
// sides allow the larger private mapping size so the same scenarios can run on both (the
// simulator's what-if variants, see simulateWithProfile()).

import { levelName } from '../sim/levels';
import { PROFILES, type Profile } from '../sim/profiles';
import type { ProfileName } from '../sim/types';

/** The simulator switches that can be read off the code (anchors resolved by the linker). */
export type CodeSwitches = Partial<Pick<Profile, 'setSpteMirrorPresent' | 'faultPathMirrorSplit'>>;

export interface CodeState {
  profile: ProfileName | undefined;
  switches: CodeSwitches;
}

export interface SimSide {
  /** The named profile the code matches. */
  name: ProfileName;
  /** What is simulated: that profile, or a what-if variant of it. */
  profile: Profile;
  /** How `profile` differs from the named profile, in words (empty: it is the named one). */
  whatIf: string[];
  /** The profile name scenarios are loaded (and their limits checked) with. */
  loadAs: ProfileName;
}

const SWITCH_WORDS: Record<keyof CodeSwitches, (v: string) => string> = {
  setSpteMirrorPresent: (v) => (v === 'split' ? 'tdp_mmu_set_spte() sends a mirror leaf → non-leaf change to split_external_spt()' : 'tdp_mmu_set_spte() KVM_BUG_ONs any present new mirror SPTE'),
  faultPathMirrorSplit: (v) => (v === 'split' ? 'kvm_tdp_mmu_map() splits a huge mirror SPTE without KVM_BUG_ON' : 'kvm_tdp_mmu_map() KVM_BUG_ONs before splitting a huge mirror SPTE'),
};

export function simulatedSides(before: CodeState, after: CodeState): { before: SimSide; after: SimSide } | { note: string } {
  if (!before.profile || !after.profile) {
    return { note: `the kernel profile ${!before.profile ? 'before' : 'after'} the patch is unknown, so nothing can be simulated` };
  }
  const pb = PROFILES[before.profile];
  const pa = PROFILES[after.profile];
  if (pb.tdx !== pa.tdx) {
    // Mirror roots appear or vanish: nothing to isolate, compare the named profiles.
    return { before: { name: pb.name, profile: pb, whatIf: [], loadAs: pb.name }, after: { name: pa.name, profile: pa, whatIf: [], loadAs: pa.name } };
  }
  const changed: string[] = [];
  const afterProfile: Profile = { ...pb };
  for (const key of Object.keys(SWITCH_WORDS) as (keyof CodeSwitches)[]) {
    const v = after.switches[key];
    if (v !== undefined && v !== before.switches[key] && v !== pb[key]) {
      (afterProfile as unknown as Record<string, unknown>)[key] = v;
      changed.push(SWITCH_WORDS[key](v));
    }
  }
  if (changed.length === 0) {
    return { note: before.profile === after.profile
      ? `the patch keeps the tree at profile ${before.profile}: the simulator models kernel generations, so it has no behaviour change to show`
      : `the patch moves the tree from ${before.profile} to ${after.profile}, but changes none of the decisions the simulator switches on` };
  }
  // Scenarios are loaded with the named profile that admits the larger private mappings.
  const wide = pa.privateMaxLevel > pb.privateMaxLevel ? pa : pb;
  const lift = wide !== pb ? [`private mappings up to ${levelName(wide.privateMaxLevel)} (as in ${wide.name}), so there are huge private pages to act on`] : [];
  return {
    before: { name: pb.name, profile: { ...pb, privateMaxLevel: wide.privateMaxLevel }, whatIf: lift, loadAs: wide.name },
    after: { name: pb.name, profile: { ...afterProfile, privateMaxLevel: wide.privateMaxLevel }, whatIf: [...lift, ...changed.map((c) => `with this patch: ${c}`)], loadAs: wide.name },
  };
}
