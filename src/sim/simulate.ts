// simulate(): run a parsed scenario against the model of one kernel profile and return the
// Recording. Each scenario step enters the kernel the way the real operation does (a vCPU's EPT
// violation, KVM_SET_MEMORY_ATTRIBUTES, a guest_memfd punch-hole or mmu-notifier invalidation,
// KVM_SET_USER_MEMORY_REGION with dirty logging, VM destruction) with the kernel's outer frames
// as the stack prefix and the lock the kernel takes.
//
// Synchronous; cancellation is checked between steps and every 65536 events (throws the
// signal's reason). Bad requests throw SimInputError naming the step.
import type { ExpectationResult, PgLevel, ProfileName, Recording, RootKind, SourceLocation } from './types';
import type { ExpectStep, FaultStep, RaceStep, Scenario, ScenarioStep } from './scenario-types';
import { RecordingBuilder } from './recording';
import { EventLimitReached, Kvm, Thread } from './kvm';
import { Profile, profileByName } from './profiles';
import { Gen, KvmPageFault, RetPf, TdpMmu, sync } from './tdp-mmu';
import { TdxModule, isSeamcallName, SEAMCALLS } from './tdx-module';
import { TdxOps } from './tdx';
import { Invariants } from './invariants';
import { tdxStatusByName, isTdxStatusName } from './tdx-status';
import * as levels from './levels';
import * as spte from './spte';

const { gfnRoundForLevel, pagesPerHpage, levelName } = levels;

/** A request the kernel (or the scenario format) cannot honour; `step` is the scenario step index
 *  (-1 for the VM configuration). */
export class SimInputError extends Error {
  override name = 'SimInputError';
  constructor(message: string, readonly step: number, readonly source?: SourceLocation) {
    super(`${source ? `${source.file}:${source.line}:${source.column}: ` : ''}${step >= 0 ? `step ${step + 1}: ` : ''}${message}`);
  }
}

export interface SimulateOptions {
  /** Run against this profile instead of the scenario's. */
  profile?: ProfileName;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Stop after this many events: the recording ends there and carries a failed expectation
   *  saying so. Default: no limit. */
  maxEvents?: number;
}

/** Outer frames of an EPT violation (frozen: the recording interns them by identity). */
const TDX_FAULT_PREFIX = Object.freeze(['tdx_handle_ept_violation', 'kvm_mmu_page_fault', 'kvm_tdp_page_fault', 'kvm_tdp_mmu_page_fault']);
const VMX_FAULT_PREFIX = Object.freeze(['handle_ept_violation', 'kvm_mmu_page_fault', 'kvm_tdp_page_fault', 'kvm_tdp_mmu_page_fault']);
const NO_PREFIX: readonly string[] = Object.freeze([]);

/** A vCPU fault that keeps returning RET_PF_RETRY is cut after this many attempts. */
const MAX_FAULT_ATTEMPTS = 8;

/** GFN ranges with a property (shared memory attributes, dirty logging): a few, sorted. */
class RangeSet {
  private r: Array<[number, number]> = [];
  set(start: number, end: number, on: boolean): void {
    const out: Array<[number, number]> = [];
    for (const [a, b] of this.r) {
      if (b <= start || a >= end) out.push([a, b]);
      else {
        if (a < start) out.push([a, start]);
        if (b > end) out.push([end, b]);
      }
    }
    if (on) out.push([start, end]);
    out.sort((x, y) => x[0] - y[0]);
    this.r = out;
  }
  /** 'all' | 'none' | 'some' of [start, end) */
  covers(start: number, end: number): 'all' | 'none' | 'some' {
    let covered = 0;
    for (const [a, b] of this.r) covered += Math.max(0, Math.min(b, end) - Math.max(a, start));
    return covered === 0 ? 'none' : covered >= end - start ? 'all' : 'some';
  }
}

