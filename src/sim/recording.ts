// Recording: a finished, replayable event log (src/sim/types.ts Recording/SimState), and the
// RecordingBuilder that produces one. The builder knows nothing about the simulator: the trace
// importer (src/trace/) builds recordings from synthesised events with the same API.
//
// Storage: events are block-encoded bytes (event-codec.ts), never millions of JS objects; the
// page-table state is rebuilt from copy-on-write checkpoints (table-store.ts) plus the per-event
// entry writes, replayed forward or backward from the nearest checkpoint.
import type {
  EntryWrite, EventKind, ExpectationResult, LockMode, PgLevel, ProfileName, Recording, SimEvent,
  RootKind, SimState, SourceLocation, Spte, WalkEntry,
} from './types';
import { BLOCK, EncodedFields, EventEncoder, RawEvent, WriteBuffer } from './event-codec';
import { TABLE_KINDS, TableKind, TableStore, emptyValue } from './table-store';
import * as tableStore from './table-store';
import * as levels from './levels';

// Module-local copies: imported bindings are getter calls in CommonJS output (addWrite is hot).
const { isPgLevel } = levels;
const { tableKindIndex } = tableStore;

/** What a builder user supplies for one event: a SimEvent without the derived seq, stack and
 *  step (the builder's current step), plus how to build the stack and the result slot. */
export interface EventInput extends Omit<SimEvent, 'seq' | 'stack' | 'step' | 'writes'> {
  /** Top-level events only: outer kernel frames that are not events themselves (outermost first),
   *  e.g. ['kvm_vm_ioctl', 'kvm_vm_ioctl_set_mem_attributes']. */
  stackPrefix?: readonly string[];
  /** The result is not known yet (a call that has not returned): reserve room for setResult(). */
  openResult?: boolean;
  /** With openResult: false when the caller fills the slot itself via lastResultSlot/setResultSlot. */
  keepResultSlot?: boolean;
  /** Entry writes (in addition to any staged with addWrite()). */
  writes?: readonly EntryWrite[];
}

interface Extra {
  args?: Record<string, string | number | boolean | bigint>;
  message?: string;
  time?: number;
  cpu?: number;
  task?: string;
}

const CALL_KINDS = new Set<EventKind>(['call', 'hook', 'seamcall']);
const U64_MAX = (1n << 64n) - 1n;

export interface RecordingBuilderOptions {
  profile: ProfileName;
  name: string;
  /** Paging levels of the roots and the S-EPT (4 or 5). Default 4. */
  rootLevel?: 4 | 5;
  /** Events between state checkpoints (default 16384). Smaller: faster stateAt, more memory. */
  checkpointInterval?: number;
}

/** Interned strings: ids are dense and assigned in first-use order, so recordings stay deterministic. */
export class Interner {
  readonly list: string[] = [];
  private map = new Map<string, number>();
  id(s: string): number {
    let i = this.map.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.map.set(s, i);
    }
    return i;
  }
}

interface Site { kind: EventKind; fn: string; anchor: string | null }

interface Checkpoint { tables: TableStore[] }

/**
 * Builds a Recording event by event. Typical use:
 *   const b = new RecordingBuilder({ profile: 'mainline', name: 'x' });
 *   b.beginStep(0, 'fault');
 *   const call = b.push({ kind: 'call', fn: 'kvm_tdp_mmu_map', anchor: 'kvm_tdp_mmu_map', parent: null, lock: 'read', vcpu: 0 });
 *   b.addWrite('mirror', 0x200, 1, old, nu);   // staged, attached to the next push
 *   b.push({ kind: 'call', fn: 'tdp_mmu_set_spte_atomic', anchor: ..., parent: call, lock: 'read', vcpu: 0 });
 *   const rec = b.finish();
 */
