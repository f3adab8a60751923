// importTrace(): the public entry point of trace replay. Streams the file (progress, cancel),
// decides per VM what the trace cannot say directly from its first records (TDX or not, where
// the shared bit is, 4- or 5-level roots), replays every record into Recordings and collects
// the findings.
//
// For the UI ("TDP MMU: Open Trace…"):
//   const ac = new AbortController();                 // token.onCancellationRequested(() => ac.abort())
//   const t = await importTrace(fileSource(path), {
//     signal: ac.signal,
//     onProgress: (p) => progress.report({ message: `${p.records} records`, increment: ... }),
//   });
//   t.vms[0].recording  → the stepper / debugger; t.findings → problems; summarize(t) → a table.
// Cancelling rejects with the signal's AbortError (name 'AbortError').
import type { ProfileName } from '../sim/types';
import { checkMaxEvents } from '../sim';
import type { ParseOptions, ParseStats, RecordSink, TraceSource } from './reader';
import { fileSource, parseTrace } from './reader';
import type { TraceRecord } from './tracepoints';
import type { VmType } from './rules';
import type { TraceFinding, VmPlan, VmReplay } from './replay';
import { TraceReplayer, vmOf } from './replay';
import type { SharedGfnBit } from './tdx';
import { sharedBitOfGfn, sharedBitOfGpa, stripSharedBit } from './tdx';

export interface ImportOptions extends ParseOptions {
  /** Kernel generation the trace came from; decides the mirror rules. Default 'mainline'. */
  profile?: ProfileName;
  /** 'auto' (default): a TD when a GFN or fault GPA carries the TDX shared bit. */
  vmType?: 'auto' | VmType;
  /** How records are assigned to VMs; see replay.ts. Default 'single'. */
  vmIdentity?: 'single' | 'tgid';
  /** Records read before deciding the per-VM plans. Default 65536. */
  lookahead?: number;
  /** Stop replaying before the first record met with this many events recorded (over all VMs),
   *  and stop reading at the end of that chunk (tdpMmuSim.maxEvents). Default: no limit. */
  maxEvents?: number;
}

export interface TraceImport {
  file: string;
  profile: ProfileName;
  parse: ParseStats;
  /** One replay per VM address space, sorted by key ("vm", "vm/as1", "tgid:42", ...). */
  vms: VmReplay[];
  /** Every finding of every VM, by line. */
  findings: TraceFinding[];
  /** Set when maxEvents stopped the replay: records from `line` on were not replayed. */
  truncated: { maxEvents: number; line: number } | null;
}

export const DEFAULT_LOOKAHEAD = 65536;

const P36 = 2 ** 36;

/** What the first records of a VM prove. */
interface Evidence {
  tdx: { bit: SharedGfnBit; reason: string } | null;
  level5: string | null;
}

function gatherEvidence(records: readonly TraceRecord[], identity: 'single' | 'tgid'): Map<string, Evidence> {
  const ev = new Map<string, Evidence>();
  for (const r of records) {
    const vm = vmOf(r, identity);
    let e = ev.get(vm);
    if (!e) ev.set(vm, e = { tdx: null, level5: null });
    if (!e.tdx) {
      const bit = r.event === 'kvm_page_fault' ? sharedBitOfGpa(r.address) : r.event === 'kvm_mmu_spte_requested' ? null : sharedBitOfGfn(r.gfn);
      if (bit !== null) {
        const where = r.event === 'kvm_page_fault' ? `GPA 0x${r.address.toString(16)} of kvm_page_fault` : `GFN 0x${r.gfn.toString(16)} of ${r.event}`;
        e.tdx = { bit, reason: `TDX shared bit (GPA bit ${bit + 12}) in the ${where} at line ${r.line}` };
      }
    }
    if (!e.level5) {
      if (r.event !== 'kvm_page_fault' && r.level === 5) e.level5 = `level-5 ${r.event} at line ${r.line}`;
      else if (r.event !== 'kvm_page_fault' && stripSharedBit(r.gfn, e.tdx?.bit ?? sharedBitOfGfn(r.gfn)) >= P36) {
        e.level5 = `GFN 0x${r.gfn.toString(16)} beyond 4-level paging at line ${r.line}`;
      }
    }
  }
  return ev;
}