class Simulation {
  readonly b: RecordingBuilder;
  readonly kvm: Kvm;
  readonly mmu: TdpMmu;
  readonly module: TdxModule | null;
  readonly tdx: TdxOps | null;
  private started = false;
  private destroyed = false;
  /** Shared (not private) GFN ranges of a TD (KVM_SET_MEMORY_ATTRIBUTES); everything else is private. */
  private sharedMem = new RangeSet();
  private dirtyLogged = new RangeSet();

  constructor(private sc: Scenario, readonly profile: Profile, private opts: SimulateOptions) {
    const vm = sc.vm;
    if (vm.type === 'tdx' && !profile.tdx) {
      throw new SimInputError(`a TDX VM needs mirror roots, which profile '${profile.name}' (${profile.title}) does not have; use mainline or hugepage-rfc-v2`, -1);
    }
    if (!Number.isSafeInteger(vm.pages) || vm.pages < 1) throw new SimInputError(`vm memory must be at least one 4K page (got ${vm.pages} pages)`, -1);
    if (vm.paging_levels !== 4 && vm.paging_levels !== 5) throw new SimInputError(`paging_levels must be 4 or 5 (got ${vm.paging_levels})`, -1);
    if (!Number.isInteger(vm.vcpus) || vm.vcpus < 1) throw new SimInputError(`vcpus must be a positive integer (got ${vm.vcpus})`, -1);
    const maxPages = 2 ** ((vm.paging_levels === 5 ? 57 : 48) - 12) / (vm.type === 'tdx' ? 2 : 1);
    if (vm.pages > maxPages) throw new SimInputError(`vm memory of ${vm.pages} pages exceeds the ${vm.paging_levels}-level guest physical address space${vm.type === 'tdx' ? ' below the TDX shared bit' : ''}`, -1);
    this.b = new RecordingBuilder({ profile: profile.name, name: sc.name, rootLevel: vm.paging_levels });
    this.kvm = new Kvm(this.b, profile, vm);
    this.mmu = new TdpMmu(this.kvm);
    const inv = new Invariants(this.kvm);
    this.kvm.observer = inv;
    this.mmu.windows = inv;
    if (vm.type === 'tdx') {
      this.module = new TdxModule(this.kvm);
      this.tdx = new TdxOps(this.kvm, this.module);
      this.mmu.ops = this.tdx;
      // SEAMCALL errors the scenario expects are not invariant violations.
      for (const st of sc.steps) {
        if (st.op === 'expect' && st.seamcall_results) for (const [k, v] of Object.entries(st.seamcall_results)) this.module.expected.add(`${k}|${v}`);
      }
    } else {
      this.module = null;
      this.tdx = null;
    }
    if (opts.maxEvents !== undefined) this.kvm.maxEvents = checkMaxEvents(opts.maxEvents);
    const signal = opts.signal;
    if (signal) this.kvm.checkAbort = () => { if (signal.aborted) throw signal.reason ?? new Error('simulation cancelled'); };
  }

  run(): Recording {
    const steps = this.sc.steps;
    let i = 0;
    try {
      for (; i < steps.length; i++) {
        this.kvm.checkAbort?.();
        if (this.kvm.hostCrashed) break;
        this.step(i, steps[i]);
        this.opts.onProgress?.(i + 1, steps.length);
      }
    } catch (e) {
      if (!(e instanceof EventLimitReached)) throw e;
      this.b.addExpectation({ step: i, description: `the simulation runs to the end (maxEvents ${e.limit})`, ok: false, actual: `${e.message} in step ${i + 1} of ${steps.length}` });
    }
    return this.b.finish();
  }

  private src(i: number): SourceLocation | undefined {
    return this.sc.sources?.[i];
  }

  private fail(i: number, msg: string): never {
    throw new SimInputError(msg, i, this.src(i));
  }