export class RecordingBuilder {
  readonly profile: ProfileName;
  readonly name: string;
  readonly rootLevel: 4 | 5;
  private readonly interval: number;
  /** Events to push before the next checkpoint (a countdown: no division per event). */
  private untilCheckpoint: number;
  private enc = new EventEncoder();
  private sites: Site[] = [];
  private siteIds = new Map<string, number>();
  private results = new Interner();
  private prefixes: string[][] = [];
  private prefixIds = new Map<string, number>();
  /** Frozen prefix arrays seen before (callers reuse them): skips the join. */
  private prefixByArray = new Map<readonly string[], number>();
  private extras = new Map<number, Extra>();
  private staged = new WriteBuffer();
  /** Live state after the last pushed event. */
  private live: TableStore[];
  private checkpoints: Checkpoint[] = [];
  private stepIndex: number[] = [];
  private stepOp: number[] = [];
  private stepFirst: number[] = [];
  private stepSource = new Map<number, SourceLocation>();
  private ops = new Interner();
  private bugSeqs: number[] = [];
  private bugReasons: string[] = [];
  private expectations: ExpectationResult[] = [];
  private finished = false;
  private scratch: EncodedFields = { site: 0, parent: -1, lock: 'none', vcpu: null, result: -1, resultSlot: false, extra: false };
  private openResults = new Map<number, number>();
  /** Per site: the last result string pushed and its id (resultIdAt). */
  private siteResult: Array<string | undefined> = [];
  private siteResultId: number[] = [];

  constructor(o: RecordingBuilderOptions) {
    this.profile = o.profile;
    this.name = o.name;
    this.rootLevel = o.rootLevel ?? 4;
    this.interval = o.checkpointInterval ?? 16384;
    if (!Number.isInteger(this.interval) || this.interval < 1) throw new RangeError('checkpointInterval must be a positive integer');
    this.untilCheckpoint = this.interval;
    this.live = TABLE_KINDS.map((k) => new TableStore(k, this.rootLevel as PgLevel));
    this.prefixId([]); // prefix 0: no outer frames
    this.checkpoints.push({ tables: this.live.map((t) => t.snapshot()) });
  }

  get length(): number {
    return this.enc.count;
  }

  /** Current value of an entry (after the last pushed event and staged writes). */
  read(table: TableKind, gfn: number, level: PgLevel): Spte {
    return this.live[tableKindIndex(table)].get(level, gfn);
  }

  /** Interned (kind, fn, anchor); pass as `site` to pushSite() to skip string hashing in hot loops. */
  site(kind: EventKind, fn: string, anchor: string | null): number {
    const key = `${kind}\0${fn}\0${anchor ?? ''}`;
    let id = this.siteIds.get(key);
    if (id === undefined) {
      id = this.sites.length;
      this.sites.push({ kind, fn, anchor });
      this.siteIds.set(key, id);
    }
    return id;
  }

  resultId(result: string): number {
    return this.results.id(result);
  }

  /** Start scenario step (or trace record group) `index`; events pushed from now on belong to it. */
  beginStep(index: number, op: string, source?: SourceLocation): void {
    this.assertOpen();
    const last = this.stepIndex.length ? this.stepIndex[this.stepIndex.length - 1] : -1;
    if (!Number.isInteger(index) || index <= last) throw new RangeError(`step index ${index} must be an integer above ${last}`);
    this.stepIndex.push(index);
    this.stepOp.push(this.ops.id(op));
    this.stepFirst.push(this.enc.count);
    if (source) this.stepSource.set(this.stepIndex.length - 1, source);
  }

  /** Stage an entry write; it is attached to (and applied with) the next pushed event. */
  addWrite(table: TableKind, gfn: number, level: PgLevel, old: Spte, nv: Spte): void {
    if (!isPgLevel(level)) throw new RangeError(`write level ${String(level)} is not a PgLevel`);
    if (!Number.isSafeInteger(gfn) || gfn < 0) throw new RangeError(`write gfn ${gfn} is not a non-negative safe integer`);
    if (old < 0n || old > U64_MAX || nv < 0n || nv > U64_MAX) throw new RangeError('write values must be 64-bit unsigned');
    this.staged.add(tableKindIndex(table), gfn, level, old, nv);
    this.live[tableKindIndex(table)].set(level, gfn, nv);
  }

  /** Stage a write whose old value is whatever the table holds now. */
  write(table: TableKind, gfn: number, level: PgLevel, nv: Spte): void {
    this.addWrite(table, gfn, level, this.read(table, gfn, level), nv);
  }

