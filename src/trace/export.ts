// recordingToTrace(): a Recording of the simulator written as the kernel would have traced it,
// in the exact ftrace format. This is how test traces are made: simulate a scenario, export,
// import, and the replayed page tables must equal the simulated ones.
//
// Which simulator events become which tracepoint, as in the kernel:
//  - kvm_tdp_mmu_map (call)                  → kvm_page_fault (the EPT violation that led to it)
//                                              and kvm_mmu_spte_requested (its first tracepoint);
//  - handle_changed_spte at its trace anchor → kvm_tdp_mmu_spte_changed (old != new);
//    inside tdp_mmu_map_handle_target_level, a new present leaf is followed by kvm_mmu_set_spte;
//  - trace_kvm_mmu_split_huge_page           → kvm_mmu_split_huge_page.
// GFNs are printed as the kernel prints them: without a TD's shared bit (iter->gfn excludes
// kvm_gfn_direct_bits), except inside __tdp_mmu_zap_root, which walks the whole root with
// gfn_bits 0. The fault's GPA keeps the bit. Tasks, CPUs and times are made up: a vCPU thread
// "CPU n/KVM" on CPU n, VM-wide paths in "qemu-system-x86" on the CPU after the last vCPU, one
// microsecond per event.
import type { PgLevel, Recording, RootKind, SimEvent, Spte } from '../sim/types';
import * as sim from '../sim';
import type { TraceEventFields, TraceRecord } from './tracepoints';
import { formatTraceLine, ftraceHeader } from './format';

const { is_last_spte, is_shadow_present_pte, spte_to_pfn, pagesPerHpage, spteIndex } = sim;

export interface ExportOptions {
  /** GFN bit of the TD's shared bit (35 for 4-level EPT, 39 for 5-level). Default: 35, or 39
   *  when a direct-root GFN of the recording is at or above 2^39; ignored without a mirror root. */
  sharedBit?: 35 | 39;
  /** Seconds of the first line. Default 1. */
  startTime?: number;
}

const ERRNOS: Record<string, number> = { '0': 0, '-ENOMEM': -12, '-EBUSY': -16, '-EIO': -5, '-EOPNOTSUPP': -95, '-EINVAL': -22, '-EEXIST': -17, '-EAGAIN': -11 };
const VMM_TASK = 'qemu-system-x86';

function errnoOf(result: string | undefined): number {
  if (result === undefined) return 0;
  if (result in ERRNOS) return ERRNOS[result];
  const n = Number(result);
  return Number.isInteger(n) ? n : -5;
}

