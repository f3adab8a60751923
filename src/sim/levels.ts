// enum pg_level and the level arithmetic of the TDP MMU (arch/x86/include/asm/kvm_host.h
// KVM_HPAGE_GFN_SHIFT / KVM_PAGES_PER_HPAGE, mmu/spte.h SPTE_LEVEL_BITS = 9).
import type { PgLevel } from './types';

export const PG_LEVEL_4K: PgLevel = 1;
export const PG_LEVEL_2M: PgLevel = 2;
export const PG_LEVEL_1G: PgLevel = 3;
export const PG_LEVEL_512G: PgLevel = 4;
/** Not a kernel enum value: the level of a 5-level paging root (PT64_ROOT_5LEVEL). */
export const PG_LEVEL_256T: PgLevel = 5;

/** SPTE_ENT_PER_PAGE: 512 entries per page table. */
export const SPTE_ENT_PER_PAGE = 512;

/** KVM_HPAGE_GFN_SHIFT(level): (level - 1) * 9. */
export function hpageGfnShift(level: PgLevel): number {
  return (level - 1) * 9;
}

/** KVM_PAGES_PER_HPAGE for levels 1..5, by table lookup (called several times per event). */
const PAGES_PER_HPAGE = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36];

/** KVM_PAGES_PER_HPAGE(level): 4K pages covered by one entry at `level`. */
export function pagesPerHpage(level: PgLevel): number {
  return PAGES_PER_HPAGE[level] ?? 2 ** hpageGfnShift(level);
}

/** First GFN of the entry at `level` covering `gfn` (gfn_round_for_level). */
export function gfnRoundForLevel(gfn: number, level: PgLevel): number {
  const n = pagesPerHpage(level);
  return gfn - (gfn % n);
}

/** SPTE_INDEX for a GFN: slot of the entry at `level` inside its 512-entry table. */
export function spteIndex(gfn: number, level: PgLevel): number {
  return Math.floor(gfn / pagesPerHpage(level)) % SPTE_ENT_PER_PAGE;
}

/** GFNs covered by one whole page table whose entries are at `level`. */
export function tableSpanPages(level: PgLevel): number {
  return pagesPerHpage(level) * SPTE_ENT_PER_PAGE;
}

const NAMES: Record<PgLevel, string> = { 1: '4K', 2: '2M', 3: '1G', 4: '512G', 5: '256T' };

export function levelName(level: PgLevel): string {
  return NAMES[level];
}

export function isPgLevel(n: unknown): n is PgLevel {
  return n === 1 || n === 2 || n === 3 || n === 4 || n === 5;
}

/** pg_level_to_tdx_sept_level() in vmx/tdx.c: the TDX module counts from 0 (4K). */
export function pgLevelToTdxSeptLevel(level: PgLevel): number {
  return level - 1;
}

/** Parse a level as a user writes it: 1..5, or 4K/2M/1G/512G/256T (case-insensitive). */
export function parsePgLevel(text: string | number): PgLevel {
  if (typeof text === 'number') {
    if (isPgLevel(text)) return text;
    throw new RangeError(`invalid page level ${text}: expected 1..5 (PG_LEVEL_4K..) or 4K/2M/1G`);
  }
  const t = text.trim().toUpperCase();
  for (const [n, name] of Object.entries(NAMES)) if (name === t) return Number(n) as PgLevel;
  if (/^[1-5]$/.test(t)) return Number(t) as PgLevel;
  throw new RangeError(`invalid page level '${text}': expected 1..5 or one of 4K, 2M, 1G, 512G, 256T`);
}
