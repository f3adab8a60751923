// A replayed trace as a Recording. The simulator's RecordingBuilder stores the events and the
// page-table writes compactly; what every trace event has on top (timestamp, CPU, task, trace
// line, the inferred kernel stack, how its root was decided, and its tracepoint payload) is
// kept here in typed columns, one slot per event, and merged in when an event is read. That
// keeps a million-record trace free of per-event JS objects (memory and GC).
import type { ExpectationResult, PgLevel, ProfileName, Recording, RootKind, SimEvent, SimState } from '../sim/types';
import { expectedHook } from './rules';
import { Interner } from '../sim/recording';

/** Kernel frames above each tracepoint, inferred from the kind of change (see replay.ts). */
export const STACKS: readonly (readonly string[])[] = [
  [],
  ['handle_changed_spte'],
  ['handle_removed_pt', 'handle_changed_spte'],
  ['tdp_mmu_split_huge_page', 'tdp_mmu_link_sp', 'handle_changed_spte'],
  ['kvm_tdp_mmu_map', 'tdp_mmu_map_handle_target_level', 'tdp_mmu_set_spte_atomic', 'handle_changed_spte'],
  ['kvm_tdp_mmu_map', 'tdp_mmu_link_sp', 'tdp_mmu_set_spte_atomic', 'handle_changed_spte'],
  ['kvm_tdp_mmu_map'],
  ['tdp_mmu_split_huge_page'],
];
export type StackCode = number;

export const ROOT_BY = ['vm', 'shared-bit', 'consistent', 'fault', 'parent', 'assumed'] as const;
export type RootInference = typeof ROOT_BY[number];

const ACCESS = ['r', 'w', 'x'];

function grow<T extends Float64Array | Int32Array | Uint16Array | Uint8Array | BigUint64Array>(arr: T, n: number): T {
  if (n < arr.length) return arr;
  const next = new (arr.constructor as { new(len: number): T })(Math.max(n + 1, arr.length * 2));
  next.set(arr as never);
  return next;
}

/** The typed columns, indexed by event seq. */
export class TraceColumns {
  time = new Float64Array(1024);
  cpu = new Int32Array(1024);
  task = new Uint16Array(1024);
  line = new Int32Array(1024);
  stack = new Uint8Array(1024);
  rootBy = new Uint8Array(1024);
  asId = new Uint8Array(1024);
  a = new BigUint64Array(1024);
  b = new BigUint64Array(1024);
  c = new BigUint64Array(1024);
  readonly tasks = new Interner();
  private lastTask: string | null = null;
  private lastTaskId = 0;
  /** Strings referenced from payloads (kvm_mmu_get_page role descriptors). */
  readonly strings = new Interner();
  length = 0;

  /** a, b, c: the tracepoint payload, up to three 64-bit values (undefined: none). */
  set(seq: number, time: number, cpu: number, task: string, line: number, stack: StackCode, rootBy: number, asId: number,
    a: bigint | undefined, b: bigint | undefined, c: bigint | undefined): void {
    if (seq >= this.time.length) this.reserve(seq);
    this.time[seq] = time;
    this.cpu[seq] = cpu;
    // Consecutive events are mostly of one task, whose name string is interned by the parser.
    if (task !== this.lastTask) {
      this.lastTask = task;
      this.lastTaskId = this.tasks.id(task);
    }
    this.task[seq] = this.lastTaskId;
    this.line[seq] = line;
    this.stack[seq] = stack;
    this.rootBy[seq] = rootBy;
    this.asId[seq] = asId;
    if (a !== undefined) this.a[seq] = a;
    if (b !== undefined) this.b[seq] = b;
    if (c !== undefined) this.c[seq] = c;
    if (seq >= this.length) this.length = seq + 1;
  }

  /** The line of an event that is not a trace record (a finding): its trace event's line. */
  setLine(seq: number, line: number): void {
    if (seq >= this.time.length) this.reserve(seq);
    this.line[seq] = line;
    this.time[seq] = NaN;
    if (seq >= this.length) this.length = seq + 1;
  }

  private reserve(seq: number): void {
    this.time = grow(this.time, seq); this.cpu = grow(this.cpu, seq); this.task = grow(this.task, seq);
    this.line = grow(this.line, seq); this.stack = grow(this.stack, seq); this.rootBy = grow(this.rootBy, seq);
    this.asId = grow(this.asId, seq); this.a = grow(this.a, seq); this.b = grow(this.b, seq); this.c = grow(this.c, seq);
  }
}

