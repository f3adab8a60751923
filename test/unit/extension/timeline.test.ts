import * as assert from 'assert';
import fc from 'fast-check';
import { categorize, RecordingIndex } from '../../../src/extension/stepper/recordingIndex';
import { parseGfnQuery, Timeline } from '../../../src/extension/stepper/timeline';
import { FILTER_CATEGORIES, type FilterCategory } from '../../../src/extension/stepper/protocol';
import type { SimEvent } from '../../../src/sim/types';
import { recordingOf, syntheticRecording, type EventSpec } from './fakeRecording';
import { GFN, splitRecording } from './splitFixture';

describe('stepper timeline: categories and index', () => {
  const rec = splitRecording();
  const index = new RecordingIndex(rec);

  it('puts each event in the filter category users ask for', () => {
    const cats = Array.from({ length: rec.length }, (_, s) => index.categoryOf(s));
    assert.deepStrictEqual(cats, [
      'other', 'other', 'other', 'set_spte', 'set_spte', 'other', 'hook', 'seamcall', 'seamcall', 'seamcall',
      'invariant', 'set_spte', 'kvm_bug', 'other',
    ]);
  });

  it('lists the calls of each function and the events of each anchor in order', () => {
    assert.deepStrictEqual([...index.callsOf('tdp_mmu_set_spte')], [4, 11]);
    assert.deepStrictEqual([...index.callsOf('split_external_spt')], [6]);
    assert.deepStrictEqual([...index.callsOf('tdp_mmu_map')], []);
    assert.deepStrictEqual([...index.eventsAt('tdp_mmu_set_spte.split_external_spt')], [6]);
    // KVM_BUG_ON is not a call: it is found by anchor, not by function.
    assert.deepStrictEqual([...index.callsOf('KVM_BUG_ON')], []);
    assert.deepStrictEqual([...index.eventsAt('tdp_mmu_set_spte.bug_other')], [12]);
  });

  it('finds the last event with a GFN and the invariant violations so far', () => {
    assert.strictEqual(index.lastWithGfn(8), 7, 'TDH.MEM.TRACK has no GFN: the trees stay on the BLOCK one');
    assert.deepStrictEqual([...index.invariantsUpTo(9)], []);
    assert.deepStrictEqual([...index.invariantsUpTo(10)], [10]);
  });
});

