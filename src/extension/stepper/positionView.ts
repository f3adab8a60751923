// What the stepper shows for the current event: the event itself, its kernel call stack, the
// old and new SPTE decoded bit by bit, the page tables around its GFN (mirror and S-EPT side by
// side, changed entries marked), the mmu_lock mode and the "VM is bugged" banners. Bounded in
// size whatever the recording's length: this is the per-position delta the host sends.
import type { PgLevel, Recording, RootKind, SimEvent, SimState, Spte, WalkEntry } from '../../sim/types';
import { basename } from 'path';
import { anchorById } from '../../sim/anchors';
import { framesOf } from '../../debug/frames';
import { noTreeLocator } from '../../debug/locator';
import { levelName, spteIndex } from '../../sim/levels';
import { decodeSeptEntry, decodeSpte, hex64 } from '../../sim/spte';
import { argText, hexGfn, spteShort, type VmKind } from './format';
import type {
  BannerView, EventView, FrameView, LocationView, PositionView, SpteView, TreeEntryView, TreeView,
} from './protocol';
import type { RecordingIndex } from './recordingIndex';
import type { Timeline } from './timeline';

/** Resolves an anchor id to where it is in the user's kernel tree (see src/extension/editor/). */
export type Locate = (anchor: string) => LocationView;

/** Used when no kernel tree is linked: the anchor by name, with its kernel file. */
export const symbolicLocation: Locate = (anchor) => {
  const a = anchorById(anchor);
  return { status: 'symbolic', label: a ? `${a.id} (${a.file})` : anchor };
};

/** Neighbouring present entries listed on each side of the current one in the deepest table. */
const NEIGHBOURS = 3;
/** Most invariant violations listed in the banner (the count says how many more). */
const MAX_INVARIANT_BANNERS = 3;

export interface PositionContext {
  rec: Recording;
  index: RecordingIndex;
  timeline: Timeline;
  vm: VmKind;
  locate: Locate;
}

export function buildPositionView(ctx: PositionContext, seq: number): PositionView {
  const { rec, index, timeline } = ctx;
  const ev = rec.event(seq);
  const state = rec.stateAt(seq);
  const before = rec.stateAt(seq - 1);
  const stepStart = rec.stateAt((rec.steps[ev.step]?.firstSeq ?? seq) - 1);
  const gfnSeq = index.lastWithGfn(seq);
  const treeGfn = gfnSeq < 0 ? null : index.gfnOf(gfnSeq);
  const spteEvent = withSpte(rec, ev);
  return {
    seq,
    length: rec.length,
    filteredIndex: timeline.indexOf(seq),
    filteredNearest: timeline.nearest(seq),
    event: eventView(rec, ev),
    stack: frames(ctx, seq),
    location: ev.anchor ? ctx.locate(ev.anchor) : { status: 'symbolic', label: `${ev.fn} (no source anchor)` },
    lock: ev.lock,
    spte: {
      from: spteEvent ? spteEvent.seq : null,
      old: spteEvent?.old_spte !== undefined ? spteView(spteEvent.old_spte, spteEvent, ctx.vm) : null,
      new: spteEvent?.new_spte !== undefined ? spteView(spteEvent.new_spte, spteEvent, ctx.vm) : null,
    },
    treeGfn: treeGfn === null ? null : hexGfn(treeGfn),
    trees: treeGfn === null ? [] : tablesFor(rec, ev).map((t) => treeView(t, treeGfn, state, before, stepStart, ctx.vm)),
    banners: banners(ctx, seq, state),
  };
}