  /** Stage the allocation (present) or release of a table's root; walk() is empty without a root. */
  setRoot(table: TableKind, present: boolean): void {
    const t = this.live[tableKindIndex(table)];
    this.staged.add(tableKindIndex(table), 0, 0, t.rootPresent ? 1n : 0n, present ? 1n : 0n);
    t.rootPresent = present;
  }

  /** Stage writes returning every non-empty entry of the page table at `level` covering gfn to
   *  the empty value (a freed page table). */
  clearTable(table: TableKind, gfn: number, level: PgLevel): void {
    for (const e of this.live[tableKindIndex(table)].tableAt(gfn, level)) this.write(table, e.gfn, level, emptyValue(table));
  }

  /** Append an event; returns its seq. */
  push(ev: EventInput): number {
    return this.pushSite(this.site(ev.kind, ev.fn, ev.anchor), ev);
  }

  /** push() with a pre-interned site (ev.kind/fn/anchor are then ignored). */
  pushSite(site: number, ev: Omit<EventInput, 'kind' | 'fn' | 'anchor'>): number {
    this.assertOpen();
    if (ev.writes) for (const w of ev.writes) this.addWrite(w.table, w.gfn, w.level, w.old, w.new);
    const seq = this.pushAt(site, ev.parent ?? null, ev.stackPrefix, ev.lock, ev.vcpu ?? null, ev.root, ev.gfn, ev.level,
      ev.old_spte, ev.new_spte, ev.status, ev.result, ev.openResult === true, ev);
    if (ev.openResult && ev.keepResultSlot !== false) this.openResults.set(seq, this.enc.lastResultSlot);
    return seq;
  }

  /** pushSite() with the fields as arguments (the simulator's hot path: no event object per
   *  event). `more` supplies the rarely present args/message/time/cpu/task. An open result's
   *  slot is then the caller's to keep (lastResultSlot, setResultSlot). */
  pushAt(site: number, parentSeq: number | null, stackPrefix: readonly string[] | undefined, lock: LockMode, vcpu: number | null,
    root: RootKind | undefined, gfn: number | undefined, level: PgLevel | undefined, old: Spte | undefined, nv: Spte | undefined,
    status: Spte | undefined, result: string | undefined, openResult: boolean, more: Extra | undefined): number {
    this.assertOpen();
    const seq = this.enc.count;
    const kind = this.sites[site].kind;
    let parent: number;
    if (parentSeq === null) {
      parent = stackPrefix && stackPrefix.length ? -1 - this.prefixId(stackPrefix) : -1;
    } else {
      if (!(parentSeq >= 0 && parentSeq < seq)) throw new RangeError(`parent ${parentSeq} is not an earlier event (seq ${seq})`);
      parent = parentSeq;
    }
    if (gfn !== undefined && (!Number.isSafeInteger(gfn) || gfn < 0)) throw new RangeError(`gfn ${gfn} is not a non-negative safe integer`);
    const hasExtra = more !== undefined &&
      (more.args !== undefined || more.message !== undefined || more.time !== undefined || more.cpu !== undefined || more.task !== undefined);
    if (hasExtra) {
      const x: Extra = {};
      if (more.args !== undefined) x.args = more.args;
      if (more.message !== undefined) x.message = more.message;
      if (more.time !== undefined) x.time = more.time;
      if (more.cpu !== undefined) x.cpu = more.cpu;
      if (more.task !== undefined) x.task = more.task;
      this.extras.set(seq, x);
    }
    if (kind === 'kvm_bug') {
      this.bugSeqs.push(seq);
      this.bugReasons.push(more?.message ?? this.sites[site].anchor ?? 'KVM_BUG_ON');
    }
    const x = this.scratch;
    x.site = site; x.parent = parent; x.lock = lock; x.root = root; x.level = level; x.vcpu = vcpu;
    x.gfn = gfn; x.old = old; x.new = nv; x.status = status;
    x.result = result === undefined ? -1 : this.resultIdAt(site, result);
    x.resultSlot = openResult;
    x.extra = hasExtra;
    this.enc.append(x, this.staged);
    this.staged.clear();
    if (--this.untilCheckpoint === 0) {
      this.untilCheckpoint = this.interval;
      this.checkpoints.push({ tables: this.live.map((t) => t.snapshot()) });
    }
    return seq;
  }

