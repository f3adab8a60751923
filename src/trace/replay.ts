// Replay: rebuild each VM's page tables from the traced SPTE changes, as a Recording of 'trace'
// events (built with the simulator's RecordingBuilder, so the stepper, the debugger and the
// editor linking work on it unchanged), and judge every change:
//  - the transition rules of rules.ts (what handle_changed_spte and the mirror paths allow);
//  - old_spte against the reconstructed current value;
//  - a change below a page table that is known not to be linked (a skipped level);
//  - splits: a huge → non-leaf change must come with kvm_mmu_split_huge_page and vice versa,
//    and the children of a split start as the split huge page (make_small_spte).
// Each finding becomes an 'invariant' event nested under the trace event, and a TraceFinding.
//
// What the trace does not say, and what we do about it:
//  - which VM: ftrace has no VM id. By default every record belongs to one VM ('single'); with
//    vmIdentity 'tgid' (traces taken with options/record-tgid) the TGID (the VMM process) is the
//    VM. mmu-notifier zaps run in whatever task triggered them, so 'tgid' can misfile those.
//  - which root: see tdx.ts. For a TD, an SPTE change goes to the direct root when its GFN has
//    the shared bit; else to the table whose reconstructed value equals old_spte when exactly
//    one does; else by the open page fault on that CPU (kvm_page_fault's GPA has the shared bit
//    or not); else to the table where the parent entry is a present non-leaf; else to the
//    mirror root ("assumed", counted in the summary).
//  - GFNs: KVM prints GFNs without the shared bit (except when zapping a whole root); the
//    replayed tables, like the simulator's, name a TD's direct-root entries by their position,
//    i.e. with the shared bit (struct kvm_mmu_page.gfn of that root's pages includes it).
//  - which address space (as id 1 is SMM): only kvm_tdp_mmu_spte_changed prints it. A fault's
//    kvm_mmu_set_spte goes where that fault's SPTE changes went; its kvm_page_fault and
//    kvm_mmu_spte_requested, traced before anything names it, to address space 0 (annotated with
//    args.address_space once the fault's changes name another).
//  - which root instance: KVM replaces roots (kvm_tdp_mmu_invalidate_roots + a new root) but
//    the trace does not name the root, so old and new roots of one kind share one table here.
//  - entries never seen before: the trace starts mid-life, so the first old_spte of an entry is
//    believed; only later ones are checked. Entries show as not present until their first record.
//  - mmu_lock: not traced. Events inside a traced fault are marked 'read' (kvm_tdp_mmu_map runs
//    under read mmu_lock), mirror zaps 'write' (the only mode that may zap them), others 'none'.
import type { LockMode, PgLevel, ProfileName, RootKind, Spte } from '../sim/types';
import * as sim from '../sim';
import type { TraceHeader, TraceRecord, SpteChanged, SplitHugePage, SpteRequested, SetSpte, PageFault, MmuPage } from './tracepoints';
import type { FindingRule, RuleHit, Severity, TransitionInput, VmType } from './rules';
import * as rules from './rules';
import type { SharedGfnBit } from './tdx';
import * as tdx from './tdx';
import type { RootInference, StackCode } from './recording';
import * as rec from './recording';
import * as known from './known';

// Bound once: module exports are property getters after compilation, too slow per record.
const { RecordingBuilder, SPTE_ENT_PER_PAGE, is_last_spte, is_shadow_present_pte, make_small_spte, spte_to_pfn } = sim;
/** KVM_PAGES_PER_HPAGE(level). */
const PAGES = [0, 1, 512, 512 ** 2, 512 ** 3, 512 ** 4];
const pagesPerHpage = (level: PgLevel): number => PAGES[level];
const { checkTransition, isFrozen } = rules;
const { ROOT_BY, TraceColumns, TraceRecording, accessCode } = rec;
type TraceRecording = rec.TraceRecording;
const { KnownEntries, tableKey } = known;
const { sharedBitOfGfn, sharedBitOfGpa } = tdx;
type RecordingBuilder = sim.RecordingBuilder;

/** The VM a record belongs to under `identity`: "vm", or "tgid:<TGID>" ("tgid:?" without one).
 *  A VmReplay's key is this, plus "/as<id>" for a non-zero address space. */
export function vmOf(r: TraceRecord, identity: 'single' | 'tgid'): string {
  return identity === 'tgid' ? (r.tgid === null ? 'tgid:?' : `tgid:${r.tgid}`) : 'vm';
}

/** The VM identity a VmReplay key was made under (vmOf). */
export function identityOfKey(key: string): 'single' | 'tgid' {
  return key.startsWith('tgid:') ? 'tgid' : 'single';
}

