// Invariants checked after every event, reported as 'invariant' events (never thrown):
//  - mirror ⇔ S-EPT: a present mirror leaf has an S-EPT leaf of the same GFN, level and pfn, and
//    an S-EPT leaf has a present mirror leaf — except inside a propagation window: while a
//    function has changed the mirror SPTE and not yet propagated it (set_external_spte_present's
//    FROZEN_SPTE, tdp_mmu_set_spte() until its mirror branch returns). Positions touched inside a
//    window are checked when the window closes.
//  - lock rules: an SPTE is never written without mmu_lock (the KVM_BUG_ONs of the mirror paths
//    cover zapping a mirror SPTE with the lock held for read).
// (Freed-while-reachable page tables and refused SEAMCALLs are checked where they happen:
// TdpMmu.tdp_mmu_free_sp and TdxModule.)
import type { PgLevel } from './types';
import type { Kvm, PropagationWindow, Thread, WriteObserver } from './kvm';
import type { PropagationWindows } from './tdp-mmu';
import type { TableKind } from './table-store';
import * as spte from './spte';
import * as levels from './levels';

const { is_shadow_present_pte, is_last_spte, spte_to_pfn, septEntryIsLeaf, septState, FROZEN_SPTE } = spte;
const { pagesPerHpage, levelName } = levels;

export class Invariants implements WriteObserver, PropagationWindows {
  /** Positions written by the event being built (parallel arrays, reused: no per-write tuple). */
  private pendingTable: TableKind[] = [];
  private pendingGfn: number[] = [];
  private pendingLevel: PgLevel[] = [];
  private pendingCount = 0;
  /** The arrays afterEvent() walks while the next event's writes are staged in the others. */
  private checkTable: TableKind[] = [];
  private checkGfn: number[] = [];
  private checkLevel: PgLevel[] = [];
  /** Threads with an open window (Thread.windows), in the order they opened their outermost one. */
  private propagating: Thread[] = [];
  private reporting = false;

  constructor(private kvm: Kvm) {}

  touched(table: TableKind, gfn: number, level: PgLevel): void {
    const i = this.pendingCount++;
    this.pendingTable[i] = table;
    this.pendingGfn[i] = gfn;
    this.pendingLevel[i] = level;
  }

  open(t: Thread, gfn: number, level: PgLevel): void {
    if (t.windows.length === 0) this.propagating.push(t);
    t.windows.push({ start: gfn, end: gfn + pagesPerHpage(level), deferred: null });
  }

  close(t: Thread): void {
    const w = t.windows.pop();
    if (!w) throw new Error('internal: invariant window closed twice');
    if (t.windows.length === 0) this.propagating.splice(this.propagating.indexOf(t), 1);
    if (w.deferred) for (const k of w.deferred) this.checkOrDefer(t, Math.floor(k / 8), (k % 8) as PgLevel);
  }

  private windowFor(gfn: number): PropagationWindow | undefined {
    for (const t of this.propagating) {
      const list = t.windows;
      for (let i = list.length - 1; i >= 0; i--) if (gfn >= list[i].start && gfn < list[i].end) return list[i];
    }
    return undefined;
  }

  afterEvent(t: Thread): void {
    if (this.reporting || this.pendingCount === 0) return;
    // Swap the buffers: a reported violation is an event whose own afterEvent() is skipped
    // (reporting), but writes staged meanwhile must land in a fresh buffer.
    const n = this.pendingCount;
    const tables = this.pendingTable, gfns = this.pendingGfn, lvls = this.pendingLevel;
    this.pendingTable = this.checkTable; this.pendingGfn = this.checkGfn; this.pendingLevel = this.checkLevel;
    this.checkTable = tables; this.checkGfn = gfns; this.checkLevel = lvls;
    this.pendingCount = 0;
    for (let i = 0; i < n; i++) {
      const table = tables[i], gfn = gfns[i], level = lvls[i];
      if (table === 'sept' && !this.kvm.isTd) continue;
      if (table !== 'sept') this.checkLock(t, table, gfn, level);
      if (this.kvm.isTd && table !== 'direct') this.checkOrDefer(t, gfn, level);
    }
  }

  private checkOrDefer(t: Thread, gfn: number, level: PgLevel): void {
    const w = this.propagating.length ? this.windowFor(gfn) : undefined;
    if (w) {
      // A window's writes mostly hit one position (freeze, SEAMCALL, publish): keep it once.
      const k = gfn * 8 + level;
      const d = (w.deferred ??= []);
      if (d[d.length - 1] !== k) d.push(k);
    } else {
      this.checkMirrorSept(t, gfn, level);
    }
  }

  private report(t: Thread, fn: string, gfn: number, level: PgLevel, message: string): void {
    this.reporting = true;
    this.kvm.emit(t, 'invariant', fn, null, { gfn, level, message });
    this.reporting = false;
  }

  /** The mirror SPTE and the S-EPT entry at the same position agree. */
  private checkMirrorSept(t: Thread, gfn: number, level: PgLevel): void {
    const m = this.kvm.b.read('mirror', gfn, level);
    const s = this.kvm.readSept(gfn, level);
    const mLeaf = is_shadow_present_pte(m) && is_last_spte(m, level);
    const sLeaf = septEntryIsLeaf(s);
    if (!mLeaf && !sLeaf) return;
    // Built only for a report: this runs after nearly every event.
    const where = (): string => `gfn 0x${gfn.toString(16)} ${levelName(level)}`;
    if (mLeaf && !sLeaf) {
      this.report(t, 'mirror_sept_mismatch', gfn, level, `mirror leaf at ${where()} (pfn 0x${spte_to_pfn(m).toString(16)}) has no S-EPT mapping (S-EPT ${septState(s)})`);
    } else if (!mLeaf && sLeaf) {
      const what = m === FROZEN_SPTE ? 'FROZEN' : is_shadow_present_pte(m) ? 'a page table' : 'not present';
      this.report(t, 'mirror_sept_mismatch', gfn, level, `S-EPT ${septState(s)} leaf at ${where()} but the mirror SPTE is ${what}`);
    } else if (mLeaf && sLeaf) {
      if (spte_to_pfn(m) !== spte_to_pfn(s)) {
        this.report(t, 'mirror_sept_mismatch', gfn, level, `pfn differs at ${where()}: mirror 0x${spte_to_pfn(m).toString(16)}, S-EPT 0x${spte_to_pfn(s).toString(16)}`);
      } else if (septState(s) === 'BLOCKED' || septState(s) === 'PENDING_BLOCKED') {
        this.report(t, 'mirror_sept_mismatch', gfn, level, `S-EPT leaf at ${where()} is ${septState(s)} while the mirror SPTE is present`);
      }
    }
  }

  /** Lock rules for an SPTE write, checked on the value it left behind. */
  private checkLock(t: Thread, table: TableKind, gfn: number, level: PgLevel): void {
    if (t.lock === 'none') {
      this.report(t, 'lock_rule', gfn, level, `${table} SPTE at gfn 0x${gfn.toString(16)} written without mmu_lock`);
    }
  }
}