  /** A result's interned id; a site mostly returns what it returned last time (no Map lookup). */
  private resultIdAt(site: number, result: string): number {
    if (this.siteResult[site] === result) return this.siteResultId[site];
    const id = this.results.id(result);
    this.siteResult[site] = result;
    this.siteResultId[site] = id;
    return id;
  }

  /** The result slot of the event just pushed with openResult (for setResultSlot). */
  get lastResultSlot(): number {
    return this.enc.lastResultSlot;
  }

  /** setResult() by slot (see lastResultSlot): no lookup, for callers that keep their own
   *  stack of open calls. */
  setResultSlot(slot: number, result: string): void {
    this.assertOpen();
    this.enc.patchResult(slot, this.results.id(result));
  }

  /** Set the result of an event pushed with openResult (a call returning). */
  setResult(seq: number, result: string): void {
    this.assertOpen();
    const slot = this.openResults.get(seq);
    if (slot === undefined) throw new RangeError(`event ${seq} has no open result (push it with openResult: true)`);
    this.openResults.delete(seq);
    this.enc.patchResult(slot, this.results.id(result));
  }

  /** Attach args or a message to an already pushed event (e.g. the outcome of a step). */
  annotate(seq: number, extra: { args?: Record<string, string | number | boolean | bigint>; message?: string }): void {
    this.assertOpen();
    if (!(seq >= 0 && seq < this.enc.count)) throw new RangeError(`annotate: no event ${seq}`);
    let x = this.extras.get(seq);
    if (!x) this.extras.set(seq, (x = {}));
    if (extra.args) x.args = { ...x.args, ...extra.args };
    if (extra.message !== undefined) x.message = extra.message;
  }

  addExpectation(r: ExpectationResult): void {
    this.expectations.push(r);
  }

  finish(): Recording {
    this.assertOpen();
    if (this.staged.length) throw new Error('finish(): entry writes were staged but no event was pushed to carry them');
    this.finished = true;
    this.enc.trim();
    const final = this.live.map((t) => t.snapshot());
    return new RecordingImpl(this.profile, this.name, this.enc, this.sites, this.results.list, this.prefixes, this.extras,
      this.checkpoints, final, this.interval, {
        index: Int32Array.from(this.stepIndex), op: Uint16Array.from(this.stepOp), first: Int32Array.from(this.stepFirst),
        ops: this.ops.list, source: this.stepSource,
      }, this.bugSeqs, this.bugReasons, this.expectations);
  }

  private prefixId(p: readonly string[]): number {
    const known = this.prefixByArray.get(p);
    if (known !== undefined) return known;
    const key = p.join('\0');
    let id = this.prefixIds.get(key);
    if (id === undefined) {
      id = this.prefixes.length;
      this.prefixes.push([...p]);
      this.prefixIds.set(key, id);
    }
    if (Object.isFrozen(p)) this.prefixByArray.set(p, id);
    return id;
  }

  private assertOpen(): void {
    if (this.finished) throw new Error('RecordingBuilder: already finished');
  }
}

interface StepTable {
  index: Int32Array;
  op: Uint16Array;
  first: Int32Array;
  ops: string[];
  source: Map<number, SourceLocation>;
}

class RecordingImpl implements Recording {
  private blockCache = new Map<number, RawEvent[]>();
  private cachedState: { seq: number; tables: TableStore[] } | null = null;
  /** Scratch for replay(): the writes of the events being replayed. */
  private replayLog = new WriteBuffer();
  private stepsArr: Recording['steps'] | null = null;

  constructor(
    readonly profile: ProfileName,
    readonly name: string,
    private enc: EventEncoder,
    private sites: Site[],
    private results: string[],
    private prefixes: string[][],
    private extras: Map<number, Extra>,
    private checkpoints: Checkpoint[],
    private final: TableStore[],
    private interval: number,
    private stepTable: StepTable,
    private bugSeqs: number[],
    private bugReasons: string[],
    readonly expectations: ReadonlyArray<ExpectationResult>,
  ) {}

  get length(): number {
    return this.enc.count;
  }

