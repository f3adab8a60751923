// EPT SPTEs exactly as KVM lays them out (arch/x86/kvm/mmu/spte.h, spte.c kvm_mmu_set_ept_masks,
// arch/x86/include/asm/vmx.h), plus our own encoding of the TDX module's S-EPT entries.
// Values are bigint everywhere: bits 52..63 do not survive a JS number.
import type { PgLevel, Spte } from './types';
import * as levels from './levels';
import * as words from './words';

// Module-local copies: imported bindings are getter calls in CommonJS output (is_last_spte is hot).
const { PG_LEVEL_4K, isPgLevel, levelName, pagesPerHpage } = levels;
const { HI, LO, halves, low32 } = words;

const bit = (n: number): bigint => 1n << BigInt(n);
/** GENMASK_ULL(hi, lo) */
const genmask = (hi: number, lo: number): bigint => ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
const U64_MAX = genmask(63, 0);

// ---- architectural EPT bits (vmx.h) ----------------------------------------------------------
export const VMX_EPT_READABLE_MASK = bit(0);
export const VMX_EPT_WRITABLE_MASK = bit(1);
export const VMX_EPT_EXECUTABLE_MASK = bit(2);
export const VMX_EPT_RWX_MASK = 7n;
/** RWX = W|X is an EPT misconfiguration: KVM's MMIO SPTE value for non-TDX VMs. */
export const VMX_EPT_MISCONFIG_WX_VALUE = 6n;
export const VMX_EPT_MT_EPTE_SHIFT = 3;
export const VMX_EPT_MT_MASK = 7n << 3n;
export const VMX_EPT_IPAT_BIT = bit(6);
export const VMX_EPT_ACCESS_BIT = bit(8);
export const VMX_EPT_DIRTY_BIT = bit(9);
export const VMX_EPT_SUPPRESS_VE_BIT = bit(63);

// ---- KVM software bits and constants (spte.h, mmu.h) -----------------------------------------
/** PT_PAGE_SIZE_MASK (mmu.h PT_PAGE_SIZE_SHIFT 7): the large/leaf bit above 4K. */
export const PT_PAGE_SIZE_MASK = bit(7);
export const PT_WRITABLE_MASK = VMX_EPT_WRITABLE_MASK;
/** SPTE_MMU_PRESENT_MASK: bit 11, ignored by hardware in every SPTE flavour. */
export const SPTE_MMU_PRESENT_MASK = bit(11);
/** SPTE_BASE_ADDR_MASK without CONFIG_DYNAMIC_PHYSICAL_MASK: bits 51:12. */
export const SPTE_BASE_ADDR_MASK = genmask(51, 12);
export const PAGE_SHIFT = 12n;
export const SPTE_TDP_AD_SHIFT = 52;
export const SPTE_TDP_AD_MASK = 3n << 52n;
export const SPTE_TDP_AD_ENABLED = 0n << 52n;
export const SPTE_TDP_AD_DISABLED = 1n << 52n;
export const SPTE_TDP_AD_WRPROT_ONLY = 2n << 52n;
/** R and X saved here (bits 54 and 56) while an SPTE is access-tracked. */
export const SHADOW_ACC_TRACK_SAVED_BITS_SHIFT = 54;
export const SHADOW_ACC_TRACK_SAVED_MASK = (VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK) << 54n;
export const EPT_SPTE_HOST_WRITABLE = bit(57);
export const EPT_SPTE_MMU_WRITABLE = bit(58);
/** x86_64 value: bit 63, so that a zapped SPTE suppresses #VE (TDX gets an EPT violation). */
export const SHADOW_NONPRESENT_VALUE = bit(63);
/** Placeholder a thread writes while it finishes a multi-part update; never MMU-present. */
export const FROZEN_SPTE = SHADOW_NONPRESENT_VALUE | 0x5a0n;
/** MMIO generation: low 8 bits of gen in SPTE bits 10:3, high 11 bits in SPTE bits 62:52. */
export const MMIO_SPTE_GEN_LOW_MASK = genmask(10, 3);
export const MMIO_SPTE_GEN_HIGH_MASK = genmask(62, 52);

