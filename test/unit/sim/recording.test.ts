import { strict as assert } from 'assert';
import fc from 'fast-check';
import { RecordingBuilder, eventToJSON, recordingToJSON } from '../../../src/sim/recording';
import type { EntryWrite, PgLevel, RootKind } from '../../../src/sim/types';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, makeLeafSpte, make_nonleaf_spte, makeSeptEntry } from '../../../src/sim/spte';
import { gfnRoundForLevel } from '../../../src/sim/levels';

type Table = RootKind | 'sept';
const empty = (t: Table) => (t === 'sept' ? 0n : SHADOW_NONPRESENT_VALUE);

describe('sim/recording: RecordingBuilder', () => {
  it('derives stacks from parents and a top-level prefix, and assigns steps', () => {
    const b = new RecordingBuilder({ profile: 'mainline', name: 't' });
    b.beginStep(0, 'fault', { file: 'x.tdpsim.yaml', line: 3, column: 5 });
    const map = b.push({ kind: 'call', fn: 'kvm_tdp_mmu_map', anchor: 'kvm_tdp_mmu_map', parent: null, stackPrefix: ['kvm_tdp_page_fault'], lock: 'read', vcpu: 1, gfn: 0x200 });
    const bug = b.push({ kind: 'kvm_bug', fn: 'KVM_BUG_ON', anchor: 'kvm_tdp_mmu_map.bug_mirror_huge', parent: map, lock: 'read', vcpu: 1, message: 'why' });
    b.beginStep(2, 'teardown');
    const sc = b.push({ kind: 'seamcall', fn: 'TDH.MEM.TRACK', anchor: null, parent: null, lock: 'write', vcpu: null, status: 0x8000020000000000n, result: 'TDX_OPERAND_BUSY' });
    const rec = b.finish();
    assert.equal(rec.length, 3);
    assert.deepEqual(rec.event(map).stack, ['kvm_tdp_page_fault', 'kvm_tdp_mmu_map']);
    assert.deepEqual(rec.event(bug).stack, ['kvm_tdp_page_fault', 'kvm_tdp_mmu_map']);
    assert.equal(rec.event(bug).parent, map);
    assert.equal(rec.event(bug).message, 'why');
    assert.equal(rec.event(sc).step, 2);
    assert.equal(rec.event(sc).status, 0x8000020000000000n);
    assert.equal(rec.event(sc).result, 'TDX_OPERAND_BUSY');
    assert.deepEqual(rec.steps.map((s) => [s.index, s.op, s.firstSeq]), [[0, 'fault', 0], [2, 'teardown', 2]]);
    assert.deepEqual(rec.steps[0].source, { file: 'x.tdpsim.yaml', line: 3, column: 5 });
    assert.equal(rec.stateAt(0).bugged, null);
    assert.deepEqual(rec.stateAt(1).bugged, { seq: 1, reason: 'why' });
    assert.equal(rec.stateAt(2).lock, 'write');
    assert.equal(rec.stateAt(-1).lock, 'none');
  });

  it('rejects bad input with clear errors', () => {
    const b = new RecordingBuilder({ profile: 'mainline', name: 't' });
    assert.throws(() => b.push({ kind: 'call', fn: 'f', anchor: null, parent: 0, lock: 'none', vcpu: null }), /parent 0 is not an earlier event/);
    assert.throws(() => b.addWrite('mirror', -1, 1, 0n, 0n), /gfn -1/);
    assert.throws(() => b.addWrite('mirror', 0, 7 as PgLevel, 0n, 0n), /not a PgLevel/);
    b.beginStep(1, 'a');
    assert.throws(() => b.beginStep(1, 'b'), /must be an integer above 1/);
    b.write('sept', 0, 1, 5n);
    assert.throws(() => b.finish(), /staged but no event/);
  });

  it('keeps results of any interned id, set at push or when an open call returns', () => {
    // The encoder stores small result ids inline and larger ones aside: cross that boundary.
    const b = new RecordingBuilder({ profile: 'mainline', name: 't' });
    b.beginStep(0, 'fault');
    const want: Array<string | undefined> = [];
    const open: Array<[number, string]> = [];
    for (let i = 0; i < 700; i++) {
      const r = `r${i % 600}`;
      if (i % 3 === 0) {
        const seq = b.push({ kind: 'call', fn: 'f', anchor: null, parent: null, lock: 'read', vcpu: 0, openResult: true });
        open.push([seq, r]);
        want.push(i % 9 === 0 ? undefined : r);
      } else {
        b.push({ kind: 'call', fn: 'g', anchor: null, parent: null, lock: 'read', vcpu: 0, result: r });
        want.push(r);
      }
    }
    for (const [seq, r] of open) if (seq % 9 !== 0) b.setResult(seq, r);
    const rec = b.finish();
    for (let i = 0; i < want.length; i++) assert.equal(rec.event(i).result, want[i], `event ${i}`);
  });

  it('walks roots level by level and stops at leaves and non-present entries', () => {
    const b = new RecordingBuilder({ profile: 'mainline', name: 't' });
    b.push({ kind: 'step', fn: 'step', anchor: null, parent: null, lock: 'none', vcpu: null });
    assert.deepEqual(b.finish().stateAt(0).walk('mirror', 0), []);
    const c = new RecordingBuilder({ profile: 'mainline', name: 't' });
    c.setRoot('mirror', true);
    c.write('mirror', 0, 4, make_nonleaf_spte(10));
    c.write('mirror', 0, 3, make_nonleaf_spte(11));
    c.write('mirror', 0, 2, makeLeafSpte({ pfn: 0x400, level: 2, writable: true }));
    const s0 = c.push({ kind: 'call', fn: 'x', anchor: null, parent: null, lock: 'write', vcpu: null });
    c.write('mirror', 0, 2, SHADOW_NONPRESENT_VALUE);
    c.setRoot('mirror', false);
    c.push({ kind: 'call', fn: 'y', anchor: null, parent: null, lock: 'write', vcpu: null });
    const rec = c.finish();
    const w = rec.stateAt(s0).walk('mirror', 0x1ff);
    assert.deepEqual(w.map((e) => [e.level, e.gfn]), [[4, 0], [3, 0], [2, 0]]);
    assert.deepEqual(rec.stateAt(s0).leafCounts('mirror'), { 2: 1 });
    assert.deepEqual(rec.stateAt(1).walk('mirror', 0), []);
    assert.deepEqual(rec.stateAt(1).leafCounts('mirror'), {});
    assert.equal(rec.event(0).writes?.length, 3, 'root allocation is not an entry write');
    assert.deepEqual(rec.stateAt(s0).tableAt('mirror', 5, 3).map((e) => e.gfn), [0]);
    assert.throws(() => rec.stateAt(s0).walk('bogus' as Table, 0), /unknown table 'bogus'/);
    assert.throws(() => rec.stateAt(2), /out of range/);
    assert.throws(() => rec.event(-1), /out of range/);
  });

  it('clearTable returns a freed table to empty values', () => {
    const b = new RecordingBuilder({ profile: 'mainline', name: 't' });
    b.write('mirror', 0x10, 1, FROZEN_SPTE);
    b.write('sept', 0x11, 1, makeSeptEntry('BLOCKED', 1, 7));
    b.push({ kind: 'call', fn: 'a', anchor: null, parent: null, lock: 'write', vcpu: null });
    b.clearTable('mirror', 0x10, 1);
    b.clearTable('sept', 0x10, 1);
    b.push({ kind: 'call', fn: 'b', anchor: null, parent: null, lock: 'write', vcpu: null });
    const rec = b.finish();
    assert.equal(rec.stateAt(0).tableAt('mirror', 0, 1).length, 1);
    assert.equal(rec.stateAt(1).tableAt('mirror', 0, 1).length, 0);
    assert.equal(rec.stateAt(1).tableAt('sept', 0, 1).length, 0);
    assert.deepEqual(rec.event(1).writes?.map((w) => [w.table, w.old === FROZEN_SPTE]), [['mirror', true], ['sept', false]]);
  });
});

