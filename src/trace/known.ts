// The entries of one root whose value the replay has seen written (a traced change), kept as a
// bitmap per page table. A fresh page table replacing an old one forgets the old table's
// entries in one Map delete, where a Set of entry keys needed 512 deletes per linked table,
// and a lookup touches a few thousand small bitmaps instead of a Set of a million keys.
//
// An entry is named by (gfn, level) exactly as the trace prints it. A GFN not aligned to its
// level (a finding of its own, handle_changed_spte would WARN) is still a distinct name: those
// rare entries live in a plain Set so that nothing aliases.
import type { PgLevel } from '../sim/types';

/** GFNs one entry of each level spans (KVM_PAGES_PER_HPAGE), and one page table of that level. */
const PAGES = [0, 1, 512, 512 ** 2, 512 ** 3, 512 ** 4];
const SPAN = PAGES.map((p) => p * 512);

/** Key of the page table holding the level-`level` entry of `gfn`. */
export const tableKey = (gfn: number, level: PgLevel): number => (gfn - (gfn % SPAN[level])) / SPAN[level] * 8 + level;

export class KnownEntries {
  /** tableKey → one bit per entry (16 × 32 = 512). */
  private readonly tables = new Map<number, Uint32Array>();
  /** gfn * 8 + level of the entries written with a misaligned GFN. */
  private readonly misaligned = new Set<number>();

  has(gfn: number, level: PgLevel): boolean {
    if (gfn % PAGES[level] !== 0) return this.misaligned.has(gfn * 8 + level);
    const bits = this.tables.get(tableKey(gfn, level));
    if (bits === undefined) return false;
    const i = (gfn % SPAN[level]) / PAGES[level];
    return (bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  add(gfn: number, level: PgLevel): void {
    if (gfn % PAGES[level] !== 0) { this.misaligned.add(gfn * 8 + level); return; }
    const key = tableKey(gfn, level);
    let bits = this.tables.get(key);
    if (bits === undefined) this.tables.set(key, bits = new Uint32Array(16));
    const i = (gfn % SPAN[level]) / PAGES[level];
    bits[i >>> 5] |= 1 << (i & 31);
  }

  /** Forget the 512 level-`level` entries gfn, gfn + KVM_PAGES_PER_HPAGE(level), ... : the
   *  entries of the page table linked by the entry at `gfn` one level up. */
  forgetTable(gfn: number, level: PgLevel): void {
    if (gfn % SPAN[level] === 0) {
      this.tables.delete(tableKey(gfn, level));
      return;
    }
    // A misaligned parent GFN: the 512 names straddle two tables (or are misaligned themselves).
    for (let i = 0; i < 512; i++) this.forget(gfn + i * PAGES[level], level);
  }

  private forget(gfn: number, level: PgLevel): void {
    if (gfn % PAGES[level] !== 0) { this.misaligned.delete(gfn * 8 + level); return; }
    const bits = this.tables.get(tableKey(gfn, level));
    if (bits === undefined) return;
    const i = (gfn % SPAN[level]) / PAGES[level];
    bits[i >>> 5] &= ~(1 << (i & 31));
  }
}