// kvm_mmu_set_ept_masks(has_ad_bits = true, has_exec_only = false): the masks KVM runs with.
export const shadow_present_mask = VMX_EPT_READABLE_MASK | VMX_EPT_SUPPRESS_VE_BIT;
export const shadow_user_mask = VMX_EPT_READABLE_MASK;
export const shadow_x_mask = VMX_EPT_EXECUTABLE_MASK;
export const shadow_accessed_mask = VMX_EPT_ACCESS_BIT;
export const shadow_dirty_mask = VMX_EPT_DIRTY_BIT;
export const shadow_acc_track_mask = VMX_EPT_RWX_MASK;
export const shadow_mmio_mask = VMX_EPT_RWX_MASK | VMX_EPT_SUPPRESS_VE_BIT;

/** Per-VM MMIO SPTE value (kvm->arch.shadow_mmio_value): W|X misconfig for VMX; for a TD,
 *  tdx_vm_init() sets 0 so that MMIO faults reach the guest as #VE (RWX=0, suppress-VE clear). */
export function shadowMmioValue(vm: 'vmx' | 'tdx'): bigint {
  return vm === 'tdx' ? 0n : VMX_EPT_MISCONFIG_WX_VALUE;
}

// ---- predicates, under the kernel's names --------------------------------------------------
// The hot predicates test low bits through words.ts: `spte & mask` allocates a BigInt per test.
const PRESENT_BIT = Number(SPTE_MMU_PRESENT_MASK);
const PAGE_SIZE_BIT = Number(PT_PAGE_SIZE_MASK);

export function is_shadow_present_pte(spte: Spte): boolean {
  return (low32(spte) & PRESENT_BIT) !== 0;
}
/** Exact equality, as in spte.h. */
export function is_frozen_spte(spte: Spte): boolean {
  return spte === FROZEN_SPTE;
}
export function is_large_pte(spte: Spte): boolean {
  return (low32(spte) & PAGE_SIZE_BIT) !== 0;
}
/** A leaf at `level`: every 4K entry, or the large bit above 4K. */
export function is_last_spte(spte: Spte, level: PgLevel): boolean {
  return level === PG_LEVEL_4K || is_large_pte(spte);
}
export function spte_to_pfn(spte: Spte): bigint {
  return BigInt(sptePfn(spte));
}
/** spte_to_pfn() as a number (bits 51:12 make at most 40 bits: exact), from the halves. */
export function sptePfn(spte: Spte): number {
  const w = halves(spte);
  return (w[HI] & 0xfffff) * 0x100000 + (w[LO] >>> 12);
}
/** is_mmio_spte(kvm, spte) with enable_mmio_caching on. */
export function is_mmio_spte(spte: Spte, vm: 'vmx' | 'tdx' = 'vmx'): boolean {
  return (spte & shadow_mmio_mask) === shadowMmioValue(vm);
}
export function is_writable_pte(spte: Spte): boolean {
  return (spte & PT_WRITABLE_MASK) !== 0n;
}
export function is_mmu_writable_spte(spte: Spte): boolean {
  return (spte & EPT_SPTE_MMU_WRITABLE) !== 0n;
}
/** spte_ad_enabled(): the AD-type field is not DISABLED (meaningful for present SPTEs only). */
export function spte_ad_enabled(spte: Spte): boolean {
  return (spte & SPTE_TDP_AD_MASK) !== SPTE_TDP_AD_DISABLED;
}
export function is_accessed_spte(spte: Spte): boolean {
  // With A/D enabled the A bit; otherwise "not access-tracked" (RWX not all cleared).
  return spte_ad_enabled(spte) ? (spte & shadow_accessed_mask) !== 0n : (spte & shadow_acc_track_mask) !== 0n;
}
export function is_dirty_spte(spte: Spte): boolean {
  return spte_ad_enabled(spte) ? (spte & shadow_dirty_mask) !== 0n : is_writable_pte(spte);
}
/** MMIO generation stored in an MMIO SPTE (get_mmio_spte_generation). */
export function get_mmio_spte_generation(spte: Spte): number {
  return Number(((spte & MMIO_SPTE_GEN_LOW_MASK) >> 3n) | ((spte & MMIO_SPTE_GEN_HIGH_MASK) >> 44n));
}

