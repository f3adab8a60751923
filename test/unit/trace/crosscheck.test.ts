import { strict as assert } from 'assert';
import * as path from 'path';
import { simulateWithProfile } from '../../../src/sim';
import { effectiveProfile, loadScenarioFile } from '../../../src/sim/scenario';
import { recordingToTrace } from '../../../src/trace/export';
import { importTrace } from '../../../src/trace/import';
import { textSource } from '../../../src/trace/reader';
import { crossCheck, formatCrossCheck } from '../../../src/trace/crosscheck';
import { NP, TraceText, leaf, replay, table } from './helpers';

const SCENARIOS = path.join(__dirname, '../../../scenarios');

async function traceOf(file: string) {
  const sc = loadScenarioFile(path.join(SCENARIOS, file));
  const text = recordingToTrace(simulateWithProfile(sc, effectiveProfile(sc)));
  return { sc, text, t: await importTrace(textSource(file, text), { profile: sc.profile, vmType: sc.vm.type }) };
}

describe('trace cross-check against the model', () => {
  for (const file of ['private-4k-fault.tdpsim.yaml', 'shared-fault-on-td.tdpsim.yaml', 'zap-private-leaves.tdpsim.yaml', 'vmx-dirty-log-eager-split.tdpsim.yaml', 'split-private-2m-rfc.tdpsim.yaml', 'td-teardown.tdpsim.yaml']) {
    it(`the model replays the inputs of its own ${file} trace identically`, async () => {
      const { t } = await traceOf(file);
      const [r] = crossCheck(t);
      assert.equal(r.firstDisagreement, null, formatCrossCheck([r], file));
      assert.ok(r.steps > 0);
      assert.equal(r.agreed, r.steps);
    });
  }

  it('derives faults, splits and zaps as scenario steps', async () => {
    const { t } = await traceOf('split-private-2m-rfc.tdpsim.yaml');
    const [r] = crossCheck(t);
    assert.deepEqual(r.scenario.steps.map((s) => s.op), ['fault', 'split']);
    assert.deepEqual(r.scenario.steps[0], { op: 'fault', gfn: 0x200, private: true, write: true, max_level: 2, vcpu: 0 });
    assert.deepEqual(r.scenario.steps[1], { op: 'split', gfn: 0x200, level: 2, private: true, shared: false });
    assert.equal(r.scenario.vm.type, 'tdx');
  });

  it('reports where a 2M private mapping happened that the mainline model maps at 4K', async () => {
    const { t } = await traceOf('split-private-2m-mainline.tdpsim.yaml');
    const [r] = crossCheck(t);
    const d = r.firstDisagreement;
    assert.ok(d);
    assert.equal(d.step, 0);
    assert.match(d.op, /fault vCPU 0 private gfn 0x200 \(max level 2\)/);
    assert.equal(d.expected, 'mirror level 2 gfn 0x200: non-present → non-leaf');
    assert.equal(d.actual, 'mirror level 2 gfn 0x200: non-present → leaf');
    assert.ok(d.changeLine !== null && d.changeLine > d.line);
    assert.equal(r.model!.event(d.modelSeq!).fn, 'handle_changed_spte');
    // The trace event the stepper moves to is that change.
    const vm = t.vms[0].recording;
    assert.deepEqual([vm.lineOf(d.traceSeq), vm.event(d.traceSeq).fn], [d.changeLine, 'kvm_tdp_mmu_spte_changed']);
  });

  it('reports a fault that failed in the trace (a busy TDX module) where the model succeeds', async () => {
    const { t } = await traceOf('inject-operand-busy.tdpsim.yaml');
    const d = crossCheck(t)[0].firstDisagreement;
    assert.ok(d);
    assert.equal(d.expected, 'mirror level 1 gfn 0x200: non-present → leaf');
    assert.equal(d.actual, null);
    // Nothing in the trace to point at: the input's first record.
    assert.equal(t.vms[0].recording.lineOf(d.traceSeq), d.line);
  });

  it('leaves out an SMM fault (its changes are in as id 1), which the replay marks on its address-space-0 records', async () => {
    const t = await replay(new TraceText()
      .fault(0xa0000n).requested(0xa0, 1, 0x600a0).changed(0xa0, 1, NP, leaf(0x600a0), 0, 1).setSpte(0xa0, 1, leaf(0x600a0))
      .fault(0x101000n).requested(0x101, 1, 0x60101).changed(0x101, 1, NP, leaf(0x60101)).setSpte(0x101, 1, leaf(0x60101)));
    const vm = t.vms.find((v) => v.key === 'vm')!.recording;
    const marked = Array.from({ length: vm.length }, (_, i) => vm.event(i)).filter((e) => e.args?.address_space !== undefined);
    assert.deepEqual(marked.map((e) => [e.fn, e.args!.address_space]), [['kvm_page_fault', 'vm/as1'], ['kvm_mmu_spte_requested', 'vm/as1']]);
    const [r] = crossCheck(t);
    assert.equal(r.firstDisagreement, null, formatCrossCheck([r], 'smm'));
    assert.deepEqual(r.scenario.steps.map((s) => s.op === 'fault' && s.gfn), [0x101]);
    assert.ok(r.notes.includes('1 faults installed their SPTEs in another address space (SMM) and were left out'), r.notes.join('; '));
  });

  it('tolerates a trace that starts after the page tables were linked', async () => {
    // Only the leaf: the upper levels existed before tracing began.
    const t = await replay(new TraceText().requested(0x1234, 1, 0x5678).changed(0x1234, 1, NP, leaf(0x5678)).setSpte(0x1234, 1, leaf(0x5678)));
    const [r] = crossCheck(t);
    assert.equal(r.firstDisagreement, null, formatCrossCheck([r], 'x'));
    assert.ok(r.notes.some((n) => /3 page-table links of the model are not in the trace/.test(n)), r.notes.join('; '));
    // But a table the trace shows being linked differently is a disagreement.
    const other = await replay(new TraceText().requested(0x1234, 1, 0x5678).changed(0x1200, 2, NP, leaf(0x5678, 2)).setSpte(0x1200, 2, leaf(0x5678, 2)));
    assert.ok(crossCheck(other)[0].firstDisagreement);
  });

  it('says so when there is nothing to cross-check', async () => {
    const [r] = crossCheck(await replay(new TraceText().changed(0, 4, NP, table(0x100))));
    assert.equal(r.steps, 0);
    assert.match(r.notes.join('\n'), /no page fault, split or zap/);
  });
});