  private checkRange(i: number, gfn: number, npages = 1): void {
    if (!Number.isSafeInteger(gfn) || gfn < 0) this.fail(i, `gfn ${gfn} is not a valid GFN`);
    if (!Number.isSafeInteger(npages) || npages < 1) this.fail(i, `npages must be a positive integer (got ${npages})`);
    if (gfn + npages > this.sc.vm.pages) {
      this.fail(i, `gfn range 0x${gfn.toString(16)}..0x${(gfn + npages - 1).toString(16)} is beyond guest memory (${this.sc.vm.pages} pages, last gfn 0x${(this.sc.vm.pages - 1).toString(16)})`);
    }
  }

  /** The 'step' event that opens scenario step i; returns its seq. */
  private stepEvent(i: number, st: ScenarioStep, message: string | undefined, gfn?: number, vcpu: number | null = null): number {
    this.b.beginStep(i, st.op, this.src(i));
    const t = new Thread(vcpu, NO_PREFIX);
    return this.kvm.emitAt(t, 'step', st.op, null, undefined, gfn, undefined, undefined, undefined, undefined, message === undefined ? undefined : { message });
  }

  /** The first vCPU run loads the MMU: kvm_mmu_load() → kvm_mmu_alloc_direct_roots() allocates the
   *  mirror root (TD) and then the direct root. The TD's S-EPT root lives in the TDR. */
  private start(): void {
    if (this.started) return;
    this.started = true;
    const t = new Thread(0, ['kvm_mmu_load', 'kvm_mmu_alloc_direct_roots']);
    this.kvm.read_lock(t);
    if (this.kvm.isTd) {
      this.b.setRoot('sept', true);
      this.mmu.kvm_tdp_mmu_alloc_root(t, true);
    }
    this.mmu.kvm_tdp_mmu_alloc_root(t, false);
    this.kvm.read_unlock(t);
  }

  private refuseIfBugged(i: number, st: ScenarioStep, what: string): boolean {
    if (!this.kvm.bugged) return false;
    this.stepEvent(i, st, `refused: ${what} returns -EIO, the VM is bugged (KVM_BUG_ON → kvm_vm_bugged(): vm_dead)`);
    return true;
  }

  private step(i: number, st: ScenarioStep): void {
    if (this.destroyed && st.op !== 'expect' && st.op !== 'inject') this.fail(i, `the VM was torn down by an earlier step; '${st.op}' has nothing to act on`);
    switch (st.op) {
      case 'fault': return this.faultStep(i, st);
      case 'race': return this.raceStep(i, st);
      case 'split': return this.splitStep(i, st);
      case 'convert': return this.convertStep(i, st);
      case 'zap': return this.zapStep(i, st);
      case 'dirty_log': return this.dirtyLogStep(i, st);
      case 'inject': return this.injectStep(i, st);
      case 'teardown': return this.teardownStep(i, st);
      case 'expect': return this.expectStep(i, st);
      default: this.fail(i, `unknown step '${(st as { op: string }).op}'`);
    }
  }

  // ---- faults ---------------------------------------------------------------------------------
  private validateFault(i: number, f: FaultStep): void {
    this.checkRange(i, f.gfn);
    if (f.private && !this.kvm.isTd) this.fail(i, 'a private fault needs a TDX VM (vm.type: tdx)');
    if (!Number.isInteger(f.vcpu) || f.vcpu < 0 || f.vcpu >= this.sc.vm.vcpus) this.fail(i, `vcpu ${f.vcpu} does not exist (the VM has ${this.sc.vm.vcpus})`);
    if (!levels.isPgLevel(f.max_level) || f.max_level > 3) this.fail(i, `max_level must be 4K, 2M or 1G (got ${f.max_level})`);
  }