// ---- constructors (our code, following make_spte / make_nonleaf_spte / make_small_spte) --------
export interface LeafSpteOptions {
  pfn: bigint | number;
  /** Level containing the SPTE: sets the large bit above 4K. */
  level: PgLevel;
  writable: boolean;
  executable?: boolean;       // default true (no NX huge page mitigation modelled)
  /** EPT memory type, default 6 (WB) as vmx_get_mt_mask() returns for RAM. */
  memtype?: number;
  ipat?: boolean;             // default false
  /** A prefetched SPTE is built without the accessed bit. */
  prefetch?: boolean;
  hostWritable?: boolean;     // default true
}

/** make_spte() for EPT with A/D bits enabled (the TDP MMU's normal case). */
export function makeLeafSpte(o: LeafSpteOptions): Spte {
  const addr = pfnBits(o.pfn, 0, 'pfn');
  const memtype = o.memtype ?? 6;
  if (!Number.isInteger(memtype) || memtype < 0 || memtype > 7) throw new RangeError(`memory type ${memtype} is not 0..7`);
  // The flags are cached per combination of options: a fault builds two BigInts, not a dozen.
  return leafFlags(o, memtype) | addr;
}

/** The largest pfn bits 51:12 hold. */
const MAX_PFN = 2 ** 40 - 1;

/** pfn << PAGE_SHIFT | low (bits below 12), checked to fit bits 51:12 (`what` names the pfn in
 *  the error). A number pfn is combined as a number (exact: below 2^52): one BigInt. */
function pfnBits(pfn: bigint | number, low: number, what: string): Spte {
  if (typeof pfn === 'number' && Number.isInteger(pfn) && pfn >= 0 && pfn <= MAX_PFN) return BigInt(pfn * 4096 + low);
  const p = BigInt(pfn);
  if (p < 0n || p > SPTE_BASE_ADDR_MASK >> PAGE_SHIFT) throw new RangeError(`${what} 0x${p.toString(16)} does not fit bits 51:12`);
  return (p << PAGE_SHIFT) | BigInt(low);
}

const leafFlagsCache: Spte[] = [];

/** Every bit make_spte() sets besides the pfn. */
function leafFlags(o: LeafSpteOptions, memtype: number): Spte {
  const executable = o.executable ?? true, hostWritable = o.hostWritable ?? true;
  const key = (o.prefetch ? 1 : 0) | (executable ? 2 : 0) | (o.level > PG_LEVEL_4K ? 4 : 0) | (o.ipat ? 8 : 0) |
    (hostWritable ? 16 : 0) | (o.writable ? 32 : 0) | (memtype << 6);
  const cached = leafFlagsCache[key];
  if (cached !== undefined) return cached;
  let spte = SPTE_MMU_PRESENT_MASK | shadow_present_mask | shadow_user_mask;
  if (!o.prefetch) spte |= shadow_accessed_mask;
  if (executable) spte |= shadow_x_mask;
  if (o.level > PG_LEVEL_4K) spte |= PT_PAGE_SIZE_MASK;
  spte |= BigInt(memtype) << BigInt(VMX_EPT_MT_EPTE_SHIFT);
  if (o.ipat) spte |= VMX_EPT_IPAT_BIT;
  if (hostWritable) spte |= EPT_SPTE_HOST_WRITABLE;
  if (o.writable && hostWritable) spte |= PT_WRITABLE_MASK | EPT_SPTE_MMU_WRITABLE | shadow_dirty_mask;
  return (leafFlagsCache[key] = spte);
}

