// Compact storage for millions of events: each event is varint-encoded into byte chunks, in blocks
// of BLOCK events that decode independently (GFNs are delta-coded, 64-bit values are coded
// against the two most recent literals within the block, and an event's lock/root/level/field
// bytes are left out when they repeat its site's previous event in the block). Random access
// decodes one block.
import type { EntryWrite, LockMode, PgLevel, RootKind, Spte } from './types';
import { FROZEN_SPTE as FROZEN, SHADOW_NONPRESENT_VALUE as NONPRESENT } from './spte';
import type { TableKind } from './table-store';
import * as words from './words';

// Module-local copies: imported bindings are getter calls in CommonJS output, too slow per byte.
const SHADOW_NONPRESENT_VALUE = NONPRESENT;
const FROZEN_SPTE = FROZEN;
const { HI, LO, halves, u64 } = words;

export const BLOCK = 64;
const CHUNK = 1 << 22;
/** Positions (of blocks and result slots) are chunk * POS + offset: small integers up to 2 GiB of
 *  events, so that the fields and arrays holding them never turn into doubles (a representation
 *  change deoptimizes every function that touched them). */
const POS = CHUNK;

/** The fields of one event as the encoder takes them (strings interned by the caller). */
export interface EncodedFields {
  site: number;
  /** >= 0: parent seq; < 0: top level, prefix id = -1 - parent. */
  parent: number;
  lock: LockMode;
  root?: RootKind;
  level?: PgLevel;
  vcpu: number | null;
  gfn?: number;
  old?: Spte;
  new?: Spte;
  status?: Spte;
  /** Interned result id; -1 none. */
  result: number;
  /** Reserve the result slot even without a result, so that setResult can fill it later. */
  resultSlot: boolean;
  extra: boolean;
}

/** One decoded event as stored (strings still interned). */
export interface RawEvent {
  site: number;
  /** >= 0: parent seq; < 0: top level, prefix id = -1 - parent. */
  parent: number;
  lock: LockMode;
  root: RootKind | undefined;
  level: PgLevel | undefined;
  vcpu: number | null;
  gfn: number | undefined;
  old: Spte | undefined;
  new: Spte | undefined;
  status: Spte | undefined;
  result: number; // -1 = none
  extra: boolean;
  /** Entry writes (root allocations/frees are left out: they are state, not SPTE changes). */
  writes: EntryWrite[];
}

const LOCKS: LockMode[] = ['none', 'read', 'write'];
const ROOTS: Array<RootKind | undefined> = [undefined, 'direct', 'mirror'];
const TABLES: TableKind[] = ['direct', 'mirror', 'sept'];

// Result slot bytes: an interned result id below R_BIG, or one of these.
const R_NONE = 0xff, R_BIG = 0xfe;

// Value tags.
const V_NONPRESENT = 0, V_FROZEN = 1, V_PREV0 = 2, V_PREV1 = 3, V_ZERO = 4, V_LIT = 5;


/** Per-block coder state shared by encoder and decoder. */
class BlockState {
  prevGfn = 0;
  p0lo = 0; p0hi = 0; p1lo = 0; p1hi = 0;
  reset(): void {
    this.prevGfn = 0;
    this.p0lo = this.p0hi = this.p1lo = this.p1hi = 0;
  }
}

export class EventEncoder {
  private chunks: Uint8Array[] = [new Uint8Array(CHUNK)];
  private used: number[] = [0];
  /** Position of the first event of each block: chunk index * POS + offset. */
  private blockPos: Float64Array = new Float64Array(1024);
  count = 0;
  /** Per site: the block of its last event and that event's packed | flags << 8. */
  private headerBlock: number[] = [];
  private lastHeader: number[] = [];
  /** Result ids >= R_BIG by slot position (rare: ids are dense and most recordings use a few). */
  private bigResults = new Map<number, number>();
  /** Position of the result slot of the last appended event, -1 if it has none. */
  lastResultSlot = -1;
  private st = new BlockState();
  /** The chunk being written and the write position in it. */
  private buf: Uint8Array = this.chunks[0];
  private n = 0;