  /** kvm_mmu_hugepage_adjust(): the goal level is the largest level allowed by the request, the
   *  private max mapping level (tdx_gmem_private_max_mapping_level), memory bounds, dirty logging
   *  (kvm_slot_dirty_track_enabled) and mixed memory attributes (hugepage_test_mixed). */
  private goalLevel(f: FaultStep): PgLevel {
    let level = f.private ? Math.min(f.max_level, this.profile.privateMaxLevel) : f.max_level;
    for (; level > 1; level--) {
      const start = gfnRoundForLevel(f.gfn, level as PgLevel);
      const end = start + pagesPerHpage(level as PgLevel);
      if (end > this.sc.vm.pages) continue;
      if (this.dirtyLogged.covers(start, end) !== 'none') continue;
      if (this.kvm.isTd && this.sharedMem.covers(start, end) === 'some') continue;
      break;
    }
    return level as PgLevel;
  }

  private faultPrefix(): readonly string[] {
    return this.kvm.isTd ? TDX_FAULT_PREFIX : VMX_FAULT_PREFIX;
  }

  /** A vCPU's fault: read mmu_lock around kvm_tdp_mmu_map(), retried while it returns RET_PF_RETRY
   *  (the TDX EPT-violation handler retries private faults locally). */
  private *vcpuFault(t: Thread, f: FaultStep): Gen<RetPf | 'KVM_EXIT_MEMORY_FAULT' | 'refused'> {
    const kvm = this.kvm;
    if (kvm.isTd && this.sharedMem.covers(f.gfn, f.gfn + 1) === (f.private ? 'all' : 'none')) {
      // kvm_mmu_faultin_pfn(): the access type disagrees with the memory attributes.
      return 'KVM_EXIT_MEMORY_FAULT';
    }
    const goal = this.goalLevel(f);
    const gfn = f.private ? f.gfn : f.gfn + kvm.sharedBits;
    const fault: KvmPageFault = { gfn, is_private: f.private, write: f.write, goal_level: goal, pfn: kvm.guestPfn(gfnRoundForLevel(gfn, goal), f.private) };
    let r: RetPf = 'RET_PF_RETRY';
    for (let attempt = 0; attempt < MAX_FAULT_ATTEMPTS; attempt++) {
      if (kvm.bugged) return attempt ? r : 'refused';
      kvm.read_lock(t);
      r = yield* this.mmu.kvm_tdp_mmu_map(t, fault);
      kvm.read_unlock(t);
      if (r !== 'RET_PF_RETRY') break;
      yield;
    }
    return r;
  }

  private describeFault(f: FaultStep): string {
    return `vCPU ${f.vcpu} ${f.write ? 'write' : 'read'}s ${f.private ? 'private' : 'shared'} gfn 0x${f.gfn.toString(16)} (max ${levelName(f.max_level)})`;
  }

  private outcome(r: string): string {
    return r === 'KVM_EXIT_MEMORY_FAULT' ? 'KVM_EXIT_MEMORY_FAULT: the access does not match the memory attributes'
      : r === 'RET_PF_RETRY' ? `still RET_PF_RETRY after ${MAX_FAULT_ATTEMPTS} attempts: the guest would fault again` : r;
  }

  private faultStep(i: number, f: FaultStep): void {
    this.validateFault(i, f);
    if (this.refuseIfBugged(i, f, 'KVM_RUN')) return;
    // No message on the (millions of) ordinary faults: the step's gfn and vCPU say it all.
    const seq = this.stepEvent(i, f, undefined, f.gfn, f.vcpu);
    this.start();
    const r = sync(this.vcpuFault(new Thread(f.vcpu, this.faultPrefix()), f));
    if (r !== 'RET_PF_FIXED') this.b.annotate(seq, { message: `${this.describeFault(f)}: ${this.outcome(r)}` });
  }

