// A model of the TDX module's side of private memory: it owns the Secure EPT, which changes only
// through SEAMCALLs, each recorded as a 'seamcall' event with its operands and 64-bit status.
// The module refuses what the real one refuses (walks through missing S-EPT levels, operations on
// entries in the wrong state, removal or demotion before TLB tracking), with the real status
// codes; KVM decides what to do with them. Entry states and transitions follow the TDX module
// spec (Secure EPT entry states FREE/PENDING/MAPPED/BLOCKED/PENDING_BLOCKED/NL_MAPPED/NL_BLOCKED);
// the entry encoding is ours (spte.ts makeSeptEntry).
import type { PgLevel, Spte } from './types';
import type { Kvm, Thread } from './kvm';
import * as spte from './spte';
import * as levels from './levels';
import * as tdxStatus from './tdx-status';

const { makeSeptEntry, septState, spte_to_pfn } = spte;
const { gfnRoundForLevel, pagesPerHpage, SPTE_ENT_PER_PAGE, tableSpanPages } = levels;
const { TDX_OPERAND_ID_RCX, TDX_STATUS, tdxStatusName } = tdxStatus;
const S = TDX_STATUS;

/** The SEAMCALLs KVM's TDX code issues for private memory and TD teardown. */
export const SEAMCALLS = [
  'TDH.MEM.SEPT.ADD', 'TDH.MEM.PAGE.AUG', 'TDH.MEM.RANGE.BLOCK', 'TDH.MEM.TRACK', 'TDH.MEM.PAGE.REMOVE',
  'TDH.MEM.PAGE.DEMOTE', 'TDH.PHYMEM.PAGE.WBINVD', 'TDH.PHYMEM.PAGE.RECLAIM', 'TDH.VP.FLUSH',
  'TDH.MNG.VPFLUSHDONE', 'TDH.PHYMEM.CACHE.WB', 'TDH.MNG.KEY.FREEID',
] as const;
export type SeamcallName = typeof SEAMCALLS[number];

export function isSeamcallName(s: string): s is SeamcallName {
  return (SEAMCALLS as readonly string[]).includes(s);
}

interface Injection { status: Spte; times: number }

/** What a SEAMCALL operates on, for its event. */
interface Operands {
  gfn?: number;
  level?: PgLevel;
  /** A physical page operand (S-EPT page, guest page), as a pfn. */
  page?: number;
}

/** Epoch at which each blocked S-EPT entry was blocked, by key. BLOCK is nearly always followed
 *  by the REMOVE or DEMOTE of the same entry: the newest one is kept outside the Map, so that the
 *  common BLOCK → REMOVE pair costs no Map insert and no Map delete (which rehashes a Map kept
 *  near-empty, every time). */
class BlockedEpochs {
  private map = new Map<number, number>();
  private newestKey = -1;
  private newestEpoch = 0;

  set(key: number, epoch: number): void {
    if (this.newestKey !== -1 && this.newestKey !== key) this.map.set(this.newestKey, this.newestEpoch);
    if (this.map.size) this.map.delete(key);
    this.newestKey = key;
    this.newestEpoch = epoch;
  }

  get(key: number): number | undefined {
    return key === this.newestKey ? this.newestEpoch : this.map.get(key);
  }

  delete(key: number): void {
    if (key === this.newestKey) this.newestKey = -1;
    else this.map.delete(key);
  }
}

export class TdxModule {
  /** The TD's HKID is configured (cleared by TDH.MNG.KEY.FREEID at teardown). */
  hkidAssigned = true;
  /** TD epoch, advanced by TDH.MEM.TRACK. */
  private epoch = 0;
  /** Epoch at which each blocked entry was blocked, by key(). */
  private blockedAt = new BlockedEpochs();
  /** S-EPT pages handed to the module: where their entries sit (level of the entries, first gfn). */
  private septPages = new Map<number, { gfn: number; level: PgLevel }>();
  private injections = new Map<string, Injection>();
  /** S-EPT writes at levels above 4K so far: the only writes that can change a walk's path. */
  private upperWrites = 0;
  /** The last walk that got through the levels above its own: the page table it ended in
   *  (gfn / span of that table, level) and upperWrites at the time. */
  private walked = { table: -1, level: 0, upperWrites: -1 };
  /** SEAMCALL results the scenario expects (`seamcall|STATUS`): no invariant event for them. */
  readonly expected = new Set<string>();