  // ---- encoding ----------------------------------------------------------------------------
  /** Make room for an event of at most `max` bytes in the current chunk (events never straddle chunks). */
  private ensure(max: number): void {
    if (this.n + max <= this.buf.length) return;
    if (max > CHUNK) throw new RangeError(`an event of up to ${max} bytes does not fit a ${CHUNK}-byte chunk`);
    this.used[this.chunks.length - 1] = this.n;
    this.buf = new Uint8Array(CHUNK);
    this.chunks.push(this.buf);
    this.used.push(0);
    this.n = 0;
  }
  private byte(b: number): void {
    this.buf[this.n++] = b;
  }
  private varint(v: number): void {
    // v is a non-negative integer < 2^53
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
  }
  private zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  private value(v: Spte): void {
    const st = this.st;
    if (v === SHADOW_NONPRESENT_VALUE) return this.byte(V_NONPRESENT);
    if (v === FROZEN_SPTE) return this.byte(V_FROZEN);
    if (v === 0n) return this.byte(V_ZERO);
    const w = halves(v);
    const lo = w[LO], hi = w[HI];
    if (lo === st.p0lo && hi === st.p0hi) return this.byte(V_PREV0);
    if (lo === st.p1lo && hi === st.p1hi) {
      this.byte(V_PREV1);
    } else {
      this.byte(V_LIT);
      this.varint((lo ^ st.p0lo) >>> 0);
      this.varint((hi ^ st.p0hi) >>> 0);
    }
    st.p1lo = st.p0lo; st.p1hi = st.p0hi;
    st.p0lo = lo; st.p0hi = hi;
  }
  private gfn(g: number): void {
    this.zigzag(g - this.st.prevGfn);
    this.st.prevGfn = g;
  }

  /** Append one event. `writes` are parallel arrays so the simulator need not allocate objects. */
  append(e: EncodedFields, w: WriteBuffer): void {
    const seq = this.count;
    if (seq % BLOCK === 0) {
      this.st.reset();
      const bi = seq / BLOCK;
      if (bi >= this.blockPos.length) {
        const nb = new Float64Array(this.blockPos.length * 2);
        nb.set(this.blockPos);
        this.blockPos = nb;
      }
    }
    this.ensure(64 + w.length * 40);
    const c = this.chunks.length - 1;
    if (seq % BLOCK === 0) this.blockPos[seq / BLOCK] = c * POS + this.n;
    const lockI = e.lock === 'none' ? 0 : e.lock === 'read' ? 1 : 2;
    const rootI = e.root === undefined ? 0 : e.root === 'direct' ? 1 : 2;
    const packed = lockI | (rootI << 2) | ((e.level ?? 0) << 4) | (e.vcpu !== null ? 0x80 : 0);
    const flags = (e.gfn !== undefined ? 1 : 0) | (e.old !== undefined ? 2 : 0) | (e.new !== undefined ? 4 : 0) |
      (e.result >= 0 || e.resultSlot ? 8 : 0) | (e.status !== undefined ? 16 : 0) | (w.length ? 32 : 0) | (e.extra ? 64 : 0);
    // A site mostly repeats its packed/flags bytes (same lock, root, level, fields): the low bit
    // of the site says "as this site's previous event in the block", and they are left out.
    const header = packed | (flags << 8);
    const block = Math.floor(seq / BLOCK);
    const same = this.headerBlock[e.site] === block && this.lastHeader[e.site] === header;
    this.varint(e.site * 2 + (same ? 1 : 0));
    this.zigzag(e.parent >= 0 ? seq - e.parent : e.parent);
    if (!same) {
      this.byte(packed);
      this.byte(flags);
      this.headerBlock[e.site] = block;
      this.lastHeader[e.site] = header;
    }
    if (e.vcpu !== null) this.varint(e.vcpu);
    if (e.gfn !== undefined) this.gfn(e.gfn);
    if (e.old !== undefined) this.value(e.old);
    if (e.new !== undefined) this.value(e.new);
    if (e.status !== undefined) this.value(e.status);
    this.lastResultSlot = -1;
    if (e.result >= 0 || e.resultSlot) {
      // One fixed byte so that a call's result can be filled in when it returns.
      this.lastResultSlot = c * POS + this.n;
      this.n++;
      this.patchResult(this.lastResultSlot, e.result);
    }
    if (w.length) {
      this.varint(w.length);
      for (let i = 0; i < w.length; i++) {
        this.byte(w.table[i] | (w.level[i] << 2));
        this.gfn(w.gfn[i]);
        this.value(w.old[i]);
        this.value(w.new[i]);
      }
    }
    this.used[c] = this.n;
    this.count++;
  }