  /** Several vCPUs fault concurrently with mmu_lock held for read: 'lockstep' advances each
   *  by one atomic step in turn, 'sequential' runs them one after another. */
  private raceStep(i: number, st: RaceStep): void {
    if (!st.faults.length) this.fail(i, 'race needs at least one fault');
    st.faults.forEach((f) => this.validateFault(i, f));
    const vcpus = st.faults.map((f) => f.vcpu);
    if (new Set(vcpus).size !== vcpus.length) this.fail(i, 'each fault of a race must come from a different vCPU');
    if (this.refuseIfBugged(i, st, 'KVM_RUN')) return;
    const what = `${st.interleave} race: ${st.faults.map((f) => this.describeFault(f)).join('; ')}`;
    const seq = this.stepEvent(i, st, what);
    this.start();
    const runs = st.faults.map((f) => ({ t: new Thread(f.vcpu, this.faultPrefix()), f, done: false, result: '' }));
    const gens = runs.map((r) => this.vcpuFault(r.t, r.f));
    const advance = (k: number): void => {
      const n = gens[k].next();
      if (n.done) {
        runs[k].done = true;
        runs[k].result = n.value;
      }
    };
    if (st.interleave === 'sequential') {
      runs.forEach((r, k) => { while (!r.done) advance(k); });
    } else {
      while (runs.some((r) => !r.done)) runs.forEach((r, k) => { if (!r.done) advance(k); });
    }
    this.b.annotate(seq, { message: `${what} → ${runs.map((r) => `vCPU ${r.f.vcpu}: ${this.outcome(r.result)}`).join('; ')}` });
  }

  // ---- splitting, conversion, zapping, dirty logging ------------------------------------------
  private splitStep(i: number, st: Extract<ScenarioStep, { op: 'split' }>): void {
    this.checkRange(i, st.gfn);
    if (st.private && !this.kvm.isTd) this.fail(i, 'splitting private memory needs a TDX VM');
    if (st.level !== 2 && st.level !== 3) this.fail(i, `split level must be 2M or 1G (got ${levelName(st.level)})`);
    if (this.refuseIfBugged(i, st, 'the ioctl driving the split')) return;
    const start = gfnRoundForLevel(st.gfn, st.level);
    this.stepEvent(i, st, `split the ${st.private ? 'private' : 'shared'} ${levelName(st.level)} mapping at gfn 0x${start.toString(16)} with mmu_lock held for ${st.shared ? 'read' : 'write'}`, start);
    this.start();
    const root = st.private ? this.kvm.roots.mirror : this.kvm.roots.direct;
    const t = new Thread(null, []);
    if (st.shared) this.kvm.read_lock(t);
    else this.kvm.write_lock(t);
    const off = st.private ? 0 : this.kvm.sharedBits;
    if (root) this.mmu.tdp_mmu_split_huge_pages_root(t, root, start + off, start + off + pagesPerHpage(st.level), (st.level - 1) as PgLevel, st.shared);
    if (st.shared) this.kvm.read_unlock(t);
    else this.kvm.write_unlock(t);
  }

  /** RFC v2 15-17/23: split the huge leaves that straddle a boundary of [start, end) (write
   *  mmu_lock), so that zapping the range leaves the memory outside it mapped. */
  private splitCrossBoundary(t: Thread, root: 'private' | 'shared', start: number, end: number): void {
    const r = root === 'private' ? this.kvm.roots.mirror : this.kvm.roots.direct;
    if (!r) return;
    const off = root === 'private' ? 0 : this.kvm.sharedBits;
    this.kvm.enter(t, 'call', 'kvm_split_cross_boundary_leafs', null, { gfn: start, args: { end: BigInt(end) } });
    for (const edge of new Set([start, end])) {
      if (edge >= this.sc.vm.pages) continue;
      // Leaves above the largest level at which the boundary is aligned straddle it.
      let target: PgLevel = 1;
      while (target < 3 && edge % pagesPerHpage((target + 1) as PgLevel) === 0) target = (target + 1) as PgLevel;
      if (target < 3) this.mmu.tdp_mmu_split_huge_pages_root(t, r, edge + off, edge + off + 1, target, false);
    }
    this.kvm.leave(t);
  }

