// Transition rules: which SPTE changes the modelled kernel can make, judged from one traced
// change (old → new at a level, on a root) and what the trace tells about its context. Each
// rule cites the kernel check it mirrors; rules that need the reconstructed tables (old_spte
// mismatch, skipped levels, splits) live in replay.ts.
import type { PgLevel, ProfileName, RootKind, Spte } from '../sim/types';
import * as sim from '../sim';

// Bound once: module exports are property getters after compilation, too slow per record.
const { PG_LEVEL_2M, PG_LEVEL_4K, is_frozen_spte, is_last_spte, is_mmio_spte, is_shadow_present_pte, spte_to_pfn } = sim;

export type VmType = 'tdx' | 'vmx';
export type Severity = 'error' | 'warning' | 'info';

export type FindingRule =
  | 'leaf-pfn-change'
  | 'noop-change'
  | 'nonpresent-change'
  | 'misaligned-gfn'
  | 'bad-as-id'
  | 'nonleaf-pfn-change'
  | 'mirror-present-to-present'
  | 'mirror-split'
  | 'mirror-huge-leaf'
  | 'mirror-zap-under-read-lock'
  | 'mirror-present-outside-fault'
  | 'old-spte-mismatch'
  | 'level-skip'
  | 'split-without-link'
  | 'split-not-traced'
  | 'split-child-mismatch'
  | 'level-above-root';

export interface RuleHit {
  rule: FindingRule;
  severity: Severity;
  message: string;
  /** The kernel decision point that rejects (or would have to make) this change: an ANCHORS id. */
  anchor: string | null;
}