  /** Fill a reserved result slot (see EncodedFields.resultSlot); -1: no result. */
  patchResult(slot: number, result: number): void {
    if (!Number.isInteger(result) || result < -1) throw new RangeError(`result id ${result} is not an interned result id`);
    const c = Math.floor(slot / POS);
    let b = result;
    if (result < 0) b = R_NONE;
    else if (result >= R_BIG) {
      b = R_BIG;
      this.bigResults.set(slot, result);
    }
    this.chunks[c][slot - c * POS] = b;
  }

  /** Release the unused tail of the last chunk. */
  trim(): void {
    const c = this.chunks.length - 1;
    this.chunks[c] = this.chunks[c].slice(0, this.used[c]);
    this.blockPos = this.blockPos.slice(0, Math.ceil(this.count / BLOCK));
  }

  bytes(): number {
    return this.used.reduce((a, b) => a + b, 0);
  }

  // ---- decoding ----------------------------------------------------------------------------
  /** Decode events block*BLOCK .. upto (inclusive, within that block), in order. */
  decodeBlock(block: number, upto: number, out: (seq: number, e: RawEvent) => void): void {
    const r = this.blockReader(block);
    for (let seq = block * BLOCK; seq <= upto; seq++) {
      this.nextEvent(r);
      out(seq, r.event(seq));
    }
  }

  /** Append to `out` the entry writes of events first..last (inclusive) in order, root
   *  allocations/frees as level 0. Replay path: no per-event objects, and the event's own
   *  SPTE values are skipped without materialising BigInts. */
  collectWrites(first: number, last: number, out: WriteBuffer): void {
    // Plain loops, no per-event callback: this is the whole cost of a stateAt() step.
    for (let b = Math.floor(first / BLOCK); b * BLOCK <= last; b++) {
      const r = this.blockReader(b);
      const upto = Math.min(last, (b + 1) * BLOCK - 1);
      for (let seq = b * BLOCK; seq <= upto; seq++) {
        this.nextEvent(r);
        r.writesOf(seq >= first ? out : null);
      }
    }
  }

  /** A reader at the first event of `block`, with fresh delta state (events of a block must be
   *  consumed whole and in order: each one's deltas depend on the previous). */
  private blockReader(block: number): Reader {
    const pos = this.blockPos[block];
    const c = Math.floor(pos / POS);
    return new Reader(this.chunks[c], pos - c * POS, c, this.bigResults);
  }

  /** Move the reader to the next chunk when it has consumed the current one (events never
   *  straddle chunks). */
  private nextEvent(r: Reader): void {
    if (r.p >= this.used[r.c]) { r.c++; r.chunk = this.chunks[r.c]; r.p = 0; }
  }
}

