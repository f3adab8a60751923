// Debug threads of a simulated VM: one per kernel context, as a kernel debugger shows one per
// task: each vCPU thread (page faults, vCPU ioctls) and the VM-wide context (VM ioctls, MMU
// notifiers, teardown), which is where an event with no vCPU ran. The simulation is one
// interleaved timeline, so every thread stops together; a thread other than the one that ran
// the current event is shown where it last ran (its latest event at or before the position).
// A scenario with one vCPU, and a replayed trace (ftrace CPUs are not kernel contexts the replay
// can follow), have one thread: a client then shows its stack and stop reason without a click.
import type { Recording, SimEvent } from '../sim/types';

export interface KernelThread {
  id: number;
  name: string;
  /** The vCPU whose events the thread runs; null: the VM-wide context (events without a vCPU). */
  vcpu: number | null;
}

/** How far back a thread's latest event is looked for (events, so a step stays cheap). */
export const LAST_EVENT_WINDOW = 16384;

export class KernelThreads {
  readonly list: KernelThread[];

  private readonly vcpus?: number;

  /** `vcpus`: the scenario's vCPU count; undefined or 1: one thread for the whole recording. */
  constructor(name: string, vcpus?: number) {
    this.vcpus = vcpus !== undefined && vcpus > 1 ? vcpus : undefined;
    this.list = this.vcpus === undefined
      ? [{ id: 1, name: `${name} (simulated kernel)`, vcpu: null }]
      : [{ id: 1, name: 'VM (ioctls, MMU notifiers, teardown)', vcpu: null },
        ...Array.from({ length: this.vcpus }, (_, n) => ({ id: n + 2, name: `vCPU ${n}`, vcpu: n }))];
  }

  /** The thread that ran event `seq`. A scenario step's own event carries no vCPU: it belongs
   *  to the thread of the first event inside it (a fault's vCPU). */
  idAt(rec: Recording, seq: number): number {
    if (this.vcpus === undefined) return 1;
    let ev = rec.event(seq);
    if (ev.kind === 'step' && seq + 1 < rec.length) {
      const next = rec.event(seq + 1);
      if (next.step === ev.step) ev = next;
    }
    return this.idOf(ev);
  }

  private idOf(ev: SimEvent): number {
    return this.vcpus === undefined || ev.vcpu === null || ev.vcpu === undefined ? 1 : ev.vcpu + 2;
  }

  has(id: number): boolean {
    return this.list.some((t) => t.id === id);
  }

  /** The latest event at or before `pos` that thread `id` ran, if one is within LAST_EVENT_WINDOW. */
  lastEventOf(rec: Recording, id: number, pos: number): number | undefined {
    for (let s = pos; s >= 0 && s > pos - LAST_EVENT_WINDOW; s--) {
      if (this.idAt(rec, s) === id) return s;
    }
    return undefined;
  }
}
