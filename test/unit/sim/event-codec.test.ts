// The event codec on its own: random event streams (strided runs, as the simulator emits, broken
// by jumps and special values) decode exactly, block by block in any order and as write replays,
// and a repeating fault + teardown pattern stays compact.
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { BLOCK, EncodedFields, EventEncoder, RawEvent, WriteBuffer } from '../../../src/sim/event-codec';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE } from '../../../src/sim/spte';
import type { LockMode, PgLevel, RootKind } from '../../../src/sim/types';

const TABLES = ['direct', 'mirror', 'sept'] as const;
const U64 = (1n << 64n) - 1n;

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;
interface Write { table: number; level: number; gfn: number; old: bigint; new: bigint }
interface Ev { f: EncodedFields; writes: Write[]; /** result patched after `patchAfter` more events */ late?: { result: number; patchAfter: number } }

/** A value of a strided run: base + i * stride, wrapping at 64 bits (carries between the halves). */
const strided = (base: bigint, stride: bigint, i: number): bigint => (base + BigInt(i) * stride) & U64;

const valueArb = fc.oneof(
  fc.constantFrom(SHADOW_NONPRESENT_VALUE, FROZEN_SPTE, 0n, 1n, U64, 0xffffffffn, 0x100000000n),
  fc.bigInt({ min: 0n, max: U64 }),
);
/** How an event field evolves over a site's recurrences. */
const fieldArb = fc.oneof(
  fc.record({ kind: fc.constant('const' as const), v: valueArb }),
  fc.record({ kind: fc.constant('stride' as const), v: fc.oneof(valueArb, fc.constant(0xfffff000n)), d: fc.constantFrom(0x1000n, 1n, -0x1000n, 1n << 32n, 0x1_0000_1000n) }),
  fc.record({ kind: fc.constant('random' as const), v: fc.constant(0n) }),
);
const templateArb = fc.record({
  site: fc.integer({ min: 0, max: 200 }),
  parent: fc.oneof(fc.constant('prev' as const), fc.constant('loop' as const), fc.integer({ min: 0, max: 3 })),
  lock: fc.constantFrom<LockMode>('none', 'read', 'write'),
  root: fc.constantFrom<RootKind | undefined>(undefined, 'direct', 'mirror'),
  level: fc.constantFrom<PgLevel | undefined>(undefined, 1, 2, 3, 4, 5),
  vcpu: fc.constantFrom<number | null>(null, 0, 1, 300, 2 ** 40),
  gfn: fc.option(fc.record({ base: fc.integer({ min: 0, max: 2 ** 40 }), stride: fc.constantFrom(0, 1, 512, -1, 2 ** 33) }), { nil: undefined }),
  old: fc.option(fieldArb, { nil: undefined }),
  new: fc.option(fieldArb, { nil: undefined }),
  status: fc.option(fieldArb, { nil: undefined }),
  result: fc.integer({ min: -1, max: 300 }),
  slot: fc.boolean(),
  extra: fc.boolean(),
  writes: fc.array(fc.record({ table: fc.integer({ min: 0, max: 2 }), level: fc.integer({ min: 0, max: 5 }), old: fieldArb, new: fieldArb, gfnStride: fc.constantFrom(0, 1, 7) }), { maxLength: 6 }),
});
/** Per event: a perturbation (0: none, mostly) and the template taken on a jump of kind 6. */
const stepArb = fc.record({ t: fc.nat(), jump: fc.nat(99).map((n) => Math.max(0, n - 93)), seed: fc.bigInt({ min: 0n, max: U64 }), patchAfter: fc.constantFrom(-1, -1, -1, 0, 1, 5, 600) });

/** Materialise the event stream: the templates in a cycle, each recurring with its strides;
 *  jumps move a GFN, drop a write, change the lock or the vCPU, the loop parent or the template. */
