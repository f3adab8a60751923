// The simulated struct kvm: page-table pages (struct kvm_mmu_page), roots, mmu_lock, the bugged
// flag, and the event emitter every modelled function goes through. One `Thread` per kernel
// context (a vCPU faulting, or a VM-wide path) carries that context's call stack and lock mode.
import type { EventKind, LockMode, PgLevel, RootKind, Spte } from './types';
import type { VmConfig } from './scenario-types';
import { RecordingBuilder, EventInput } from './recording';
import type { Profile } from './profiles';
import type { TableKind } from './table-store';
import * as spte from './spte';
import * as levels from './levels';
import { anchorById } from './anchors';

const { SHADOW_NONPRESENT_VALUE } = spte;
const { SPTE_ENT_PER_PAGE, pagesPerHpage } = levels;

/** struct kvm_mmu_page: one page table (or root) of a TDP tree. */
export interface KvmMmuPage {
  /** __pa(sp->spt) >> PAGE_SHIFT */
  pfn: number;
  spt: BigUint64Array;
  /** sp->role.level: the level of the entries in this table. */
  level: PgLevel;
  /** sp->gfn: first GFN covered (includes the TDX shared bit on a TD's direct root). */
  gfn: number;
  /** sp->role.is_mirror, inherited from the root by tdp_mmu_init_child_sp(). */
  isMirror: boolean;
  /** sp->external_spt (pfn of the S-EPT page given to the TDX module), for mirror children. */
  externalSpt: number | null;
  /** sp->ptep: the entry that links this table (null for a root). */
  parent: KvmMmuPage | null;
  index: number;
  /** The table is (or was) reachable: a root, or linked into its parent. Writes to it are
   *  recorded; a table freed before it was ever linked leaves no trace in the recording. */
  linked: boolean;
  /** Roots: role.invalid, tdp_mmu_root_count. */
  invalid: boolean;
  refcount: number;
}

/** The iterator position of a walk (struct tdp_iter). */
export interface TdpIter {
  sp: KvmMmuPage;
  index: number;
  level: PgLevel;
  gfn: number;
  old_spte: Spte;
  root: RootKind;
}

/** A span [start, end) a thread is propagating from the mirror to the S-EPT (PropagationWindows);
 *  `deferred`: positions to check when it closes, as gfn * 8 + level (null: none yet). */
export interface PropagationWindow { start: number; end: number; deferred: number[] | null }

/** A kernel context: a vCPU thread (faults) or a VM-wide path (ioctl, notifier, teardown). */
export class Thread {
  /** Open call events, innermost last. */
  readonly stack: number[] = [];
  /** Result slot of each open call (RecordingBuilder.lastResultSlot), parallel to stack. */
  readonly slots: number[] = [];
  lock: LockMode = 'none';
  /** Open propagation windows, innermost last (kept by the invariant checker). */
  readonly windows: PropagationWindow[] = [];
  constructor(readonly vcpu: number | null, readonly prefix: readonly string[]) {}
}

/** Fields of an event besides its kind/fn/anchor/parent/lock/vcpu. */
export type EventFields = Pick<EventInput, 'root' | 'gfn' | 'level' | 'old_spte' | 'new_spte' | 'result' | 'status' | 'args' | 'message'>;

/** Called after each event that wrote entries (the invariant checker). */
export interface WriteObserver {
  touched(table: TableKind, gfn: number, level: PgLevel): void;
  afterEvent(t: Thread): void;
}

/** The external page-table hooks of kvm_x86_ops (tdp_mmu.c has wrappers of the same names). */
const HOOK_NAMES = new Set(['link_external_spt', 'set_external_spte', 'free_external_spt', 'remove_external_spte', 'split_external_spt']);

/** Thrown when the recording reaches SimulateOptions.maxEvents; simulate() ends the recording there. */
export class EventLimitReached extends Error {
  constructor(readonly limit: number) {
    super(`the simulation stopped after ${limit} events (maxEvents)`);
  }
}

/** Deterministic physical memory: page-table pages are allocated from PT_BASE upwards, guest
 *  private memory (guest_memfd) is PRIVATE_BASE + gfn, shared memory SHARED_BASE + gfn. */
export const PT_BASE_PFN = 0x100000;
export const PRIVATE_BASE_PFN = 0x4000000;
export const SHARED_BASE_PFN = 0x8000000;

