// Compact storage for millions of events: bytes in 4 MiB chunks. Random access decodes a block of
// BLOCK events; the prediction state spans a segment of SEGMENT events, which decodes on its own
// (a block is decoded after skimming the events before it in its segment, building no objects).
//
// The simulator emits the same few dozen sites (event kind + function + anchor) per guest page, in
// the same order, with GFNs and SPTE values advancing by a constant stride. So within a segment
// each site predicts its next event from its previous ones: the same lock/root/level/field
// presence and vCPU, the same parent delta (or the same parent, for the events of a loop under one
// call), each GFN and 64-bit value = previous + (previous - the one before), each entry write
// likewise from the site's write with the same index, and the site that followed it last time.
// An event starts with one of (the lead is a varint):
//   lead L < RUN    a run: this event and the next L have the predicted site and every field
//                   predicted; the later ones start with nothing (L is counted up as the run grows);
//   RUN + site * 2 + 1                every field predicted;
//   RUN + site * 2, miss mask byte    then the missed fields in mask bit order (writes: their
//                   count, then per write a tag byte, table | level << 2 | W_* misses, and its
//                   missed GFN/old/new);
// and ends with its result slot byte if it has one (patched when the call returns).
// Missed GFNs are deltas from the segment's previous GFN; missed values are special-value tags or
// refer to the segment's two most recent values (literal()). A site's state starts from zeros at
// its first event in a segment; predictions are 32-bit arithmetic on value halves, never BigInt
// arithmetic (it allocates).
import type { EntryWrite, LockMode, PgLevel, RootKind, Spte } from './types';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE } from './spte';
import type { TableKind } from './table-store';
import * as words from './words';

// Module-local copies: imported bindings are getter calls in CommonJS output, too slow per byte.
const { HI, LO, halves, u64 } = words;

/** Events per unit of random access (callers cache decoded blocks). */
export const BLOCK = 64;
/** Events per segment: large enough that each site of a 28-event fault + teardown pattern recurs
 *  many times after the two events that set its strides, small enough that skimming to a block
 *  stays cheap; a multiple of BLOCK. */
const SEGMENT = 1024;
const CHUNK = 1 << 22;
/** Positions (of segments and result slots) are chunk * POS + offset: small integers up to 2 GiB of
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

// Lead varints below RUN start a run of (lead + 1) events; others are RUN + site * 2 + predicted.
const RUN = 64;

// Result slot bytes: an interned result id below R_BIG, or one of these.
const R_NONE = 0xff, R_BIG = 0xfe;

// Flags byte: which fields an event has.
const F_GFN = 1, F_OLD = 2, F_NEW = 4, F_RESULT = 8, F_STATUS = 16, F_WRITES = 32, F_EXTRA = 64;
// Miss mask: the fields written out because the site's prediction was wrong (in this order).
const M_HEADER = 1, M_VCPU = 2, M_PARENT = 4, M_GFN = 8, M_OLD = 16, M_NEW = 32, M_STATUS = 64, M_WRITES = 128;
// Write tag: table | level << 2, and the write's missed fields.
const W_GFN = 0x20, W_OLD = 0x40, W_NEW = 0x80;

// Tags of a missed value.
const V_NONPRESENT = 0, V_FROZEN = 1, V_PREV0 = 2, V_PREV1 = 3, V_ZERO = 4, V_LIT = 5;
const NP_HI = 0x80000000 | 0, FROZEN_LO = Number(FROZEN_SPTE - SHADOW_NONPRESENT_VALUE);

// Per-site predictor state, in an Int32Array (32-bit halves of values, their strides, small
// fields) and a Float64Array (GFNs, parents, vCPU: may exceed 32 bits). Writes 0..WK-2 of an
// event have their own slot; later ones share the last (a run of writes strides within the event).
const WK = 4;
const I_HEADER = 0, I_PMODE = 1, I_NW = 2, I_SUCC = 3, I_VAL = 4; // I_VAL: old, new, status × (lo, hi, dlo, dhi)
const I_W = I_VAL + 12, IW = 9; // per write slot: table | level << 2, old and new × (lo, hi, dlo, dhi)
const IS = I_W + WK * IW;
const F_STAMP = 0, F_VCPU = 1, F_PD = 2, F_PARENT = 3, F_G = 4; // F_G: gfn, gfn stride
const F_W = 6, FW = 2; // per write slot: gfn, gfn stride
const FS = F_W + WK * FW;

/** The prediction state of a segment; the encoder and the decoder keep one each and update it
 *  identically from the events' actual fields. */