  get steps(): Recording['steps'] {
    if (!this.stepsArr) {
      const t = this.stepTable;
      const arr: Array<{ index: number; op: string; source?: SourceLocation; firstSeq: number }> = [];
      for (let i = 0; i < t.index.length; i++) {
        const s: { index: number; op: string; source?: SourceLocation; firstSeq: number } = { index: t.index[i], op: t.ops[t.op[i]], firstSeq: t.first[i] };
        const src = t.source.get(i);
        if (src) s.source = src;
        arr.push(s);
      }
      this.stepsArr = arr;
    }
    return this.stepsArr;
  }

  private raw(seq: number): RawEvent {
    const block = Math.floor(seq / BLOCK);
    let evs = this.blockCache.get(block);
    if (!evs) {
      const list: RawEvent[] = [];
      this.enc.decodeBlock(block, Math.min(this.enc.count - 1, (block + 1) * BLOCK - 1), (_s, e) => list.push(e));
      if (this.blockCache.size >= 64) this.blockCache.delete(this.blockCache.keys().next().value as number);
      this.blockCache.set(block, list);
      evs = list;
    }
    return evs[seq - block * BLOCK];
  }

  private stepOf(seq: number): number {
    const f = this.stepTable.first;
    let lo = 0, hi = f.length - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid] <= seq) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans < 0 ? -1 : this.stepTable.index[ans];
  }

  private stackOf(seq: number, r: RawEvent): string[] {
    const frames: string[] = [];
    const site = this.sites[r.site];
    if (CALL_KINDS.has(site.kind)) frames.push(site.fn);
    let p = r.parent;
    while (p >= 0) {
      const pr = this.raw(p);
      frames.push(this.sites[pr.site].fn);
      p = pr.parent;
    }
    frames.reverse();
    return [...this.prefixes[-1 - p], ...frames];
  }

  event(seq: number): SimEvent {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.length) throw new RangeError(`event ${seq} out of range 0..${this.length - 1}`);
    const r = this.raw(seq);
    const site = this.sites[r.site];
    const ev: SimEvent = {
      seq, kind: site.kind, fn: site.fn, stack: this.stackOf(seq, r), parent: r.parent >= 0 ? r.parent : null,
      anchor: site.anchor, step: this.stepOf(seq), lock: r.lock, vcpu: r.vcpu,
    };
    if (r.root !== undefined) ev.root = r.root;
    if (r.gfn !== undefined) ev.gfn = r.gfn;
    if (r.level !== undefined) ev.level = r.level;
    if (r.old !== undefined) ev.old_spte = r.old;
    if (r.new !== undefined) ev.new_spte = r.new;
    if (r.result >= 0) ev.result = this.results[r.result];
    if (r.status !== undefined) ev.status = r.status;
    const x = this.extras.get(seq);
    if (x?.args) ev.args = { ...x.args };
    if (x?.message !== undefined) ev.message = x.message;
    if (r.writes.length) ev.writes = r.writes.map((w) => ({ ...w }));
    if (x?.time !== undefined) ev.time = x.time;
    if (x?.cpu !== undefined) ev.cpu = x.cpu;
    if (x?.task !== undefined) ev.task = x.task;
    return ev;
  }

  /** Replay events (from, to] forward (from < to) or undo [to+1 .. from] (to < from) onto
   *  `tables`. Undoing applies the writes' old values in reverse order; a root allocation is
   *  undone as a free and vice versa. */
  private replay(tables: TableStore[], from: number, to: number): void {
    const log = this.replayLog;
    log.clear();
    if (to > from) {
      this.enc.collectWrites(from + 1, to, log);
      for (let i = 0; i < log.length; i++) {
        const t = tables[log.table[i]];
        if (log.level[i] === 0) t.rootPresent = log.new[i] !== 0n;
        else t.set(log.level[i] as PgLevel, log.gfn[i], log.new[i]);
      }
    } else if (to < from) {
      this.enc.collectWrites(to + 1, from, log);
      for (let i = log.length - 1; i >= 0; i--) {
        const t = tables[log.table[i]];
        if (log.level[i] === 0) t.rootPresent = log.new[i] === 0n;
        else t.set(log.level[i] as PgLevel, log.gfn[i], log.old[i]);
      }
    }
  }

  stateAt(seq: number): SimState {
    if (!Number.isInteger(seq) || seq < -1 || seq >= this.length) throw new RangeError(`state ${seq} out of range -1..${this.length - 1}`);
    // Candidate bases: the checkpoint below, the one above (or the final state), the last state built.
    const k = Math.floor((seq + 1) / this.interval);
    const candidates: Array<{ at: number; tables: TableStore[] }> = [{ at: k * this.interval - 1, tables: this.checkpoints[k].tables }];
    if (k + 1 < this.checkpoints.length) candidates.push({ at: (k + 1) * this.interval - 1, tables: this.checkpoints[k + 1].tables });
    else candidates.push({ at: this.length - 1, tables: this.final });
    if (this.cachedState) candidates.push({ at: this.cachedState.seq, tables: this.cachedState.tables });
    let best = candidates[0];
    for (const c of candidates) if (Math.abs(c.at - seq) < Math.abs(best.at - seq)) best = c;
    const tables = best.tables.map((t) => t.fork());
    this.replay(tables, best.at, seq);
    this.cachedState = { seq, tables: tables.map((t) => t.snapshot()) };
    return this.makeState(seq, tables);
  }

  private makeState(seq: number, tables: TableStore[]): SimState {
    let bug: { seq: number; reason: string } | null = null;
    if (this.bugSeqs.length && this.bugSeqs[0] <= seq) bug = { seq: this.bugSeqs[0], reason: this.bugReasons[0] };
    const lock: LockMode = seq >= 0 ? this.raw(seq).lock : 'none';
    const t = (table: TableKind): TableStore => {
      if (!TABLE_KINDS.includes(table)) throw new RangeError(`unknown table '${String(table)}': expected direct, mirror or sept`);
      return tables[tableKindIndex(table)];
    };
    return {
      seq, lock, bugged: bug,
      walk: (table, gfn): WalkEntry[] => t(table).walk(gfn),
      tableAt: (table, gfn, level): WalkEntry[] => t(table).tableAt(gfn, level),
      leafCounts: (table) => t(table).counts(),
    };
  }
}