/** The lines (without header) of a recording as ftrace would print them. */
export function* recordingTraceLines(rec: Recording, opts: ExportOptions = {}): Generator<string> {
  // First pass: is it a TD, where is the shared bit, which CPU do VM-wide paths run on.
  let td = false, maxVcpu = -1, highDirect = false;
  for (let i = 0; i < rec.length; i++) {
    const ev = rec.event(i);
    if (ev.root === 'mirror') td = true;
    if (ev.vcpu !== null && ev.vcpu > maxVcpu) maxVcpu = ev.vcpu;
    if (ev.root === 'direct' && ev.gfn !== undefined && ev.gfn >= 2 ** 39) highDirect = true;
  }
  const bit = td ? (opts.sharedBit ?? (highDirect ? 39 : 35)) : null;
  const vmmCpu = maxVcpu + 1;
  const t0 = opts.startTime ?? 1;

  /** The GFN KVM prints for an entry of `root` named by its position. */
  const kernelGfn = (ev: SimEvent, root: RootKind | undefined, gfn: number): number => {
    if (bit === null || root !== 'direct' || ev.stack.includes('__tdp_mmu_zap_root')) return gfn;
    const b = 2 ** bit;
    return Math.floor(gfn / b) % 2 === 1 ? gfn - b : gfn;
  };
  // Current entries, to find the page table holding an SPTE (for kvm_mmu_set_spte's sptep).
  const tables = new Map<string, Spte>();
  const key = (t: string, gfn: number, level: number): string => `${t}:${gfn}:${level}`;

  const line = (ev: SimEvent, f: TraceEventFields): string => {
    const vcpu = ev.vcpu;
    const r = {
      line: 0, task: vcpu === null ? VMM_TASK : `CPU ${vcpu}/KVM`, pid: vcpu === null ? 1000 : 1001 + vcpu, tgid: null,
      cpu: vcpu === null ? vmmCpu : vcpu, flags: vcpu === null ? '.....' : 'd..1.', time: Number((t0 + ev.seq * 1e-6).toFixed(6)), ...f,
    } as TraceRecord;
    return formatTraceLine(r);
  };

  for (let i = 0; i < rec.length; i++) {
    const ev = rec.event(i);
    for (const w of ev.writes ?? []) if (w.table !== 'sept') tables.set(key(w.table, w.gfn, w.level), w.new);

    if (ev.kind === 'call' && ev.fn === 'kvm_tdp_mmu_map' && ev.gfn !== undefined && ev.level !== undefined) {
      const gpa = BigInt(ev.gfn) << 12n;
      const write = ev.args?.write;
      yield line(ev, { event: 'kvm_page_fault', vcpu: ev.vcpu ?? 0, rip: 0xffffffff81000000n, address: gpa, error_code: write === false ? 0x181n : 0x182n });
      const g = kernelGfn(ev, ev.root, ev.gfn);
      yield line(ev, { event: 'kvm_mmu_spte_requested', gfn: g, pfn: faultPfn(rec, i, g, ev.level), level: ev.level });
    } else if (ev.kind === 'call' && ev.fn === 'handle_changed_spte' && ev.anchor === 'handle_changed_spte.trace'
      && ev.gfn !== undefined && ev.level !== undefined && ev.old_spte !== undefined && ev.new_spte !== undefined) {
      const g = kernelGfn(ev, ev.root, ev.gfn);
      yield line(ev, { event: 'kvm_tdp_mmu_spte_changed', as_id: 0, gfn: g, level: ev.level, old_spte: ev.old_spte, new_spte: ev.new_spte });
      if (ev.stack.includes('tdp_mmu_map_handle_target_level') && is_shadow_present_pte(ev.new_spte) && is_last_spte(ev.new_spte, ev.level)) {
        yield line(ev, { event: 'kvm_mmu_set_spte', gfn: g, spte: ev.new_spte, access: accessOf(ev.new_spte), level: ev.level, sptep: sptep(tables, ev.root ?? 'direct', ev.gfn, ev.level) });
      }
    } else if (ev.anchor === 'tdp_mmu_split_huge_page.trace' && ev.gfn !== undefined && ev.level !== undefined && ev.old_spte !== undefined) {
      yield line(ev, { event: 'kvm_mmu_split_huge_page', gfn: kernelGfn(ev, ev.root, ev.gfn), spte: ev.old_spte, level: ev.level, errno: errnoOf(ev.result) });
    }
  }

  /** virt_to_phys(sptep): the page table is the one the parent entry points to. */
  function sptep(t: Map<string, Spte>, root: RootKind, gfn: number, level: PgLevel): bigint {
    const up = level + 1;
    const parent = t.get(key(root, gfn - (gfn % pagesPerHpage(up as PgLevel)), up));
    const table = parent !== undefined && is_shadow_present_pte(parent) ? spte_to_pfn(parent) : 0n;
    return (table << 12n) + BigInt(spteIndex(gfn, level) * 8);
  }
}

/** trace_kvm_mmu_spte_requested prints fault->pfn | (gfn & (KVM_PAGES_PER_HPAGE(goal) - 1)):
 *  the pfn of the leaf this fault installs, at the GFN's offset. 0 when it installs none. */
function faultPfn(rec: Recording, callSeq: number, gfn: number, goal: PgLevel): bigint {
  for (let i = callSeq + 1; i < rec.length; i++) {
    const ev = rec.event(i);
    if (ev.parent === null || ev.parent < callSeq) break;
    if (ev.fn === 'handle_changed_spte' && ev.new_spte !== undefined && ev.level !== undefined && is_shadow_present_pte(ev.new_spte) && is_last_spte(ev.new_spte, ev.level)) {
      return spte_to_pfn(ev.new_spte) | BigInt(gfn % pagesPerHpage(goal));
    }
  }
  return 0n;
}

/** The "(%s%s%s%s)" group of kvm_mmu_set_spte with the EPT masks (spte.c kvm_mmu_set_ept_masks):
 *  r is always printed (shadow_present_mask is non-zero), w is PT_WRITABLE_MASK, x is
 *  is_executable_pte(), and u is printed because shadow_user_mask is VMX_EPT_READABLE_MASK. */
function accessOf(spte: Spte): string {
  return `r${spte & 2n ? 'w' : '-'}${spte & 4n ? 'x' : '-'}${spte & 1n ? 'u' : '-'}`;
}

/** The whole recording as /sys/kernel/tracing/trace text (with its header). */
export function recordingToTrace(rec: Recording, opts: ExportOptions = {}): string {
  const lines = [...recordingTraceLines(rec, opts)];
  let cpus = 1;
  for (let i = 0; i < rec.length; i++) {
    const v = rec.event(i).vcpu;
    if (v !== null && v + 2 > cpus) cpus = v + 2;
  }
  return `${ftraceHeader(lines.length, cpus)}\n${lines.join('\n')}\n`;
}
