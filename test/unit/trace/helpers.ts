// Building trace text for tests: records written in the kernel's exact line format.
import type { PgLevel } from '../../../src/sim/types';
import { makeLeafSpte, make_nonleaf_spte, SHADOW_NONPRESENT_VALUE, FROZEN_SPTE } from '../../../src/sim';
import { formatTraceLine, ftraceHeader } from '../../../src/trace/format';
import type { TraceEventFields, TraceRecord } from '../../../src/trace/tracepoints';
import { importTrace } from '../../../src/trace/import';
import type { ImportOptions, TraceImport } from '../../../src/trace/import';
import { textSource } from '../../../src/trace/reader';

export const NP = SHADOW_NONPRESENT_VALUE;
export const FROZEN = FROZEN_SPTE;
export const leaf = (pfn: number, level: PgLevel = 1, writable = true): bigint => makeLeafSpte({ pfn, level, writable });
export const table = (pfn: number): bigint => make_nonleaf_spte(pfn);

/** A trace under construction: each call appends one record on the given CPU/task. */
export class TraceText {
  private lines: string[] = [];
  private t = 100;
  constructor(private task = 'CPU 0/KVM', private pid = 4242) {}

  on(task: string, pid: number): this {
    this.task = task;
    this.pid = pid;
    return this;
  }

  add(f: TraceEventFields, cpu = 0): this {
    this.t += 0.000001;
    const r = { line: 0, task: this.task, pid: this.pid, tgid: null, cpu, flags: '.....', time: Number(this.t.toFixed(6)), ...f } as TraceRecord;
    this.lines.push(formatTraceLine(r));
    return this;
  }

  raw(line: string): this {
    this.lines.push(line);
    return this;
  }

  changed(gfn: number, level: PgLevel, old: bigint, nu: bigint, cpu = 0, as_id = 0): this {
    return this.add({ event: 'kvm_tdp_mmu_spte_changed', as_id, gfn, level, old_spte: old, new_spte: nu }, cpu);
  }

  fault(address: bigint, vcpu = 0, cpu = 0): this {
    return this.add({ event: 'kvm_page_fault', vcpu, rip: 0xffffffff81000000n, address, error_code: 0x182n }, cpu);
  }

  requested(gfn: number, level: PgLevel, pfn: number, cpu = 0): this {
    return this.add({ event: 'kvm_mmu_spte_requested', gfn, pfn: BigInt(pfn), level }, cpu);
  }

  setSpte(gfn: number, level: PgLevel, spte: bigint, cpu = 0): this {
    return this.add({ event: 'kvm_mmu_set_spte', gfn, spte, access: 'rwx', level, sptep: 0x1000000n + BigInt(gfn * 8) }, cpu);
  }

  split(gfn: number, level: PgLevel, spte: bigint, errno = 0, cpu = 0): this {
    return this.add({ event: 'kvm_mmu_split_huge_page', gfn, spte, level, errno }, cpu);
  }

  /** A 4-level fault installing a 4K leaf at gfn under fresh tables (pfns from base). */
  freshFault4K(gfn: number, leafPfn: number, tableBase: number, cpu = 0): this {
    this.requested(gfn, 1, leafPfn, cpu);
    const g = (l: number) => gfn - (gfn % 512 ** (l - 1));
    this.changed(g(4), 4, NP, table(tableBase), cpu);
    this.changed(g(3), 3, NP, table(tableBase + 1), cpu);
    this.changed(g(2), 2, NP, table(tableBase + 2), cpu);
    this.changed(gfn, 1, NP, leaf(leafPfn), cpu);
    return this.setSpte(gfn, 1, leaf(leafPfn), cpu);
  }

  text(header = true): string {
    return (header ? ftraceHeader(this.lines.length, 4) + '\n' : '') + this.lines.join('\n') + '\n';
  }
}

export function replay(t: TraceText | string, opts: ImportOptions = {}): Promise<TraceImport> {
  return importTrace(textSource('test.trace', typeof t === 'string' ? t : t.text()), opts);
}
