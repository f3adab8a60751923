// Property tests over random operation sequences on random profiles:
//  1. no invariant breaks silently: wherever the mirror root and the S-EPT disagree at the end of
//     a step (checked here by walking both trees, independently of src/sim/invariants.ts), an
//     invariant event covering that GFN was recorded;
//  2. every KVM_BUG_ON is one the kernel would raise: an independent predicate per site, over the
//     values the event reports and the state before it.
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { simulate, SimInputError } from '../../../src/sim/simulate';
import { PROFILES } from '../../../src/sim/profiles';
import type { PgLevel, ProfileName, Recording, SimEvent } from '../../../src/sim/types';
import type { ScenarioStep } from '../../../src/sim/scenario-types';
import { FROZEN_SPTE, is_last_spte, is_large_pte, is_shadow_present_pte, septEntryIsLeaf, spte_to_pfn } from '../../../src/sim/spte';
import { pagesPerHpage } from '../../../src/sim/levels';
import { events, td, vmx } from './helpers';

const PAGES = 1024;
const gfnArb = fc.integer({ min: 0, max: PAGES - 1 });
const range = fc.tuple(gfnArb, fc.integer({ min: 1, max: 700 })).map(([g, n]) => ({ gfn: g, npages: Math.min(n, PAGES - g) }));
const faultArb = (priv: fc.Arbitrary<boolean>, vcpu: fc.Arbitrary<number>) =>
  fc.record({ op: fc.constant('fault' as const), gfn: gfnArb, private: priv, write: fc.constant(true), max_level: fc.constantFrom<PgLevel>(1, 2), vcpu });

function tdStep(): fc.Arbitrary<ScenarioStep> {
  return fc.oneof(
    { weight: 6, arbitrary: faultArb(fc.boolean(), fc.constantFrom(0, 1)) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('split' as const), gfn: gfnArb, level: fc.constant<PgLevel>(2), private: fc.boolean(), shared: fc.boolean() }) },
    { weight: 2, arbitrary: fc.tuple(range, fc.constantFrom('shared' as const, 'private' as const)).map(([r, to]) => ({ op: 'convert' as const, ...r, to })) },
    { weight: 2, arbitrary: fc.tuple(range, fc.boolean()).map(([r, p]) => ({ op: 'zap' as const, ...r, private: p })) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('inject' as const),
      seamcall: fc.constantFrom('TDH.MEM.PAGE.AUG', 'TDH.MEM.SEPT.ADD', 'TDH.MEM.RANGE.BLOCK', 'TDH.MEM.TRACK', 'TDH.MEM.PAGE.REMOVE', 'TDH.MEM.PAGE.DEMOTE', 'TDH.PHYMEM.PAGE.RECLAIM'),
      error: fc.constantFrom('TDX_OPERAND_BUSY', 'TDX_EPT_WALK_FAILED', 'TDX_EPT_ENTRY_STATE_INCORRECT'), times: fc.integer({ min: 1, max: 2 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('race' as const), interleave: fc.constantFrom('lockstep' as const, 'sequential' as const),
      faults: fc.tuple(faultArb(fc.boolean(), fc.constant(0)), faultArb(fc.boolean(), fc.constant(1))).map((f) => [...f]) }) },
  );
}

function vmxStep(): fc.Arbitrary<ScenarioStep> {
  return fc.oneof(
    { weight: 6, arbitrary: faultArb(fc.constant(false), fc.constantFrom(0, 1)) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('split' as const), gfn: gfnArb, level: fc.constant<PgLevel>(2), private: fc.constant(false), shared: fc.boolean() }) },
    { weight: 2, arbitrary: range.map((r) => ({ op: 'zap' as const, ...r, private: false })) },
    { weight: 2, arbitrary: fc.tuple(range, fc.boolean(), fc.boolean()).map(([r, enable, eager]) => ({ op: 'dirty_log' as const, ...r, enable, eager_split: eager })) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('race' as const), interleave: fc.constantFrom('lockstep' as const, 'sequential' as const),
      faults: fc.tuple(faultArb(fc.constant(false), fc.constant(0)), faultArb(fc.constant(false), fc.constant(1))).map((f) => [...f]) }) },
  );
}