export interface TransitionInput {
  root: RootKind;
  vmType: VmType;
  profile: ProfileName;
  asId: number;
  gfn: number;
  level: PgLevel;
  old: Spte;
  new: Spte;
  /** true: inside a traced page fault (kvm_tdp_mmu_map, read mmu_lock, atomic sets); false:
   *  outside one; null: the trace has no fault events, so nobody knows. */
  inFault: boolean | null;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

/** Kernels from before SHADOW_NONPRESENT_VALUE (the intel/tdx and kvm-x86 trees of 2023-24)
 *  froze SPTEs with REMOVED_SPTE = 0x5a0 instead of FROZEN_SPTE. */
export const LEGACY_REMOVED_SPTE = 0x5a0n;

/** is_frozen_spte(), accepting the older REMOVED_SPTE value too. */
export function isFrozen(v: Spte): boolean {
  return is_frozen_spte(v) || v === LEGACY_REMOVED_SPTE;
}

const kind = (v: Spte, level: PgLevel): string =>
  !is_shadow_present_pte(v) ? (isFrozen(v) ? 'FROZEN_SPTE' : 'non-present') : is_last_spte(v, level) ? 'leaf' : 'non-leaf';

/**
 * The external (S-EPT) hook the kernel calls for this mirror change, from the callers of
 * handle_changed_spte: set_external_spte_present (np → leaf: set_external_spte; np → non-leaf:
 * link_external_spt), tdp_mmu_set_spte / remove_external_spte (leaf → np), handle_removed_pt
 * (non-leaf → np: free_external_spt after the children), RFC v2 09/23 (leaf → non-leaf:
 * split_external_spt). null when the change needs none (or is not a mirror change).
 */
export function expectedHook(root: RootKind, old: Spte, nu: Spte, level: PgLevel): string | null {
  if (root !== 'mirror') return null;
  const wasPresent = is_shadow_present_pte(old), isPresent = is_shadow_present_pte(nu);
  if (!wasPresent && isPresent) return is_last_spte(nu, level) ? 'set_external_spte' : 'link_external_spt';
  if (wasPresent && !isPresent) return is_last_spte(old, level) ? 'remove_external_spte' : 'free_external_spt';
  if (wasPresent && isPresent && is_last_spte(old, level) && !is_last_spte(nu, level)) return 'split_external_spt';
  return null;
}

/** Asked only where a rule needs it: each BigInt operation allocates, per traced change. */
const pfnChanged = (old: Spte, nu: Spte): boolean => spte_to_pfn(old) !== spte_to_pfn(nu);

/** "leaf 0x... → non-present 0x... at level 1", for findings only (not built per clean change). */
function describe(t: TransitionInput): string {
  return `${kind(t.old, t.level)} ${hex(t.old)} → ${kind(t.new, t.level)} ${hex(t.new)} at level ${t.level}`;
}

/** Every rule one traced change breaks (usually none), appended to `hits`. */
export function checkTransition(t: TransitionInput, hits: RuleHit[] = []): RuleHit[] {
  const { old, level } = t;
  const nu = t.new;
  const wasPresent = is_shadow_present_pte(old), isPresent = is_shadow_present_pte(nu);
  const wasLeaf = wasPresent && is_last_spte(old, level), isLeaf = isPresent && is_last_spte(nu, level);

  // x86 has two address spaces (normal and SMM); the tracepoint's as_id is a u8.
  if (t.asId > 1) hits.push({ rule: 'bad-as-id', severity: 'error', message: `as id ${t.asId}: x86 KVM has only address spaces 0 and 1 (SMM)`, anchor: null });
  // handle_changed_spte: WARN_ON_ONCE(gfn & (KVM_PAGES_PER_HPAGE(level) - 1)).
  if (t.gfn % 2 ** ((level - 1) * 9) !== 0) {
    hits.push({ rule: 'misaligned-gfn', severity: 'error', message: `gfn 0x${t.gfn.toString(16)} is not aligned to a level-${level} entry (handle_changed_spte would WARN)`, anchor: 'handle_changed_spte' });
  }
  // handle_changed_spte: BUG() before the tracepoint, so a real trace cannot contain this.
  if (wasLeaf && isLeaf && pfnChanged(old, nu)) {
    hits.push({ rule: 'leaf-pfn-change', severity: 'error', message: `present leaf replaced by a present leaf with another pfn (${describe(t)}): handle_changed_spte BUG()s before tracing`, anchor: 'handle_changed_spte' });
  }
  // handle_changed_spte returns before the tracepoint when nothing changed.
  if (old === nu) hits.push({ rule: 'noop-change', severity: 'warning', message: `old_spte == new_spte (${hex(old)}): handle_changed_spte does not trace unchanged SPTEs`, anchor: 'handle_changed_spte.trace' });
  // handle_changed_spte: non-present → non-present only for MMIO SPTEs or a new FROZEN_SPTE.
  if (!wasPresent && !isPresent && old !== nu && !is_mmio_spte(old, t.vmType) && !is_mmio_spte(nu, t.vmType) && !isFrozen(nu)) {
    hits.push({ rule: 'nonpresent-change', severity: 'warning', message: `non-present ${hex(old)} → non-present ${hex(nu)}, neither MMIO nor FROZEN_SPTE (handle_changed_spte would WARN)`, anchor: 'handle_changed_spte' });
  }
  // handle_changed_spte: WARN_ON_ONCE(pfn_changed) for a present non-leaf staying a non-leaf.
  if (wasPresent && !wasLeaf && isPresent && !isLeaf && pfnChanged(old, nu)) {
    hits.push({ rule: 'nonleaf-pfn-change', severity: 'warning', message: `non-leaf SPTE re-pointed to another page table (${describe(t)}): handle_changed_spte WARNs, page tables are never migrated`, anchor: 'handle_changed_spte.handle_removed_pt' });
  }
  if (t.root === 'mirror') mirrorRules(t, wasPresent, isPresent, wasLeaf, isLeaf, hits);
  return hits;
}

function mirrorRules(t: TransitionInput, wasPresent: boolean, isPresent: boolean, wasLeaf: boolean, isLeaf: boolean, hits: RuleHit[]): void {
  const rfc = t.profile === 'hugepage-rfc-v2';
  if (wasPresent && isPresent) {
    if (wasLeaf && !isLeaf) {
      // RFC v2 09/23: tdp_mmu_set_spte() calls split_external_spt() for leaf → non-leaf;
      // mainline KVM_BUG_ONs any present new value on a mirror SPTE.
      if (!rfc) hits.push({ rule: 'mirror-split', severity: 'error', message: `mirror huge page split (${describe(t)}): mainline has no split_external_spt, tdp_mmu_set_spte KVM_BUG_ONs a present new mirror SPTE (replay with --profile hugepage-rfc-v2 if the host ran the huge-page series)`, anchor: 'tdp_mmu_set_spte.bug_present' });
      else if (t.inFault === true) hits.push({ rule: 'mirror-split', severity: 'error', message: `mirror huge page split inside a page fault (${describe(t)}): RFC v2 splits mirror SPTEs only under write mmu_lock (TDX rejects shared-lock splits)`, anchor: 'set_external_spte_present.split_external_spt' });
    } else {
      // __tdp_mmu_set_spte_atomic → set_external_spte_present: KVM_BUG_ON(was_present);
      // tdp_mmu_set_spte: KVM_BUG_ON(present new) (mainline) / the final else (RFC).
      const anchor = t.inFault === true ? 'set_external_spte_present.bug_was_present' : rfc ? 'tdp_mmu_set_spte.bug_other' : 'tdp_mmu_set_spte.bug_present';
      hits.push({ rule: 'mirror-present-to-present', severity: 'error', message: `mirror SPTE changed while present (${describe(t)}): mirror SPTEs only go non-present → present (set_external_spte_present) or present → non-present (tdp_mmu_set_spte)${rfc ? ' or split' : ''}; KVM_BUG_ON`, anchor });
    }
  }
  if (!wasPresent && isPresent) {
    if (isLeaf && t.level > (rfc ? PG_LEVEL_2M : PG_LEVEL_4K)) {
      // tdx_sept_set_private_spte: KVM_BUG_ON(level != PG_LEVEL_4K) (mainline); 2M at most with RFC v2.
      hits.push({ rule: 'mirror-huge-leaf', severity: 'error', message: `level-${t.level} leaf installed on the mirror root: ${rfc ? 'the huge-page RFC maps private memory up to 2M' : 'mainline TDX maps private memory at 4K only (tdx_sept_set_private_spte KVM_BUG_ONs)'}`, anchor: 'tdx_sept_set_private_spte' });
    }
    if (t.inFault === false) {
      // Only set_external_spte_present (the atomic path of kvm_tdp_mmu_map) makes a mirror
      // SPTE present; tdp_mmu_set_spte (write lock) KVM_BUG_ONs a present new value.
      hits.push({ rule: 'mirror-present-outside-fault', severity: 'warning', message: `mirror SPTE became present outside a traced page fault (${describe(t)}): only the fault path (set_external_spte_present, read mmu_lock) may do that, tdp_mmu_set_spte under write mmu_lock would KVM_BUG_ON`, anchor: rfc ? 'tdp_mmu_set_spte.bug_other' : 'tdp_mmu_set_spte.bug_present' });
    }
  }
  if (wasPresent && !isPresent && t.inFault === true) {
    // __tdp_mmu_set_spte_atomic: KVM_BUG_ON(!is_shadow_present_pte(new)) for mirror SPTEs, and
    // handle_removed_pt: KVM_BUG_ON(shared) for mirror page tables.
    hits.push({ rule: 'mirror-zap-under-read-lock', severity: 'error', message: `mirror SPTE zapped inside a page fault (${describe(t)}): atomic (read mmu_lock) zapping of mirror SPTEs is a KVM_BUG_ON`, anchor: isFrozen(t.new) ? 'handle_removed_pt.bug_mirror_shared' : '__tdp_mmu_set_spte_atomic.bug_mirror_zap' });
  }
}