class Model {
  i = new Int32Array(64 * IS);
  f = new Float64Array(64 * FS);
  /** GFN of the segment's previous event or write, the base of missed GFNs. */
  prevGfn = 0;
  /** The segment's two most recent distinct values (not special values), for missed values. */
  p0lo = 0; p0hi = 0; p1lo = 0; p1hi = 0;
  /** Site of the previous event of the segment (-1: none); its I_SUCC predicts the next site. */
  prevSite = -1;
  /** Decoder: events left in the current run after this one. */
  run = 0;

  startSegment(): void {
    this.prevGfn = 0;
    this.p0lo = this.p0hi = this.p1lo = this.p1hi = 0;
    this.prevSite = -1;
    this.run = 0;
  }

  /** The site predicted to follow the previous event's. */
  nextSite(): number {
    return this.prevSite < 0 ? -1 : this.i[this.prevSite * IS + I_SUCC];
  }

  /** Record that `site` followed the previous event's site. */
  followed(site: number): void {
    if (this.prevSite >= 0) this.i[this.prevSite * IS + I_SUCC] = site;
    this.prevSite = site;
  }

  /** Make `site`'s state current for the segment stamped `stamp`: zeros at its first event there. */
  site(site: number, stamp: number): void {
    if ((site + 1) * FS > this.f.length) {
      const n = Math.max(site + 1, (this.f.length / FS) * 2);
      const i = new Int32Array(n * IS), f = new Float64Array(n * FS);
      i.set(this.i); f.set(this.f);
      this.i = i; this.f = f;
    }
    const fb = site * FS;
    if (this.f[fb + F_STAMP] === stamp) return;
    this.i.fill(0, site * IS, (site + 1) * IS);
    this.f.fill(0, fb, fb + FS);
    this.f[fb + F_STAMP] = stamp;
  }

  /** Whether the value (lo, hi) at i[o..o+3] was predicted (previous + stride); records it. */
  value(o: number, lo: number, hi: number): boolean {
    const i = this.i;
    const plo = i[o], phi = i[o + 1];
    const hit = lo === ((plo + i[o + 2]) | 0) && hi === ((phi + i[o + 3]) | 0);
    i[o] = lo; i[o + 1] = hi; i[o + 2] = (lo - plo) | 0; i[o + 3] = (hi - phi) | 0;
    return hit;
  }

  /** value() for a GFN at f[o], f[o+1]. */
  gfn(o: number, g: number): boolean {
    const f = this.f;
    const prev = f[o];
    const hit = g === prev + f[o + 1];
    f[o] = g; f[o + 1] = g - prev;
    return hit;
  }

  /** Record a value in the segment's recent values (special values have their own tags). */
  recent(lo: number, hi: number): void {
    if ((lo === this.p0lo && hi === this.p0hi) || (hi === NP_HI ? lo === 0 || lo === FROZEN_LO : hi === 0 && lo === 0)) return;
    this.p1lo = this.p0lo; this.p1hi = this.p0hi;
    this.p0lo = lo; this.p0hi = hi;
  }
}