// ---- deterministic JSON -------------------------------------------------------------------------
const hex = (v: bigint): string => '0x' + v.toString(16);
const EVENT_KEYS: ReadonlyArray<keyof SimEvent> = ['seq', 'kind', 'fn', 'stack', 'parent', 'anchor', 'step', 'lock', 'vcpu',
  'root', 'gfn', 'level', 'old_spte', 'new_spte', 'result', 'status', 'args', 'message', 'writes', 'time', 'cpu', 'task'];
const HEX_NUMBER_KEYS = new Set(['gfn']);

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return hex(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = jsonValue((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** A SimEvent as plain JSON: fixed key order, bigints (and GFNs) as "0x…" strings, args keys sorted. */
export function eventToJSON(ev: SimEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of EVENT_KEYS) {
    const v = ev[k];
    if (v === undefined) continue;
    if (k === 'writes') {
      out.writes = (v as EntryWrite[]).map((w) => ({ table: w.table, gfn: hex(BigInt(w.gfn)), level: w.level, old: hex(w.old), new: hex(w.new) }));
    } else if (HEX_NUMBER_KEYS.has(k)) {
      out[k] = hex(BigInt(v as number));
    } else {
      out[k] = jsonValue(v);
    }
  }
  return out;
}

/** The whole recording as JSON text: byte-identical for identical recordings. */
export function recordingToJSON(rec: Recording): string {
  const parts: string[] = [];
  parts.push(`{"name":${JSON.stringify(rec.name)},"profile":${JSON.stringify(rec.profile)},"length":${rec.length},`);
  parts.push(`"steps":${JSON.stringify(rec.steps.map((s) => jsonValue(s)))},`);
  parts.push(`"expectations":${JSON.stringify(rec.expectations.map((e) => jsonValue(e)))},"events":[`);
  for (let i = 0; i < rec.length; i++) parts.push((i ? ',' : '') + JSON.stringify(eventToJSON(rec.event(i))));
  parts.push(']}');
  return parts.join('');
}