export function eventView(rec: Recording, ev: SimEvent): EventView {
  return {
    seq: ev.seq,
    kind: ev.kind,
    fn: ev.fn,
    anchor: ev.anchor,
    anchorTitle: ev.anchor ? anchorById(ev.anchor)?.title ?? null : null,
    step: ev.step,
    stepOp: rec.steps[ev.step]?.op ?? null,
    lock: ev.lock,
    vcpu: ev.vcpu,
    root: ev.root ?? null,
    gfn: ev.gfn !== undefined ? hexGfn(ev.gfn) : null,
    level: ev.level !== undefined ? `${ev.level} (${levelName(ev.level)})` : null,
    result: ev.result ?? null,
    status: ev.status !== undefined ? hex64(ev.status) : null,
    message: ev.message ?? null,
    args: Object.entries(ev.args ?? {}).map(([k, v]) => [k, argText(v)]),
    time: ev.time !== undefined ? ev.time.toFixed(6) : null,
    cpu: ev.cpu ?? null,
    task: ev.task ?? null,
  };
}

/** The event itself if it carries an SPTE change, else its nearest enclosing call that does. */
export function withSpte(rec: Recording, ev: SimEvent): SimEvent | null {
  for (let e: SimEvent | null = ev; e; e = e.parent === null ? null : rec.event(e.parent)) {
    if (e.old_spte !== undefined || e.new_spte !== undefined) return e;
  }
  return null;
}

/**
 * The kernel call stack, innermost first, as the debug adapter shows it (src/debug/frames.ts):
 * each frame at the decision point it is at, and a last frame for the scenario step.
 */
function frames(ctx: PositionContext, seq: number): FrameView[] {
  return framesOf(ctx.rec, seq, noTreeLocator()).map((f): FrameView => {
    const anchor = f.anchor?.id ?? null;
    let location: LocationView;
    if (anchor) location = ctx.locate(anchor);
    else if (f.source.kind === 'file') location = { status: 'resolved', file: f.source.path, line: f.source.line, label: `${basename(f.source.path)}:${f.source.line}` };
    else location = { status: 'symbolic', label: f.source.reason };
    return { fn: f.name, seq: f.event?.seq ?? null, anchor, location };
  });
}

function spteView(value: Spte, ev: SimEvent, vm: VmKind): SpteView {
  if (ev.kind === 'seamcall' || ev.root === undefined && ev.kind === 'hook') {
    // SEAMCALLs and hooks report S-EPT entries (src/sim/spte.ts encoding).
    try {
      const d = decodeSeptEntry(value);
      return {
        hex: hex64(value),
        summary: d.summary,
        fields: [
          { bits: 'bits 3:0', name: 'state', value: d.state, meaning: d.blocked ? 'blocked: no new TLB entries' : d.leaf ? 'leaf' : d.present ? 'non-leaf' : 'free' },
          { bits: 'bits 7:4', name: 'level', value: d.level ? String(d.level) : '-', meaning: d.level ? levelName(d.level) : 'none' },
          { bits: 'bits 51:12', name: 'pfn', value: hex64(d.pfn), meaning: d.leaf ? 'guest page' : 'child S-EPT page' },
        ],
        warnings: [],
      };
    } catch {
      // Not an S-EPT entry after all: fall through to the SPTE decoder.
    }
  }
  const d = decodeSpte(value, ev.level, vm);
  return {
    hex: hex64(value),
    summary: d.summary,
    fields: d.fields.map((f) => ({ bits: f.hi === f.lo ? `bit ${f.bits}` : `bits ${f.bits}`, name: f.name, value: hex64(f.raw), meaning: f.meaning })),
    warnings: d.warnings,
  };
}

/** Which tables to draw for an event: the one it acts on, with the S-EPT next to the mirror. */
function tablesFor(rec: Recording, ev: SimEvent): Array<RootKind | 'sept'> {
  if (ev.root === 'direct') return ['direct'];
  if (ev.root === 'mirror' || rec.profile !== 'pre-tdx') return ['mirror', 'sept'];
  return ['direct'];
}

const TABLE_TITLES: Record<RootKind | 'sept', string> = {
  direct: 'direct root',
  mirror: 'mirror root',
  sept: 'S-EPT (TDX module)',
};

/** Values of one table before the current event and before the current scenario step. */
interface Baselines {
  event: Map<string, Spte>;
  step: Map<string, Spte>;
}