export class EventEncoder {
  private chunks: Uint8Array[] = [new Uint8Array(CHUNK)];
  private used: number[] = [0];
  /** Position of the first event of each segment: chunk index * POS + offset. */
  private segPos: Float64Array = new Float64Array(1024);
  count = 0;
  /** Result ids >= R_BIG by slot position (rare: ids are dense and most recordings use a few). */
  private bigResults = new Map<number, number>();
  /** Position of the result slot of the last appended event, -1 if it has none. */
  lastResultSlot = -1;
  private m = new Model();
  /** The decoder, kept where it stopped: sequential block reads continue without a restart. */
  private reader = new Reader(this.chunks, this.used, this.bigResults);
  /** The chunk being written and the write position in it. */
  private buf: Uint8Array = this.chunks[0];
  private n = 0;
  /** Offset in `buf` of the open run's lead byte, -1 if none. */
  private runPos = -1;

  // ---- encoding ----------------------------------------------------------------------------
  /** Make room for an event of at most `max` bytes in the current chunk (events never straddle chunks). */
  private ensure(max: number): void {
    if (this.n + max <= this.buf.length) return;
    if (max > CHUNK) throw new RangeError(`an event of up to ${max} bytes does not fit a ${CHUNK}-byte chunk`);
    this.used[this.chunks.length - 1] = this.n;
    this.runPos = -1; // an offset in the previous chunk
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
  /** A missed value: a special value's tag, one of the segment's two recent values, or the XOR
   *  with the most recent (values of a segment share most of their bits). */
  private literal(lo: number, hi: number): void {
    const m = this.m;
    if (hi === NP_HI && lo === 0) this.byte(V_NONPRESENT);
    else if (hi === NP_HI && lo === FROZEN_LO) this.byte(V_FROZEN);
    else if (hi === 0 && lo === 0) this.byte(V_ZERO);
    else if (lo === m.p0lo && hi === m.p0hi) this.byte(V_PREV0);
    else if (lo === m.p1lo && hi === m.p1hi) this.byte(V_PREV1);
    else {
      this.byte(V_LIT);
      this.varint((lo ^ m.p0lo) >>> 0);
      this.varint((hi ^ m.p0hi) >>> 0);
    }
  }
  /** A missed GFN: delta from the segment's previous one. */
  private gfn(g: number): void {
    this.zigzag(g - this.m.prevGfn);
  }

  /** Append one event. `writes` are parallel arrays so the simulator need not allocate objects. */
  append(e: EncodedFields, w: WriteBuffer): void {
    const seq = this.count;
    const m = this.m;
    if (this.reader.next >= 0) this.reader.forget(); // it may have read the open run's length
    if (seq % SEGMENT === 0) {
      m.startSegment();
      this.runPos = -1;
      if (seq / SEGMENT >= this.segPos.length) {
        const nb = new Float64Array(this.segPos.length * 2);
        nb.set(this.segPos);
        this.segPos = nb;
      }
    }
    this.ensure(80 + w.length * 40);
    const c = this.chunks.length - 1;
    if (seq % SEGMENT === 0) this.segPos[seq / SEGMENT] = c * POS + this.n;

    // Predict each field from the site's state, recording the actual values.
    const site = e.site;
    m.site(site, Math.floor(seq / SEGMENT) + 1);
    const I = m.i, F = m.f, ib = site * IS, fb = site * FS;
    const lockI = e.lock === 'none' ? 0 : e.lock === 'read' ? 1 : 2;
    const rootI = e.root === undefined ? 0 : e.root === 'direct' ? 1 : 2;
    const packed = lockI | (rootI << 2) | ((e.level ?? 0) << 4) | (e.vcpu !== null ? 0x80 : 0);
    const flags = (e.gfn !== undefined ? F_GFN : 0) | (e.old !== undefined ? F_OLD : 0) | (e.new !== undefined ? F_NEW : 0) |
      (e.result >= 0 || e.resultSlot ? F_RESULT : 0) | (e.status !== undefined ? F_STATUS : 0) | (w.length ? F_WRITES : 0) | (e.extra ? F_EXTRA : 0);
    const header = packed | (flags << 8);
    let miss = I[ib + I_HEADER] === header ? 0 : M_HEADER;
    I[ib + I_HEADER] = header;
    const vcpu = e.vcpu;
    if (vcpu !== null) {
      if (F[fb + F_VCPU] !== vcpu) miss |= M_VCPU;
      F[fb + F_VCPU] = vcpu;
    }
    const parent = e.parent;
    const pd = parent >= 0 ? seq - parent : parent;
    if (I[ib + I_PMODE] ? parent !== F[fb + F_PARENT] : pd !== F[fb + F_PD]) miss |= M_PARENT;
    // Predict the same parent when the delta grew but the parent stayed: events of a loop.
    I[ib + I_PMODE] = pd !== F[fb + F_PD] && parent === F[fb + F_PARENT] ? 1 : 0;
    F[fb + F_PD] = pd; F[fb + F_PARENT] = parent;
    if (e.gfn !== undefined && !m.gfn(fb + F_G, e.gfn)) miss |= M_GFN;
    let olo = 0, ohi = 0, nlo = 0, nhi = 0, slo = 0, shi = 0;
    if (e.old !== undefined) {
      const h = halves(e.old);
      olo = h[LO] | 0; ohi = h[HI] | 0;
      if (!m.value(ib + I_VAL, olo, ohi)) miss |= M_OLD;
    }
    if (e.new !== undefined) {
      const h = halves(e.new);
      nlo = h[LO] | 0; nhi = h[HI] | 0;
      if (!m.value(ib + I_VAL + 4, nlo, nhi)) miss |= M_NEW;
    }
    if (e.status !== undefined) {
      const h = halves(e.status);
      slo = h[LO] | 0; shi = h[HI] | 0;
      if (!m.value(ib + I_VAL + 8, slo, shi)) miss |= M_STATUS;
    }

    const inRun = m.nextSite() === site;
    m.followed(site);

    // Write the missed fields, in the order the decoder reads them (the segment's previous GFN and
    // recent values are updated in that order too).
    const sitePos = this.n;
    this.varint(RUN + site * 2);
    const maskPos = this.n++;
    if (miss & M_HEADER) { this.byte(packed); this.byte(flags); }
    if (miss & M_VCPU) this.varint(vcpu!);
    if (miss & M_PARENT) this.zigzag(pd);
    if (e.gfn !== undefined) {
      if (miss & M_GFN) this.gfn(e.gfn);
      m.prevGfn = e.gfn;
    }
    if (e.old !== undefined) { if (miss & M_OLD) this.literal(olo, ohi); m.recent(olo, ohi); }
    if (e.new !== undefined) { if (miss & M_NEW) this.literal(nlo, nhi); m.recent(nlo, nhi); }
    if (e.status !== undefined) { if (miss & M_STATUS) this.literal(slo, shi); m.recent(slo, shi); }
    if (w.length) {
      const wPos = this.n;
      if (this.writes(w, ib, fb)) this.n = wPos; // all predicted: nothing to keep
      else miss |= M_WRITES;
    }
    if (miss !== 0) {
      this.buf[maskPos] = miss;
      this.runPos = -1;
    } else if (inRun && this.runPos >= 0 && this.buf[this.runPos] < RUN - 1) {
      this.n = sitePos;
      this.buf[this.runPos]++;
    } else if (inRun) {
      this.n = sitePos;
      this.runPos = this.n;
      this.byte(0);
    } else {
      this.n = maskPos;
      this.buf[sitePos] |= 1;
      this.runPos = -1;
    }
    this.lastResultSlot = -1;
    if (flags & F_RESULT) {
      // One fixed byte so that a call's result can be filled in when it returns.
      this.lastResultSlot = c * POS + this.n;
      this.n++;
      this.patchResult(this.lastResultSlot, e.result);
    }
    this.used[c] = this.n;
    this.count++;
  }

  /** Write an event's entry writes (count, then per write its tag and missed fields); returns
   *  whether the site's state predicted all of them, count included. */
  private writes(w: WriteBuffer, ib: number, fb: number): boolean {
    const m = this.m, I = m.i;
    const nw = w.length;
    let all = I[ib + I_NW] === nw;
    I[ib + I_NW] = nw;
    this.varint(nw);
    for (let k = 0; k < nw; k++) {
      const slot = k < WK ? k : WK - 1;
      const io = ib + I_W + slot * IW;
      const tl = w.table[k] | (w.level[k] << 2);
      if (I[io] !== tl) all = false;
      I[io] = tl;
      const g = w.gfn[k];
      let tag = tl | (m.gfn(fb + F_W + slot * FW, g) ? 0 : W_GFN);
      let h = halves(w.old[k]);
      const olo = h[LO] | 0, ohi = h[HI] | 0;
      if (!m.value(io + 1, olo, ohi)) tag |= W_OLD;
      h = halves(w.new[k]);
      const nlo = h[LO] | 0, nhi = h[HI] | 0;
      if (!m.value(io + 5, nlo, nhi)) tag |= W_NEW;
      if (tag !== tl) all = false;
      this.byte(tag);
      if (tag & W_GFN) this.gfn(g);
      m.prevGfn = g;
      if (tag & W_OLD) this.literal(olo, ohi);
      m.recent(olo, ohi);
      if (tag & W_NEW) this.literal(nlo, nhi);
      m.recent(nlo, nhi);
    }
    return all;
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
    this.segPos = this.segPos.slice(0, Math.ceil(this.count / SEGMENT));
    this.reader.forget(); // it may hold the untrimmed chunk
  }

  bytes(): number {
    return this.used.reduce((a, b) => a + b, 0);
  }

  // ---- decoding ----------------------------------------------------------------------------
  /** Decode events block*BLOCK .. upto (inclusive, within that block), in order. */
  decodeBlock(block: number, upto: number, out: (seq: number, e: RawEvent) => void): void {
    const r = this.readerAt(block * BLOCK);
    const list: RawEvent[] = [];
    while (r.next <= upto) list.push(r.event());
    // After decoding: `out` may decode other blocks with the same reader.
    for (let i = 0; i < list.length; i++) out(block * BLOCK + i, list[i]);
  }

  /** Append to `out` the entry writes of events first..last (inclusive) in order, root
   *  allocations/frees as level 0. Replay path: no per-event objects, and the event's own
   *  SPTE values are skipped without materialising BigInts. */
  collectWrites(first: number, last: number, out: WriteBuffer): void {
    // A plain loop, no per-event callback: this is the whole cost of a stateAt() step.
    const r = this.readerAt(first);
    while (r.next <= last) r.writesOf(out);
  }

  /** The reader before event `seq`: where it stopped if that is earlier in the same segment, else
   *  at the segment's start; then through the events before `seq` (each one's predictions
   *  depend on the previous). */
  private readerAt(seq: number): Reader {
    const r = this.reader;
    const seg = Math.floor(seq / SEGMENT);
    if (!(r.next >= seg * SEGMENT && r.next <= seq)) {
      const pos = this.segPos[seg];
      const c = Math.floor(pos / POS);
      r.seek(seg * SEGMENT, c, pos - c * POS);
    }
    while (r.next < seq) r.writesOf(null);
    return r;
  }
}

/** x (an integer read from a Float64Array) as a small integer when it is one: such loads box
 *  every value as a heap number, and heap numbers in a decoded event's fields deoptimize the code
 *  that copies them into fields holding small integers. */
const int = (x: number): number => (x === (x | 0) ? x | 0 : x);

const NO_BYTES = new Uint8Array(0);

/** Reads events in order from a position; the encoder's chunk list and used sizes are shared. */
class Reader {
  /** Seq of the next event to read; -1: nowhere. */
  next = -1;
  private chunk: Uint8Array = NO_BYTES;
  /** Index of `chunk` in the chunk list, and the read position in it. */
  private c = 0;
  private p = 0;
  private m = new Model();
  /** Stamps the sites' state per segment read (so that starting a segment resets nothing). */
  private stamp = 0;
  /** What head() read: the event's site state offsets, miss mask, header bytes, vCPU and parent. */
  private ib = 0;
  private fb = 0;
  private miss = 0;
  private packed = 0;
  private flags = 0;
  private site = 0;
  private vcpu: number | null = null;
  private parent = 0;
  /** The last value read (valueOf()). */
  private lo = 0;
  private hi = 0;
  constructor(private chunks: Uint8Array[], private used: number[], private bigResults: ReadonlyMap<number, number>) {}