// Random event streams compared against a naive model that stores every event and replays all writes.
const writeArb = fc.record({
  table: fc.constantFrom<Table>('direct', 'mirror', 'sept'),
  level: fc.constantFrom<PgLevel>(1, 2, 3, 4),
  gfn: fc.integer({ min: 0, max: 1 << 22 }),
  value: fc.oneof(fc.constant(SHADOW_NONPRESENT_VALUE), fc.constant(FROZEN_SPTE), fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
});
const eventArb = fc.record({
  kind: fc.constantFrom('call', 'hook', 'seamcall', 'warn', 'invariant', 'kvm_bug' as const),
  nest: fc.boolean(),
  gfn: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
  old: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
  msg: fc.option(fc.string(), { nil: undefined }),
  writes: fc.array(writeArb, { maxLength: 4 }),
  step: fc.boolean(),
});

describe('sim/recording: storage across 4 MiB chunks', () => {
  it('events, results set late and states read the same on both sides of a chunk boundary', () => {
    const b = new RecordingBuilder({ profile: 'mainline', name: 'big' });
    b.beginStep(0, 'fault');
    // Distinct SPTEs at distinct GFNs, the writable bit alternating (the codec's strides miss):
    // ~13 bytes per event, so 400k events fill two chunks.
    const N = 400_000;
    const leafOf = (i: number) => makeLeafSpte({ pfn: 0x100000 + i * 7, level: 1, writable: (i & 1) === 0 });
    let open = -1;
    for (let i = 0; i < N; i++) {
      b.addWrite('direct', i * 3, 1, SHADOW_NONPRESENT_VALUE, leafOf(i));
      const seq = b.push({ kind: 'call', fn: 'tdp_mmu_set_spte', anchor: null, parent: null, lock: 'write', vcpu: null, gfn: i * 3, level: 1, new_spte: leafOf(i), openResult: i % 1000 === 0 });
      if (open >= 0 && i % 1000 === 1) b.setResult(open, `ret${open}`);
      if (i % 1000 === 0) open = seq;
    }
    const rec = b.finish();
    assert.equal(rec.length, N);
    for (const i of [0, 1000, 199_000, 200_000, 210_000, 300_000, 399_000, N - 1]) {
      const ev = rec.event(i);
      assert.deepEqual([ev.gfn, ev.new_spte, ev.result], [i * 3, leafOf(i), i % 1000 === 0 ? `ret${i}` : undefined], `event ${i}`);
      const entries = rec.stateAt(i).tableAt('direct', i * 3, 1);
      assert.deepEqual(entries.find((e) => e.gfn === i * 3)?.spte, leafOf(i), `state after ${i}`);
      assert.equal(entries.some((e) => e.gfn > i * 3), false, `nothing written after ${i} is in the state`);
    }
  });

  it('refuses an event too large for a chunk, naming the sizes', () => {
    const b = new RecordingBuilder({ profile: 'mainline', name: 'huge' });
    b.beginStep(0, 'zap');
    for (let i = 0; i < 110_000; i++) b.addWrite('direct', i, 1, SHADOW_NONPRESENT_VALUE, makeLeafSpte({ pfn: i, level: 1, writable: true }));
    assert.throws(() => b.push({ kind: 'call', fn: 'x', anchor: null, parent: null, lock: 'write', vcpu: null }), /an event of up to \d+ bytes does not fit a 4194304-byte chunk/);
  });
});

describe('sim/recording: random streams against a naive model', () => {
  it('event(seq) returns what was pushed and stateAt(seq) equals replaying all writes, in any access order', () => {
    fc.assert(fc.property(fc.array(eventArb, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 30 }), (evs, interval, probes) => {
      const b = new RecordingBuilder({ profile: 'hugepage-rfc-v2', name: 'p', checkpointInterval: interval });
      const model = new Map<string, bigint>();
      const snapshots: Array<Map<string, bigint>> = [];
      const pushed: Array<{ parent: number | null; writes: EntryWrite[] }> = [];
      let step = -1;
      evs.forEach((e, i) => {
        if (e.step || i === 0) b.beginStep(++step, 'op');
        const writes: EntryWrite[] = [];
        for (const w of e.writes) {
          const gfn = gfnRoundForLevel(w.gfn, w.level);
          const k = `${w.table}/${w.level}/${gfn}`;
          const old = model.get(k) ?? empty(w.table);
          writes.push({ table: w.table, gfn, level: w.level, old, new: w.value });
          model.set(k, w.value);
        }
        const parent = e.nest && i > 0 ? i - 1 : null;
        b.push({ kind: e.kind, fn: `f${i % 7}`, anchor: null, parent, lock: 'read', vcpu: i % 3 ? i % 3 : null, gfn: e.gfn, old_spte: e.old, message: e.msg, writes });
        pushed.push({ parent, writes });
        snapshots.push(new Map(model));
      });
      const rec = b.finish();
      const order = [...probes.map((p) => p % evs.length), evs.length - 1, 0];
      for (const seq of order) {
        const ev = rec.event(seq);
        assert.equal(ev.parent, pushed[seq].parent);
        assert.equal(ev.gfn, evs[seq].gfn);
        assert.equal(ev.old_spte, evs[seq].old);
        assert.equal(ev.message, evs[seq].msg);
        assert.deepEqual(ev.writes ?? [], pushed[seq].writes);
        const st = rec.stateAt(seq);
        for (const [k, v] of snapshots[seq]) {
          const [table, level, gfn] = k.split('/');
          const got = st.tableAt(table as Table, Number(gfn), Number(level) as PgLevel).find((x) => x.gfn === Number(gfn));
          assert.equal(got?.spte ?? empty(table as Table), v, `state ${seq} ${k}`);
        }
      }
    }), { numRuns: 60 });
  });

  it('JSON is deterministic, hex-encodes bigints and GFNs, and sorts args keys', () => {
    const build = () => {
      const b = new RecordingBuilder({ profile: 'mainline', name: 'det' });
      b.beginStep(0, 'fault');
      b.write('mirror', 0x200, 1, makeLeafSpte({ pfn: 0x1200, level: 1, writable: true }));
      b.push({ kind: 'seamcall', fn: 'TDH.MEM.PAGE.AUG', anchor: null, parent: null, lock: 'read', vcpu: 0, gfn: 0x200, level: 1, status: 0n, result: 'TDX_SUCCESS', args: { z: 1, a: 5n } });
      return recordingToJSON(b.finish());
    };
    const a = build();
    assert.equal(a, build());
    const parsed = JSON.parse(a);
    assert.equal(parsed.events[0].gfn, '0x200');
    assert.deepEqual(Object.keys(parsed.events[0].args), ['a', 'z']);
    assert.equal(parsed.events[0].args.a, '0x5');
    assert.equal(parsed.events[0].writes[0].old, '0x8000000000000000');
    assert.deepEqual(Object.keys(eventToJSON({ seq: 0, kind: 'step', fn: 's', stack: [], parent: null, anchor: null, step: 0, lock: 'none', vcpu: null })),
      ['seq', 'kind', 'fn', 'stack', 'parent', 'anchor', 'step', 'lock', 'vcpu']);
  });
});