function makePlan(e: Evidence | undefined, opts: ImportOptions, seen: number): VmPlan {
  const rootLevel: 4 | 5 = e?.level5 ? 5 : 4;
  const rootLevelReason = e?.level5 ? `5-level paging: ${e.level5}` : `4-level paging: no level-5 SPTE in the first ${seen} records`;
  const forced = opts.vmType && opts.vmType !== 'auto' ? opts.vmType : null;
  if (forced === 'vmx') return { vmType: 'vmx', vmTypeReason: '--vm-type vmx', sharedBit: null, rootLevel, rootLevelReason };
  if (e?.tdx) return { vmType: 'tdx', vmTypeReason: forced ? `--vm-type tdx; ${e.tdx.reason}` : e.tdx.reason, sharedBit: e.tdx.bit, rootLevel, rootLevelReason };
  if (forced === 'tdx') {
    // No shared-bit GFN seen: the TD's GPA width follows its EPT depth (TDX_SHARED_BIT_PWL_4/5).
    return { vmType: 'tdx', vmTypeReason: '--vm-type tdx', sharedBit: rootLevel === 5 ? 39 : 35, rootLevel, rootLevelReason };
  }
  return {
    vmType: 'vmx', sharedBit: null, rootLevel, rootLevelReason,
    vmTypeReason: `no GFN or fault GPA with a TDX shared bit in the first ${seen} records: replayed as a non-TDX VM (every SPTE in the direct root); pass --vm-type tdx if this is a TD`,
  };
}

/** Read, replay and check a trace. Rejects with NotATraceError (binary trace.dat), I/O errors,
 *  or the AbortError of opts.signal; everything wrong inside the text becomes a warning or a finding. */
export async function importTrace(source: TraceSource, opts: ImportOptions = {}): Promise<TraceImport> {
  const profile = opts.profile ?? 'mainline';
  const identity = opts.vmIdentity ?? 'single';
  const lookahead = opts.lookahead ?? DEFAULT_LOOKAHEAD;
  const maxEvents = opts.maxEvents === undefined ? Infinity : checkMaxEvents(opts.maxEvents);
  let truncated: TraceImport['truncated'] = null;
  const traceHas = { faults: false, splits: false };
  let replayer: TraceReplayer | null = null;
  let pending: TraceRecord[] = [];
  const lostBeforeStart: number[] = [];

  const start = (): TraceReplayer => {
    for (const r of pending) {
      if (r.event === 'kvm_page_fault' || r.event === 'kvm_mmu_spte_requested') traceHas.faults = true;
      else if (r.event === 'kvm_mmu_split_huge_page') traceHas.splits = true;
    }
    const evidence = gatherEvidence(pending, identity);
    const seen = pending.length;
    const rp = new TraceReplayer({
      file: source.name, profile, vmIdentity: identity, traceHas,
      planFor: (vm, first) => makePlan(evidence.get(vm) ?? gatherEvidence([first], identity).get(vm), opts, evidence.has(vm) ? seen : 1),
    });
    for (const l of lostBeforeStart) rp.noteLostEvents(l);
    return rp;
  };
  const feed = (rp: TraceReplayer, r: TraceRecord): void => {
    if (truncated) return;
    if (maxEvents !== Infinity && rp.events >= maxEvents) {
      truncated = { maxEvents, line: r.line };
      return;
    }
    const event = r.event;
    if (event === 'kvm_page_fault' || event === 'kvm_mmu_spte_requested') traceHas.faults = true;
    else if (event === 'kvm_mmu_split_huge_page') traceHas.splits = true;
    rp.feed(r);
  };

  // Buffers the lookahead, then hands every record to the replayer. One push function for
  // the whole read (a branch, not a reassigned property: that would change the sink's map
  // and deoptimize the reader's loop).
  const sink: RecordSink = {
    push(r: TraceRecord): void {
      if (replayer !== null) return feed(replayer, r);
      pending.push(r);
      if (pending.length < lookahead) return;
      const rp = replayer = start();
      for (const p of pending) feed(rp, p);
      pending = [];
    },
  };
  const stats = await parseTrace(source, sink, {
    ...opts,
    stopWhen: () => truncated !== null,
    onLostEvents: (l) => {
      if (replayer) replayer.noteLostEvents(l.line); else lostBeforeStart.push(l.line);
      opts.onLostEvents?.(l);
    },
  });
  if (!replayer) {
    replayer = start();
    for (const p of pending) feed(replayer, p);
  }
  const vms = replayer.finish();
  const findings = vms.flatMap((v) => v.findings).sort((a, b) => a.line - b.line || (a.vm < b.vm ? -1 : a.vm > b.vm ? 1 : 0) || a.findingSeq - b.findingSeq);
  return { file: source.name, profile, parse: stats, vms, findings, truncated };
}

export function importTraceFile(path: string, opts: ImportOptions = {}): Promise<TraceImport> {
  return importTrace(fileSource(path), opts);
}

/** The address spaces of an import that have events, most events first (ties by key): what the
 *  stepper offers, and the first is what a debug session replays unless told otherwise. */
export function replaysByEvents(t: TraceImport): VmReplay[] {
  return t.vms.filter((v) => v.recording.length > 0)
    .sort((a, b) => b.recording.length - a.recording.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The address space `key` ("vm", "vm/as1", "tgid:42", ...); the Error names the ones there are. */
export function replayNamed(t: TraceImport, key: string): VmReplay {
  const v = t.vms.find((x) => x.key === key);
  if (v) return v;
  const there = replaysByEvents(t).map((x) => `${x.key} (${x.recording.length} events)`).join(', ');
  throw new Error(`${t.file} has no address space '${key}'; it has ${there || 'none with events'}`);
}