function build(templates: Array<Of<typeof templateArb>>, steps: Array<Of<typeof stepArb>>): Ev[] {
  const iter = new Map<number, number>();
  const loopParent = new Map<number, number>();
  const evs: Ev[] = [];
  const val = (f: { kind: 'const' | 'stride' | 'random'; v: bigint; d?: bigint }, i: number, seed: bigint): bigint =>
    f.kind === 'const' ? f.v : f.kind === 'stride' ? strided(f.v, f.d!, i) : (seed * 0x9e3779b97f4a7c15n + BigInt(i)) & U64;
  let ti = -1;
  steps.forEach((s, seq) => {
    ti = s.jump === 6 ? s.t % templates.length : (ti + 1) % templates.length;
    const t = templates[ti];
    const i = iter.get(ti) ?? 0;
    iter.set(ti, i + 1);
    let parent: number;
    if (typeof t.parent === 'number' || seq === 0) parent = -1 - (typeof t.parent === 'number' ? t.parent : 0);
    else if (t.parent === 'prev') parent = seq - 1;
    else {
      if (!loopParent.has(ti) || s.jump === 5) loopParent.set(ti, seq - 1);
      parent = loopParent.get(ti)!;
    }
    let gfn = t.gfn ? t.gfn.base + i * t.gfn.stride : undefined;
    if (gfn !== undefined && (gfn < 0 || s.jump === 1)) gfn = Number(s.seed % 2n ** 40n);
    const writes = t.writes.map((w, k) => ({
      table: w.table, level: w.level, gfn: (gfn ?? 0) + k * w.gfnStride,
      old: val(w.old, i, s.seed + BigInt(k)), new: val(w.new, i, s.seed - BigInt(k)),
    }));
    if (s.jump === 2) writes.pop();
    const result = s.patchAfter >= 0 ? -1 : t.result;
    const f: EncodedFields = {
      site: t.site, parent, lock: s.jump === 3 ? 'write' : t.lock, root: t.root, level: t.level,
      vcpu: s.jump === 4 && t.vcpu !== null ? t.vcpu + 1 : t.vcpu, gfn,
      old: t.old && val(t.old, i, s.seed), new: t.new && val(t.new, i, s.seed ^ 5n), status: t.status && val(t.status, i, s.seed ^ 9n),
      result, resultSlot: t.slot || s.patchAfter >= 0, extra: t.extra,
    };
    evs.push({ f, writes, late: s.patchAfter >= 0 ? { result: t.result, patchAfter: s.patchAfter } : undefined });
  });
  return evs;
}

/** Append the stream, patching late results after the planned number of further events; after
 *  the events in `probes`, check the writes so far (reading while appending). */
function encode(evs: Ev[], probes: number[] = []): EventEncoder {
  const enc = new EventEncoder();
  const wb = new WriteBuffer();
  const pending: Array<{ at: number; slot: number; result: number }> = [];
  evs.forEach((e, seq) => {
    wb.clear();
    for (const w of e.writes) wb.add(w.table, w.gfn, w.level, w.old, w.new);
    enc.append(e.f, wb);
    if (e.late) pending.push({ at: seq + e.late.patchAfter, slot: enc.lastResultSlot, result: e.late.result });
    for (const p of pending.filter((x) => x.at <= seq)) enc.patchResult(p.slot, p.result);
    pending.splice(0, pending.length, ...pending.filter((x) => x.at > seq));
    if (probes.includes(seq)) assert.deepEqual(collected(enc, 0, seq), writesOf(evs, 0, seq), `writes 0..${seq} while appending`);
  });
  for (const p of pending) enc.patchResult(p.slot, p.result);
  return enc;
}

function expected(e: Ev): RawEvent {
  return {
    site: e.f.site, parent: e.f.parent, lock: e.f.lock, root: e.f.root, level: e.f.level, vcpu: e.f.vcpu,
    gfn: e.f.gfn, old: e.f.old, new: e.f.new, status: e.f.status, result: e.late ? e.late.result : e.f.result, extra: e.f.extra,
    writes: e.writes.filter((w) => w.level !== 0).map((w) => ({ table: TABLES[w.table], gfn: w.gfn, level: w.level as PgLevel, old: w.old, new: w.new })),
  };
}

function writesOf(evs: Ev[], first: number, last: number): Write[] {
  return evs.slice(first, last + 1).flatMap((e) => e.writes);
}