  constructor(private kvm: Kvm) {}

  /** Make the next `times` calls of `name` fail with `status` without touching any state. */
  inject(name: SeamcallName, status: Spte, times: number): void {
    this.injections.set(name, { status, times });
  }

  // ---- the S-EPT walk ----------------------------------------------------------------------
  /** Walk from the root to the entry at `level` covering gfn; WALK_FAILED if a level above is
   *  not a non-leaf entry (the S-EPT root is always present for a TD). The levels above are
   *  re-read only when the walk ends in another page table or an upper entry changed since. */
  private walk(gfn: number, level: PgLevel): Spte | null {
    const table = Math.floor(gfn / tableSpanPages(level));
    const w = this.walked;
    if (w.table !== table || w.level !== level || w.upperWrites !== this.upperWrites) {
      for (let l = this.kvm.rootLevel; l > level; l--) {
        const st = septState(this.kvm.readSept(gfnRoundForLevel(gfn, l as PgLevel), l as PgLevel));
        if (st !== 'NL_MAPPED' && st !== 'NL_BLOCKED') return null;
      }
      w.table = table; w.level = level; w.upperWrites = this.upperWrites;
    }
    return this.kvm.readSept(gfnRoundForLevel(gfn, level), level);
  }

  /** Every S-EPT change goes through here. */
  private write(gfn: number, level: PgLevel, v: Spte): void {
    if (level > 1) this.upperWrites++;
    this.kvm.writeSept(gfn, level, v);
  }

  /** A number, not a string: no string building per SEAMCALL (GFNs stay below 2^50). */
  private key(gfn: number, level: PgLevel): number {
    return gfnRoundForLevel(gfn, level) * 8 + level;
  }

  /** Run one SEAMCALL: injected failure, or the operation; record it; report a refusal KVM did
   *  not ask for as an invariant violation. */
  private call(t: Thread, name: SeamcallName, anchor: string | null, o: Operands, op: () => Spte): Spte {
    const inj = this.injections.get(name);
    const gfn = o.gfn;
    const level = o.level;
    const before = gfn !== undefined && level !== undefined ? this.kvm.readSept(gfnRoundForLevel(gfn, level), level) : undefined;
    let status: Spte;
    let injected = false;
    if (inj && inj.times > 0) {
      inj.times--;
      status = inj.status;
      injected = true;
    } else {
      status = op();
    }
    const result = tdxStatusName(status);
    const after = before === undefined ? undefined : this.kvm.readSept(gfnRoundForLevel(gfn!, level!), level!);
    const more = injected || o.page !== undefined ? { status, args: this.args(o, injected) } : { status };
    this.kvm.emitAt(t, 'seamcall', name, anchor, undefined, gfn === undefined || level === undefined ? gfn : gfnRoundForLevel(gfn, level), level, before, after, result, more);
    if (status !== 0n && !injected && !this.expected.has(`${name}|${result}`)) {
      this.kvm.emit(t, 'invariant', 'TDX module', anchor, {
        message: `${name} refused by the TDX module: ${result}${gfn !== undefined ? ` at gfn 0x${gfn.toString(16)}` : ''}` +
          `${before !== undefined ? ` (S-EPT entry ${spte.decodeSeptEntry(before).summary})` : ''}`,
      });
    }
    return status;
  }

  /** The args of a SEAMCALL event that carries a page or an injected failure (the ordinary
   *  per-page calls carry none: millions of events). */
  private args(o: Operands, injected: boolean): Record<string, string | number | boolean | bigint> {
    const args: Record<string, string | number | boolean | bigint> = {};
    if (o.page !== undefined) args.page = BigInt(o.page);
    if (o.level !== undefined) args.tdx_level = o.level - 1;
    if (injected) args.injected = true;
    return args;
  }

