// simulate → export as trace text → import → the same page tables.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Recording, RootKind, SimEvent, WalkEntry } from '../../../src/sim/types';
import { simulate, simulateWithProfile } from '../../../src/sim';
import { effectiveProfile, loadScenarioFile } from '../../../src/sim/scenario';
import type { Scenario } from '../../../src/sim/scenario-types';
import { recordingToTrace } from '../../../src/trace/export';
import { importTrace } from '../../../src/trace/import';
import type { TraceImport } from '../../../src/trace/import';
import { isRecord, parseTraceLine } from '../../../src/trace/line';
import { textSource } from '../../../src/trace/reader';
import { SHADOW_NONPRESENT_VALUE } from '../../../src/sim';

const SCENARIOS = path.join(__dirname, '../../../scenarios');
const shipped = fs.readdirSync(SCENARIOS).filter((f) => f.endsWith('.tdpsim.yaml')).sort();

function events(rec: Recording): SimEvent[] {
  return Array.from({ length: rec.length }, (_, i) => rec.event(i));
}

/** A walk, with a root that holds nothing but non-present entries shown as no root: the trace
 *  cannot tell a freed root (its release is not traced) from an emptied one. */
function norm(w: WalkEntry[]): string {
  if (w.length === 0 || (w.length === 1 && w[0].spte === SHADOW_NONPRESENT_VALUE)) return '[]';
  return w.map((e) => `${e.level}:${e.gfn.toString(16)}:${e.spte.toString(16)}`).join(' ');
}

async function roundTrip(sc: Scenario, rec: Recording): Promise<{ text: string; t: TraceImport }> {
  const text = recordingToTrace(rec);
  const t = await importTrace(textSource(`${sc.name}.trace`, text), { profile: sc.profile, vmType: sc.vm.type });
  return { text, t };
}

const isTraced = (e: SimEvent): boolean => e.fn === 'handle_changed_spte' && e.anchor === 'handle_changed_spte.trace';