/** make_nonleaf_spte(child_pt, ad_disabled): present, RWX, accessed, pointing at the child table. */
export function make_nonleaf_spte(childPfn: bigint | number, adDisabled = false): Spte {
  let spte = SPTE_MMU_PRESENT_MASK | (BigInt(childPfn) << PAGE_SHIFT) | shadow_present_mask |
    PT_WRITABLE_MASK | shadow_user_mask | shadow_x_mask;
  spte |= adDisabled ? SPTE_TDP_AD_DISABLED : shadow_accessed_mask;
  return spte;
}

/** make_small_spte() (make_huge_page_split_spte() before the rename): the SPTE for sub-page `index`
 *  of a huge SPTE, at `childLevel`; the large bit is cleared when the child is 4K. */
export function make_small_spte(hugeSpte: Spte, childLevel: PgLevel, index: number): Spte {
  if (!is_shadow_present_pte(hugeSpte) || !is_large_pte(hugeSpte)) {
    throw new Error(`make_small_spte: 0x${hugeSpte.toString(16)} is not a present huge SPTE`);
  }
  let child = hugeSpte | (BigInt(index * pagesPerHpage(childLevel)) << PAGE_SHIFT);
  if (childLevel === PG_LEVEL_4K) child &= ~PT_PAGE_SIZE_MASK;
  return child;
}

// ---- parsing -----------------------------------------------------------------------------
export class SpteParseError extends Error {
  override name = 'SpteParseError';
}

/** Parse a 64-bit value as printed by the kernel (%llx, with or without 0x; `_` separators
 *  allowed). Rejects negative, non-hex and wider-than-64-bit input with a message saying why. */
export function parseSpte(text: string | bigint, what = 'SPTE'): Spte {
  if (typeof text === 'bigint') {
    if (text < 0n) throw new SpteParseError(`${what} ${text} is negative`);
    if (text > U64_MAX) throw new SpteParseError(`${what} 0x${text.toString(16)} is wider than 64 bits`);
    return text;
  }
  const t = text.trim();
  if (t === '') throw new SpteParseError(`${what} is empty: expected a hex value such as 0x8000000000000000`);
  if (t.startsWith('-')) throw new SpteParseError(`${what} '${t}' is negative: SPTEs are unsigned 64-bit values`);
  const digits = t.replace(/^0x/i, '');
  const bad = digits.search(/[^0-9a-fA-F_]/);
  if (digits === '' || bad >= 0) {
    const col = bad >= 0 ? bad + (t.length - digits.length) + 1 : t.length;
    throw new SpteParseError(`${what} '${t}' is not hex: unexpected character at column ${col} (expected 0-9, a-f, optional 0x prefix)`);
  }
  const v = BigInt('0x' + digits.replace(/_/g, ''));
  if (v > U64_MAX) throw new SpteParseError(`${what} '${t}' is wider than 64 bits`);
  return v;
}

export function hex64(v: bigint): string {
  return '0x' + v.toString(16);
}

// ---- decoding ----------------------------------------------------------------------------
export interface SpteField {
  name: string;
  /** "63" or "51:12" */
  bits: string;
  hi: number;
  lo: number;
  raw: bigint;
  meaning: string;
}

export type SpteKind = 'frozen' | 'nonpresent' | 'mmio' | 'leaf' | 'nonleaf' | 'present';

export interface DecodedSpte {
  value: Spte;
  level: PgLevel | null;
  kind: SpteKind;
  fields: SpteField[];
  /** The kernel's predicates on this value; is_last_spte is null when no level was given. */
  predicates: {
    is_shadow_present_pte: boolean;
    is_frozen_spte: boolean;
    is_large_pte: boolean;
    is_last_spte: boolean | null;
    is_mmio_spte: boolean;
    is_writable_pte: boolean;
    is_mmu_writable_spte: boolean;
  };
  pfn: bigint;
  summary: string;
  /** Things a reviewer should notice: broken writable invariants, stray bits, ... */
  warnings: string[];
}

const MEMTYPES: Record<number, string> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB' };
const AD_TYPES = ['enabled (A/D bits used)', 'disabled (access tracking via RWX)', 'wrprot-only (dirty via write protection)', 'invalid (3)'];