class Reader {
  private st = new BlockState();
  /** packed | flags << 8 of each site's last event in this block. */
  private headers = new Map<number, number>();
  /** The fields head() read. */
  private site = 0;
  private parentDelta = 0;
  private packed = 0;
  private flags = 0;
  /** `c`: index of `chunk` in the encoder's chunk list. */
  constructor(public chunk: Uint8Array, public p: number, public c: number, private bigResults: ReadonlyMap<number, number>) {}
  private byte(): number {
    return this.chunk[this.p++];
  }
  private varint(): number {
    let v = 0, mul = 1, b: number;
    do { b = this.chunk[this.p++]; v += (b & 0x7f) * mul; mul *= 0x80; } while (b & 0x80);
    return v;
  }
  private zigzag(): number {
    const v = this.varint();
    return v % 2 ? -(v + 1) / 2 : v / 2;
  }
  private gfn(): number {
    const g = this.st.prevGfn + this.zigzag();
    this.st.prevGfn = g;
    return g;
  }
  /** Consume one value and update the coder state; returns its tag. A PREV0, PREV1 or literal
   *  value is then the most recent literal (p0). */
  private valueTag(): number {
    const t = this.byte();
    if (t === V_PREV1 || t === V_LIT) {
      const st = this.st;
      let lo: number, hi: number;
      if (t === V_PREV1) { lo = st.p1lo; hi = st.p1hi; } else { lo = (this.varint() ^ st.p0lo) >>> 0; hi = (this.varint() ^ st.p0hi) >>> 0; }
      st.p1lo = st.p0lo; st.p1hi = st.p0hi; st.p0lo = lo; st.p0hi = hi;
    }
    return t;
  }
  private value(): Spte {
    const t = this.valueTag();
    if (t === V_NONPRESENT) return SHADOW_NONPRESENT_VALUE;
    if (t === V_FROZEN) return FROZEN_SPTE;
    if (t === V_ZERO) return 0n;
    return u64(this.st.p0hi, this.st.p0lo);
  }
  /** Read an event's site, parent delta and packed/flags bytes (written out, or repeated from
   *  the site's previous event in this block) into site/parentDelta/packed/flags. */
  private head(): void {
    const sv = this.varint();
    this.site = Math.floor(sv / 2);
    this.parentDelta = this.zigzag();
    if (sv % 2) {
      const h = this.headers.get(this.site)!;
      this.packed = h & 0xff;
      this.flags = h >> 8;
    } else {
      this.packed = this.byte();
      this.flags = this.byte();
      this.headers.set(this.site, this.packed | (this.flags << 8));
    }
  }
  /** Skip the fixed header fields of an event; returns its flags byte. */
  private header(): number {
    this.head();
    const packed = this.packed;
    const flags = this.flags;
    if (packed & 0x80) this.varint(); // vcpu
    if (flags & 1) this.gfn();
    if (flags & 2) this.valueTag();
    if (flags & 4) this.valueTag();
    if (flags & 16) this.valueTag();
    if (flags & 8) this.p++; // result slot
    return flags;
  }
  /** Consume one event, appending its writes to `out` (null: skip them). */
  writesOf(out: WriteBuffer | null): void {
    if (!(this.header() & 32)) return;
    const nw = this.varint();
    for (let i = 0; i < nw; i++) {
      const tb = this.byte();
      const g = this.gfn();
      if (out) {
        const o = this.value();
        out.add(tb & 3, g, tb >> 2, o, this.value());
      } else {
        this.valueTag();
        this.valueTag();
      }
    }
  }
  event(seq: number): RawEvent {
    this.head();
    const site = this.site, pd = this.parentDelta, packed = this.packed, flags = this.flags;
    const lv = (packed >> 4) & 7;
    const e: RawEvent = {
      site, parent: pd > 0 ? seq - pd : pd, lock: LOCKS[packed & 3], root: ROOTS[(packed >> 2) & 3],
      level: lv ? (lv as PgLevel) : undefined, vcpu: packed & 0x80 ? this.varint() : null,
      gfn: undefined, old: undefined, new: undefined, status: undefined, result: -1, extra: (flags & 64) !== 0,
      writes: [],
    };
    if (flags & 1) e.gfn = this.gfn();
    if (flags & 2) e.old = this.value();
    if (flags & 4) e.new = this.value();
    if (flags & 16) e.status = this.value();
    if (flags & 8) {
      const slot = this.c * POS + this.p;
      const r = this.byte();
      e.result = r === R_NONE ? -1 : r === R_BIG ? this.bigResults.get(slot)! : r;
    }
    if (flags & 32) {
      const nw = this.varint();
      for (let i = 0; i < nw; i++) {
        const tb = this.byte();
        const g = this.gfn();
        const o = this.value();
        const nv = this.value();
        const table = TABLES[tb & 3];
        const level = tb >> 2;
        if (level !== 0) e.writes.push({ table, gfn: g, level: level as PgLevel, old: o, new: nv });
      }
    }
    return e;
  }
}

/** Staged entry writes of the event being built (parallel arrays; level 0 = root alloc/free). */
export class WriteBuffer {
  table: number[] = [];
  level: number[] = [];
  gfn: number[] = [];
  old: Spte[] = [];
  new: Spte[] = [];
  length = 0;
  add(table: number, gfn: number, level: number, old: Spte, nv: Spte): void {
    const i = this.length++;
    this.table[i] = table; this.level[i] = level; this.gfn[i] = gfn; this.old[i] = old; this.new[i] = nv;
  }
  clear(): void {
    this.length = 0;
  }
}
