// What the debugger can say about one simulated event, in the kernel's vocabulary: the named
// values of the event (gfn, level, old_spte, ...), the environment expressions are evaluated in
// (conditions, watches, hovers, the debug console), and the tree shown in the Variables view.
// SPTE facts come from src/sim/spte.ts (decodeSpte and the kernel predicates), never re-derived.
import type { PgLevel, Recording, RootKind, SimEvent, SimState, Spte } from '../sim/types';
import { isPgLevel, levelName, gfnRoundForLevel } from '../sim/levels';
import {
  decodeSeptEntry, decodeSpte, type DecodedSeptEntry, type DecodedSpte, FROZEN_SPTE, is_frozen_spte, is_large_pte, is_last_spte, is_mmio_spte,
  is_mmu_writable_spte, is_shadow_present_pte, is_writable_pte, SHADOW_NONPRESENT_VALUE, SPTE_MMU_PRESENT_MASK, spte_to_pfn,
} from '../sim/spte';
import { ExprError, Fields, format, type Env, type Value } from './expr';

export type VmType = 'vmx' | 'tdx';
export type TableName = RootKind | 'sept';
const TABLES: readonly TableName[] = ['direct', 'mirror', 'sept'];

/** The page-table entry an SPTE variable stands for: what a data breakpoint watches. */
export interface EntryRef { table: TableName; gfn: number; level: PgLevel }

export function entryKey(e: EntryRef): string {
  return `${e.table}:0x${e.gfn.toString(16)}:${e.level}`;
}

export function describeEntry(e: EntryRef): string {
  return `${e.table === 'sept' ? 'S-EPT' : e.table} entry for gfn 0x${e.gfn.toString(16)} at level ${e.level} (${levelName(e.level)})`;
}

/** Parse an entryKey() back; null when it is not one. */
export function parseEntryKey(key: string): EntryRef | null {
  const m = /^(direct|mirror|sept):0x([0-9a-f]+):([1-5])$/.exec(key);
  if (!m) return null;
  return { table: m[1] as TableName, gfn: parseInt(m[2], 16), level: Number(m[3]) as PgLevel };
}

// ---- structured values -------------------------------------------------------------------

/** Field names of a decoded SPTE as identifiers (`new_spte.host_writable`). */
export const fieldIdent = (name: string): string => name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_|_$/g, '');

/** An SPTE as a structured value: its raw value in arithmetic, decoded fields as members
 *  (`new_spte.pfn`, `old_spte.host_writable`, `new_spte.is_last_spte`). */
export class SpteFields extends Fields {
  readonly decoded: DecodedSpte;
  /** `entry`: the page-table entry this value was read from, when known (data breakpoints). */
  constructor(readonly spte: Spte, readonly level: PgLevel | undefined, vm: VmType, readonly entry?: EntryRef) {
    const d = decodeSpte(spte, level, vm);
    const fields = new Map<string, Value>();
    for (const f of d.fields) fields.set(fieldIdent(f.name), f.raw);
    fields.set('pfn', d.pfn);
    fields.set('kind', d.kind);
    fields.set('summary', d.summary);
    for (const [k, v] of Object.entries(d.predicates)) fields.set(k, v);
    super(fields, spte, `${format(spte)} (${d.summary})`);
    this.decoded = d;
  }
}

/** An S-EPT entry (our encoding, src/sim/spte.ts) as a structured value. */
export class SeptFields extends Fields {
  readonly decoded: DecodedSeptEntry;
  constructor(readonly value: Spte, readonly entry?: EntryRef) {
    const d = decodeSeptEntry(value);
    super(new Map<string, Value>([
      ['state', d.state], ['level', d.level === null ? null : BigInt(d.level)], ['pfn', d.pfn],
      ['leaf', d.leaf], ['present', d.present], ['blocked', d.blocked], ['summary', d.summary],
    ]), value, `${format(value)} (${d.summary})`);
    this.decoded = d;
  }
}

/** The structured value of an entry read from a table: S-EPT entries in our encoding, SPTEs decoded. */
export function tableEntryValue(table: TableName, gfn: number, level: PgLevel, value: Spte, vm: VmType): SpteFields | SeptFields {
  const entry = { table, gfn, level };
  return table === 'sept' ? new SeptFields(value, entry) : new SpteFields(value, level, vm, entry);
}