function field(v: bigint, name: string, hi: number, lo: number, meaning: (raw: bigint) => string): SpteField {
  const raw = (v & genmask(hi, lo)) >> BigInt(lo);
  return { name, bits: hi === lo ? `${hi}` : `${hi}:${lo}`, hi, lo, raw, meaning: meaning(raw) };
}
const flag = (yes: string, no: string) => (raw: bigint) => (raw ? yes : no);

/** Decode an SPTE into named fields plus the kernel's predicates. `level` is the level
 *  *containing* the SPTE (the SPTE does not encode it); `vm` selects the per-VM MMIO value. */
export function decodeSpte(value: Spte, level?: PgLevel, vm: 'vmx' | 'tdx' = 'vmx'): DecodedSpte {
  value = parseSpte(value);
  if (level !== undefined && !isPgLevel(level)) throw new RangeError(`invalid level ${String(level)}: expected 1..5`);
  const present = is_shadow_present_pte(value);
  const frozen = is_frozen_spte(value);
  const mmio = !present && is_mmio_spte(value, vm);
  const last = level === undefined ? null : is_last_spte(value, level);
  const kind: SpteKind = frozen ? 'frozen' : present ? (last === null ? 'present' : last ? 'leaf' : 'nonleaf')
    : mmio ? 'mmio' : 'nonpresent';
  const fields: SpteField[] = [];
  const warnings: string[] = [];
  const known = (...masks: bigint[]) => masks.reduce((a, m) => a | m, 0n);
  let covered: bigint;

  if (present) {
    fields.push(
      field(value, 'R', 0, 0, flag('readable', 'not readable')),
      field(value, 'W', 1, 1, flag('writable', 'not writable')),
      field(value, 'X', 2, 2, flag('executable', 'not executable')),
      field(value, 'memtype', 5, 3, (r) => (kind === 'nonleaf' ? 'ignored in a non-leaf entry' : `EPT memory type ${MEMTYPES[Number(r)] ?? `reserved (${r})`}`)),
      field(value, 'IPAT', 6, 6, flag('ignore guest PAT', 'guest PAT honoured')),
      field(value, 'large', 7, 7, (r) => (level === PG_LEVEL_4K ? 'ignored at 4K (every 4K entry is a leaf)' : r ? 'leaf (huge page)' : 'points to a page table')),
      field(value, 'A', 8, 8, flag('accessed', 'not accessed')),
      field(value, 'D', 9, 9, flag('dirty', 'not dirty')),
      field(value, 'SPTE_MMU_PRESENT', 11, 11, () => 'MMU-present (software bit)'),
      field(value, 'pfn', 51, 12, (r) => (kind === 'nonleaf' ? `child page table at pfn 0x${r.toString(16)}` : `pfn 0x${r.toString(16)}`)),
      field(value, 'AD type', 53, 52, (r) => AD_TYPES[Number(r)]),
      field(value, 'acc-track saved R/X', 56, 54, (r) => (r ? `saved bits 0x${r.toString(16)} (R at 54, X at 56)` : 'none saved')),
      field(value, 'host-writable', 57, 57, flag('host mapping writable', 'host mapping read-only')),
      field(value, 'mmu-writable', 58, 58, flag('KVM may make it writable', 'write-protected by KVM')),
      field(value, 'suppress-VE', 63, 63, flag('EPT violations are not converted to #VE', '#VE possible')),
    );
    covered = known(genmask(9, 0), SPTE_MMU_PRESENT_MASK, SPTE_BASE_ADDR_MASK, SPTE_TDP_AD_MASK, genmask(58, 54), bit(63));
    if (spte_ad_enabled(value) && (value & SPTE_TDP_AD_MASK) === 3n << 52n) warnings.push('AD type field holds the invalid value 3');
    if (kind !== 'nonleaf') {
      // check_spte_writable_invariants(): W needs mmu-writable, mmu-writable needs host-writable.
      if (is_writable_pte(value) && !is_mmu_writable_spte(value)) warnings.push('writable SPTE is not MMU-writable (check_spte_writable_invariants would WARN)');
      if (is_mmu_writable_spte(value) && !(value & EPT_SPTE_HOST_WRITABLE)) warnings.push('MMU-writable SPTE is not host-writable (check_spte_writable_invariants would WARN)');
    }
    if (level === PG_LEVEL_4K && is_large_pte(value)) warnings.push('bit 7 set at 4K: is_large_pte() is true but the entry is a 4K leaf anyway');
  } else if (frozen) {
    fields.push(
      field(value, 'FROZEN marker', 11, 0, () => '0x5a0: FROZEN_SPTE, another thread owns this SPTE'),
      field(value, 'suppress-VE', 63, 63, () => 'SHADOW_NONPRESENT_VALUE'),
    );
    covered = FROZEN_SPTE | genmask(11, 0);
  } else if (mmio) {
    fields.push(
      field(value, 'RWX', 2, 0, (r) => (r === VMX_EPT_MISCONFIG_WX_VALUE ? 'W|X: EPT misconfiguration (MMIO)' : 'none: EPT violation, #VE for a TD')),
      field(value, 'gen low', 10, 3, (r) => `MMIO generation bits 7:0 = 0x${r.toString(16)}`),
      field(value, 'gpa', 51, 12, (r) => `MMIO gfn 0x${r.toString(16)}`),
      field(value, 'gen high', 62, 52, (r) => `MMIO generation bits 18:8 = 0x${r.toString(16)}`),
      field(value, 'suppress-VE', 63, 63, flag('set', 'clear: the guest gets #VE')),
    );
    covered = U64_MAX;
  } else {
    fields.push(field(value, 'suppress-VE', 63, 63, (r) => (r ? 'SHADOW_NONPRESENT_VALUE: never present or zapped' : 'clear')));
    covered = bit(63);
  }
  const stray = value & ~covered;
  if (stray) {
    fields.push({ name: 'other', bits: 'various', hi: 63, lo: 0, raw: stray, meaning: `bits KVM does not use here: 0x${stray.toString(16)}` });
    warnings.push(`unexpected bits set: 0x${stray.toString(16)}`);
  }
  const pfn = spte_to_pfn(value);
  const lvl = level === undefined ? '' : ` at ${levelName(level)}`;
  const summary = kind === 'frozen' ? 'FROZEN_SPTE (being changed by another thread)'
    : kind === 'nonpresent' ? (value === SHADOW_NONPRESENT_VALUE ? 'SHADOW_NONPRESENT_VALUE (not present)' : 'not present')
    : kind === 'mmio' ? `MMIO SPTE, gen ${get_mmio_spte_generation(value)}`
    : kind === 'nonleaf' ? `non-leaf${lvl} → page table at pfn 0x${pfn.toString(16)}`
    : `${kind === 'leaf' ? 'leaf' : 'present'}${lvl} pfn 0x${pfn.toString(16)} ${is_writable_pte(value) ? 'RW' : 'RO'}${value & VMX_EPT_EXECUTABLE_MASK ? 'X' : ''}`;
  return {
    value, level: level ?? null, kind, fields, pfn, summary, warnings,
    predicates: {
      is_shadow_present_pte: present,
      is_frozen_spte: frozen,
      is_large_pte: is_large_pte(value),
      is_last_spte: last,
      is_mmio_spte: mmio,
      is_writable_pte: is_writable_pte(value),
      is_mmu_writable_spte: is_mmu_writable_spte(value),
    },
  };
}

