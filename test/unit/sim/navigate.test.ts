// Pure navigation edge cases over hand-built call trees (no simulation needed: these test the
// tree walking, not kernel behaviour), plus fast-check properties over random trees checked
// against an independent oracle that walks parent chains.
import { strict as assert } from 'assert';
import fc from 'fast-check';
import type { EventKind, Recording, SimEvent, SimState } from '../../../src/sim/types';
import {
  byFunction, depth, isHookCall, runTo, seek, step, stepOut, stepOver,
} from '../../../src/sim/navigate';

/** A call tree as nested arrays: [fn, kind?, children...]. */
interface Node { fn: string; kind?: EventKind; children?: Node[] }

function recordingOf(roots: Node[]): Recording {
  const events: SimEvent[] = [];
  const visit = (n: Node, parent: number | null, stack: string[]): void => {
    const seq = events.length;
    const st = [...stack, n.fn];
    events.push({ seq, kind: n.kind ?? 'call', fn: n.fn, stack: st, parent, anchor: null, step: 0, lock: 'none', vcpu: null });
    for (const c of n.children ?? []) visit(c, seq, st);
  };
  for (const r of roots) visit(r, null, []);
  return {
    profile: 'mainline', name: 'tree', length: events.length,
    event: (s) => { if (!(s >= 0 && s < events.length)) throw new RangeError(`seq ${s}`); return events[s]; },
    stateAt: (): SimState => { throw new Error('navigation must not need simulated state'); },
    steps: [], expectations: [],
  };
}

const call = (fn: string, ...children: Node[]): Node => ({ fn, children });
const hook = (fn: string, ...children: Node[]): Node => ({ fn, kind: 'hook', children });

// 0 step
// 1 tdp_mmu_split_huge_page
// 2   tdp_mmu_link_sp
// 3     tdp_mmu_iter_set_spte
// 4       tdp_mmu_set_spte
// 5         handle_changed_spte
// 6         split_external_spt
// 7           split_external_spt (hook)
// 8             TDH.MEM.RANGE.BLOCK
// 9             TDH.MEM.TRACK
// 10            TDH.MEM.PAGE.DEMOTE
// 11  trace (sibling of link_sp)
// 12 tdp_mmu_zap_leafs
const split = recordingOf([
  { fn: 'split', kind: 'step' },
  call('tdp_mmu_split_huge_page',
    call('tdp_mmu_link_sp',
      call('tdp_mmu_iter_set_spte',
        call('tdp_mmu_set_spte',
          call('handle_changed_spte'),
          call('split_external_spt',
            hook('split_external_spt',
              { fn: 'TDH.MEM.RANGE.BLOCK', kind: 'seamcall' },
              { fn: 'TDH.MEM.TRACK', kind: 'seamcall' },
              { fn: 'TDH.MEM.PAGE.DEMOTE', kind: 'seamcall' }))))),
    call('trace_kvm_mmu_split_huge_page')),
  call('tdp_mmu_zap_leafs'),
]);