export class Kvm {
  readonly roots: { direct: KvmMmuPage | null; mirror: KvmMmuPage | null } = { direct: null, mirror: null };
  /** kvm->vm_bugged (KVM_BUG_ON fired) — the VM is dead to ioctls from now on. */
  bugged = false;
  /** BUG(): the host would have crashed; nothing else runs. */
  hostCrashed = false;
  /** kvm->mmu_lock: number of readers, writer held. */
  private readers = 0;
  private writer = false;
  private nextPfn = PT_BASE_PFN;
  /** page-table pages by pfn (spte_to_child_sp) */
  readonly pages = new Map<number, KvmMmuPage>();
  private siteCache = new Map<string, Map<string | null, Map<EventKind, number>>>();
  observer: WriteObserver | null = null;
  /** SimulateOptions.maxEvents: the simulation stops (EventLimitReached) at this many events. */
  maxEvents = Infinity;
  /** Called every 65536 events: throws to cancel a long step. */
  checkAbort: (() => void) | null = null;
  /** For `expect`: events per function/hook/SEAMCALL name (counts()), the last result of each
   *  SEAMCALL, and the number of invariant events. */
  /** How many times `fn` ran: for a kvm_x86_ops hook name (split_external_spt, ...) the hook
   *  invocations — not the tdp_mmu.c wrapper of the same name —, else every event of that name. */
  counts(fn: string): number {
    const hooksOnly = HOOK_NAMES.has(fn);
    let n = 0;
    for (let s = 0; s < this.siteFn.length; s++) {
      if (this.siteFn[s] === fn && (!hooksOnly || this.siteKind[s] === 'hook')) n += this.siteCounts[s];
    }
    return n;
  }
  readonly lastResult = new Map<string, string>();
  invariantEvents = 0;
  /** kvm_gfn_direct_bits(): the TDX shared bit as a GFN bit (0 for a VMX VM). */
  readonly sharedBits: number;

  constructor(readonly b: RecordingBuilder, readonly profile: Profile, readonly vm: VmConfig) {
    // kvm_gfn_direct_bits(): TDX_SHARED_BIT_PWL_4 = gpa bit 47, _PWL_5 = gpa bit 51 (vmx/tdx.c).
    this.sharedBits = vm.type === 'tdx' ? 2 ** ((vm.paging_levels === 5 ? 51 : 47) - 12) : 0;
  }

  get isTd(): boolean {
    return this.vm.type === 'tdx';
  }

  get rootLevel(): PgLevel {
    return this.vm.paging_levels as PgLevel;
  }

  // ---- events -----------------------------------------------------------------------------
  /** The site of an event. Hot path: one Map lookup of the last site seen with this anchor (fn
   *  when unanchored), confirmed against the site's fn/kind/anchor (literal strings, compared by
   *  identity in practice); the full (fn, anchor, kind) cache resolves the rest. */
  private site(kind: EventKind, fn: string, anchor: string | null): number {
    const key = anchor ?? fn;
    const s = this.recentSite.get(key);
    if (s !== undefined && this.siteFn[s] === fn && this.siteKind[s] === kind && this.siteAnchor[s] === anchor) return s;
    const id = this.lookupSite(kind, fn, anchor);
    this.recentSite.set(key, id);
    return id;
  }

  private lookupSite(kind: EventKind, fn: string, anchor: string | null): number {
    // Keys are the (interned) literal strings themselves: no string building per event.
    let byAnchor = this.siteCache.get(fn);
    if (!byAnchor) this.siteCache.set(fn, (byAnchor = new Map()));
    let byKind = byAnchor.get(anchor);
    if (!byKind) byAnchor.set(anchor, (byKind = new Map()));
    let s = byKind.get(kind);
    if (s === undefined) {
      if (anchor !== null && !anchorById(anchor)) throw new Error(`internal: unknown anchor '${anchor}'`);
      s = this.b.site(kind, fn, anchor);
      byKind.set(kind, s);
      this.siteCounts[s] = 0;
      this.siteFn[s] = fn;
      this.siteKind[s] = kind;
      this.siteAnchor[s] = anchor;
    }
    return s;
  }

  /** Events per site id (counts() sums them per name). */
  private siteCounts: number[] = [];
  private siteFn: string[] = [];
  private siteKind: EventKind[] = [];
  private siteAnchor: Array<string | null> = [];
  private recentSite = new Map<string, number>();