/** `sptep`: where an SPTE lives (root, gfn, level), with its current value as `.spte`. */
export class SptepFields extends Fields {
  constructor(readonly entry: EntryRef, spte: SpteFields | null) {
    super(new Map<string, Value>([
      ['root', entry.table], ['gfn', BigInt(entry.gfn)], ['level', BigInt(entry.level)], ['spte', spte],
    ]), null, `&${entry.table}[gfn 0x${entry.gfn.toString(16)}, ${levelName(entry.level)}]`);
  }
}

/** The entry of `table` at `level` on the walk to `gfn` in `state`, or null when the walk stops
 *  above that level (a huge leaf or a non-present entry) or the table does not exist. With no
 *  level: the last entry of the walk (the leaf, or the first non-present entry). */
export function lookupEntry(state: SimState, table: TableName, gfn: number, level?: PgLevel): { level: PgLevel; gfn: number; spte: Spte } | null {
  const walk = state.walk(table, gfn);
  if (walk.length === 0) return null;
  if (level === undefined) return walk[walk.length - 1];
  return walk.find((w) => w.level === level) ?? null;
}

// ---- the named values of an event ------------------------------------------------------------

/** Context shared by every event of one debug session. */
export interface ValueContext {
  rec: Recording;
  vm: VmType;
  /** A replayed trace: the file and the line of each event's record (TraceRecording.lineOf). */
  records?: RecordLines;
}

export interface RecordLines {
  file: string;
  lineOf(seq: number): number;
}

/** Functions that take a `struct tdp_iter *iter` (tdp_mmu.c): tdp_mmu_iter_set_spte(kvm, iter,
 *  new_spte), tdp_mmu_set_spte_atomic(kvm, iter, new_spte), __tdp_mmu_set_spte_atomic(kvm, iter,
 *  new_spte), tdp_mmu_link_sp(kvm, iter, sp, shared), tdp_mmu_split_huge_page(kvm, iter, sp,
 *  shared), tdp_mmu_map_handle_target_level(vcpu, fault, iter). */
const ITER_FUNCTIONS = new Set(['tdp_mmu_iter_set_spte', 'tdp_mmu_set_spte_atomic', '__tdp_mmu_set_spte_atomic', 'tdp_mmu_link_sp', 'tdp_mmu_split_huge_page', 'tdp_mmu_map_handle_target_level']);

/**
 * The kernel-named values of one event: `kvm`, then the arguments as the event carries them
 * (sptep, gfn, level, old_spte, new_spte, as_id, shared, ...; `iter` for the iterator
 * functions), then `root`/`is_mirror` and the result `ret`. Entries are read in the state after
 * event `at` (the stopped position). Absent values are simply not listed.
 */
export function eventValues(ctx: ValueContext, ev: SimEvent, at: number): Map<string, Value> {
  const out = new Map<string, Value>();
  const state = ctx.rec.stateAt(at);
  out.set('kvm', new Fields(new Map<string, Value>([
    ['mmu_lock', state.lock], ['vm_bugged', state.bugged !== null], ['bug', state.bugged ? `#${state.bugged.seq}: ${state.bugged.reason}` : null],
  ]), null, state.bugged ? 'struct kvm (VM bugged)' : 'struct kvm'));
  const level = ev.level;
  // The entry this event works on: what old_spte/new_spte/sptep refer to.
  const entry: EntryRef | undefined = ev.root !== undefined && ev.gfn !== undefined && level !== undefined
    ? { table: ev.root, gfn: gfnRoundForLevel(ev.gfn, level), level } : undefined;
  let sptep: SptepFields | undefined;
  if (entry) {
    const cur = lookupEntry(state, entry.table, entry.gfn, entry.level);
    sptep = new SptepFields(entry, cur ? new SpteFields(cur.spte, entry.level, ctx.vm, entry) : null);
  }
  const gfn = ev.gfn === undefined ? undefined : BigInt(ev.gfn);
  const lvl = level === undefined ? undefined : BigInt(level);
  const oldSpte = ev.old_spte === undefined ? undefined : new SpteFields(ev.old_spte, level, ctx.vm, entry);
  const newSpte = ev.new_spte === undefined ? undefined : new SpteFields(ev.new_spte, level, ctx.vm, entry);
  if (ITER_FUNCTIONS.has(ev.fn) && entry) {
    out.set('iter', new Fields(new Map<string, Value>([
      ['gfn', gfn ?? null], ['level', lvl ?? null], ['old_spte', oldSpte ?? null], ['sptep', sptep ?? null],
      ['as_id', ev.args?.as_id === undefined ? null : BigInt(Number(ev.args.as_id))],
    ]), null, `struct tdp_iter (gfn 0x${entry.gfn.toString(16)}, ${levelName(entry.level)})`));
  }
  if (sptep) out.set('sptep', sptep);
  if (gfn !== undefined) out.set('gfn', gfn);
  if (lvl !== undefined) out.set('level', lvl);
  if (oldSpte) out.set('old_spte', oldSpte);
  if (newSpte) out.set('new_spte', newSpte);
  for (const [k, v] of Object.entries(ev.args ?? {})) {
    if (out.has(k)) continue;
    out.set(k, typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v) : String(v)) : v);
  }
  if (ev.root !== undefined) {
    out.set('root', ev.root);
    out.set('is_mirror', ev.root === 'mirror');
  }
  if (ev.status !== undefined) out.set('status', ev.status);
  if (ev.result !== undefined) out.set('ret', ev.result);
  return out;
}

