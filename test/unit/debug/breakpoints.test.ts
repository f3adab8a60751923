// BreakpointSet on real simulated recordings, without DAP: hit counts are positions in the
// recording (the same forward and in reverse), conditions agree with the events' own values.
import { strict as assert } from 'assert';
import * as path from 'path';
import fc from 'fast-check';
import { BreakpointSet, parseHitCondition } from '../../../src/debug/breakpoints';
import { noTreeLocator } from '../../../src/debug/locator';
import { loadScenarioFile } from '../../../src/sim/scenario';
import { simulate } from '../../../src/sim/simulate';
import type { Recording, SimEvent } from '../../../src/sim/types';

const REPO = path.resolve(__dirname, '../../..');
const recs: Recording[] = ['split-private-2m-rfc', 'td-teardown', 'race-frozen-spte', 'zap-private-leaves']
  .map((n) => simulate(loadScenarioFile(path.join(REPO, 'scenarios', `${n}.tdpsim.yaml`)), {}));
const events = (rec: Recording): SimEvent[] => Array.from({ length: rec.length }, (_, s) => rec.event(s));

/** Where continue (forward from before the start) or reverse-continue (from after the end) stops. */
function firstStop(bps: BreakpointSet, rec: Recording, dir: 'forward' | 'backward'): number | null {
  for (let i = 0; i < rec.length; i++) {
    const s = dir === 'forward' ? i : rec.length - 1 - i;
    if (bps.check(rec.event(s))?.description) return s;
  }
  return null;
}

describe('debug/breakpoints', () => {
  it('parses hit conditions like the usual debuggers (plain N: from the Nth hit on)', () => {
    const at = (c: string) => [1, 2, 3, 4, 5, 6].filter(parseHitCondition(c));
    assert.deepEqual(at('3'), [3, 4, 5, 6]);
    assert.deepEqual(at('>= 3'), [3, 4, 5, 6]);
    assert.deepEqual(at('==3'), [3]);
    assert.deepEqual(at('> 4'), [5, 6]);
    assert.deepEqual(at('<2'), [1]);
    assert.deepEqual(at('<= 2'), [1, 2]);
    assert.deepEqual(at('%2'), [2, 4, 6]);
    assert.throws(() => parseHitCondition('every 2'), /hit condition 'every 2' is not a number optionally preceded by ==, >, >=, <, <= or %/);
    assert.throws(() => parseHitCondition('%0'), /% 0 is undefined/);
  });

  it('property: "== k" stops at the k-th call of a function, forward and in reverse alike', () => {
    const cases = fc.constantFrom(...recs).chain((rec) => {
      const fns = [...new Set(events(rec).filter((e) => e.kind === 'call' || e.kind === 'hook' || e.kind === 'seamcall').map((e) => e.fn))];
      return fc.tuple(fc.constant(rec), fc.constantFrom(...fns), fc.integer({ min: 1, max: 6 }));
    });
    fc.assert(fc.property(cases, ([rec, fn, k]) => {
      const calls = events(rec).filter((e) => e.fn === fn && e.kind !== 'step').map((e) => e.seq);
      const bps = new BreakpointSet({ rec, vm: 'tdx' }, noTreeLocator());
      const [st] = bps.setFunctionBreakpoints([{ name: fn, hitCondition: `== ${k}` }]);
      assert.equal(st.verified, true);
      const want = k <= calls.length ? calls[k - 1] : null;
      assert.equal(firstStop(bps, rec, 'forward'), want);
      assert.equal(firstStop(bps, rec, 'backward'), want);
    }), { numRuns: 60 });
  });

  it('property: a condition on gfn and level stops exactly where the events carry those values', () => {
    const cases = fc.constantFrom(...recs).chain((rec) => {
      const withGfn = events(rec).filter((e) => e.gfn !== undefined && e.level !== undefined);
      return fc.tuple(fc.constant(rec), fc.constantFrom(...withGfn));
    });
    fc.assert(fc.property(cases, ([rec, probe]) => {
      const bps = new BreakpointSet({ rec, vm: 'tdx' }, noTreeLocator());
      bps.setFunctionBreakpoints([{ name: probe.fn, condition: `gfn == 0x${probe.gfn!.toString(16)} && level == ${probe.level}` }]);
      const want = events(rec).find((e) => e.fn === probe.fn && e.gfn === probe.gfn && e.level === probe.level)!.seq;
      assert.equal(firstStop(bps, rec, 'forward'), want);
      assert.ok(want <= probe.seq);
    }), { numRuns: 60 });
  });

  it('exception filters: SEAMCALL errors are the SEAMCALLs that did not return TDX_SUCCESS', () => {
    const rec = simulate(loadScenarioFile(path.join(REPO, 'scenarios/inject-operand-busy.tdpsim.yaml')), {});
    const failed = events(rec).filter((e) => e.kind === 'seamcall' && e.result !== 'TDX_SUCCESS');
    assert.ok(failed.length > 0, 'the scenario injects TDX_OPERAND_BUSY');
    const bps = new BreakpointSet({ rec, vm: 'tdx' }, noTreeLocator());
    bps.setExceptionFilters(['seamcall_error']);
    const stops = events(rec).filter((e) => bps.check(e)?.reason === 'exception').map((e) => e.seq);
    assert.deepEqual(stops, failed.map((e) => e.seq));
    assert.match(bps.check(failed[0])!.description, new RegExp(`^SEAMCALL error: ${failed[0].fn.replace(/\./g, '\\.')} returned ${failed[0].result}`));
  });
});