export interface TraceFinding {
  /** Key of the replayed address space (VmReplay.key) the event is in. */
  vm: string;
  /** seq of the trace event the finding is about, and of its 'invariant' event. */
  seq: number;
  findingSeq: number;
  /** Line of the record in the trace file. */
  line: number;
  rule: FindingRule;
  severity: Severity;
  message: string;
  anchor: string | null;
}

export type { RootInference } from './recording';

/** Per-VM facts decided before replaying (from the options or the first records). */
export interface VmPlan {
  vmType: VmType;
  /** Why: "--vm-type tdx", "shared bit in kvm_page_fault address at line 12", ... */
  vmTypeReason: string;
  sharedBit: SharedGfnBit | null;
  rootLevel: 4 | 5;
  rootLevelReason: string;
}

export interface ReplayOptions {
  file: string;
  profile: ProfileName;
  vmIdentity: 'single' | 'tgid';
  /** The plan for a VM, asked when its first record arrives. */
  planFor(vm: string, first: TraceRecord): VmPlan;
  /** Which event types the trace contains at all (rules that need them are off otherwise). */
  traceHas: { faults: boolean; splits: boolean };
}

export interface VmReplay {
  /** "vm" or "vm/as1" (single), "tgid:1234" or "tgid:1234/as1" (tgid). */
  key: string;
  vm: string;
  asId: number;
  plan: VmPlan;
  /** The replay as a Recording; lineOf(seq) gives the trace line of any event. */
  recording: TraceRecording;
  findings: TraceFinding[];
  counts: {
    perEvent: Record<string, number>;
    /** SPTE changes per level and per root. */
    perLevel: Record<string, number>;
    perRoot: Record<string, number>;
    rootInference: Record<RootInference, number>;
  };
}

const TABLE_INDEX: Record<RootKind, number> = { direct: 0, mirror: 1 };
/** The roots a kvm_mmu_set_spte may be in, by what the fault says (shared, not copied). */
const DIRECT_ONLY: readonly RootKind[] = ['direct'], MIRROR_ONLY: readonly RootKind[] = ['mirror'], EITHER_ROOT: readonly RootKind[] = ['mirror', 'direct'];
const hex = (v: bigint): string => '0x' + v.toString(16);

/** The GFN naming an entry of `root`: the shared bit added for a TD's direct root. */
function tableGfn(plan: VmPlan, root: RootKind | undefined, gfn: number): number {
  return root === 'direct' && plan.sharedBit !== null ? gfn + 2 ** plan.sharedBit : gfn;
}

// STACKS codes (recording.ts).
const STACK_CHANGED = 1, STACK_REMOVED_PT = 2, STACK_SPLIT_LINK = 3, STACK_FAULT_LEAF = 4, STACK_FAULT_LINK = 5, STACK_MAP = 6, STACK_SPLIT_TRACE = 7;

/** The fields of a record that every event keeps: its tracepoint and ftrace header. */
type RecordHead = Pick<TraceRecord, 'event' | 'line' | 'task' | 'pid' | 'cpu' | 'time'>;

/** What push() records for one trace event. One instance per replayer, refilled for each
 *  record (fields()): a single object shape keeps push() monomorphic and allocation-free. */
class PushFields {
  anchor: string | null = null;
  stack: StackCode = 0;
  lock: LockMode = 'none';
  root: RootKind | undefined = undefined;
  gfn: number | undefined = undefined;
  level: PgLevel | undefined = undefined;
  old: Spte | undefined = undefined;
  nu: Spte | undefined = undefined;
  result: string | undefined = undefined;
  rootBy = 0;
  asId = 0;
  /** Tracepoint payload (TraceColumns a/b/c). */
  a: bigint | undefined = undefined;
  b: bigint | undefined = undefined;
  c: bigint | undefined = undefined;
}

const ERRNO: Record<number, string> = { 0: '0', [-12]: '-ENOMEM', [-16]: '-EBUSY', [-5]: '-EIO', [-95]: '-EOPNOTSUPP', [-22]: '-EINVAL', [-17]: '-EEXIST' };

/** A tracepoint's site in one builder, and how many of its records were replayed. */
interface EventSite { id: number; records: number }