  // ---- SEAMCALLs -----------------------------------------------------------------------------
  /** TDH.MEM.SEPT.ADD: link a new S-EPT page below the FREE entry at `level` (>= 2M). */
  sept_add(t: Thread, anchor: string, gfn: number, level: PgLevel, page: number): Spte {
    return this.call(t, 'TDH.MEM.SEPT.ADD', anchor, { gfn, level, page }, () => {
      const e = this.walk(gfn, level);
      if (e === null) return S.TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX;
      if (level === 1 || e !== 0n) return S.TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX;
      const base = gfnRoundForLevel(gfn, level);
      this.write(base, level, makeSeptEntry('NL_MAPPED', level, page));
      this.septPages.set(page, { gfn: base, level: (level - 1) as PgLevel });
      return S.TDX_SUCCESS;
    });
  }

  /** TDH.MEM.PAGE.AUG: add a guest page (PENDING until the guest accepts it) at a FREE leaf. */
  page_aug(t: Thread, anchor: string, gfn: number, level: PgLevel, pfn: number): Spte {
    return this.call(t, 'TDH.MEM.PAGE.AUG', anchor, { gfn, level }, () => {
      if (!this.hkidAssigned) return S.TDX_KEY_STATE_INCORRECT;
      const e = this.walk(gfn, level);
      if (e === null) return S.TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX;
      if (e !== 0n) return S.TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX;
      this.write(gfnRoundForLevel(gfn, level), level, makeSeptEntry('PENDING', level, pfn));
      return S.TDX_SUCCESS;
    });
  }

  /** TDH.MEM.RANGE.BLOCK: no new TLB translations for the entry (leaf or non-leaf). */
  range_block(t: Thread, anchor: string, gfn: number, level: PgLevel): Spte {
    return this.call(t, 'TDH.MEM.RANGE.BLOCK', anchor, { gfn, level }, () => {
      const e = this.walk(gfn, level);
      if (e === null) return S.TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX;
      const st = septState(e);
      const next = st === 'MAPPED' ? 'BLOCKED' : st === 'PENDING' ? 'PENDING_BLOCKED' : st === 'NL_MAPPED' ? 'NL_BLOCKED' : null;
      if (!next) return S.TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX;
      this.write(gfnRoundForLevel(gfn, level), level, makeSeptEntry(next, level, spte_to_pfn(e)));
      this.blockedAt.set(this.key(gfn, level), this.epoch);
      return S.TDX_SUCCESS;
    });
  }

  /** TDH.MEM.TRACK: advance the TD epoch (KVM then kicks the vCPUs out of guest mode). */
  mem_track(t: Thread, anchor: string): Spte {
    return this.call(t, 'TDH.MEM.TRACK', anchor, {}, () => {
      this.epoch++;
      return S.TDX_SUCCESS;
    });
  }

  /** Blocked, and TLB tracking done since: what REMOVE and DEMOTE require. */
  private checkBlockedTracked(gfn: number, level: PgLevel, e: Spte): Spte {
    const st = septState(e);
    if (st === 'MAPPED' || st === 'PENDING') return S.TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX;
    if (st !== 'BLOCKED' && st !== 'PENDING_BLOCKED') return S.TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX;
    if ((this.blockedAt.get(this.key(gfn, level)) ?? this.epoch) >= this.epoch) return S.TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX;
    return S.TDX_SUCCESS;
  }

  /** TDH.MEM.PAGE.REMOVE: free a blocked, tracked leaf. */
  page_remove(t: Thread, anchor: string, gfn: number, level: PgLevel): Spte {
    return this.call(t, 'TDH.MEM.PAGE.REMOVE', anchor, { gfn, level }, () => {
      const e = this.walk(gfn, level);
      if (e === null) return S.TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX;
      const err = this.checkBlockedTracked(gfn, level, e);
      if (err) return err;
      this.write(gfnRoundForLevel(gfn, level), level, 0n);
      this.blockedAt.delete(this.key(gfn, level));
      return S.TDX_SUCCESS;
    });
  }