const entryKey = (level: PgLevel, gfn: number) => `${level}:${gfn}`;

function entryView(table: RootKind | 'sept', e: WalkEntry, base: Baselines, onPath: boolean, vm: VmKind): TreeEntryView {
  const key = entryKey(e.level, e.gfn);
  const beforeEvent = base.event.get(key);
  const beforeStep = base.step.get(key);
  const changed = beforeEvent !== e.spte ? 'event' : beforeStep !== e.spte ? 'step' : null;
  const view: TreeEntryView = {
    level: e.level,
    levelName: levelName(e.level),
    index: spteIndex(e.gfn, e.level),
    gfn: hexGfn(e.gfn),
    spte: hex64(e.spte),
    summary: spteShort(e.spte, e.level, table, vm),
    changed,
    onPath,
  };
  const old = changed === 'event' ? beforeEvent : beforeStep;
  if (changed) view.old = old === undefined ? 'none' : hex64(old);
  return view;
}

/** The entries on the walk to `gfn` and the present ones of its deepest table, by level:gfn. */
function entriesAround(state: SimState, table: RootKind | 'sept', gfn: number, level: PgLevel | undefined): Map<string, Spte> {
  const m = new Map<string, Spte>();
  for (const e of state.walk(table, gfn)) m.set(entryKey(e.level, e.gfn), e.spte);
  if (level !== undefined) for (const e of state.tableAt(table, gfn, level)) m.set(entryKey(e.level, e.gfn), e.spte);
  return m;
}

/**
 * One table around `gfn`: the walk from the root, and the neighbours of the deepest entry in its
 * own table. Entries the current event changed are marked 'event'; those changed earlier in the
 * same scenario step 'step' (so a split stays visible while stepping through its hooks).
 */
function treeView(table: RootKind | 'sept', gfn: number, state: SimState, before: SimState, stepStart: SimState, vm: VmKind): TreeView {
  const walk = state.walk(table, gfn);
  const title = TABLE_TITLES[table];
  if (walk.length === 0) return { table, title, entries: [], hiddenSiblings: 0, empty: true };
  const deepest = walk[walk.length - 1];
  const level: PgLevel = deepest.level;
  const base: Baselines = { event: entriesAround(before, table, gfn, level), step: entriesAround(stepStart, table, gfn, level) };
  const entries = walk.map((e) => entryView(table, e, base, true, vm));

  const here = spteIndex(deepest.gfn, level);
  const siblings = state.tableAt(table, gfn, level).filter((e) => e.gfn !== deepest.gfn);
  const near = siblings
    .map((e) => ({ e, d: spteIndex(e.gfn, level) - here }))
    .filter(({ d }) => Math.abs(d) <= NEIGHBOURS)
    .sort((a, b) => a.d - b.d)
    .map(({ e }) => entryView(table, e, base, false, vm));
  const deepestAt = entries.length - 1;
  const ordered = [...entries.slice(0, deepestAt), ...[...near, entries[deepestAt]].sort((a, b) => a.index - b.index)];
  return { table, title, entries: ordered, hiddenSiblings: siblings.length - near.length, empty: false };
}

function banners(ctx: PositionContext, seq: number, state: SimState): BannerView[] {
  const out: BannerView[] = [];
  if (state.bugged) out.push({ kind: 'kvm_bug', seq: state.bugged.seq, message: `KVM_BUG_ON: the VM is bugged (${state.bugged.reason})` });
  const invariants = ctx.index.invariantsUpTo(seq);
  const shown = invariants.subarray(Math.max(0, invariants.length - MAX_INVARIANT_BANNERS));
  for (const s of shown) {
    const ev = ctx.rec.event(s);
    out.push({ kind: 'invariant', seq: s, message: `invariant broken: ${ev.message ?? ev.fn}` });
  }
  const more = invariants.length - shown.length;
  if (more > 0) out.push({ kind: 'invariant', seq: invariants[more - 1], message: `${more} earlier invariant violation${more > 1 ? 's' : ''}` });
  return out;
}