describe('trace round trip: simulate → export → import', () => {
  for (const file of shipped) {
    it(`${file}: exact tracepoint lines, no findings, the same page tables after every change`, async () => {
      const sc = loadScenarioFile(path.join(SCENARIOS, file));
      const rec = simulateWithProfile(sc, effectiveProfile(sc));
      const { text, t } = await roundTrip(sc, rec);

      // Every exported line is a record of a known event (the printers are the kernel formats).
      const body = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      for (const l of body) assert.ok(isRecord(parseTraceLine(l, 1)), `not a record: ${l}`);
      assert.equal(t.parse.malformed.count, 0);
      assert.equal(t.parse.unknown.count, 0);

      const simEvents = events(rec);
      const simBroken = simEvents.some((e) => e.kind === 'kvm_bug' || e.kind === 'warn' || e.kind === 'invariant');
      if (!simBroken) assert.deepEqual(t.findings, [], 'a clean simulation replays without findings');

      assert.equal(t.vms.length, 1);
      const replay = t.vms[0].recording;
      const repEvents = events(replay);
      const traced = simEvents.filter(isTraced);
      const replayed = repEvents.filter((e) => e.fn === 'kvm_tdp_mmu_spte_changed');
      assert.equal(replayed.length, traced.length, 'one kvm_tdp_mmu_spte_changed per traced handle_changed_spte');
      const raced = sc.steps.some((s) => s.op === 'race');
      for (let k = 0; k < traced.length; k++) {
        const s = traced[k], r = replayed[k];
        assert.deepEqual([r.root, r.gfn, r.level, r.old_spte, r.new_spte], [s.root, s.gfn, s.level, s.old_spte, s.new_spte], `change ${k}`);
        // Racing vCPUs leave FROZEN_SPTE in place between their untraced steps: compare at the end only.
        if (raced) continue;
        const a = rec.stateAt(s.seq), b = replay.stateAt(r.seq);
        assert.equal(norm(b.walk(s.root as RootKind, s.gfn!)), norm(a.walk(s.root as RootKind, s.gfn!)), `walk after change ${k} (sim seq ${s.seq}, trace line ${replay.lineOf(r.seq)})`);
      }
      const simEnd = rec.stateAt(rec.length - 1), repEnd = replay.stateAt(replay.length - 1);
      const touched = new Set<string>();
      for (const e of simEvents) for (const w of e.writes ?? []) if (w.table !== 'sept') touched.add(`${w.table}:${w.gfn}`);
      for (const k of touched) {
        const [table, g] = k.split(':');
        assert.equal(norm(repEnd.walk(table as RootKind, Number(g))), norm(simEnd.walk(table as RootKind, Number(g))), `final walk of ${k}`);
      }
    });
  }

  it('what the simulator KVM_BUG_ONs, the replay of its trace reports at the same decision point', async () => {
    // Mainline with 2M private mappings (the what-if the huge-page RFC starts from), then a split.
    const sc = loadScenarioFile(path.join(SCENARIOS, 'split-private-2m-rfc.tdpsim.yaml'));
    sc.profile = 'mainline';
    sc.what_if = { private_max_level: 2 };
    const rec = simulateWithProfile(sc, effectiveProfile(sc));
    const bug = events(rec).find((e) => e.kind === 'kvm_bug');
    assert.ok(bug, 'the simulator hits a KVM_BUG_ON');
    const { t } = await roundTrip(sc, rec);
    const f = t.findings.find((x) => x.rule === 'mirror-split');
    assert.ok(f, JSON.stringify(t.findings));
    assert.equal(f.anchor, bug.anchor);
    // The same trace from a host running the RFC is fine.
    const rfc = await importTrace(textSource('x', recordingToTrace(rec)), { profile: 'hugepage-rfc-v2', vmType: 'tdx' });
    assert.deepEqual(rfc.findings.filter((x) => x.rule.startsWith('mirror-')), []);
  });

  it('prints GFNs as the kernel does: without the shared bit, except when zapping a whole root', async () => {
    const sc: Scenario = {
      name: 'shared fault then teardown', profile: 'mainline', vm: { type: 'tdx', pages: 0x4000, paging_levels: 4, vcpus: 1 },
      steps: [
        { op: 'convert', gfn: 0x400, npages: 0x200, to: 'shared' },
        { op: 'fault', gfn: 0x400, private: false, write: true, max_level: 1, vcpu: 0 },
        { op: 'fault', gfn: 0x10, private: true, write: true, max_level: 1, vcpu: 0 },
        { op: 'teardown' },
      ],
    };
    const rec = simulate(sc);
    const text = recordingToTrace(rec);
    const changed = text.split('\n').filter((l) => l.includes('kvm_tdp_mmu_spte_changed'));
    const shared = events(rec).filter((e) => isTraced(e) && e.root === 'direct');
    assert.ok(shared.length > 0, 'the scenario changes direct-root SPTEs');
    const inZapRoot = shared.filter((e) => e.stack.includes('__tdp_mmu_zap_root'));
    assert.ok(inZapRoot.length > 0 && inZapRoot.length < shared.length);
    for (const e of shared) {
      const printed = (inZapRoot.includes(e) ? e.gfn! : e.gfn! - 2 ** 35).toString(16);
      assert.ok(changed.some((l) => l.includes(` gfn ${printed} level ${e.level} `)), `gfn ${printed} printed`);
    }
    assert.ok(text.includes('address 0x0000800000400000'), 'the fault GPA keeps the shared bit');
    // And the replay puts every change back where the simulator made it.
    const { t } = await roundTrip(sc, rec);
    assert.deepEqual(t.findings, []);
    const replayed = events(t.vms[0].recording).filter((e) => e.fn === 'kvm_tdp_mmu_spte_changed');
    assert.deepEqual(replayed.map((e) => [e.root, e.gfn]), events(rec).filter(isTraced).map((e) => [e.root, e.gfn]));
  });
});