const scenarioArb = fc.oneof(
  fc.tuple(fc.constantFrom<ProfileName>('mainline', 'hugepage-rfc-v2'), fc.array(tdStep(), { minLength: 1, maxLength: 8 }), fc.boolean())
    .map(([p, steps, down]) => td(down ? [...steps, { op: 'teardown' }] : steps, p, { pages: PAGES })),
  fc.tuple(fc.constantFrom<ProfileName>('pre-tdx', 'mainline', 'hugepage-rfc-v2'), fc.array(vmxStep(), { minLength: 1, maxLength: 8 }), fc.boolean())
    .map(([p, steps, down]) => vmx(down ? [...steps, { op: 'teardown' }] : steps, p, { pages: PAGES })),
);

function run(sc: ReturnType<typeof td>): Recording | null {
  try {
    return simulate(sc);
  } catch (e) {
    // Requests the kernel cannot honour are refused up front (e.g. a fault on a torn-down VM).
    if (e instanceof SimInputError) return null;
    throw e;
  }
}

/** The leaf mapping gfn in a table at seq: [level, pfn] or null. */
function leaf(rec: Recording, seq: number, table: 'mirror' | 'sept', gfn: number): [number, bigint] | null {
  const w = rec.stateAt(seq).walk(table, gfn);
  const e = w[w.length - 1];
  if (!e) return null;
  const isLeaf = table === 'sept' ? septEntryIsLeaf(e.spte) : is_shadow_present_pte(e.spte) && is_last_spte(e.spte, e.level);
  return isLeaf ? [e.level, spte_to_pfn(e.spte)] : null;
}