function collected(enc: EventEncoder, first: number, last: number): Write[] {
  const out = new WriteBuffer();
  enc.collectWrites(first, last, out);
  return Array.from({ length: out.length }, (_, i) => ({ table: out.table[i], level: out.level[i], gfn: out.gfn[i], old: out.old[i], new: out.new[i] }));
}

describe('sim/event-codec: round trip', () => {
  it('random strided streams decode exactly, blocks in any order, and replay their writes', () => {
    fc.assert(fc.property(
      fc.array(templateArb, { minLength: 1, maxLength: 30, size: 'max' }),
      // Up to 40 blocks: across the codec's prediction segments (1024 events) too.
      fc.array(stepArb, { minLength: 1, maxLength: 40 * BLOCK, size: 'max' }),
      fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      (templates, steps, probes, early) => {
        const evs = build(templates, steps);
        const enc = encode(evs, early.map((x) => x % evs.length));
        assert.equal(enc.count, evs.length);
        const blocks = Math.ceil(evs.length / BLOCK);
        const checkBlock = (b: number): void => {
          const upto = Math.min(evs.length, (b + 1) * BLOCK) - 1;
          const got: Array<[number, RawEvent]> = [];
          enc.decodeBlock(b, upto, (seq, e) => got.push([seq, e]));
          assert.deepEqual(got.map(([s]) => s), Array.from({ length: upto - b * BLOCK + 1 }, (_, i) => b * BLOCK + i));
          for (const [seq, e] of got) assert.deepEqual(e, expected(evs[seq]), `event ${seq}`);
        };
        // Last block first: a block must not decode differently after another one.
        for (let b = blocks - 1; b >= 0; b--) checkBlock(b);
        // Then blocks and write ranges in random order (the decoder resumes where it stopped).
        for (const [block, x, y] of probes) {
          if (block) { checkBlock(x % blocks); continue; }
          const first = x % evs.length, last = first + (y % (evs.length - first));
          assert.deepEqual(collected(enc, first, last), writesOf(evs, first, last), `writes ${first}..${last}`);
        }
      }), { numRuns: 40 });
  });

  it('crosses 4 MiB chunks: unpredictable events still decode on both sides of each boundary', () => {
    // Random GFNs and values defeat every prediction: ~40 bytes per event, two chunk boundaries.
    let x = 0x12345678n;
    const rnd = (): bigint => (x = (x * 6364136223846793005n + 1442695040888963407n) & U64);
    const evs: Ev[] = [];
    for (let seq = 0; seq < 250_000; seq++) {
      const gfn = Number(rnd() >> 24n);
      evs.push({
        f: { site: seq % 3, parent: seq ? seq - 1 - Number(rnd() % BigInt(Math.min(seq, 40))) : -1, lock: 'read', vcpu: null, gfn, old: rnd(), new: rnd(), result: seq % 7 === 0 ? 0x1ff : 1, resultSlot: false, extra: false },
        writes: [{ table: 1, level: 1, gfn: gfn + 1, old: rnd(), new: rnd() }],
      });
    }
    const enc = encode(evs);
    assert.ok(enc.bytes() > 2 * (1 << 22), `${enc.bytes()} bytes: the stream must span three chunks`);
    enc.trim();
    const blocks = Math.ceil(evs.length / BLOCK);
    for (let b = 0; b < blocks; b++) {
      enc.decodeBlock(b, Math.min(evs.length, (b + 1) * BLOCK) - 1, (seq, e) => {
        if (seq % 97 === 0 || seq % BLOCK === 0 || seq % BLOCK === BLOCK - 1) assert.deepEqual(e, expected(evs[seq]), `event ${seq}`);
      });
    }
    assert.deepEqual(collected(enc, 0, evs.length - 1), writesOf(evs, 0, evs.length - 1));
  });

  it('crosses 4 MiB chunks in the middle of runs of predicted events', () => {
    // Three sites in turn, everything strided: runs of predicted events, one result byte each.
    const N = 5_000_000;
    const at = (seq: number): Ev => ({
      f: { site: seq % 3, parent: seq ? seq - 1 : -1, lock: 'read', vcpu: 1, gfn: Math.floor(seq / 3), new: BigInt(seq) << 12n, result: seq % 3, resultSlot: false, extra: false },
      writes: seq % 3 === 2 ? [{ table: 2, level: 1, gfn: Math.floor(seq / 3), old: 0n, new: BigInt(seq) << 12n }] : [],
    });
    const enc = new EventEncoder();
    const wb = new WriteBuffer();
    for (let seq = 0; seq < N; seq++) {
      const e = at(seq);
      wb.clear();
      for (const w of e.writes) wb.add(w.table, w.gfn, w.level, w.old, w.new);
      enc.append(e.f, wb);
    }
    assert.ok(enc.bytes() > 1 << 22, `${enc.bytes()} bytes: the stream must span two chunks`);
    enc.trim();
    for (let b = 0; b * BLOCK < N; b++) {
      enc.decodeBlock(b, Math.min(N, (b + 1) * BLOCK) - 1, (seq, e) => {
        if (seq % 1009 === 0 || seq % BLOCK === 0) assert.deepEqual(e, expected(at(seq)), `event ${seq}`);
      });
    }
    const first = N - 20_000;
    assert.deepEqual(collected(enc, first, N - 1), Array.from({ length: N - first }, (_, i) => at(first + i).writes).flat());
  });
});

