// A parsed, validated scenario: what the YAML loader (src/sim/scenario/) produces and what
// the simulator (simulate()) consumes. Numbers are already checked: GFNs are safe integers,
// levels are PgLevel, sizes are in pages.
import type { PgLevel, ProfileName, SourceLocation } from './types';

export type VmType = 'tdx' | 'vmx';

export interface VmConfig {
  type: VmType;
  /** Guest memory size in 4K pages. */
  pages: number;
  /** 4 or 5 level TDP paging. */
  paging_levels: 4 | 5;
  vcpus: number;
}

export interface FaultStep { op: 'fault'; gfn: number; private: boolean; write: boolean; max_level: PgLevel; vcpu: number }
/** Split the huge mapping covering gfn at `level` (tdp_mmu_split_huge_page); `shared` = under read mmu_lock. */
export interface SplitStep { op: 'split'; gfn: number; level: PgLevel; private: boolean; shared: boolean }
/** KVM_SET_MEMORY_ATTRIBUTES conversion of [gfn, gfn+npages). */
export interface ConvertStep { op: 'convert'; gfn: number; npages: number; to: 'shared' | 'private' }
/** Zap leaf SPTEs of [gfn, gfn+npages) on the private (mirror) or shared (direct) root. */
export interface ZapStep { op: 'zap'; gfn: number; npages: number; private: boolean }
/** Make the next `times` calls of a SEAMCALL fail with `error` (a TDX status name). */
export interface InjectStep { op: 'inject'; seamcall: string; error: string; times: number }
/** Dirty logging on a memslot range: write-protect and (eager) split huge pages on the direct root. */
export interface DirtyLogStep { op: 'dirty_log'; gfn: number; npages: number; enable: boolean; eager_split: boolean }
/** Several vCPUs faulting concurrently under read mmu_lock; `interleave` orders their atomic steps. */
export interface RaceStep { op: 'race'; faults: FaultStep[]; interleave: 'lockstep' | 'sequential' }
/** TD / VM teardown: zap and free every root. */
export interface TeardownStep { op: 'teardown' }
export interface ExpectStep {
  op: 'expect';
  /** Exact number of events per function/hook/SEAMCALL name. */
  calls?: Record<string, number>;
  kvm_bug?: boolean;
  invariants_ok?: boolean;
  /** Expected SEAMCALL results by name, e.g. { 'TDH.MEM.PAGE.DEMOTE': 'TDX_OPERAND_BUSY' } (last result). */
  seamcall_results?: Record<string, string>;
  /** Mapping checks: level of the leaf mapping gfn on a table, or 0 for unmapped. */
  mapped?: Array<{ table: 'direct' | 'mirror' | 'sept'; gfn: number; level: PgLevel | 0 }>;
}

export type ScenarioStep =
  | FaultStep | SplitStep | ConvertStep | ZapStep | InjectStep | DirtyLogStep | RaceStep | TeardownStep | ExpectStep;

export interface Scenario {
  name: string;
  description?: string;
  profile: ProfileName;
  vm: VmConfig;
  steps: ScenarioStep[];
  /** A what-if variant of the profile (run with simulateWithProfile): `private_max_level` lets
   *  private mappings reach that level where the profile caps them lower, e.g. mainline with
   *  2M private mappings = RFC v2 01-08/23 without 09/23. */
  what_if?: { private_max_level?: PgLevel };
  /** Source location of each step (same index as steps), when loaded from a file. */
  sources?: SourceLocation[];
  file?: string;
}