  private convertStep(i: number, st: Extract<ScenarioStep, { op: 'convert' }>): void {
    this.checkRange(i, st.gfn, st.npages);
    if (!this.kvm.isTd) this.fail(i, 'memory attribute conversion needs a TDX VM (KVM_SET_MEMORY_ATTRIBUTES is for private memory)');
    if (this.refuseIfBugged(i, st, 'KVM_SET_MEMORY_ATTRIBUTES')) return;
    const end = st.gfn + st.npages;
    this.stepEvent(i, st, `KVM_SET_MEMORY_ATTRIBUTES: gfn 0x${st.gfn.toString(16)}..0x${(end - 1).toString(16)} → ${st.to}`, st.gfn);
    this.start();
    const t = new Thread(null, ['kvm_vm_ioctl', 'kvm_vm_ioctl_set_mem_attributes', 'kvm_vm_set_mem_attributes', 'kvm_handle_gfn_range', 'kvm_arch_pre_set_memory_attributes']);
    // Private → shared zaps the private (mirror) mappings, shared → private the shared ones.
    const from = st.to === 'shared' ? 'private' : 'shared';
    this.kvm.write_lock(t);
    if (this.profile.splitOnConversion) this.splitCrossBoundary(t, from, st.gfn, end);
    this.mmu.kvm_tdp_mmu_unmap_gfn_range(t, st.gfn, end, from);
    this.kvm.write_unlock(t);
    this.sharedMem.set(st.gfn, end, st.to === 'shared');
  }

  private zapStep(i: number, st: Extract<ScenarioStep, { op: 'zap' }>): void {
    this.checkRange(i, st.gfn, st.npages);
    if (st.private && !this.kvm.isTd) this.fail(i, 'zapping private memory needs a TDX VM');
    const end = st.gfn + st.npages;
    this.stepEvent(i, st, `zap ${st.private ? 'private' : 'shared'} gfn 0x${st.gfn.toString(16)}..0x${(end - 1).toString(16)}`, st.gfn);
    this.start();
    const t = new Thread(null, st.private
      ? ['kvm_gmem_punch_hole', 'kvm_gmem_invalidate_begin', 'kvm_mmu_unmap_gfn_range']
      : ['kvm_mmu_notifier_invalidate_range_start', 'kvm_handle_hva_range', 'kvm_unmap_gfn_range']);
    this.kvm.write_lock(t);
    if (st.private && this.profile.splitOnConversion) this.splitCrossBoundary(t, 'private', st.gfn, end);
    this.mmu.kvm_tdp_mmu_unmap_gfn_range(t, st.gfn, end, this.kvm.isTd ? (st.private ? 'private' : 'shared') : 'all');
    this.kvm.write_unlock(t);
  }

  private dirtyLogStep(i: number, st: Extract<ScenarioStep, { op: 'dirty_log' }>): void {
    this.checkRange(i, st.gfn, st.npages);
    if (this.kvm.isTd) this.fail(i, 'dirty logging cannot be enabled on a TD memslot (KVM_MEM_LOG_DIRTY_PAGES is refused with KVM_MEM_GUEST_MEMFD)');
    if (this.refuseIfBugged(i, st, 'KVM_SET_USER_MEMORY_REGION')) return;
    const end = st.gfn + st.npages;
    this.stepEvent(i, st, `${st.enable ? 'enable' : 'disable'} dirty logging on gfn 0x${st.gfn.toString(16)}..0x${(end - 1).toString(16)}${st.enable && st.eager_split ? ' with eager page splitting' : ''}`, st.gfn);
    this.start();
    this.dirtyLogged.set(st.gfn, end, st.enable);
    if (st.enable && st.eager_split) {
      // kvm_mmu_slot_try_split_huge_pages(): mmu_lock held for read, down to 4K.
      const t = new Thread(null, ['kvm_vm_ioctl', 'kvm_set_memory_region', 'kvm_commit_memory_region', 'kvm_arch_commit_memory_region', 'kvm_mmu_slot_apply_flags', 'kvm_mmu_slot_try_split_huge_pages']);
      this.kvm.read_lock(t);
      this.mmu.kvm_tdp_mmu_try_split_huge_pages(t, st.gfn, end, 1, true);
      this.kvm.read_unlock(t);
    }
  }

