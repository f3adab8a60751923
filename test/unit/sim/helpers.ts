// Scenario builders and recording queries shared by the simulator tests.
import type { PgLevel, ProfileName, Recording, SimEvent } from '../../../src/sim/types';
import type { Scenario, ScenarioStep, VmConfig } from '../../../src/sim/scenario-types';

export const M = 256; // 1 MiB in 4K pages

export function td(steps: ScenarioStep[], profile: ProfileName = 'mainline', vm: Partial<VmConfig> = {}): Scenario {
  return { name: 'test', profile, vm: { type: 'tdx', pages: 64 * M, paging_levels: 4, vcpus: 2, ...vm }, steps };
}

export function vmx(steps: ScenarioStep[], profile: ProfileName = 'pre-tdx', vm: Partial<VmConfig> = {}): Scenario {
  return { name: 'test', profile, vm: { type: 'vmx', pages: 64 * M, paging_levels: 4, vcpus: 2, ...vm }, steps };
}

export const fault = (gfn: number, o: { private?: boolean; max_level?: PgLevel; vcpu?: number } = {}): ScenarioStep =>
  ({ op: 'fault', gfn, private: o.private ?? true, write: true, max_level: o.max_level ?? 1, vcpu: o.vcpu ?? 0 });

export function events(rec: Recording): SimEvent[] {
  const out: SimEvent[] = [];
  for (let i = 0; i < rec.length; i++) out.push(rec.event(i));
  return out;
}

/** Events of a step. */
export const inStep = (rec: Recording, step: number): SimEvent[] => events(rec).filter((e) => e.step === step);

export const named = (evs: SimEvent[], fn: string): SimEvent[] => evs.filter((e) => e.fn === fn);

/** The fn names of call/hook/seamcall/kvm_bug events, in order. */
export const trail = (evs: SimEvent[]): string[] => evs.filter((e) => e.kind !== 'step').map((e) => e.fn);

/** `needle` appears in `hay` in order (not necessarily adjacent). */
export function inOrder(hay: string[], needle: string[]): boolean {
  let i = 0;
  for (const h of hay) if (h === needle[i]) i++;
  return i === needle.length;
}

export const bugs = (rec: Recording): SimEvent[] => events(rec).filter((e) => e.kind === 'kvm_bug');
export const invariants = (rec: Recording): SimEvent[] => events(rec).filter((e) => e.kind === 'invariant');

/** The leaf level mapping gfn at the end of the recording (0 = unmapped). */
export function mappedAt(rec: Recording, table: 'direct' | 'mirror' | 'sept', gfn: number, seq = rec.length - 1): number {
  const w = rec.stateAt(seq).walk(table, gfn);
  const last = w[w.length - 1];
  if (!last) return 0;
  if (table === 'sept') return last.spte !== 0n && (Number(last.spte & 0xfn) >= 1 && Number(last.spte & 0xfn) <= 4) ? last.level : 0;
  return (last.spte & (1n << 11n)) !== 0n && (last.level === 1 || (last.spte & 0x80n) !== 0n) ? last.level : 0;
}