/** Names every event may have (absent ones read as "no value" in expressions, not an error). */
const EVENT_NAMES = ['kvm', 'iter', 'gfn', 'level', 'old_spte', 'new_spte', 'sptep', 'root', 'is_mirror', 'status', 'ret', 'as_id', 'shared', 'pfn', 'external_spt'];

const CONSTANTS: Record<string, Value> = {
  direct: 'direct', mirror: 'mirror', sept: 'sept',
  PG_LEVEL_4K: 1n, PG_LEVEL_2M: 2n, PG_LEVEL_1G: 3n, PG_LEVEL_512G: 4n,
  SHADOW_NONPRESENT_VALUE, FROZEN_SPTE, SPTE_MMU_PRESENT_MASK,
};

/** Session-wide names: the position (the current event, whatever frame is selected) and VM status. */
function sessionValues(ctx: ValueContext, ev: SimEvent, state: SimState): Record<string, Value> {
  return {
    mmu_lock: state.lock, seq: BigInt(ev.seq), step: BigInt(ev.step), fn: ev.fn, kind: ev.kind,
    vcpu: ev.vcpu === null ? null : BigInt(ev.vcpu), vm_bugged: state.bugged !== null, profile: ctx.rec.profile,
  };
}

const SESSION_NAMES = ['mmu_lock', 'seq', 'step', 'fn', 'kind', 'vcpu', 'vm_bugged', 'profile'];

/** Every name an expression may use in this recording (for checking a condition up front). */
export function knownNames(argNames: Iterable<string>): Set<string> {
  return new Set([...EVENT_NAMES, ...SESSION_NAMES, ...Object.keys(CONSTANTS), ...argNames]);
}

/** The functions expressions may call, with a one-line signature for error messages. */
export const FUNCTIONS: Record<string, string> = {
  is_shadow_present_pte: 'is_shadow_present_pte(spte)',
  is_last_spte: 'is_last_spte(spte, level)',
  is_large_pte: 'is_large_pte(spte)',
  is_frozen_spte: 'is_frozen_spte(spte)',
  is_mmio_spte: 'is_mmio_spte(spte)',
  is_writable_pte: 'is_writable_pte(spte)',
  is_mmu_writable_spte: 'is_mmu_writable_spte(spte)',
  spte_to_pfn: 'spte_to_pfn(spte)',
  spte: 'spte(mirror|direct, gfn[, level]): the entry on the walk to gfn (the leaf without level)',
  sept: "sept(gfn[, level]): the TDX module's S-EPT entry for gfn",
  decode: 'decode(spte[, level]): an SPTE value decoded into fields',
};