  /** Position at the first event of a segment: `seq`, at offset p of chunk c. */
  seek(seq: number, c: number, p: number): void {
    this.next = seq; this.c = c; this.chunk = this.chunks[c]; this.p = p;
  }
  forget(): void {
    this.next = -1;
    this.chunk = NO_BYTES;
  }
  /** Start the next event: move to the next chunk at the end of this one (events never straddle
   *  chunks), reset the predictions at a segment's start; returns the event's seq. */
  private advance(): number {
    if (this.p >= this.used[this.c]) { this.c++; this.chunk = this.chunks[this.c]; this.p = 0; }
    const seq = this.next++;
    if (seq % SEGMENT === 0) {
      this.stamp++;
      this.m.startSegment();
    }
    return seq;
  }
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
  /** The inverse of EventEncoder.literal(), into lo/hi. */
  private literal(): void {
    const m = this.m;
    const t = this.byte();
    if (t === V_NONPRESENT) { this.lo = 0; this.hi = NP_HI; }
    else if (t === V_FROZEN) { this.lo = FROZEN_LO; this.hi = NP_HI; }
    else if (t === V_ZERO) { this.lo = 0; this.hi = 0; }
    else if (t === V_PREV0) { this.lo = m.p0lo; this.hi = m.p0hi; }
    else if (t === V_PREV1) { this.lo = m.p1lo; this.hi = m.p1hi; }
    else { this.lo = this.varint() ^ m.p0lo; this.hi = this.varint() ^ m.p0hi; }
  }
  /** The value at state offset o into lo/hi: read if `missed`, else predicted; recorded. */
  private valueOf(o: number, missed: boolean): void {
    const m = this.m;
    if (missed) this.literal();
    else { const i = m.i; this.lo = (i[o] + i[o + 2]) | 0; this.hi = (i[o + 1] + i[o + 3]) | 0; }
    m.value(o, this.lo, this.hi);
    m.recent(this.lo, this.hi);
  }
  private gfnOf(o: number, missed: boolean): number {
    const m = this.m;
    const g = missed ? m.prevGfn + this.zigzag() : m.f[o] + m.f[o + 1];
    m.gfn(o, g);
    m.prevGfn = g;
    return int(g);
  }
  /** Read an event's site, miss mask, header, vCPU and parent, updating the site's state. */
  private head(seq: number): void {
    const m = this.m;
    let site: number, miss = 0;
    if (m.run > 0) {
      m.run--;
      site = m.nextSite();
    } else {
      const v = this.varint();
      if (v < RUN) {
        m.run = v;
        site = m.nextSite();
      } else {
        site = int(Math.floor((v - RUN) / 2));
        if (v % 2 === 0) miss = this.byte();
      }
    }
    m.site(site, this.stamp);
    m.followed(site);
    const I = m.i, F = m.f, ib = site * IS, fb = site * FS;
    if (miss & M_HEADER) {
      this.packed = this.byte();
      this.flags = this.byte();
      I[ib + I_HEADER] = this.packed | (this.flags << 8);
    } else {
      this.packed = I[ib + I_HEADER] & 0xff;
      this.flags = I[ib + I_HEADER] >> 8;
    }
    if (miss & M_VCPU) F[fb + F_VCPU] = this.varint();
    this.vcpu = this.packed & 0x80 ? int(F[fb + F_VCPU]) : null;
    let parent: number, pd: number;
    if (miss & M_PARENT) {
      pd = this.zigzag();
      parent = pd > 0 ? seq - pd : pd;
    } else if (I[ib + I_PMODE]) {
      parent = F[fb + F_PARENT];
      pd = parent >= 0 ? seq - parent : parent;
    } else {
      pd = F[fb + F_PD];
      parent = pd > 0 ? seq - pd : pd;
    }
    I[ib + I_PMODE] = pd !== F[fb + F_PD] && parent === F[fb + F_PARENT] ? 1 : 0;
    F[fb + F_PD] = pd; F[fb + F_PARENT] = parent;
    this.parent = int(parent);
    this.site = site; this.ib = ib; this.fb = fb; this.miss = miss;
  }
  /** Consume an event's entry writes, appending them to `out` (null: skip them). */
  private writes(out: WriteBuffer | null, list: EntryWrite[] | null): void {
    const m = this.m, I = m.i, ib = this.ib, fb = this.fb;
    const explicit = (this.miss & M_WRITES) !== 0;
    const nw = explicit ? this.varint() : I[ib + I_NW];
    I[ib + I_NW] = nw;
    for (let k = 0; k < nw; k++) {
      const slot = k < WK ? k : WK - 1;
      const io = ib + I_W + slot * IW;
      const tag = explicit ? this.byte() : I[io];
      const tl = tag & 0x1f;
      I[io] = tl;
      const g = this.gfnOf(fb + F_W + slot * FW, (tag & W_GFN) !== 0);
      this.valueOf(io + 1, (tag & W_OLD) !== 0);
      const olo = this.lo, ohi = this.hi;
      this.valueOf(io + 5, (tag & W_NEW) !== 0);
      if (out) out.add(tl & 3, g, tl >> 2, u64(ohi, olo), u64(this.hi, this.lo));
      if (list && tl >> 2) list.push({ table: TABLES[tl & 3], gfn: g, level: (tl >> 2) as PgLevel, old: u64(ohi, olo), new: u64(this.hi, this.lo) });
    }
  }
  /** Consume one event, appending its writes to `out` (null: skip them). */
  writesOf(out: WriteBuffer | null): void {
    this.head(this.advance());
    const flags = this.flags, miss = this.miss, o = this.ib + I_VAL;
    if (flags & F_GFN) this.gfnOf(this.fb + F_G, (miss & M_GFN) !== 0);
    if (flags & F_OLD) this.valueOf(o, (miss & M_OLD) !== 0);
    if (flags & F_NEW) this.valueOf(o + 4, (miss & M_NEW) !== 0);
    if (flags & F_STATUS) this.valueOf(o + 8, (miss & M_STATUS) !== 0);
    if (flags & F_WRITES) this.writes(out, null);
    if (flags & F_RESULT) this.p++;
  }
  event(): RawEvent {
    this.head(this.advance());
    const packed = this.packed, flags = this.flags, miss = this.miss, o = this.ib + I_VAL;
    const lv = (packed >> 4) & 7;
    const e: RawEvent = {
      site: this.site, parent: this.parent, lock: LOCKS[packed & 3], root: ROOTS[(packed >> 2) & 3],
      level: lv ? (lv as PgLevel) : undefined, vcpu: this.vcpu,
      gfn: undefined, old: undefined, new: undefined, status: undefined, result: -1, extra: (flags & F_EXTRA) !== 0,
      writes: [],
    };
    if (flags & F_GFN) e.gfn = this.gfnOf(this.fb + F_G, (miss & M_GFN) !== 0);
    if (flags & F_OLD) { this.valueOf(o, (miss & M_OLD) !== 0); e.old = u64(this.hi, this.lo); }
    if (flags & F_NEW) { this.valueOf(o + 4, (miss & M_NEW) !== 0); e.new = u64(this.hi, this.lo); }
    if (flags & F_STATUS) { this.valueOf(o + 8, (miss & M_STATUS) !== 0); e.status = u64(this.hi, this.lo); }
    if (flags & F_WRITES) this.writes(null, e.writes);
    if (flags & F_RESULT) {
      const slot = this.c * POS + this.p;
      const r = this.byte();
      e.result = r === R_NONE ? -1 : r === R_BIG ? this.bigResults.get(slot)! : r;
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