/** Access flags of kvm_mmu_set_spte ("rwx", "r-xu", ...) as a small code and back. */
export function accessCode(access: string): bigint {
  let code = ACCESS_CODES.get(access);
  if (code === undefined) ACCESS_CODES.set(access, code = computeAccessCode(access));
  return code;
}
/** The few access texts a trace has, each coded once (one per kvm_mmu_set_spte otherwise). */
const ACCESS_CODES = new Map<string, bigint>();
function computeAccessCode(access: string): bigint {
  let v = 0;
  for (let i = 0; i < 3; i++) if (access[i] === ACCESS[i]) v |= 1 << i;
  if (access.length === 4) v |= access[3] === 'u' ? 0x18 : 0x08;
  return BigInt(v);
}
export function accessText(code: bigint): string {
  const v = Number(code);
  return ACCESS.map((c, i) => (v & (1 << i) ? c : '-')).join('') + (v & 0x08 ? (v & 0x10 ? 'u' : '-') : '');
}

const signed64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** The Recording of one replayed address space. */
export class TraceRecording implements Recording {
  constructor(
    private readonly inner: Recording,
    private readonly cols: TraceColumns,
    /** GFN bit of a TD's shared bit (direct-root entries are named with it), or null. */
    private readonly sharedBit: number | null,
  ) {}

  get profile(): ProfileName { return this.inner.profile; }
  get name(): string { return this.inner.name; }
  get length(): number { return this.inner.length; }
  get steps(): Recording['steps'] { return this.inner.steps; }
  get expectations(): ReadonlyArray<ExpectationResult> { return this.inner.expectations; }

  stateAt(seq: number): SimState {
    return this.inner.stateAt(seq);
  }

  /** Line of the trace file the event came from (for a finding: the line it is about). */
  lineOf(seq: number): number {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.length) throw new RangeError(`event ${seq} out of range 0..${this.length - 1}`);
    return this.cols.line[seq];
  }

  event(seq: number): SimEvent {
    const ev = this.inner.event(seq);
    const c = this.cols;
    if (ev.kind !== 'trace') {
      // A finding nested under its trace event: the trace event's stack plus the tracepoint.
      if (ev.parent !== null) ev.stack = [...STACKS[c.stack[ev.parent]], this.inner.event(ev.parent).fn];
      return ev;
    }
    ev.time = c.time[seq];
    ev.cpu = c.cpu[seq];
    ev.task = c.tasks.list[c.task[seq]];
    ev.stack = [...STACKS[c.stack[seq]]];
    ev.args = { ...ev.args, ...this.args(ev, seq) };
    return ev;
  }

  private args(ev: SimEvent, seq: number): Record<string, string | number | boolean | bigint> {
    const c = this.cols;
    const out: Record<string, string | number | boolean | bigint> = { line: c.line[seq] };
    switch (ev.fn) {
      case 'kvm_tdp_mmu_spte_changed': {
        out.as_id = c.asId[seq];
        const how = ROOT_BY[c.rootBy[seq]];
        if (how !== 'vm') out.root_by = how;
        if (ev.root === 'direct' && this.sharedBit !== null && how !== 'shared-bit' && ev.gfn !== undefined) out.traced_gfn = ev.gfn - 2 ** this.sharedBit;
        const hook = ev.root && ev.old_spte !== undefined && ev.new_spte !== undefined && ev.level !== undefined
          ? expectedHook(ev.root as RootKind, ev.old_spte, ev.new_spte, ev.level as PgLevel) : null;
        if (hook) out.expected_hook = hook;
        break;
      }
      case 'kvm_page_fault':
        out.address = c.a[seq];
        out.error_code = c.b[seq];
        if (ev.vcpu !== null) out.rip = c.c[seq];
        if (this.sharedBit !== null) out.private = ev.root === 'mirror';
        break;
      case 'kvm_mmu_spte_requested':
        out.pfn = c.a[seq];
        out.goal_level = ev.level ?? 0;
        break;
      case 'kvm_mmu_set_spte':
        out.sptep = c.a[seq];
        out.access = accessText(c.b[seq]);
        break;
      case 'kvm_mmu_split_huge_page':
        out.errno = Number(signed64(c.a[seq]));
        break;
      case 'kvm_mmu_get_page':
      case 'kvm_mmu_prepare_zap_page':
        out.role = c.strings.list[Number(c.a[seq])];
        if (c.b[seq] !== 0n) out.created = c.b[seq] === 2n;
        break;
    }
    return out;
  }
}