  /** TDH.MEM.PAGE.DEMOTE: replace a blocked, tracked huge leaf by the new S-EPT page `page`
   *  holding 512 leaves of the next level in the same state (MAPPED or PENDING). */
  page_demote(t: Thread, anchor: string, gfn: number, level: PgLevel, page: number): Spte {
    return this.call(t, 'TDH.MEM.PAGE.DEMOTE', anchor, { gfn, level, page }, () => {
      const e = this.walk(gfn, level);
      if (e === null) return S.TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX;
      if (level === 1) return S.TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX;
      const err = this.checkBlockedTracked(gfn, level, e);
      if (err) return err;
      const base = gfnRoundForLevel(gfn, level);
      const child = (level - 1) as PgLevel;
      const state = septState(e) === 'BLOCKED' ? 'MAPPED' : 'PENDING';
      const pfn = spte_to_pfn(e);
      for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
        this.write(base + i * pagesPerHpage(child), child, makeSeptEntry(state, child, pfn + BigInt(i * pagesPerHpage(child))));
      }
      this.write(base, level, makeSeptEntry('NL_MAPPED', level, page));
      this.blockedAt.delete(this.key(gfn, level));
      this.septPages.set(page, { gfn: base, level: child });
      return S.TDX_SUCCESS;
    });
  }

  /** TDH.PHYMEM.PAGE.WBINVD (tdh_phymem_page_wbinvd_hkid): write back the cache lines of the
   *  page just removed from gfn (its pfn is in the REMOVE's old S-EPT entry). */
  page_wbinvd(t: Thread, anchor: string, gfn: number, level: PgLevel): Spte {
    return this.call(t, 'TDH.PHYMEM.PAGE.WBINVD', anchor, { gfn, level }, () =>
      (this.hkidAssigned ? S.TDX_SUCCESS : S.TDX_KEY_STATE_INCORRECT));
  }

  /** TDH.PHYMEM.PAGE.RECLAIM: take a TD page back. Allowed only once the TD's key is freed
   *  (TD teardown); for an S-EPT page the module drops the page and the entry that linked it. */
  page_reclaim(t: Thread, anchor: string, page: number): Spte {
    const where = this.septPages.get(page);
    return this.call(t, 'TDH.PHYMEM.PAGE.RECLAIM', anchor, { gfn: where?.gfn, page }, () => {
      if (this.hkidAssigned) return S.TDX_KEY_STATE_INCORRECT;
      if (where) {
        const span = pagesPerHpage(where.level);
        for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
          const g = where.gfn + i * span;
          if (this.kvm.readSept(g, where.level) !== 0n) this.write(g, where.level, 0n);
        }
        const parent = (where.level + 1) as PgLevel;
        if (this.kvm.readSept(where.gfn, parent) !== 0n) this.write(where.gfn, parent, 0n);
        this.septPages.delete(page);
      }
      return S.TDX_SUCCESS;
    });
  }

  /** TDH.VP.FLUSH: flush a vCPU's TLB and caches, dissociating it (TD teardown). */
  vp_flush(t: Thread, anchor: string | null, vcpu: number): Spte {
    return this.call(t, 'TDH.VP.FLUSH', anchor, {}, () => (vcpu >= 0 ? S.TDX_SUCCESS : S.TDX_OPERAND_INVALID));
  }

  /** TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID: release the TD's HKID. */
  mng(t: Thread, name: 'TDH.MNG.VPFLUSHDONE' | 'TDH.PHYMEM.CACHE.WB' | 'TDH.MNG.KEY.FREEID', anchor: string | null): Spte {
    return this.call(t, name, anchor, {}, () => {
      if (name === 'TDH.MNG.KEY.FREEID') this.hkidAssigned = false;
      return S.TDX_SUCCESS;
    });
  }
}