describe('stepper timeline: filters and windows', () => {
  const rec = splitRecording();
  const index = new RecordingIndex(rec);

  it('shows every event by default and clips windows to the end', () => {
    const t = new Timeline(rec, index, 'tdx');
    assert.strictEqual(t.length, rec.length);
    assert.deepStrictEqual(t.rows(12, 10).map((r) => r.seq), [12, 13]);
    assert.deepStrictEqual(t.rows(20, 5), []);
  });

  it('filters by category and keeps seq order', () => {
    const t = new Timeline(rec, index, 'tdx');
    assert.strictEqual(t.setFilter({ categories: ['hook', 'seamcall'], gfn: '' }), null);
    assert.deepStrictEqual(t.rows(0, 100).map((r) => r.seq), [6, 7, 8, 9]);
    assert.strictEqual(t.indexOf(7), 1);
    assert.strictEqual(t.indexOf(5), -1);
    assert.strictEqual(t.nearest(5), 0);
    assert.strictEqual(t.next(6), 7);
    assert.strictEqual(t.prev(6), null);
    assert.strictEqual(t.next(9), null);
    assert.strictEqual(t.prev(100), 9);
  });

  it('searches by GFN, matching events whose huge entry covers it', () => {
    const t = new Timeline(rec, index, 'tdx');
    t.setFilter({ categories: [...FILTER_CATEGORIES], gfn: '0x2a7' });
    // 0x2a7 lies inside the 2M entry at 0x200: every event about that entry, and the write of
    // the 4K children, but not TDH.MEM.TRACK (no GFN) nor the invariant at 0x5000.
    assert.deepStrictEqual(t.rows(0, 100).map((r) => r.seq), [0, 1, 2, 3, 4, 5, 6, 7, 9]);
    t.setFilter({ categories: [...FILTER_CATEGORIES], gfn: '5000' });
    assert.deepStrictEqual(t.rows(0, 100).map((r) => r.seq), [10], 'bare hex, as the kernel prints GFNs');
  });

  it('reports a bad GFN query and keeps the previous search', () => {
    const t = new Timeline(rec, index, 'tdx');
    t.setFilter({ categories: [...FILTER_CATEGORIES], gfn: '0x5000' });
    const err = t.setFilter({ categories: ['invariant', 'kvm_bug'], gfn: '0x50g0' });
    assert.match(err ?? '', /GFN '0x50g0' is not hex: unexpected character at column 5/);
    assert.strictEqual(t.filter.gfn, '0x5000');
    assert.deepStrictEqual(t.filter.categories, ['kvm_bug', 'invariant']);
    assert.deepStrictEqual(t.rows(0, 100).map((r) => r.seq), [10]);
  });

  it('parses GFN queries strictly', () => {
    assert.deepStrictEqual(parseGfnQuery('  '), { gfn: null });
    assert.deepStrictEqual(parseGfnQuery('0x200'), { gfn: 0x200 });
    assert.deepStrictEqual(parseGfnQuery('ff_ff'), { gfn: 0xffff });
    assert.match((parseGfnQuery('-1') as { error: string }).error, /negative/);
    assert.match((parseGfnQuery('0x10000000000') as { error: string }).error, /40-bit/);
  });

  it('describes rows with depth, a summary and the error flag', () => {
    const t = new Timeline(rec, index, 'tdx');
    const [setSpte] = t.rows(4, 1);
    assert.strictEqual(setSpte.depth, 4);
    assert.match(setSpte.summary, /^tdp_mmu_set_spte {2}mirror gfn 0x200 2M {2}old 0x[0-9a-f]+\(leaf 2M\) → new 0x[0-9a-f]+\(non-leaf\)$/);
    const [demote] = t.rows(9, 1);
    assert.strictEqual(demote.summary, 'TDH.MEM.PAGE.DEMOTE  gfn 0x200 2M  → TDX_SUCCESS');
    assert.strictEqual(demote.bad, false);
    const [bug] = t.rows(12, 1);
    assert.strictEqual(bug.bad, true);
    assert.strictEqual(bug.summary, 'KVM_BUG_ON: mirror SPTE transition not allowed under write mmu_lock');
  });

  it('property: a filtered timeline is exactly the brute-force selection, and windows tile it', () => {
    const kinds: SimEvent['kind'][] = ['call', 'hook', 'seamcall', 'kvm_bug', 'invariant', 'step', 'warn'];
    const fns = ['tdp_mmu_set_spte', 'tdp_mmu_set_spte_atomic', 'handle_removed_pt', 'x'];
    const event = fc.record({
      kind: fc.constantFrom(...kinds),
      fn: fc.constantFrom(...fns),
      gfn: fc.option(fc.nat({ max: 2048 }), { nil: undefined }),
      level: fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>,
    });
    fc.assert(fc.property(
      fc.array(event, { maxLength: 80 }),
      fc.subarray([...FILTER_CATEGORIES]),
      fc.option(fc.nat({ max: 2048 }), { nil: null }),
      fc.integer({ min: 1, max: 17 }),
      (specs, cats, gfn, page) => {
        const rec = recordingOf(specs.map((s): EventSpec => (s.gfn === undefined ? { kind: s.kind, fn: s.fn } : s)));
        const t = new Timeline(rec, new RecordingIndex(rec), 'tdx');
        t.setFilter({ categories: cats as FilterCategory[], gfn: gfn === null ? '' : gfn.toString(16) });
        const expected: number[] = [];
        for (let s = 0; s < rec.length; s++) {
          const ev = rec.event(s);
          if (!cats.includes(categorize(ev))) continue;
          if (gfn !== null) {
            if (ev.gfn === undefined) continue;
            const span = ev.level === 2 ? 512 : 1;
            if (gfn < ev.gfn || gfn >= ev.gfn + span) continue;
          }
          expected.push(s);
        }
        const tiled: number[] = [];
        for (let i = 0; i < t.length; i += page) tiled.push(...t.rows(i, page).map((r) => r.seq));
        assert.deepStrictEqual(tiled, expected);
        for (let s = 0; s < rec.length; s++) {
          assert.strictEqual(t.indexOf(s), expected.indexOf(s));
          assert.strictEqual(t.next(s), expected.find((x) => x > s) ?? null);
        }
      },
    ));
  });

  it('serves windows of a million-event recording without touching the rest', () => {
    const big = syntheticRecording(1_000_000);
    let reads = 0;
    const counted = { ...big, event: (s: number) => { reads++; return big.event(s); } };
    const index = new RecordingIndex(counted);
    const t = new Timeline(counted, index, 'tdx');
    reads = 0;
    const rows = t.rows(999_950, 100);
    assert.strictEqual(rows.length, 50);
    assert.strictEqual(rows[49].seq, 999_999);
    assert.strictEqual(reads, 50, 'only the rows of the window are read');
    t.setFilter({ categories: ['hook'], gfn: '' });
    assert.strictEqual(t.length, 200_000);
    reads = 0;
    assert.deepStrictEqual(t.rows(100_000, 2).map((r) => r.seq), [500_001, 500_006]);
    assert.strictEqual(reads, 2, 'filtering uses the index, not the events');
  });
});