  private injectStep(i: number, st: Extract<ScenarioStep, { op: 'inject' }>): void {
    if (!this.module) this.fail(i, 'SEAMCALL error injection needs a TDX VM');
    if (!isSeamcallName(st.seamcall)) this.fail(i, `unknown SEAMCALL '${st.seamcall}': expected one of ${SEAMCALLS.join(', ')}`);
    if (!isTdxStatusName(st.error)) tdxStatusByName(st.error); // throws the list of names
    if (!Number.isInteger(st.times) || st.times < 1) this.fail(i, `times must be a positive integer (got ${st.times})`);
    const status = tdxStatusByName(st.error);
    this.stepEvent(i, st, `the next ${st.times} ${st.seamcall} call(s) fail with ${st.error}`);
    this.module.inject(st.seamcall, status, st.times);
  }

  // ---- teardown ---------------------------------------------------------------------------------
  private teardownStep(i: number, st: ScenarioStep): void {
    this.stepEvent(i, st, this.kvm.isTd ? 'TD teardown: guest_memfd release, HKID release, zap and free all roots' : 'VM teardown: zap and free all roots');
    this.start();
    const kvm = this.kvm;
    if (this.tdx) {
      // The guest_memfd file goes first (it holds a reference on the VM): private leaves are
      // removed through the mirror root while the HKID is still assigned.
      const g = new Thread(null, ['kvm_gmem_release', 'kvm_gmem_invalidate_begin', 'kvm_mmu_unmap_gfn_range']);
      kvm.write_lock(g);
      this.mmu.kvm_tdp_mmu_unmap_gfn_range(g, 0, this.sc.vm.pages, 'private');
      kvm.write_unlock(g);
      // kvm_destroy_vm() → kvm_arch_pre_destroy_vm() → vt_vm_pre_destroy(): release the HKID.
      this.tdx.tdx_mmu_release_hkid(new Thread(null, ['kvm_destroy_vm', 'kvm_arch_pre_destroy_vm', 'vt_vm_pre_destroy']), this.sc.vm.vcpus);
    }
    // mmu_notifier_unregister() → ->release(): zap the direct roots.
    const n = new Thread(null, ['kvm_destroy_vm', 'mmu_notifier_unregister', 'kvm_mmu_notifier_release', 'kvm_flush_shadow_all', 'kvm_arch_flush_shadow_all', 'kvm_mmu_zap_all']);
    kvm.write_lock(n);
    this.mmu.kvm_tdp_mmu_zap_all(n);
    kvm.write_unlock(n);
    // kvm_arch_destroy_vm(): vCPUs drop their root references, then kvm_mmu_uninit_tdp_mmu()
    // invalidates every root and zaps it with mmu_lock held for write (S-EPT pages reclaimed).
    const d = new Thread(null, ['kvm_destroy_vm', 'kvm_arch_destroy_vm']);
    for (const r of [kvm.roots.direct, kvm.roots.mirror]) if (r) this.mmu.kvm_tdp_mmu_put_root(d, r);
    const u = new Thread(null, ['kvm_destroy_vm', 'kvm_arch_destroy_vm', 'kvm_mmu_uninit_vm', 'kvm_mmu_uninit_tdp_mmu']);
    const roots = this.mmu.kvm_tdp_mmu_invalidate_roots(u);
    this.mmu.kvm_tdp_mmu_zap_invalidated_roots(u, roots, false);
    if (kvm.isTd) {
      this.b.setRoot('sept', false);
      kvm.emit(u, 'call', 'tdx_vm_destroy', null, { message: 'TD control pages and the S-EPT root go with the TD (not modelled further)' });
    }
    this.destroyed = true;
  }

