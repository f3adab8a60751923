// The public contract of the simulator core. Everything outside src/sim/ (CLI, linker,
// review aid, trace replay, debug adapter, extension, webview) consumes these types and
// nothing else from the model's internals. Pure TypeScript: never import `vscode` here.

/** A 64-bit SPTE or S-EPT entry value. Always bigint: JS numbers lose bits above 2^53. */
export type Spte = bigint;

/** enum pg_level: PG_LEVEL_4K = 1, 2M = 2, 1G = 3, 512G = 4, 256T = 5 (5-level paging root). */
export type PgLevel = 1 | 2 | 3 | 4 | 5;

/** Which TDP root an SPTE lives in: the direct root (shared memory, non-TDX VMs) or the
 *  mirror root (TDX private memory), whose changes are propagated to the external S-EPT. */
export type RootKind = 'direct' | 'mirror';

/** kvm->mmu_lock as seen by the modelled code path. */
export type LockMode = 'none' | 'read' | 'write';

export type ProfileName = 'pre-tdx' | 'mainline' | 'hugepage-rfc-v2';
export const PROFILE_NAMES: readonly ProfileName[] = ['pre-tdx', 'mainline', 'hugepage-rfc-v2'];

/**
 * What an event is:
 *  - call:      a modelled kernel function was entered (tdp_mmu_set_spte, handle_removed_pt, ...)
 *  - hook:      a kvm_x86_ops external page-table hook was invoked (link_external_spt, ...)
 *  - seamcall:  the TDX module was asked to do something (TDH.MEM.PAGE.AUG, ...), with its result
 *  - kvm_bug:   a KVM_BUG_ON fired; the VM is bugged from here on
 *  - warn:      a WARN_ON/WARN_ON_ONCE fired (the VM goes on)
 *  - invariant: an invariant check failed after the previous event (reported, never thrown)
 *  - step:      a scenario step (or a trace line group) begins; `stack` is empty
 *  - trace:     a replayed tracepoint record (trace import only)
 */
export type EventKind = 'call' | 'hook' | 'seamcall' | 'kvm_bug' | 'warn' | 'invariant' | 'step' | 'trace';

/** A write to one page-table entry, so that state can be rebuilt event by event (and backward). */
export interface EntryWrite {
  /** 'sept' is the TDX module's Secure-EPT (the external page table). */
  table: RootKind | 'sept';
  gfn: number;     // first GFN covered by the entry (aligned to the level)
  level: PgLevel;  // the level *containing* the entry, as tdp_iter.level
  old: Spte;
  new: Spte;
}

export interface SimEvent {
  /** 0-based position in the recording. */
  seq: number;
  kind: EventKind;
  /** Kernel function, hook or SEAMCALL name exactly as the kernel/TDX spec spells it,
   *  e.g. 'tdp_mmu_set_spte', 'split_external_spt', 'TDH.MEM.PAGE.DEMOTE', 'KVM_BUG_ON'. */
  fn: string;
  /** Modelled kernel call stack, outermost first; for call/hook/seamcall events the last entry is `fn`. */
  stack: string[];
  /** seq of the enclosing call event, or null at top level. */
  parent: number | null;
  /** Symbolic source anchor: an id from ANCHORS (src/sim/anchors.ts), resolved to lines by src/kernel/. */
  anchor: string | null;
  /** Index of the scenario step (or trace record) that produced this event. */
  step: number;
  /** mmu_lock mode held when the event happened. */
  lock: LockMode;
  /** vCPU that drove this path, when one did (faults); null for VM-wide paths. */
  vcpu: number | null;
  root?: RootKind;
  gfn?: number;
  level?: PgLevel;
  old_spte?: Spte;
  new_spte?: Spte;
  /** Result as the kernel would print it: '0', '-EBUSY', 'TDX_SUCCESS', 'TDX_OPERAND_BUSY', ... */
  result?: string;
  /** Raw 64-bit TDX status for seamcall events. */
  status?: Spte;
  /** Other named arguments as the kernel names them (as_id, shared, pfn, external_spt, ...). */
  args?: Record<string, string | number | boolean | bigint>;
  /** Human-readable reason for kvm_bug / warn / invariant events, and notes on decisions. */
  message?: string;
  /** Entry writes this event performed (empty for pure calls). */
  writes?: EntryWrite[];
  /** Trace import only: timestamp in seconds, CPU, task as printed by ftrace. */
  time?: number;
  cpu?: number;
  task?: string;
}

/** One entry of a table walk, root level first. */
export interface WalkEntry {
  level: PgLevel;
  gfn: number;     // first GFN covered by this entry
  spte: Spte;
}

/** The simulated state after a given event (or before the first one). Immutable view. */
export interface SimState {
  /** The event this state follows; -1 for the initial state. */
  seq: number;
  lock: LockMode;
  /** Set once a KVM_BUG_ON fired: where and why. */
  bugged: { seq: number; reason: string } | null;
  /** Walk a root (or the S-EPT) for a GFN from the top level down to the leaf or the first
   *  non-present entry. Empty when the table does not exist (e.g. no mirror root). */
  walk(table: RootKind | 'sept', gfn: number): WalkEntry[];
  /** All present entries of one table page: the 512 slots of the table at `level` covering `gfn`. */
  tableAt(table: RootKind | 'sept', gfn: number, level: PgLevel): WalkEntry[];
  /** Number of present leaf entries per level in a table. */
  leafCounts(table: RootKind | 'sept'): Partial<Record<PgLevel, number>>;
}

export interface ExpectationResult {
  step: number;
  description: string;
  ok: boolean;
  actual: string;
}

/** Where a scenario step came from, for error messages, breakpoints in scenario files and CodeLens. */
export interface SourceLocation {
  file: string;
  line: number;   // 1-based
  column: number; // 1-based
}

/** A finished, replayable simulation (or an imported trace). Random access is cheap in both
 *  directions: stepping to any seq must not replay from the start. */
export interface Recording {
  readonly profile: ProfileName;
  readonly name: string;
  readonly length: number;
  event(seq: number): SimEvent;
  stateAt(seq: number): SimState;
  /** Scenario steps in order with their source locations (if the recording came from a file). */
  readonly steps: ReadonlyArray<{ index: number; op: string; source?: SourceLocation; firstSeq: number }>;
  readonly expectations: ReadonlyArray<ExpectationResult>;
}