function argSpte(v: Value): Spte {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (v instanceof Fields && v.scalar !== null) return v.scalar;
  throw new Error(`expects an SPTE value, got ${v === null ? 'no value' : format(v)}`);
}
function argLevel(v: Value | undefined): PgLevel {
  const n = typeof v === 'bigint' ? Number(v) : v instanceof Fields && v.scalar !== null ? Number(v.scalar) : NaN;
  if (!isPgLevel(n)) throw new Error(`level must be 1..5 (PG_LEVEL_4K..), got ${v === undefined ? 'nothing' : format(v)}`);
  return n;
}
function argGfn(v: Value | undefined): number {
  if (typeof v !== 'bigint' || v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`gfn must be a non-negative number, got ${v === undefined ? 'nothing' : format(v)}`);
  return Number(v);
}
function argTable(v: Value | undefined): TableName {
  if (typeof v === 'string' && (TABLES as readonly string[]).includes(v)) return v as TableName;
  throw new Error(`table must be mirror, direct or sept, got ${v === undefined ? 'nothing' : format(v)}`);
}
function arity(args: Value[], min: number, max: number, fn: string): void {
  if (args.length < min || args.length > max) throw new Error(`takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}: ${FUNCTIONS[fn]}`);
}

/**
 * The environment for expressions at event `ev` (the innermost event, or the caller's call event
 * for an outer stack frame; `seq` picks the simulated state, always the stopped position).
 */
/** An entry named by spte()/sept() that does not exist (yet): only for choosing a data
 *  breakpoint, which may well watch an entry before it is first written. */
export class AbsentEntry extends Fields {
  constructor(readonly entry: EntryRef) {
    super(new Map(), null, `no ${describeEntry(entry)} yet`);
  }
}

export function eventEnv(ctx: ValueContext, ev: SimEvent, seq: number, argNames: ReadonlySet<string>, opts: { absentEntries?: boolean } = {}): Env {
  const state = ctx.rec.stateAt(seq);
  const values = eventValues(ctx, ev, seq);
  const session = sessionValues(ctx, seq === ev.seq ? ev : ctx.rec.event(seq), state);
  return {
    lookup(name) {
      if (values.has(name)) return values.get(name)!;
      if (name in session) return session[name];
      if (name in CONSTANTS) return CONSTANTS[name];
      if (EVENT_NAMES.includes(name) || argNames.has(name)) return null;
      return undefined;
    },
    call(fn, args) {
      switch (fn) {
        case 'is_shadow_present_pte': arity(args, 1, 1, fn); return is_shadow_present_pte(argSpte(args[0]));
        case 'is_large_pte': arity(args, 1, 1, fn); return is_large_pte(argSpte(args[0]));
        case 'is_frozen_spte': arity(args, 1, 1, fn); return is_frozen_spte(argSpte(args[0]));
        case 'is_mmio_spte': arity(args, 1, 1, fn); return is_mmio_spte(argSpte(args[0]), ctx.vm);
        case 'is_writable_pte': arity(args, 1, 1, fn); return is_writable_pte(argSpte(args[0]));
        case 'is_mmu_writable_spte': arity(args, 1, 1, fn); return is_mmu_writable_spte(argSpte(args[0]));
        case 'spte_to_pfn': arity(args, 1, 1, fn); return spte_to_pfn(argSpte(args[0]));
        case 'is_last_spte': arity(args, 2, 2, fn); return is_last_spte(argSpte(args[0]), argLevel(args[1]));
        case 'decode': arity(args, 1, 2, fn); return new SpteFields(argSpte(args[0]), args[1] === undefined ? undefined : argLevel(args[1]), ctx.vm);
        case 'spte': case 'sept': {
          // spte(table, gfn[, level]) / sept(gfn[, level])
          if (fn === 'spte') arity(args, 2, 3, fn); else arity(args, 1, 2, fn);
          const table: TableName = fn === 'sept' ? 'sept' : argTable(args[0]);
          const rest = fn === 'sept' ? args : args.slice(1);
          const gfn = argGfn(rest[0]);
          const level = rest[1] === undefined ? undefined : argLevel(rest[1]);
          const e = lookupEntry(state, table, gfn, level);
          if (e) return tableEntryValue(table, e.gfn, e.level, e.spte, ctx.vm);
          return opts.absentEntries && level !== undefined ? new AbsentEntry({ table, gfn: gfnRoundForLevel(gfn, level), level }) : null;
        }
      }
      throw new ExprError(`unknown function '${fn}' (known: ${Object.keys(FUNCTIONS).join(', ')})`, 1);
    },
  };
}