/** JSON form of a decoded SPTE (bigints as "0x…" strings), for --json output and webview messages. */
export function decodedSpteToJSON(d: DecodedSpte): Record<string, unknown> {
  return {
    value: hex64(d.value), level: d.level, kind: d.kind, summary: d.summary, pfn: hex64(d.pfn),
    predicates: d.predicates,
    fields: d.fields.map((f) => ({ name: f.name, bits: f.bits, raw: hex64(f.raw), meaning: f.meaning })),
    warnings: d.warnings,
  };
}

// ---- S-EPT entries (the TDX module's Secure EPT) ----------------------------------------------
// The module's internal S-EPT entry layout is not architectural; this encoding is OURS, chosen to
// be readable in hex: bits 3:0 state, bits 7:4 the level containing the entry (enum pg_level),
// bits 51:12 the pfn (leaf: the guest page; non-leaf: the child S-EPT page). FREE is 0.
export type SeptState = 'FREE' | 'PENDING' | 'MAPPED' | 'BLOCKED' | 'PENDING_BLOCKED' | 'NL_MAPPED' | 'NL_BLOCKED';
export const SEPT_STATES: readonly SeptState[] = ['FREE', 'PENDING', 'MAPPED', 'BLOCKED', 'PENDING_BLOCKED', 'NL_MAPPED', 'NL_BLOCKED'];
const SEPT_STATE_MASK = 0xfn;
const SEPT_STATE_BITS = Number(SEPT_STATE_MASK);
const SEPT_LEVEL_SHIFT = 4;
const SEPT_LEVEL_MASK = 0xf0n;

