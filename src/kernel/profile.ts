// Which kernel generation a tree is, judged from its code (never from version strings, which
// say nothing about applied series):
//   pre-tdx          tdp_mmu.c has no mirror-root code at all (e.g. Debian 6.12)
//   mainline         tdp_mmu_set_spte() has a mirror branch (is_mirror_sptep) without a split
//   hugepage-rfc-v2  that mirror branch calls split_external_spt() (RFC v2 09/23)
import { anchorById, type KernelFile } from '../sim/anchors';
import type { ProfileName } from '../sim/types';
import { isHook } from './cstructure';
import { resolveAnchor, type FileLookup, type Location } from './resolve';
import type { SourceFile } from './source-file';

export interface DetectedProfile {
  /** undefined when the loaded files say nothing about the generation. */
  profile: ProfileName | undefined;
  /** One sentence for people, naming the code that decided it. */
  reason: string;
  /** Things that do not fit the profile (shown next to it, never silently dropped). */
  warnings: string[];
}

/** kvm_x86_ops members through which the TDP MMU reaches the external (S-EPT) page table, in
 *  every generation we know (RFC v3 renames the split hook to split_external_spte). */
const EXTERNAL_HOOKS = new Set(['link_external_spt', 'set_external_spte', 'free_external_spt', 'remove_external_spte', 'split_external_spt', 'split_external_spte']);
const MIRROR_PREDICATES = new Set(['is_mirror_sptep', 'is_mirror_sp']);
/** Out-of-tree TDX branches before the merge called mirror roots "private". */
const PRIVATE_PREDICATES = new Set(['is_private_sptep', 'is_private_sp']);

export function detectProfile(lookup: FileLookup): DetectedProfile {
  const loaded = (kf: KernelFile): SourceFile | undefined => {
    const f = lookup(kf);
    return 'missing' in f ? undefined : f;
  };
  const where = (id: string): Location | undefined => {
    const r = resolveAnchor(anchorById(id)!, lookup, undefined);
    return r.status === 'found' ? r.location : r.status === 'ambiguous' ? r.candidates[0] : undefined;
  };
  const tdx = loaded('vmx/tdx.c');
  const tdxSplit = tdx && where('tdx_sept_split_private_spt');
  const tdxLink = tdx && where('tdx_sept_link_private_spt');
  const tdpMmu = loaded('mmu/tdp_mmu.c');

  if (!tdpMmu) {
    if (tdxSplit) return { profile: 'hugepage-rfc-v2', reason: `vmx/tdx.c defines tdx_sept_split_private_spt (line ${tdxSplit.startLine}); mmu/tdp_mmu.c not loaded`, warnings: [] };
    if (tdxLink) return { profile: 'mainline', reason: `vmx/tdx.c defines tdx_sept_link_private_spt (line ${tdxLink.startLine}) but no split hook; mmu/tdp_mmu.c not loaded`, warnings: [] };
    return { profile: undefined, reason: 'mmu/tdp_mmu.c not loaded and nothing else tells the generation', warnings: [] };
  }

  const warnings: string[] = [];
  const setSpte = where('tdp_mmu_set_spte');
  if (!setSpte) {
    return { profile: undefined, reason: `${tdpMmu.path} defines no tdp_mmu_set_spte: not a TDP MMU source we know`, warnings };
  }
  const split = where('tdp_mmu_set_spte.split_external_spt');
  const mirror = where('tdp_mmu_set_spte.mirror_branch');
  let profile: ProfileName;
  let reason: string;
  if (split && mirror) {
    profile = 'hugepage-rfc-v2';
    reason = `tdp_mmu_set_spte has a mirror branch (line ${mirror.startLine}) calling split_external_spt (line ${split.startLine})`;
  } else if (mirror) {
    profile = 'mainline';
    reason = `tdp_mmu_set_spte has a mirror branch (line ${mirror.startLine}) and no split_external_spt call`;
  } else {
    const calls = tdpMmu.structure.calls();
    const mirrorCode = calls.find((c) => MIRROR_PREDICATES.has(c.callee) || (isHook(c.via) && EXTERNAL_HOOKS.has(c.callee)));
    if (mirrorCode) {
      profile = 'mainline';
      reason = `mirror-root code in tdp_mmu.c (${mirrorCode.callee} in ${mirrorCode.fn?.name}, line ${mirrorCode.span.startLine}) but tdp_mmu_set_spte (line ${setSpte.startLine}) has no mirror branch`;
      warnings.push('the external page-table hooks are wired differently from the mainline profile (newer kernels route them through handle_changed_spte): anchors of the mainline layout may be absent');
    } else {
      profile = 'pre-tdx';
      reason = `no mirror-root code in tdp_mmu.c: tdp_mmu_set_spte (line ${setSpte.startLine}) has no mirror branch, and no is_mirror_sptep check or external page-table hook call anywhere`;
      const priv = calls.find((c) => PRIVATE_PREDICATES.has(c.callee) || (isHook(c.via) && /_private_spte?$/.test(c.callee)));
      if (priv) warnings.push(`pre-merge TDX code (${priv.callee}, line ${priv.span.startLine}): an out-of-tree TDX branch, not a known profile`);
    }
  }
  if (tdx) {
    if (profile === 'pre-tdx') warnings.push('vmx/tdx.c is present but tdp_mmu.c has no mirror-root code');
    if (profile === 'hugepage-rfc-v2' && !tdxSplit) warnings.push('tdp_mmu.c calls split_external_spt but vmx/tdx.c defines no tdx_sept_split_private_spt');
    if (profile === 'mainline' && tdxSplit) warnings.push(`vmx/tdx.c defines tdx_sept_split_private_spt (line ${tdxSplit.startLine}) but tdp_mmu.c never calls split_external_spt`);
  }
  return { profile, reason, warnings };
}