  // ---- expectations ---------------------------------------------------------------------------
  private mappedLevel(table: RootKind | 'sept', gfn: number): PgLevel | 0 {
    if (table === 'direct' && this.kvm.isTd && gfn < this.kvm.sharedBits) gfn += this.kvm.sharedBits;
    for (let l = this.kvm.rootLevel; l >= 1; l--) {
      const v = this.b.read(table, gfnRoundForLevel(gfn, l as PgLevel), l as PgLevel);
      if (table === 'sept') {
        if (v === 0n) return 0;
        if (spte.septEntryIsLeaf(v)) return l as PgLevel;
      } else {
        if (!spte.is_shadow_present_pte(v)) return 0;
        if (spte.is_last_spte(v, l as PgLevel)) return l as PgLevel;
      }
    }
    return 0;
  }

  private expectStep(i: number, st: ExpectStep): void {
    this.stepEvent(i, st, 'check expectations');
    const add = (description: string, ok: boolean, actual: string): void => {
      this.b.addExpectation({ step: i, description, ok, actual } satisfies ExpectationResult);
    };
    for (const [name, n] of Object.entries(st.calls ?? {})) {
      const got = this.kvm.counts(name);
      add(`${name} called ${n} time(s)`, got === n, `${got}`);
    }
    if (st.kvm_bug !== undefined) add(st.kvm_bug ? 'the VM is bugged (KVM_BUG_ON)' : 'no KVM_BUG_ON', this.kvm.bugged === st.kvm_bug, this.kvm.bugged ? 'bugged' : 'not bugged');
    if (st.invariants_ok !== undefined) {
      const n = this.kvm.invariantEvents;
      add(st.invariants_ok ? 'no invariant violated' : 'an invariant is violated', (n === 0) === st.invariants_ok, `${n} invariant event(s)`);
    }
    for (const [name, want] of Object.entries(st.seamcall_results ?? {})) {
      const got = this.kvm.lastResult.get(name);
      add(`last ${name} returned ${want}`, got === want, got ?? 'never called');
    }
    for (const m of st.mapped ?? []) {
      const got = this.mappedLevel(m.table, m.gfn);
      const name = (l: PgLevel | 0) => (l ? levelName(l) : 'unmapped');
      add(`gfn 0x${m.gfn.toString(16)} is ${m.level ? `mapped at ${name(m.level)}` : 'unmapped'} in ${m.table}`, got === m.level, name(got));
    }
  }
}

/** An event limit (SimulateOptions.maxEvents, ImportOptions.maxEvents) as given, or a RangeError. */
export function checkMaxEvents(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`maxEvents must be a positive integer (got ${n})`);
  return n;
}

/** Run a scenario (optionally against another profile) and return its recording. The scenario's
 *  `what_if` (e.g. private_max_level) turns the profile into its what-if variant. */
export function simulate(scenario: Scenario, opts: SimulateOptions = {}): Recording {
  let profile = profileByName(opts.profile ?? scenario.profile);
  const pml = scenario.what_if?.private_max_level;
  if (pml !== undefined) {
    if (!profile.tdx) throw new SimInputError(`what_if.private_max_level needs a profile with TDX private memory, not '${profile.name}'`, -1);
    if (pml !== 1 && pml !== 2) throw new SimInputError(`what_if.private_max_level must be 4K or 2M (got ${levelName(pml)}): the TDX code modelled maps private memory at 2M at most`, -1);
    profile = { ...profile, privateMaxLevel: pml };
  }
  return simulateWithProfile(scenario, profile, opts);
}

/** simulate() with a profile object: a what-if variant of a named profile, e.g. mainline's
 *  tdp_mmu.c with 2M private mappings ({ ...PROFILES.mainline, privateMaxLevel: 2 }, the state RFC
 *  v2 01-08/23 reach without 09/23). The recording carries the variant's base name. */
export function simulateWithProfile(scenario: Scenario, profile: Profile, opts: Omit<SimulateOptions, 'profile'> = {}): Recording {
  return new Simulation(scenario, profile, opts).run();
}