export function makeSeptEntry(state: SeptState, level: PgLevel, pfn: bigint | number): Spte {
  if (state === 'FREE') return 0n;
  return pfnBits(pfn, level * 2 ** SEPT_LEVEL_SHIFT + SEPT_STATES.indexOf(state), 'S-EPT pfn');
}

export interface DecodedSeptEntry {
  value: Spte;
  state: SeptState;
  level: PgLevel | null;
  pfn: bigint;
  /** Leaf states (PENDING, MAPPED, BLOCKED, PENDING_BLOCKED) map a guest page. */
  leaf: boolean;
  /** Anything but FREE. */
  present: boolean;
  /** A blocked entry (BLOCKED, PENDING_BLOCKED, NL_BLOCKED): no new TLB entries can be created. */
  blocked: boolean;
  summary: string;
}

/** A leaf S-EPT state (PENDING, MAPPED, BLOCKED, PENDING_BLOCKED: codes 1..4 of SEPT_STATES). */
export function septEntryIsLeaf(v: Spte): boolean {
  const code = low32(v) & SEPT_STATE_BITS;
  return code >= 1 && code <= 4;
}

export function septState(v: Spte): SeptState {
  return SEPT_STATES[low32(v) & SEPT_STATE_BITS] ?? 'FREE';
}

export function decodeSeptEntry(value: Spte): DecodedSeptEntry {
  value = parseSpte(value, 'S-EPT entry');
  const code = Number(value & SEPT_STATE_MASK);
  const state = SEPT_STATES[code];
  if (state === undefined) throw new RangeError(`S-EPT entry 0x${value.toString(16)}: unknown state code ${code} (bits 3:0)`);
  const reserved = value & ~(SEPT_STATE_MASK | SEPT_LEVEL_MASK | SPTE_BASE_ADDR_MASK);
  if (reserved) throw new RangeError(`S-EPT entry 0x${value.toString(16)}: reserved bits 0x${reserved.toString(16)} set`);
  const lv = Number((value & SEPT_LEVEL_MASK) >> BigInt(SEPT_LEVEL_SHIFT));
  if (state === 'FREE') {
    if (value !== 0n) throw new RangeError(`S-EPT entry 0x${value.toString(16)}: a FREE entry must be 0`);
    return { value, state, level: null, pfn: 0n, leaf: false, present: false, blocked: false, summary: 'FREE' };
  }
  if (!isPgLevel(lv)) throw new RangeError(`S-EPT entry 0x${value.toString(16)}: invalid level ${lv} (bits 7:4)`);
  const pfn = spte_to_pfn(value);
  const leaf = state !== 'NL_MAPPED' && state !== 'NL_BLOCKED';
  const blocked = state === 'BLOCKED' || state === 'PENDING_BLOCKED' || state === 'NL_BLOCKED';
  const what = leaf ? `${levelName(lv)} page pfn 0x${pfn.toString(16)}` : `S-EPT page pfn 0x${pfn.toString(16)}`;
  return { value, state, level: lv, pfn, leaf, present: true, blocked, summary: `${state} ${what}` };
}