/** One VM address space being replayed into one Recording. */
class AddressSpace {
  readonly builder: RecordingBuilder;
  /** Entries whose value the replay knows (written by a record or part of a fresh table). */
  readonly knownEntries = [new KnownEntries(), new KnownEntries()];
  readonly knownTables = [new Set<number>(), new Set<number>()];
  /** Child tables filled by a split: their entries are make_small_spte() of the huge SPTE. */
  readonly splitTables = [new Set<number>(), new Set<number>()];
  readonly rootLive = [false, false];
  readonly findings: TraceFinding[] = [];
  readonly counts: VmReplay['counts'] = {
    perEvent: {}, perLevel: {}, perRoot: {},
    rootInference: { vm: 0, 'shared-bit': 0, consistent: 0, fault: 0, parent: 0, assumed: 0 },
  };
  lastStepKey = -1;
  /** Interned event sites of this builder, by tracepoint (each has one anchor), counting the
   *  records (counts.perEvent is made from them at the end: one Map lookup per record). */
  readonly sites = new Map<string, EventSite>();
  /** Per-event trace data (time, CPU, task, line, payload) beside the builder's events. */
  readonly cols = new TraceColumns();

  constructor(readonly key: string, readonly vm: string, readonly asId: number, readonly plan: VmPlan, profile: ProfileName, name: string) {
    this.builder = new RecordingBuilder({ profile, name, rootLevel: plan.rootLevel });
  }

  value(root: RootKind, gfn: number, level: PgLevel): Spte {
    return this.builder.read(root, gfn, level);
  }

  known(root: RootKind, gfn: number, level: PgLevel): boolean {
    const t = TABLE_INDEX[root];
    return this.knownEntries[t].has(gfn, level) || this.knownTables[t].has(tableKey(gfn, level));
  }
}

interface CpuContext {
  pid: number;
  /** Inside kvm_tdp_mmu_map: from kvm_page_fault / kvm_mmu_spte_requested to kvm_mmu_set_spte. */
  inFault: boolean;
  /** The fault's GPA was private (true), shared (false), or we do not know (null). */
  faultPrivate: boolean | null;
  vcpu: number | null;
  /** Address space of the fault's SPTE changes: kvm_mmu_set_spte does not print one, and an
   *  SMM fault (as id 1) installs its SPTE there. 0 until the fault changes an SPTE. */
  faultAsId: number;
  /** Events of address space 0 the fault's kvm_page_fault / kvm_mmu_spte_requested became:
   *  annotated with the address space once a change names another (args.address_space). */
  faultSeqs: number[];
  /** A huge → non-leaf change on this CPU still waiting for its kvm_mmu_split_huge_page. */
  pendingSplit: { as: AddressSpace; root: RootKind; gfn: number; level: PgLevel; old: Spte; seq: number; line: number } | null;
}

export class TraceReplayer {
  private readonly spaces = new Map<string, AddressSpace>();
  /** The same address spaces as a list (events counts them per record). */
  private readonly spaceList: AddressSpace[] = [];
  private readonly plans = new Map<string, VmPlan>();
  private readonly cpus = new Map<number, CpuContext>();
  /** The same contexts by CPU number (the per-record lookup; cpus keeps first-seen order). */
  private readonly cpuList: Array<CpuContext | undefined> = [];
  private lastSpace: AddressSpace | null = null;
  private lastPlanVm: string | null = null;
  private lastPlan: VmPlan | undefined = undefined;
  /** Step names ("<task>-<pid> [<cpu>]") by CPU and pid, with the task name they were made for. */
  private readonly stepOps = new Map<number, { task: string; op: string }>();
  /** Header fields of the record being replayed (feed() copies them; time starts as a double
   *  so that the first timestamp does not change the object's map). */
  private readonly head: RecordHead = { event: 'kvm_tdp_mmu_spte_changed', line: 0, task: '', pid: 0, cpu: 0, time: NaN };
  /** Line of the first "CPU:N [LOST M EVENTS]": mismatches after it are expected. */
  private lostAtLine = 0;
  private readonly pushFields = new PushFields();
  /** Per-record scratch of spteChanged (reused: a traced change rarely breaks a rule). */
  private readonly hits: RuleHit[] = [];
  private readonly transition: TransitionInput = { root: 'direct', vmType: 'vmx', profile: 'mainline', asId: 0, gfn: 0, level: 1, old: 0n, new: 0n, inFault: null };
  private readonly where: { root: RootKind; gfn: number; how: RootInference } = { root: 'direct', gfn: 0, how: 'vm' };

  constructor(private readonly o: ReplayOptions) {}

  /** Events recorded so far, over every address space (asked per record under a maxEvents
   *  limit: a plain loop over the list, no Map iterator). */
  get events(): number {
    let n = 0;
    for (let i = 0; i < this.spaceList.length; i++) n += this.spaceList[i].builder.length;
    return n;
  }

  noteLostEvents(line: number): void {
    if (this.lostAtLine === 0) this.lostAtLine = line;
  }

