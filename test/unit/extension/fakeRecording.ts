// A hand-written Recording for view-model tests: exact control over every event, and a state
// rebuilt from the events' entry writes (which is what the Recording contract promises). The
// real simulator's recordings are exercised by the scenario tests in stepper.sim.test.ts.
import type { EntryWrite, PgLevel, ProfileName, Recording, RootKind, SimEvent, SimState, Spte, WalkEntry } from '../../../src/sim/types';
import { gfnRoundForLevel, pagesPerHpage, tableSpanPages } from '../../../src/sim/levels';
import { is_last_spte, is_shadow_present_pte } from '../../../src/sim/spte';

type Table = RootKind | 'sept';
export type EventSpec = Partial<SimEvent> & Pick<SimEvent, 'kind' | 'fn'>;

const key = (t: Table, level: PgLevel, gfn: number) => `${t}/${level}/${gfn}`;

function present(t: Table, v: Spte): boolean {
  return t === 'sept' ? v !== 0n : is_shadow_present_pte(v);
}
function leaf(t: Table, v: Spte, level: PgLevel): boolean {
  // Our S-EPT encoding: states 5 and 6 are NL_MAPPED / NL_BLOCKED.
  return t === 'sept' ? !((v & 0xfn) === 5n || (v & 0xfn) === 6n) : is_last_spte(v, level);
}

class FakeState implements SimState {
  constructor(
    readonly seq: number,
    readonly lock: SimState['lock'],
    readonly bugged: SimState['bugged'],
    private readonly entries: Map<string, Spte>,
    private readonly top: PgLevel,
  ) {}

  walk(table: Table, gfn: number): WalkEntry[] {
    const out: WalkEntry[] = [];
    for (let level = this.top; level >= 1; level = (level - 1) as PgLevel) {
      const g = gfnRoundForLevel(gfn, level);
      const v = this.entries.get(key(table, level, g));
      if (v === undefined) return out;
      out.push({ level, gfn: g, spte: v });
      if (!present(table, v) || leaf(table, v, level) || level === 1) return out;
    }
    return out;
  }

  tableAt(table: Table, gfn: number, level: PgLevel): WalkEntry[] {
    const span = tableSpanPages(level);
    const base = gfn - (gfn % span);
    const out: WalkEntry[] = [];
    for (let i = 0; i < 512; i++) {
      const g = base + i * pagesPerHpage(level);
      const v = this.entries.get(key(table, level, g));
      if (v !== undefined && present(table, v)) out.push({ level, gfn: g, spte: v });
    }
    return out;
  }

  leafCounts(table: Table): Partial<Record<PgLevel, number>> {
    const counts: Partial<Record<PgLevel, number>> = {};
    for (const [k, v] of this.entries) {
      const [t, l] = k.split('/');
      const level = Number(l) as PgLevel;
      if (t === table && present(table, v) && leaf(table, v, level)) counts[level] = (counts[level] ?? 0) + 1;
    }
    return counts;
  }
}

export interface FakeOptions {
  profile?: ProfileName;
  name?: string;
  /** Entries present before the first event. */
  initial?: EntryWrite[];
  steps?: Recording['steps'];
}

/** Events get seq, stack, parent, step, lock and vcpu defaults; everything else as given. */
export function recordingOf(specs: EventSpec[], opts: FakeOptions = {}): Recording {
  const events: SimEvent[] = specs.map((s, seq) => ({
    seq, stack: [s.fn], parent: null, anchor: null, step: 0, lock: 'none', vcpu: null, ...s,
  }));
  const stateCache = new Map<number, SimState>();
  return {
    profile: opts.profile ?? 'hugepage-rfc-v2',
    name: opts.name ?? 'fake',
    length: events.length,
    event(seq) {
      const ev = events[seq];
      if (!ev) throw new RangeError(`no event ${seq}`);
      return ev;
    },
    stateAt(seq) {
      const cached = stateCache.get(seq);
      if (cached) return cached;
      const entries = new Map<string, Spte>();
      for (const w of opts.initial ?? []) entries.set(key(w.table, w.level, w.gfn), w.new);
      let bugged: SimState['bugged'] = null;
      for (let s = 0; s <= seq; s++) {
        const ev = events[s];
        for (const w of ev.writes ?? []) entries.set(key(w.table, w.level, w.gfn), w.new);
        if (ev.kind === 'kvm_bug' && !bugged) bugged = { seq: s, reason: ev.message ?? ev.fn };
      }
      const st = new FakeState(seq, seq >= 0 ? events[seq].lock : 'none', bugged, entries, 4);
      stateCache.set(seq, st);
      return st;
    },
    steps: opts.steps ?? [{ index: 0, op: 'split', firstSeq: 0 }],
    expectations: [],
  };
}

/** A lightweight recording of n events for the windowing tests: no state, computed events. */
export function syntheticRecording(n: number): Recording {
  const kinds: SimEvent['kind'][] = ['call', 'hook', 'seamcall', 'call', 'step'];
  const fns = ['tdp_mmu_set_spte', 'split_external_spt', 'TDH.MEM.PAGE.DEMOTE', 'handle_changed_spte', 'split'];
  return {
    profile: 'hugepage-rfc-v2',
    name: `synthetic-${n}`,
    length: n,
    event(seq) {
      const k = seq % kinds.length;
      return {
        seq, kind: kinds[k], fn: fns[k], stack: [fns[k]], parent: null, anchor: k === 0 ? 'tdp_mmu_set_spte' : null,
        step: Math.floor(seq / kinds.length), lock: 'write', vcpu: null, gfn: (seq * 7) % 4096, level: 1,
      };
    },
    stateAt() { throw new Error('syntheticRecording has no state'); },
    steps: [],
    expectations: [],
  };
}