  /** Record one event. The SPTE position and values come positionally (the hot call sites pass
   *  them without building an object per event); `more` carries the other fields and may also
   *  name the positional ones (enter()/emit() pass everything there). */
  private push(t: Thread, kind: EventKind, fn: string, anchor: string | null, root: RootKind | undefined, gfn: number | undefined,
    level: PgLevel | undefined, old: Spte | undefined, nv: Spte | undefined, result: string | undefined, more: EventFields | undefined, open: boolean): number {
    let status: Spte | undefined;
    if (more !== undefined) {
      if (more.root !== undefined) root = more.root;
      if (more.gfn !== undefined) gfn = more.gfn;
      if (more.level !== undefined) level = more.level;
      if (more.old_spte !== undefined) old = more.old_spte;
      if (more.new_spte !== undefined) nv = more.new_spte;
      if (more.result !== undefined) result = more.result;
      status = more.status;
    }
    const site = this.site(kind, fn, anchor);
    const stack = t.stack;
    const seq = this.b.pushAt(site, stack.length ? stack[stack.length - 1] : null, t.prefix, t.lock, t.vcpu, root, gfn, level, old, nv,
      status, result, open, more);
    this.siteCounts[site]++;
    if (kind === 'seamcall' && result !== undefined) this.lastResult.set(fn, result);
    if (kind === 'invariant') this.invariantEvents++;
    if ((seq & 0xffff) === 0) this.checkAbort?.();
    this.observer?.afterEvent(t);
    if (seq + 1 >= this.maxEvents) throw new EventLimitReached(this.maxEvents);
    return seq;
  }

  private opened(t: Thread, seq: number): number {
    t.stack.push(seq);
    t.slots.push(this.b.lastResultSlot);
    return seq;
  }

  /** Enter a modelled function: a call/hook/seamcall event that encloses the events it causes. */
  enter(t: Thread, kind: 'call' | 'hook' | 'seamcall', fn: string, anchor: string | null, f?: EventFields): number {
    return this.opened(t, this.push(t, kind, fn, anchor, undefined, undefined, undefined, undefined, undefined, undefined, f, true));
  }

  /** enter() with the event's SPTE position and values as arguments (hot paths: no fields object). */
  enterAt(t: Thread, kind: 'call' | 'hook' | 'seamcall', fn: string, anchor: string | null, root: RootKind | undefined, gfn: number | undefined,
    level: PgLevel | undefined, old?: Spte, nv?: Spte, more?: EventFields): number {
    return this.opened(t, this.push(t, kind, fn, anchor, root, gfn, level, old, nv, undefined, more, true));
  }

  /** Leave the innermost function, recording what it returned. */
  leave(t: Thread, result?: string | number): void {
    const seq = t.stack.pop();
    const slot = t.slots.pop()!;
    if (seq === undefined) throw new Error('internal: leave() without enter()');
    if (result !== undefined) this.b.setResultSlot(slot, String(result));
  }

  /** A one-shot event (call with no body, seamcall, warn, invariant, kvm_bug) inside the current function. */
  emit(t: Thread, kind: EventKind, fn: string, anchor: string | null, f?: EventFields): number {
    return this.push(t, kind, fn, anchor, undefined, undefined, undefined, undefined, undefined, undefined, f, false);
  }

  /** emit() with the event's SPTE position, values and result as arguments (hot paths). */
  emitAt(t: Thread, kind: EventKind, fn: string, anchor: string | null, root: RootKind | undefined, gfn: number | undefined,
    level: PgLevel | undefined, old: Spte | undefined, nv: Spte | undefined, result?: string, more?: EventFields): number {
    return this.push(t, kind, fn, anchor, root, gfn, level, old, nv, result, more, false);
  }

  /** KVM_BUG_ON(cond): records where and why, marks the VM bugged; returns cond like the macro. */
  KVM_BUG_ON(t: Thread, cond: boolean, anchor: string | null, why: string, f?: EventFields): boolean {
    if (!cond) return false;
    this.bugged = true;
    this.emit(t, 'kvm_bug', 'KVM_BUG_ON', anchor, { ...f, message: why });
    return true;
  }

  /** WARN_ON / WARN_ON_ONCE(cond): recorded, the VM goes on. */
  WARN_ON(t: Thread, cond: boolean, anchor: string | null, why: string, macro = 'WARN_ON_ONCE'): boolean {
    if (cond) this.emit(t, 'warn', macro, anchor, { message: why });
    return cond;
  }

  /** BUG(): the host crashes; recorded as a kvm_bug and the simulation stops. */
  BUG(t: Thread, anchor: string, why: string, f?: EventFields): void {
    this.bugged = true;
    this.hostCrashed = true;
    this.emit(t, 'kvm_bug', 'BUG', anchor, { ...f, message: `BUG(): ${why} (the host crashes)` });
  }