  feed(r: TraceRecord): void {
    const vm = vmOf(r, this.o.vmIdentity);
    let plan = vm === this.lastPlanVm ? this.lastPlan : this.plans.get(vm);
    if (!plan) {
      plan = this.o.planFor(vm, r);
      this.plans.set(vm, plan);
    }
    this.lastPlanVm = vm;
    this.lastPlan = plan;
    // The header fields, read once: records of five shapes make every read of `r` megamorphic.
    const h = this.head;
    h.event = r.event; h.line = r.line; h.task = r.task; h.pid = r.pid; h.cpu = r.cpu; h.time = r.time;
    const ctx = this.cpu(h);
    if (ctx.pendingSplit && h.event !== 'kvm_mmu_split_huge_page') this.splitNotTraced(ctx);
    switch (r.event) {
      case 'kvm_tdp_mmu_spte_changed': return this.spteChanged(vm, plan, ctx, r);
      case 'kvm_page_fault': return this.pageFault(vm, plan, ctx, r);
      case 'kvm_mmu_spte_requested': return this.spteRequested(vm, plan, ctx, r);
      case 'kvm_mmu_set_spte': return this.setSpte(vm, plan, ctx, r);
      case 'kvm_mmu_split_huge_page': return this.splitHugePage(vm, plan, ctx, r);
      case 'kvm_mmu_get_page':
      case 'kvm_mmu_prepare_zap_page': return this.mmuPage(vm, plan, r);
    }
  }