describe('sim/event-codec: compression', () => {
  /** The shape of a 4K private fault (14 events) and its teardown (14), per guest page. */
  function faultAndTeardown(pages: number): Ev[] {
    const evs: Ev[] = [];
    const leaf = (pfn: number): bigint => 0x8600000000000b37n | (BigInt(pfn) << 12n);
    const sept = (pfn: number, state: bigint): bigint => (BigInt(pfn) << 12n) | state;
    const push = (site: number, parent: number, f: Partial<EncodedFields>, w?: Write): void => {
      evs.push({ f: { site, parent, lock: 'read', vcpu: 0, result: -1, resultSlot: true, extra: false, ...f }, writes: w ? [w] : [] });
    };
    for (let g = 0; g < pages; g++) {
      const s = evs.length, pfn = 0x400000 + g;
      push(0, -1, { gfn: g, resultSlot: false, lock: 'none' });
      for (let k = 1; k < 13; k++) {
        const w = k % 4 === 1 ? { table: 1 + (k & 1), level: 1, gfn: g, old: SHADOW_NONPRESENT_VALUE, new: leaf(pfn) } : undefined;
        push(k, s + (k > 6 ? 6 : k - 1), { root: 'mirror', level: 1, gfn: g, old: SHADOW_NONPRESENT_VALUE, new: leaf(pfn), result: k === 8 ? 1 : -1 }, w);
      }
      push(13, s, { gfn: g, level: 1, status: 0n, new: sept(pfn, 0x11n) }, { table: 2, level: 1, gfn: g, old: 0n, new: sept(pfn, 0x11n) });
    }
    const zap = evs.length;
    push(20, -1, { lock: 'write', vcpu: null });
    for (let g = 0; g < pages; g++) {
      const s = evs.length, pfn = 0x400000 + g;
      push(21, zap, { lock: 'write', vcpu: null, root: 'mirror', level: 1, gfn: g, old: leaf(pfn), new: SHADOW_NONPRESENT_VALUE },
        { table: 1, level: 1, gfn: g, old: leaf(pfn), new: SHADOW_NONPRESENT_VALUE });
      for (let k = 22; k < 35; k++) push(k, s + (k - 22) % 3, { lock: 'write', vcpu: null, gfn: k === 30 || k === 31 ? undefined : g, status: k > 28 ? 0n : undefined, old: sept(pfn, 0x14n) });
    }
    return evs;
  }

  it('a repeating fault + teardown pattern costs under 1.5 bytes per event (the previous codec: ~8), and decodes', () => {
    const evs = faultAndTeardown(2000);
    const enc = encode(evs);
    const perEvent = enc.bytes() / enc.count;
    assert.ok(perEvent < 1.5, `${perEvent.toFixed(2)} bytes per event`);
    for (let b = 0; b * BLOCK < evs.length; b++) {
      enc.decodeBlock(b, Math.min(evs.length, (b + 1) * BLOCK) - 1, (seq, e) => assert.deepEqual(e, expected(evs[seq]), `event ${seq}`));
    }
  });
});