  /** lockdep_assert_held{,_read,_write}(&kvm->mmu_lock): a violation is a recorded warning. */
  lockdep_assert(t: Thread, mode: 'read' | 'write' | 'held', anchor: string | null): void {
    const ok = mode === 'held' ? t.lock !== 'none' : t.lock === mode;
    if (!ok) {
      const macro = mode === 'held' ? 'lockdep_assert_held' : `lockdep_assert_held_${mode}`;
      this.emit(t, 'warn', macro, anchor, { message: `${macro}(&kvm->mmu_lock) fails: mmu_lock is ${t.lock === 'none' ? 'not held' : `held for ${t.lock}`}` });
    }
  }

  // ---- mmu_lock -----------------------------------------------------------------------------
  read_lock(t: Thread): void {
    if (this.writer) throw new Error('internal: read_lock while a writer holds mmu_lock');
    this.readers++;
    t.lock = 'read';
  }
  read_unlock(t: Thread): void {
    this.readers--;
    t.lock = 'none';
  }
  write_lock(t: Thread): void {
    if (this.writer || this.readers) throw new Error('internal: write_lock while mmu_lock is held');
    this.writer = true;
    t.lock = 'write';
  }
  write_unlock(t: Thread): void {
    this.writer = false;
    t.lock = 'none';
  }

  // ---- page tables --------------------------------------------------------------------------
  allocPfn(): number {
    return this.nextPfn++;
  }

  /** tdp_mmu_alloc_sp() + tdp_mmu_init_sp(): a zero-filled (SHADOW_NONPRESENT_VALUE) table. */
  allocSp(level: PgLevel, gfn: number, isMirror: boolean, parent: KvmMmuPage | null, index: number): KvmMmuPage {
    const spt = new BigUint64Array(SPTE_ENT_PER_PAGE);
    spt.fill(SHADOW_NONPRESENT_VALUE);
    const sp: KvmMmuPage = { pfn: this.allocPfn(), spt, level, gfn, isMirror, externalSpt: null, parent, index, linked: false, invalid: false, refcount: 0 };
    this.pages.set(sp.pfn, sp);
    return sp;
  }

  /** spte_to_child_sp() */
  childSp(v: Spte): KvmMmuPage {
    const sp = this.pages.get(spte.sptePfn(v));
    if (!sp) throw new Error(`internal: no page table at pfn 0x${spte.spte_to_pfn(v).toString(16)}`);
    return sp;
  }

  tableOf(sp: KvmMmuPage): RootKind {
    return sp.isMirror ? 'mirror' : 'direct';
  }

  /** GFN of entry `index` of `sp`. */
  entryGfn(sp: KvmMmuPage, index: number): number {
    return sp.gfn + index * pagesPerHpage(sp.level);
  }

  /** Write an SPTE (kvm_tdp_mmu_write_spte / __kvm_tdp_mmu_write_spte / a successful cmpxchg):
   *  the page table and the recording (staged on the next event). */
  writeSpte(sp: KvmMmuPage, index: number, v: Spte): void {
    const old = sp.spt[index];
    sp.spt[index] = v;
    const gfn = this.entryGfn(sp, index);
    if (sp.linked) {
      this.b.addWrite(this.tableOf(sp), gfn, sp.level, old, v);
      this.observer?.touched(this.tableOf(sp), gfn, sp.level);
    }
  }

  /** Write an S-EPT entry (only the TDX module model does this). */
  writeSept(gfn: number, level: PgLevel, v: Spte): void {
    this.b.write('sept', gfn, level, v);
    this.observer?.touched('sept', gfn, level);
  }

  readSept(gfn: number, level: PgLevel): Spte {
    return this.b.read('sept', gfn, level);
  }

  /** Pre-fill entries of a table that is not linked yet (tdp_mmu_split_huge_page): they become
   *  visible in the recording when the table is linked (see publishTable). */
  fillUnlinked(sp: KvmMmuPage, index: number, v: Spte): void {
    sp.spt[index] = v;
  }

  /** The table just got linked: record its pre-filled entries. */
  publishTable(sp: KvmMmuPage): void {
    sp.linked = true;
    for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
      const v = sp.spt[i];
      if (v !== SHADOW_NONPRESENT_VALUE) {
        const gfn = this.entryGfn(sp, i);
        this.b.addWrite(this.tableOf(sp), gfn, sp.level, this.b.read(this.tableOf(sp), gfn, sp.level), v);
        this.observer?.touched(this.tableOf(sp), gfn, sp.level);
      }
    }
  }

  /** Guest pfn backing gfn (guest_memfd for private memory, the host mapping for shared). */
  guestPfn(gfn: number, priv: boolean): number {
    return priv ? PRIVATE_BASE_PFN + gfn : SHARED_BASE_PFN + (gfn - this.sharedBits);
  }
}