  finish(): VmReplay[] {
    for (const ctx of this.cpus.values()) if (ctx.pendingSplit) this.splitNotTraced(ctx);
    const out: VmReplay[] = [];
    for (const as of this.spaces.values()) {
      for (const [fn, site] of as.sites) as.counts.perEvent[fn] = site.records;
      as.findings.sort((a, b) => a.line - b.line || a.findingSeq - b.findingSeq);
      const recording = new TraceRecording(as.builder.finish(), as.cols, as.plan.vmType === 'tdx' ? as.plan.sharedBit : null);
      out.push({ key: as.key, vm: as.vm, asId: as.asId, plan: as.plan, recording, findings: as.findings, counts: as.counts });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // ---- records ---------------------------------------------------------------------------

  private spteChanged(vm: string, plan: VmPlan, ctx: CpuContext, r: TraceHeader & SpteChanged): void {
    const as = this.space(vm, r.as_id, plan);
    if (ctx.inFault && r.as_id !== ctx.faultAsId) {
      ctx.faultAsId = r.as_id;
      const start = this.space(vm, 0, plan);
      for (const seq of ctx.faultSeqs) start.builder.annotate(seq, { args: { address_space: as.key } });
      ctx.faultSeqs.length = 0;
    }
    const { root, gfn, how } = this.rootOf(as, plan, ctx, r);
    const level = r.level;
    const hits = this.hits;
    hits.length = 0;
    as.counts.rootInference[how]++;
    as.counts.perLevel[level] = (as.counts.perLevel[level] ?? 0) + 1;
    as.counts.perRoot[root] = (as.counts.perRoot[root] ?? 0) + 1;

    const inFault = this.o.traceHas.faults ? ctx.inFault : null;
    const t = this.transition;
    t.root = root; t.vmType = plan.vmType; t.profile = this.o.profile; t.asId = r.as_id; t.gfn = gfn; t.level = level;
    t.old = r.old_spte; t.new = r.new_spte; t.inFault = inFault;
    checkTransition(t, hits);
    const write = level <= plan.rootLevel;
    if (!write) {
      hits.push({ rule: 'level-above-root', severity: 'error', message: `level ${level} SPTE in a ${plan.rootLevel}-level replay (${plan.rootLevelReason}); not applied`, anchor: 'handle_changed_spte' });
    } else {
      this.tableChecks(as, root, gfn, level, r.old_spte, r.new_spte, r.line, hits);
    }

    const wasPresent = is_shadow_present_pte(r.old_spte), isPresent = is_shadow_present_pte(r.new_spte);
    const wasLeaf = wasPresent && is_last_spte(r.old_spte, level), isLeaf = isPresent && is_last_spte(r.new_spte, level);
    const split = wasLeaf && isPresent && !isLeaf;
    if (write) this.applyChange(as, root, gfn, level, r.old_spte, r.new_spte, split);

    const lock: LockMode = inFault ? 'read' : root === 'mirror' && wasPresent && !isPresent ? 'write' : 'none';
    const f = this.fields('handle_changed_spte.trace', this.stackFor(inFault === true, wasPresent, wasLeaf, isPresent, isLeaf, r.new_spte), lock);
    f.root = root; f.gfn = gfn; f.level = level; f.old = r.old_spte; f.nu = r.new_spte; f.rootBy = ROOT_BY.indexOf(how); f.asId = r.as_id;
    const seq = this.push(as, ctx, f);
    if (split) ctx.pendingSplit = { as, root, gfn, level, old: r.old_spte, seq, line: r.line };
    this.report(as, seq, r.line, hits);
  }

  private pageFault(vm: string, plan: VmPlan, ctx: CpuContext, r: TraceHeader & PageFault): void {
    const as = this.space(vm, 0, plan);
    const bit = plan.vmType === 'tdx' ? sharedBitOfGpa(r.address) : null;
    ctx.inFault = true;
    ctx.faultPrivate = plan.vmType === 'tdx' ? bit === null : null;
    ctx.vcpu = r.vcpu;
    this.newFault(ctx);
    const f = this.fields(null, 0, 'none');
    f.root = ctx.faultPrivate ? 'mirror' : 'direct'; f.gfn = Number(r.address >> 12n); f.a = r.address; f.b = r.error_code; f.c = r.rip ?? 0n;
    ctx.faultSeqs.push(this.push(as, ctx, f));
  }

  private spteRequested(vm: string, plan: VmPlan, ctx: CpuContext, r: TraceHeader & SpteRequested): void {
    const as = this.space(vm, 0, plan);
    // A fault of this task already announced by kvm_page_fault keeps its private/shared verdict.
    if (!ctx.inFault) {
      ctx.faultPrivate = null;
      this.newFault(ctx);
    }
    ctx.inFault = true;
    const root: RootKind | undefined = plan.vmType !== 'tdx' ? 'direct' : ctx.faultPrivate === null ? undefined : ctx.faultPrivate ? 'mirror' : 'direct';
    const f = this.fields('kvm_tdp_mmu_map', 0, 'read');
    f.root = root; f.gfn = tableGfn(plan, root, r.gfn); f.level = r.level; f.a = r.pfn;
    ctx.faultSeqs.push(this.push(as, ctx, f));
  }

  private setSpte(vm: string, plan: VmPlan, ctx: CpuContext, r: TraceHeader & SetSpte): void {
    const as = this.space(vm, ctx.inFault ? ctx.faultAsId : 0, plan);
    const roots = plan.vmType !== 'tdx' ? DIRECT_ONLY : ctx.faultPrivate === null ? EITHER_ROOT : ctx.faultPrivate ? MIRROR_ONLY : DIRECT_ONLY;
    const hits: RuleHit[] = [];
    if (r.level <= plan.rootLevel) {
      // tdp_mmu_map_handle_target_level traces the SPTE it just installed: a root whose entry
      // the replay knows must hold it (plain loop: this runs for every fault).
      let t: RootKind | null = null;
      for (const root of roots) {
        if (!as.known(root, tableGfn(plan, root, r.gfn), r.level)) continue;
        if (as.value(root, tableGfn(plan, root, r.gfn), r.level) === r.spte) { t = null; break; }
        t ??= root;
      }
      if (t !== null) {
        hits.push({
          rule: 'old-spte-mismatch', severity: this.mismatchSeverity(r.line),
          message: `kvm_mmu_set_spte reports ${hex(r.spte)} installed at gfn 0x${r.gfn.toString(16)} level ${r.level}, but the ${t} root holds ${hex(as.value(t, tableGfn(plan, t, r.gfn), r.level))} (no matching kvm_tdp_mmu_spte_changed?)`,
          anchor: 'tdp_mmu_map_handle_target_level',
        });
      }
    }
    const f = this.fields('tdp_mmu_map_handle_target_level', STACK_MAP, 'read');
    f.root = roots.length === 1 ? roots[0] : undefined; f.gfn = tableGfn(plan, f.root, r.gfn); f.level = r.level; f.nu = r.spte;
    f.a = r.sptep; f.b = accessCode(r.access);
    const seq = this.push(as, ctx, f);
    this.report(as, seq, r.line, hits);
    ctx.inFault = false;
  }

  private splitHugePage(vm: string, plan: VmPlan, ctx: CpuContext, r: TraceHeader & SplitHugePage): void {
    const as = this.space(vm, 0, plan);
    const p = ctx.pendingSplit;
    const matches = p !== null && p.gfn === tableGfn(plan, p.root, r.gfn) && p.level === r.level;
    const hits: RuleHit[] = [];
    if (matches && r.errno !== 0) {
      hits.push({ rule: 'split-without-link', severity: 'error', message: `kvm_mmu_split_huge_page reports errno ${r.errno} for gfn 0x${r.gfn.toString(16)} level ${r.level}, but the huge SPTE was replaced by a page table (line ${p.line}): tdp_mmu_link_sp failed, nothing should have changed`, anchor: 'tdp_mmu_split_huge_page.link_sp' });
    } else if (!matches && r.errno === 0) {
      hits.push({ rule: 'split-without-link', severity: 'error', message: `kvm_mmu_split_huge_page reports a split of gfn 0x${r.gfn.toString(16)} level ${r.level} (spte ${hex(r.spte)}), but this CPU traced no huge → non-leaf change of that SPTE just before (tdp_mmu_link_sp traces it through handle_changed_spte)`, anchor: 'tdp_mmu_split_huge_page.link_sp' });
    }
    if (matches) {
      if (spte_to_pfn(r.spte) !== spte_to_pfn(p.old)) {
        hits.push({ rule: 'split-without-link', severity: 'warning', message: `kvm_mmu_split_huge_page names huge SPTE ${hex(r.spte)}, but the change at line ${p.line} replaced ${hex(p.old)}`, anchor: 'tdp_mmu_split_huge_page.trace' });
      }
      ctx.pendingSplit = null;
    }
    const f = this.fields('tdp_mmu_split_huge_page.trace', STACK_SPLIT_TRACE, ctx.inFault ? 'read' : 'none');
    f.root = matches ? p.root : undefined; f.gfn = matches ? p.gfn : r.gfn; f.level = r.level; f.old = r.spte;
    f.result = ERRNO[r.errno] ?? String(r.errno); f.a = BigInt.asUintN(64, BigInt(r.errno));
    const seq = this.push(as, ctx, f);
    this.report(as, seq, r.line, hits);
  }

  private mmuPage(vm: string, plan: VmPlan, r: TraceHeader & MmuPage): void {
    const as = this.space(vm, 0, plan);
    const f = this.fields(r.event === 'kvm_mmu_prepare_zap_page' ? 'handle_removed_pt' : null, 0, 'none');
    f.gfn = r.gfn; f.level = r.level; f.a = BigInt(as.cols.strings.id(r.role)); f.b = r.created === null ? 0n : r.created ? 2n : 1n;
    this.push(as, this.cpu(this.head), f);
  }

  // ---- reconstruction ----------------------------------------------------------------------

  /** The root an SPTE change belongs to, and the GFN naming the entry in that root's table
   *  (in the replayer's `where`, valid until the next call). */
  private rootOf(as: AddressSpace, plan: VmPlan, ctx: CpuContext, r: TraceHeader & SpteChanged): { root: RootKind; gfn: number; how: RootInference } {
    if (plan.vmType !== 'tdx') return this.at('direct', r.gfn, 'vm');
    const bit = sharedBitOfGfn(r.gfn);
    if (bit !== null && bit === plan.sharedBit) return this.at('direct', r.gfn, 'shared-bit');
    const level = r.level;
    const g: Record<RootKind, number> = { mirror: r.gfn, direct: tableGfn(plan, 'direct', r.gfn) };
    const pick = (root: RootKind, how: RootInference) => this.at(root, g[root], how);
    // Consistency: which table can have held old_spte?
    const could = (t: RootKind): boolean => !as.known(t, g[t], level) || as.value(t, g[t], level) === r.old_spte;
    const holds = (t: RootKind): boolean => as.known(t, g[t], level) && as.value(t, g[t], level) === r.old_spte;
    const m = could('mirror'), d = could('direct');
    if (m !== d) return pick(m ? 'mirror' : 'direct', 'consistent');
    if (m && d && is_shadow_present_pte(r.old_spte) && holds('mirror') !== holds('direct')) return pick(holds('mirror') ? 'mirror' : 'direct', 'consistent');
    if (ctx.inFault && ctx.faultPrivate !== null) return pick(ctx.faultPrivate ? 'mirror' : 'direct', 'fault');
    if (level < plan.rootLevel) {
      const up = (level + 1) as PgLevel;
      const linked = (t: RootKind): boolean => {
        const pg = g[t] - (g[t] % pagesPerHpage(up));
        if (!as.known(t, pg, up)) return false;
        const v = as.value(t, pg, up);
        return is_shadow_present_pte(v) && !is_last_spte(v, up);
      };
      const lm = linked('mirror'), ld = linked('direct');
      if (lm !== ld) return pick(lm ? 'mirror' : 'direct', 'parent');
    }
    return pick('mirror', 'assumed');
  }

  private at(root: RootKind, gfn: number, how: RootInference): { root: RootKind; gfn: number; how: RootInference } {
    const w = this.where;
    w.root = root; w.gfn = gfn; w.how = how;
    return w;
  }

  /** Checks against the reconstructed tables, before the change is applied; hits go to `hits`. */
  private tableChecks(as: AddressSpace, root: RootKind, gfn: number, level: PgLevel, old: Spte, nu: Spte, line: number, hits: RuleHit[]): void {
    const t = TABLE_INDEX[root];
    const current = as.value(root, gfn, level);
    if (as.knownEntries[t].has(gfn, level) || as.knownTables[t].has(tableKey(gfn, level))) {
      if (current !== old) {
        hits.push({
          rule: 'old-spte-mismatch', severity: this.mismatchSeverity(line),
          message: `old_spte ${hex(old)} but the ${root} root holds ${hex(current)} at gfn 0x${gfn.toString(16)} level ${level}${this.lostAtLine ? ` (events were lost at line ${this.lostAtLine})` : ''}`,
          anchor: 'handle_changed_spte.trace',
        });
      }
    } else if (as.splitTables[t].has(tableKey(gfn, level))) {
      // First change of a child of a split: it must still be the page make_small_spte made.
      if (is_shadow_present_pte(current) && (!is_shadow_present_pte(old) || spte_to_pfn(old) !== spte_to_pfn(current) || is_last_spte(old, level) !== is_last_spte(current, level))) {
        hits.push({ rule: 'split-child-mismatch', severity: 'warning', message: `first change of a split child at gfn 0x${gfn.toString(16)} level ${level}: old_spte ${hex(old)} is not the small SPTE ${hex(current)} made from the huge page (make_small_spte)`, anchor: 'tdp_mmu_split_huge_page' });
      }
    }
    // A page table below an entry that is known not to point to one: a skipped level. Children
    // of a just-removed table are frozen after their parent (handle_removed_pt runs after the
    // tracepoint of the parent change), so FROZEN writes are exempt.
    if (level < as.plan.rootLevel && !isFrozen(nu)) {
      const up = (level + 1) as PgLevel;
      const pg = gfn - (gfn % pagesPerHpage(up));
      if (as.known(root, pg, up)) {
        const pv = as.value(root, pg, up);
        if (!is_shadow_present_pte(pv) || is_last_spte(pv, up)) {
          hits.push({
            rule: 'level-skip', severity: 'error',
            message: `level-${level} SPTE at gfn 0x${gfn.toString(16)} changed, but its level-${up} entry (gfn 0x${pg.toString(16)}) is ${is_shadow_present_pte(pv) ? 'a leaf' : 'not present'} (${hex(pv)}): no page table is linked there`,
            anchor: 'handle_changed_spte',
          });
        }
      }
    }
  }

  private applyChange(as: AddressSpace, root: RootKind, gfn: number, level: PgLevel, old: Spte, nu: Spte, split: boolean): void {
    const b = as.builder;
    const t = TABLE_INDEX[root];
    if (!as.rootLive[t]) {
      b.setRoot(root, true);
      as.rootLive[t] = true;
    }
    b.addWrite(root, gfn, level, old, nu);
    as.knownEntries[t].add(gfn, level);
    // The level test first: it spares 4K changes (most of a trace) the BigInt tests.
    const linksTable = level > 1 && is_shadow_present_pte(nu) && !is_last_spte(nu, level)
      && !(is_shadow_present_pte(old) && !is_last_spte(old, level) && spte_to_pfn(old) === spte_to_pfn(nu));
    if (!linksTable) return;
    const child = (level - 1) as PgLevel;
    const ck = tableKey(gfn, child);
    if (split) {
      // tdp_mmu_split_huge_page fills the new table before linking it (untraced): replay that.
      const step = pagesPerHpage(child);
      for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) b.write(root, gfn + i * step, child, make_small_spte(old, child, i));
      as.knownTables[t].delete(ck);
      as.splitTables[t].add(ck);
    } else {
      // A freshly allocated page table: every entry is SHADOW_NONPRESENT_VALUE.
      b.clearTable(root, gfn, child);
      as.knownTables[t].add(ck);
      as.splitTables[t].delete(ck);
    }
    // Entries known from an earlier table at this place now read as the new table's values.
    as.knownEntries[t].forgetTable(gfn, child);
  }

  private splitNotTraced(ctx: CpuContext): void {
    const p = ctx.pendingSplit!;
    ctx.pendingSplit = null;
    if (!this.o.traceHas.splits) return;
    this.report(p.as, p.seq, p.line, [{
      rule: 'split-not-traced', severity: 'info',
      message: `huge SPTE at gfn 0x${p.gfn.toString(16)} level ${p.level} was replaced by a page table without the kvm_mmu_split_huge_page that tdp_mmu_split_huge_page traces right after linking it`,
      anchor: 'tdp_mmu_split_huge_page.trace',
    }]);
  }

  // ---- recording -------------------------------------------------------------------------------

  private space(vm: string, asId: number, plan: VmPlan): AddressSpace {
    // Consecutive records are nearly always of the last address space: no key, no lookup.
    const last = this.lastSpace;
    if (last !== null && last.vm === vm && last.asId === asId) return last;
    const key = asId === 0 ? vm : `${vm}/as${asId}`;
    let as = this.spaces.get(key);
    if (!as) {
      const base = this.o.file.split(/[\\/]/).pop() || this.o.file;
      as = new AddressSpace(key, vm, asId, plan, this.o.profile, key === 'vm' ? base : `${base} [${key}]`);
      this.spaces.set(key, as);
      this.spaceList.push(as);
    }
    this.lastSpace = as;
    return as;
  }

  private cpu(r: RecordHead): CpuContext {
    let c = this.cpuList[r.cpu];
    if (!c) {
      c = { pid: r.pid, inFault: false, faultPrivate: null, vcpu: null, faultAsId: 0, faultSeqs: [], pendingSplit: null };
      this.cpus.set(r.cpu, c);
      this.cpuList[r.cpu] = c;
    }
    if (c.pid !== r.pid) {
      // Another task on this CPU: the previous task's fault (if any) is over.
      c.pid = r.pid;
      c.inFault = false;
      c.faultPrivate = null;
      c.vcpu = null;
      this.newFault(c);
    }
    return c;
  }

  /** A fault starts (or the last one is over): nothing names its address space yet. */
  private newFault(ctx: CpuContext): void {
    ctx.faultAsId = 0;
    ctx.faultSeqs.length = 0;
  }

  /** Kernel frames above the tracepoint (a STACKS code), inferred from the kind of change. */
  private stackFor(inFault: boolean, wasPresent: boolean, wasLeaf: boolean, isPresent: boolean, isLeaf: boolean, nu: Spte): StackCode {
    if (isFrozen(nu)) return STACK_REMOVED_PT;
    if (wasLeaf && isPresent && !isLeaf) return STACK_SPLIT_LINK;
    if (inFault && !wasPresent && isPresent) return isLeaf ? STACK_FAULT_LEAF : STACK_FAULT_LINK;
    return STACK_CHANGED;
  }

  /** The replayer's PushFields, cleared and set up for one event. */
  private fields(anchor: string | null, stack: StackCode, lock: LockMode): PushFields {
    const f = this.pushFields;
    f.anchor = anchor; f.stack = stack; f.lock = lock;
    f.root = undefined; f.gfn = undefined; f.level = undefined; f.old = undefined; f.nu = undefined; f.result = undefined;
    f.rootBy = 0; f.asId = 0; f.a = undefined; f.b = undefined; f.c = undefined;
    return f;
  }

  /** Record the current trace record (this.head) as an event of `as`. */
  private push(as: AddressSpace, ctx: CpuContext, e: PushFields): number {
    const r = this.head;
    const b = as.builder;
    // Steps group consecutive records of one task on one CPU; the step index is the first line.
    const stepKey = r.cpu * 4194304 + r.pid;
    if (stepKey !== as.lastStepKey) {
      // A pid renamed on this CPU gets a new step name (the byte parser hands out one string per
      // task name, so the comparison is mostly a pointer test).
      let step = this.stepOps.get(stepKey);
      if (step === undefined || step.task !== r.task) {
        step = { task: r.task, op: `${r.task}-${r.pid} [${String(r.cpu).padStart(3, '0')}]` };
        this.stepOps.set(stepKey, step);
      }
      b.beginStep(r.line, step.op);
      as.lastStepKey = stepKey;
    }
    const site = this.site(as, r.event, e.anchor);
    site.records++;
    const seq = b.pushSite(site.id, {
      parent: null, lock: e.lock, vcpu: ctx.inFault ? ctx.vcpu : null,
      root: e.root, gfn: e.gfn, level: e.level, old_spte: e.old, new_spte: e.nu, result: e.result,
    });
    as.cols.set(seq, r.time, r.cpu, r.task, r.line, e.stack, e.rootBy, e.asId, e.a, e.b, e.c);
    return seq;
  }

  private site(as: AddressSpace, fn: string, anchor: string | null): EventSite {
    let site = as.sites.get(fn);
    if (site === undefined) {
      site = { id: as.builder.site('trace', fn, anchor), records: 0 };
      as.sites.set(fn, site);
    }
    return site;
  }

  private mismatchSeverity(line: number): Severity {
    return this.lostAtLine > 0 && this.lostAtLine <= line ? 'info' : 'warning';
  }

  private report(as: AddressSpace, seq: number, line: number, hits: RuleHit[]): void {
    for (const h of hits) {
      const findingSeq = as.builder.push({
        kind: 'invariant', fn: h.rule, anchor: h.anchor, parent: seq, lock: 'none', vcpu: null,
        message: h.message, args: { severity: h.severity, line },
      });
      as.cols.setLine(findingSeq, line);
      as.findings.push({ vm: as.key, seq, findingSeq, line, rule: h.rule, severity: h.severity, message: h.message, anchor: h.anchor });
    }
  }
}
