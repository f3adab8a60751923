// One pass over a recording builds the compact arrays the stepper needs to stay instant on
// recordings of a million events: the filter category and GFN range of every event, the seqs of
// every function and anchor (CodeLens counts, previous/next call, "Run to this line"), and the
// seqs where something went wrong (banners). Pure: no `vscode` import.
import type { Recording, SimEvent } from '../../sim/types';
import { pagesPerHpage } from '../../sim/levels';
import { FILTER_CATEGORIES, type FilterCategory } from './protocol';

/** The tdp_mmu_set_spte() family: the "set SPTE" calls users filter the timeline by; in a
 *  replayed trace, the tracepoints those calls emit (handle_changed_spte, the fault path). */
const SET_SPTE_FNS = new Set([
  'tdp_mmu_set_spte', 'tdp_mmu_iter_set_spte', 'tdp_mmu_set_spte_atomic', '__tdp_mmu_set_spte_atomic',
  'kvm_tdp_mmu_spte_changed', 'kvm_mmu_set_spte',
]);

export function categorize(ev: SimEvent): FilterCategory {
  switch (ev.kind) {
    case 'hook': return 'hook';
    case 'seamcall': return 'seamcall';
    case 'kvm_bug': return 'kvm_bug';
    case 'invariant': return 'invariant';
    default: return SET_SPTE_FNS.has(ev.fn) ? 'set_spte' : 'other';
  }
}

const CATEGORY_CODE = new Map<FilterCategory, number>(FILTER_CATEGORIES.map((c, i) => [c, i]));

/** GFN range [lo, hi) an event touches: its own gfn at its level, widened by its entry writes. */
function gfnRange(ev: SimEvent): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  if (ev.gfn !== undefined) {
    lo = ev.gfn;
    hi = ev.gfn + (ev.level ? pagesPerHpage(ev.level) : 1);
  }
  for (const w of ev.writes ?? []) {
    lo = Math.min(lo, w.gfn);
    hi = Math.max(hi, w.gfn + pagesPerHpage(w.level));
  }
  return lo <= hi ? [lo, hi] : null;
}

const EMPTY = new Int32Array(0);

function freeze(groups: Map<string, number[]>): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  for (const [k, v] of groups) out.set(k, Int32Array.from(v));
  return out;
}

/** Index of the first element of a sorted array that is >= x (arr.length when none). */
export function lowerBound(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export class RecordingIndex {
  readonly length: number;
  private readonly category: Uint8Array;
  /** GFN range per event; NaN when the event has no GFN. */
  private readonly gfnLo: Float64Array;
  private readonly gfnHi: Float64Array;
  /** Call/hook/SEAMCALL events per name (kernel spelling), in seq order. */
  private readonly byFn: Map<string, Int32Array>;
  private readonly byAnchor: Map<string, Int32Array>;
  /** Invariant violations, in seq order (a KVM_BUG_ON is in SimState.bugged). */
  private readonly invariants: Int32Array;

  constructor(rec: Recording) {
    const n = rec.length;
    this.length = n;
    this.category = new Uint8Array(n);
    this.gfnLo = new Float64Array(n).fill(NaN);
    this.gfnHi = new Float64Array(n).fill(NaN);
    const byFn = new Map<string, number[]>();
    const byAnchor = new Map<string, number[]>();
    const invariants: number[] = [];
    for (let seq = 0; seq < n; seq++) {
      const ev = rec.event(seq);
      const cat = categorize(ev);
      this.category[seq] = CATEGORY_CODE.get(cat)!;
      const r = gfnRange(ev);
      if (r) { this.gfnLo[seq] = r[0]; this.gfnHi[seq] = r[1]; }
      if (ev.kind === 'call' || ev.kind === 'hook' || ev.kind === 'seamcall') push(byFn, ev.fn, seq);
      if (ev.anchor) push(byAnchor, ev.anchor, seq);
      if (cat === 'invariant') invariants.push(seq);
    }
    this.byFn = freeze(byFn);
    this.byAnchor = freeze(byAnchor);
    this.invariants = Int32Array.from(invariants);
  }

  categoryOf(seq: number): FilterCategory {
    return FILTER_CATEGORIES[this.category[seq]];
  }

  /** Seqs of every event of a kernel function, hook or SEAMCALL (empty when it never ran). */
  callsOf(fn: string): Int32Array {
    return this.byFn.get(fn) ?? EMPTY;
  }

  /** Seqs of every event anchored at `anchor`. */
  eventsAt(anchor: string): Int32Array {
    return this.byAnchor.get(anchor) ?? EMPTY;
  }

  /** Does the event touch this GFN (its own entry, or an entry it wrote)? */
  touchesGfn(seq: number, gfn: number): boolean {
    return this.gfnLo[seq] <= gfn && gfn < this.gfnHi[seq];
  }

  /** The GFN the event is about (NaN for none). */
  gfnOf(seq: number): number {
    return this.gfnLo[seq];
  }

  /** The latest seq <= `seq` whose event has a GFN, or -1. */
  lastWithGfn(seq: number): number {
    for (let s = Math.min(seq, this.length - 1); s >= 0; s--) if (!Number.isNaN(this.gfnLo[s])) return s;
    return -1;
  }

  /** Invariant violations at or before `seq`, oldest first. */
  invariantsUpTo(seq: number): Int32Array {
    return this.invariants.subarray(0, lowerBound(this.invariants, seq + 1));
  }

  /**
   * The seqs shown by a timeline filter, in order; null means "every event" (no copy is made
   * for the common unfiltered case).
   */
  filter(categories: readonly FilterCategory[], gfn: number | null): Int32Array | null {
    if (categories.length === FILTER_CATEGORIES.length && gfn === null) return null;
    let mask = 0;
    for (const c of categories) mask |= 1 << CATEGORY_CODE.get(c)!;
    const out = new Int32Array(this.length);
    let k = 0;
    for (let s = 0; s < this.length; s++) {
      if (!(mask & (1 << this.category[s]))) continue;
      if (gfn !== null && !(this.gfnLo[s] <= gfn && gfn < this.gfnHi[s])) continue;
      out[k++] = s;
    }
    return out.slice(0, k);
  }
}

function push(m: Map<string, number[]>, key: string, seq: number): void {
  const list = m.get(key);
  if (list) list.push(seq); else m.set(key, [seq]);
}