describe('sim/navigate', () => {
  it('step moves one event and stops at both ends', () => {
    assert.equal(step(split, 0), 1);
    assert.equal(step(split, 12), null);
    assert.equal(step(split, 0, 'backward'), null);
    assert.equal(step(split, 5, 'backward'), 4);
  });

  it('step over skips the callee forward, and goes to the previous sibling or caller backward', () => {
    assert.equal(stepOver(split, 5), 6, 'handle_changed_spte has no callees');
    assert.equal(stepOver(split, 6), 11, 'over split_external_spt and the SEAMCALLs, out to the next sibling up the stack');
    assert.equal(stepOver(split, 1), 12);
    assert.equal(stepOver(split, 12), null, 'last event');
    assert.equal(stepOver(split, 6, 'backward'), 5, 'previous sibling');
    assert.equal(stepOver(split, 5, 'backward'), 4, 'first callee: back to the caller');
    assert.equal(stepOver(split, 11, 'backward'), 2, 'previous sibling, skipping its callees');
    assert.equal(stepOver(split, 12, 'backward'), 1, 'top level: previous top-level event');
    assert.equal(stepOver(split, 0, 'backward'), null);
  });

  it('step out finishes the enclosing call forward and returns to it backward', () => {
    assert.equal(stepOut(split, 9), 11, 'out of the hook: everything up to the next event outside it');
    assert.equal(stepOut(split, 5), 11);
    assert.equal(stepOut(split, 11), 12);
    assert.equal(stepOut(split, 9, 'backward'), 7, 'reverse finish lands on the hook call');
    assert.equal(stepOut(split, 12), null, 'top level: behaves as step over (nothing after)');
    assert.equal(stepOut(split, 12, 'backward'), 1);
  });

  it('runTo finds the next/previous matching event, strictly beyond the start', () => {
    assert.equal(runTo(split, 0, isHookCall), 7);
    assert.equal(runTo(split, 7, isHookCall), null);
    assert.equal(runTo(split, 12, byFunction('split_external_spt'), 'backward'), 7);
    assert.equal(runTo(split, 7, byFunction('split_external_spt'), 'backward'), 6);
  });

  it('seek clamps into the recording and handles an empty one', () => {
    assert.equal(seek(split, -5), 0);
    assert.equal(seek(split, 99), 12);
    assert.equal(seek(split, 3.7), 3);
    assert.equal(seek(split, Infinity), 12);
    assert.equal(seek(split, NaN), 0);
    assert.equal(seek(recordingOf([]), 0), null);
    assert.equal(stepOver(recordingOf([]), 0), null);
  });

  it('depth counts enclosing calls', () => {
    assert.deepEqual([0, 1, 4, 6, 9, 11, 12].map((s) => depth(split, s)), [0, 0, 3, 4, 6, 1, 0]);
  });

  // ---- properties over random trees ------------------------------------------------------
  const tree: fc.Arbitrary<Node[]> = fc.letrec<{ node: Node; forest: Node[] }>((tie) => ({
    node: fc.record({ fn: fc.constantFrom('a', 'b', 'c'), children: tie('forest') }),
    forest: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant<Node[]>([]), fc.array(tie('node'), { maxLength: 4 })),
  })).forest.filter((f) => f.length > 0);

  /** Oracle: ancestors by walking parent chains (independent of the pre-order trick). */
  const ancestors = (rec: Recording, s: number): number[] => {
    const out: number[] = [];
    for (let p = rec.event(s).parent; p !== null; p = rec.event(p).parent) out.push(p);
    return out;
  };
  const inside = (rec: Recording, s: number, call: number): boolean => ancestors(rec, s).includes(call);

  it('property: step over lands on the first event outside the current call', () => {
    fc.assert(fc.property(tree, fc.nat(), (roots, pick) => {
      const rec = recordingOf(roots);
      const from = pick % rec.length;
      const to = stepOver(rec, from);
      let expect: number | null = null;
      for (let s = from + 1; s < rec.length; s++) if (!inside(rec, s, from)) { expect = s; break; }
      assert.equal(to, expect);
    }));
  });

  it('property: step over backward lands on the previous sibling or the caller, never inside another call', () => {
    fc.assert(fc.property(tree, fc.nat(), (roots, pick) => {
      const rec = recordingOf(roots);
      const from = pick % rec.length;
      const to = stepOver(rec, from, 'backward');
      const parent = rec.event(from).parent;
      const siblings = [];
      for (let s = 0; s < from; s++) if (rec.event(s).parent === parent) siblings.push(s);
      const expect = siblings.length ? siblings[siblings.length - 1] : parent;
      assert.equal(to, expect);
      if (to !== null) assert.ok(ancestors(rec, from).length >= ancestors(rec, to).length);
    }));
  });

  it('property: step out leaves the enclosing call; stepping out backward returns to it', () => {
    fc.assert(fc.property(tree, fc.nat(), (roots, pick) => {
      const rec = recordingOf(roots);
      const from = pick % rec.length;
      const parent = rec.event(from).parent;
      const to = stepOut(rec, from);
      if (parent === null) { assert.equal(to, stepOver(rec, from)); return; }
      if (to !== null) {
        assert.ok(!inside(rec, to, parent), 'landed outside the caller');
        for (let s = from + 1; s < to; s++) assert.ok(inside(rec, s, parent), 'skipped only events of the caller');
      } else {
        for (let s = from + 1; s < rec.length; s++) assert.ok(inside(rec, s, parent));
      }
      assert.equal(stepOut(rec, from, 'backward'), parent);
    }));
  });
});
