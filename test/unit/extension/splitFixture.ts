// A hand-built recording of one 2M split of a mirror SPTE on the huge-page RFC profile, with the
// split_external_spt() hook, its three SEAMCALLs, then an invariant violation and a KVM_BUG_ON.
// Values come from the simulator's own SPTE constructors (src/sim/spte.ts).
import type { EntryWrite, PgLevel } from '../../../src/sim/types';
import { makeLeafSpte, make_nonleaf_spte, make_small_spte, makeSeptEntry } from '../../../src/sim/spte';
import { recordingOf } from './fakeRecording';

export const GFN = 0x200;
export const HUGE = makeLeafSpte({ pfn: 0x80200, level: 2, writable: true });
export const NONLEAF = make_nonleaf_spte(0x9000);
export const SEPT_HUGE = makeSeptEntry('MAPPED', 2, 0x80200);

const w = (table: EntryWrite['table'], level: PgLevel, gfn: number, old: bigint, neu: bigint): EntryWrite => ({ table, level, gfn, old, new: neu });

const initial: EntryWrite[] = [
  w('mirror', 4, 0, 0n, make_nonleaf_spte(0x7000)),
  w('mirror', 3, 0, 0n, make_nonleaf_spte(0x7001)),
  w('mirror', 2, GFN, 0n, HUGE),
  w('mirror', 2, 0x400, 0n, makeLeafSpte({ pfn: 0x80400, level: 2, writable: true })),
  w('sept', 4, 0, 0n, makeSeptEntry('NL_MAPPED', 4, 0x6000)),
  w('sept', 3, 0, 0n, makeSeptEntry('NL_MAPPED', 3, 0x6001)),
  w('sept', 2, GFN, 0n, SEPT_HUGE),
];

const children = Array.from({ length: 512 }, (_, i) => w('mirror', 1, GFN + i, 0n, make_small_spte(HUGE, 1, i)));
const septChildren = Array.from({ length: 512 }, (_, i) => w('sept', 1, GFN + i, 0n, makeSeptEntry('MAPPED', 1, 0x80200 + i)));

const S = ['tdp_mmu_split_huge_page', 'tdp_mmu_link_sp', 'tdp_mmu_iter_set_spte', 'tdp_mmu_set_spte'];

export function splitRecording() {
  return recordingOf([
    /* 0 */ { kind: 'step', fn: 'split', stack: [], gfn: GFN, level: 2, message: 'split gfn 0x200 at 2M' },
    /* 1 */ { kind: 'call', fn: S[0], stack: S.slice(0, 1), anchor: 'tdp_mmu_split_huge_page', lock: 'write', root: 'mirror', gfn: GFN, level: 2 },
    /* 2 */ { kind: 'call', fn: S[1], stack: S.slice(0, 2), parent: 1, anchor: 'tdp_mmu_split_huge_page.link_sp', lock: 'write', root: 'mirror', gfn: GFN, level: 2, args: { shared: false } },
    /* 3 */ { kind: 'call', fn: S[2], stack: S.slice(0, 3), parent: 2, anchor: 'tdp_mmu_link_sp.exclusive', lock: 'write', root: 'mirror', gfn: GFN, level: 2 },
    /* 4 */ {
      kind: 'call', fn: S[3], stack: S, parent: 3, anchor: 'tdp_mmu_set_spte', lock: 'write', root: 'mirror', gfn: GFN, level: 2,
      old_spte: HUGE, new_spte: NONLEAF, args: { as_id: 0, sptep: 'mirror L2[1]' },
      writes: [...children, w('mirror', 2, GFN, HUGE, NONLEAF)],
    },
    /* 5 */ { kind: 'call', fn: 'handle_changed_spte', stack: [...S, 'handle_changed_spte'], parent: 4, anchor: 'tdp_mmu_set_spte.handle_changed_spte', lock: 'write', root: 'mirror', gfn: GFN, level: 2, old_spte: HUGE, new_spte: NONLEAF },
    /* 6 */ { kind: 'hook', fn: 'split_external_spt', stack: [...S, 'split_external_spt'], parent: 4, anchor: 'tdp_mmu_set_spte.split_external_spt', lock: 'write', gfn: GFN, level: 2, result: '0' },
    /* 7 */ { kind: 'seamcall', fn: 'TDH.MEM.RANGE.BLOCK', stack: [...S, 'split_external_spt', 'TDH.MEM.RANGE.BLOCK'], parent: 6, lock: 'write', gfn: GFN, level: 2, result: 'TDX_SUCCESS', status: 0n, writes: [w('sept', 2, GFN, SEPT_HUGE, makeSeptEntry('BLOCKED', 2, 0x80200))] },
    /* 8 */ { kind: 'seamcall', fn: 'TDH.MEM.TRACK', stack: [...S, 'split_external_spt', 'TDH.MEM.TRACK'], parent: 6, lock: 'write', result: 'TDX_SUCCESS', status: 0n },
    /* 9 */ { kind: 'seamcall', fn: 'TDH.MEM.PAGE.DEMOTE', stack: [...S, 'split_external_spt', 'TDH.MEM.PAGE.DEMOTE'], parent: 6, anchor: 'tdx_sept_split_private_spt.demote', lock: 'write', gfn: GFN, level: 2, result: 'TDX_SUCCESS', status: 0n, writes: [...septChildren, w('sept', 2, GFN, makeSeptEntry('BLOCKED', 2, 0x80200), makeSeptEntry('NL_MAPPED', 2, 0x6002))] },
    /* 10 */ { kind: 'invariant', fn: 'mirror_matches_sept', stack: [], message: 'mirror gfn 0x5000 mapped, S-EPT FREE', gfn: 0x5000, level: 1 },
    /* 11 */ { kind: 'call', fn: 'tdp_mmu_set_spte', stack: ['tdp_mmu_zap_leafs', 'tdp_mmu_set_spte'], anchor: 'tdp_mmu_set_spte', lock: 'write', root: 'mirror', gfn: 0x400, level: 2, old_spte: makeLeafSpte({ pfn: 0x80400, level: 2, writable: true }), new_spte: NONLEAF },
    /* 12 */ { kind: 'kvm_bug', fn: 'KVM_BUG_ON', stack: ['tdp_mmu_zap_leafs', 'tdp_mmu_set_spte'], parent: 11, anchor: 'tdp_mmu_set_spte.bug_other', lock: 'write', message: 'mirror SPTE transition not allowed under write mmu_lock' },
    /* 13 */ { kind: 'step', fn: 'teardown', stack: [], step: 1 },
  ], {
    initial,
    steps: [{ index: 0, op: 'split', firstSeq: 0, source: { file: '/ws/split.tdpsim.yaml', line: 7, column: 5 } }, { index: 1, op: 'teardown', firstSeq: 13 }],
  });
}