describe('sim: property tests over random operation sequences', () => {
  it('no mirror/S-EPT disagreement is silent: each one is covered by an invariant event', () => {
    fc.assert(fc.property(scenarioArb, (sc) => {
      if (sc.vm.type !== 'tdx') return;
      const rec = run(sc);
      if (!rec) return;
      const evs = events(rec);
      const inv = evs.filter((e) => e.kind === 'invariant' && e.gfn !== undefined);
      const ends = rec.steps.map((s, i) => (i + 1 < rec.steps.length ? rec.steps[i + 1].firstSeq : rec.length) - 1).filter((s) => s >= 0);
      for (const end of ends) {
        for (let g = 0; g < PAGES; g++) {
          const m = leaf(rec, end, 'mirror', g);
          const s = leaf(rec, end, 'sept', g);
          const agree = (m === null && s === null) || (m !== null && s !== null && m[0] === s[0] && m[1] === s[1]);
          if (agree) continue;
          const covered = inv.some((e) => e.seq <= end && e.gfn! <= g && g < e.gfn! + pagesPerHpage((e.level ?? 1) as PgLevel));
          assert.ok(covered, `gfn 0x${g.toString(16)} disagrees at seq ${end} (mirror ${JSON.stringify(m?.map(String))}, S-EPT ${JSON.stringify(s?.map(String))}) without an invariant event`);
        }
      }
    }), { numRuns: 60 });
  });

  it('every KVM_BUG_ON holds for the state it fired in (independent predicates per site)', () => {
    fc.assert(fc.property(scenarioArb, (sc) => {
      const rec = run(sc);
      if (!rec) return;
      const evs = events(rec);
      const profile = PROFILES[rec.profile];
      const parentOf = (e: SimEvent): SimEvent => evs[e.parent!];
      const seamcallsBefore = (e: SimEvent, name: string) => evs.some((x) => x.seq < e.seq && x.fn === name && x.status === 0n);
      /** The last SEAMCALL made directly by the function that fired the KVM_BUG_ON failed. */
      const failedSeamcall = (e: SimEvent) => {
        const sib = evs.filter((x) => x.kind === 'seamcall' && x.seq < e.seq && x.parent === e.parent);
        const nested = evs.filter((x) => x.kind === 'seamcall' && x.seq < e.seq && x.parent !== null && evs[x.parent].parent === e.parent && evs[x.parent].fn === 'tdx_no_vcpus_enter_start');
        const last = [...sib, ...nested].sort((a, b) => a.seq - b.seq).at(-1);
        return last !== undefined && last.status !== 0n;
      };
      for (const e of evs.filter((x) => x.kind === 'kvm_bug')) {
        const old = e.old_spte ?? 0n;
        const nv = e.new_spte ?? 0n;
        const lvl = e.level as PgLevel;
        let ok: boolean;
        switch (e.anchor) {
          case 'tdp_mmu_set_spte.bug_present': ok = profile.setSpteMirrorPresent === 'bug' && e.root === 'mirror' && is_shadow_present_pte(nv); break;
          case 'tdp_mmu_set_spte.bug_other': ok = profile.setSpteMirrorPresent === 'split' && e.root === 'mirror' && is_shadow_present_pte(nv) && !(is_last_spte(old, lvl) && !is_last_spte(nv, lvl)); break;
          case 'kvm_tdp_mmu_map.bug_mirror_huge': ok = profile.faultPathMirrorSplit === 'bug' && e.root === 'mirror' && is_shadow_present_pte(old) && is_large_pte(old); break;
          case '__tdp_mmu_set_spte_atomic.bug_mirror_zap': ok = e.root === 'mirror' && !is_shadow_present_pte(nv) && nv !== FROZEN_SPTE; break;
          case 'set_external_spte_present.bug_was_present': {
            const wasLeaf = is_shadow_present_pte(old) && is_last_spte(old, lvl);
            const isLeaf = is_shadow_present_pte(nv) && is_last_spte(nv, lvl);
            // mainline: any present old SPTE; RFC v2 11/23: anything but a demote (leaf → page table).
            ok = is_shadow_present_pte(old) && (profile.faultPathMirrorSplit === 'bug' || !(wasLeaf && !isLeaf));
            break;
          }
          case 'handle_removed_pt.bug_mirror_shared': ok = e.root === 'mirror' && e.lock === 'read'; break;
          case 'remove_external_spte.bug_ret': ok = evs.some((x) => x.kind === 'hook' && x.fn === 'remove_external_spte' && x.parent === e.parent && x.result !== '0'); break;
          case 'tdx_sept_set_private_spte': ok = parentOf(e).level! > profile.privateMaxLevel; break;
          case 'tdx_sept_split_private_spt.bug_state': ok = parentOf(e).level !== 2; break;
          case 'tdx_sept_remove_private_spte': ok = seamcallsBefore(e, 'TDH.MNG.KEY.FREEID'); break;
          case 'tdx_sept_free_private_spt': ok = !seamcallsBefore(e, 'TDH.MNG.KEY.FREEID'); break;
          case 'tdx_sept_drop_private_spte':
            ok = parentOf(e).level! > profile.privateMaxLevel || seamcallsBefore(e, 'TDH.MNG.KEY.FREEID') || failedSeamcall(e);
            break;
          case 'tdx_sept_link_private_spt': case 'tdx_mem_page_aug': case 'tdx_sept_zap_private_spte': case 'tdx_track': case 'tdx_sept_split_private_spt.demote':
            ok = failedSeamcall(e);
            break;
          case 'set_external_spte_present.bug_no_external_spt': case 'split_external_spt.bug_no_external_spt':
            ok = e.root === 'mirror' && is_shadow_present_pte(nv) && !is_last_spte(nv, lvl) && profile.setSpteMirrorPresent === 'bug';
            break;
          default:
            ok = false;
        }
        assert.ok(ok, `KVM_BUG_ON at ${e.anchor} (${e.message}) does not hold on profile ${rec.profile}: ${JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
      }
    }), { numRuns: 80 });
  });

  it('random sequences always produce valid anchors, stacks and parents', () => {
    fc.assert(fc.property(scenarioArb, (sc) => {
      const rec = run(sc);
      if (!rec) return;
      for (const e of events(rec)) {
        if (e.parent !== null) {
          const p = rec.event(e.parent);
          assert.ok(p.kind === 'call' || p.kind === 'hook' || p.kind === 'seamcall');
          assert.ok(p.seq < e.seq);
        }
        if (e.kind === 'call' || e.kind === 'hook' || e.kind === 'seamcall') assert.equal(e.stack[e.stack.length - 1], e.fn);
        if (e.kind === 'step') assert.deepEqual(e.stack, []);
      }
    }), { numRuns: 40 });
  });
});
