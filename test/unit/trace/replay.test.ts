import { strict as assert } from 'assert';
import fc from 'fast-check';
import { make_small_spte, VMX_EPT_WRITABLE_MASK } from '../../../src/sim';
import type { SimEvent } from '../../../src/sim/types';
import { formatTraceLine } from '../../../src/trace/format';
import { importTrace, replayNamed, replaysByEvents } from '../../../src/trace/import';
import { identityOfKey } from '../../../src/trace/replay';
import { textSource } from '../../../src/trace/reader';
import { FROZEN, NP, TraceText, leaf, replay, table } from './helpers';
import { record } from './arbitraries';

const rules = (t: { findings: Array<{ rule: string }> }): string[] => t.findings.map((f) => f.rule);
const HEADER_LINES = 12;

function events(rec: { length: number; event(seq: number): SimEvent }): SimEvent[] {
  return Array.from({ length: rec.length }, (_, i) => rec.event(i));
}

describe('trace replay: reconstruction', () => {
  it('rebuilds a non-TDX fault as direct-root writes, with timestamps, CPUs, tasks, anchors and inferred stacks', async () => {
    const t = await replay(new TraceText().freshFault4K(0x1234, 0x5678, 0x100));
    assert.deepEqual(t.findings, []);
    assert.equal(t.vms.length, 1);
    const vm = t.vms[0];
    assert.equal(vm.plan.vmType, 'vmx');
    assert.match(vm.plan.vmTypeReason, /no GFN or fault GPA with a TDX shared bit/);
    const rec = vm.recording;
    assert.equal(rec.length, 6);
    const evs = events(rec);
    assert.deepEqual(evs.map((e) => [e.kind, e.fn, e.anchor]), [
      ['trace', 'kvm_mmu_spte_requested', 'kvm_tdp_mmu_map'],
      ['trace', 'kvm_tdp_mmu_spte_changed', 'handle_changed_spte.trace'],
      ['trace', 'kvm_tdp_mmu_spte_changed', 'handle_changed_spte.trace'],
      ['trace', 'kvm_tdp_mmu_spte_changed', 'handle_changed_spte.trace'],
      ['trace', 'kvm_tdp_mmu_spte_changed', 'handle_changed_spte.trace'],
      ['trace', 'kvm_mmu_set_spte', 'tdp_mmu_map_handle_target_level'],
    ]);
    const leafEv = evs[4];
    assert.equal(leafEv.root, 'direct');
    assert.equal(leafEv.gfn, 0x1234);
    assert.equal(leafEv.level, 1);
    assert.equal(leafEv.new_spte, leaf(0x5678));
    assert.equal(leafEv.lock, 'read');
    assert.deepEqual(leafEv.stack, ['kvm_tdp_mmu_map', 'tdp_mmu_map_handle_target_level', 'tdp_mmu_set_spte_atomic', 'handle_changed_spte']);
    assert.deepEqual(evs[1].stack, ['kvm_tdp_mmu_map', 'tdp_mmu_link_sp', 'tdp_mmu_set_spte_atomic', 'handle_changed_spte']);
    assert.equal(leafEv.cpu, 0);
    assert.equal(leafEv.task, 'CPU 0/KVM');
    assert.equal(leafEv.time, 100.000005);
    assert.equal(leafEv.step, HEADER_LINES + 1, 'the step index is the line of the first record of the group');
    assert.equal(leafEv.args?.line, HEADER_LINES + 5);
    assert.deepEqual(rec.steps.map((s) => [s.index, s.op, s.firstSeq]), [[HEADER_LINES + 1, 'CPU 0/KVM-4242 [000]', 0]]);

    const walk = rec.stateAt(4).walk('direct', 0x1234);
    assert.deepEqual(walk.map((w) => [w.level, w.gfn, w.spte]), [[4, 0, table(0x100)], [3, 0, table(0x101)], [2, 0x1200, table(0x102)], [1, 0x1234, leaf(0x5678)]]);
    assert.deepEqual(rec.stateAt(3).walk('direct', 0x1234).map((w) => w.spte), [table(0x100), table(0x101), table(0x102), NP]);
    assert.deepEqual(rec.stateAt(-1).walk('direct', 0x1234), []);
    assert.deepEqual(vm.counts.perLevel, { 1: 1, 2: 1, 3: 1, 4: 1 });
    assert.deepEqual(vm.counts.perRoot, { direct: 4 });
  });

  it('flags an old_spte that does not match the reconstructed value, nesting an invariant event under it', async () => {
    const t = await replay(new TraceText().freshFault4K(0x1234, 0x5678, 0x100).changed(0x1234, 1, leaf(0x9999), NP));
    assert.deepEqual(rules(t), ['old-spte-mismatch']);
    const f = t.findings[0];
    assert.equal(f.severity, 'warning');
    assert.equal(f.line, HEADER_LINES + 7);
    assert.match(f.message, new RegExp(`old_spte 0x${leaf(0x9999).toString(16)} but the direct root holds 0x${leaf(0x5678).toString(16)}`));
    const ev = t.vms[0].recording.event(f.findingSeq);
    assert.equal(ev.kind, 'invariant');
    assert.equal(ev.fn, 'old-spte-mismatch');
    assert.equal(ev.parent, f.seq);
    assert.equal(t.vms[0].recording.event(f.seq).fn, 'kvm_tdp_mmu_spte_changed');
  });

  it('lowers mismatches after lost events to info', async () => {
    const t = await replay(new TraceText().freshFault4K(0x1234, 0x5678, 0x100).raw('CPU:0 [LOST 99 EVENTS]').changed(0x1234, 1, leaf(0x9999), NP));
    assert.deepEqual(t.findings.map((f) => [f.rule, f.severity]), [['old-spte-mismatch', 'info']]);
    assert.match(t.findings[0].message, /events were lost at line/);
  });

  it('believes the first old_spte of an entry it has never seen (the trace starts mid-life)', async () => {
    const t = await replay(new TraceText().changed(0x1234, 1, leaf(0x77), NP).changed(0x1235, 1, leaf(0x78), leaf(0x78) & ~VMX_EPT_WRITABLE_MASK));
    assert.deepEqual(t.findings, []);
  });

  it('flags a change below a page table that is not linked (a skipped level), but not the freeing of its children', async () => {
    const t = await replay(new TraceText()
      .freshFault4K(0x1234, 0x5678, 0x100)
      .changed(0x1200, 2, table(0x102), NP)        // zap the 2M-level entry: the table is unlinked
      .changed(0x1234, 1, leaf(0x5678), FROZEN)    // handle_removed_pt freezes the children: fine
      .changed(0x1235, 1, NP, leaf(0x1111)));      // but nothing can map below it now
    assert.deepEqual(rules(t), ['level-skip']);
    assert.match(t.findings[0].message, /level-1 SPTE at gfn 0x1235 changed, but its level-2 entry \(gfn 0x1200\) is not present/);
  });

  it('a freshly linked page table starts empty: stale entries of the freed one are cleared', async () => {
    const t = await replay(new TraceText()
      .freshFault4K(0x1234, 0x5678, 0x100)
      .changed(0x1200, 2, table(0x102), NP)
      .changed(0x1234, 1, leaf(0x5678), FROZEN)
      .changed(0x1200, 2, NP, table(0x200))
      .changed(0x1234, 1, NP, leaf(0x5679)));
    assert.deepEqual(t.findings, []);
    const rec = t.vms[0].recording;
    assert.deepEqual(rec.stateAt(rec.length - 1).walk('direct', 0x1234).map((w) => w.spte), [table(0x100), table(0x101), table(0x200), leaf(0x5679)]);
    assert.deepEqual(rec.stateAt(rec.length - 2).tableAt('direct', 0x1234, 1), [], 'the new table shows no stale FROZEN entry');
  });

  it('replays a split: children made from the huge page, checked against the split tracepoint', async () => {
    const huge = leaf(0x40000, 2);
    const base = new TraceText()
      .changed(0, 4, NP, table(0x100)).changed(0, 3, NP, table(0x101)).changed(0x200, 2, NP, huge)
      .changed(0x200, 2, huge, table(0x300)).split(0x200, 2, huge, 0);
    const t = await replay(base);
    assert.deepEqual(t.findings, []);
    const rec = t.vms[0].recording;
    const w = rec.stateAt(rec.length - 1).walk('direct', 0x205);
    assert.deepEqual(w.map((x) => [x.level, x.spte]), [[4, table(0x100)], [3, table(0x101)], [2, table(0x300)], [1, make_small_spte(huge, 1, 5)]]);
    assert.equal(rec.event(3).args?.expected_hook, undefined, 'no S-EPT hook on the direct root');
    assert.deepEqual(rec.event(3).stack, ['tdp_mmu_split_huge_page', 'tdp_mmu_link_sp', 'handle_changed_spte']);

    const child = await replay(new TraceText().changed(0, 4, NP, table(0x100)).changed(0, 3, NP, table(0x101)).changed(0x200, 2, NP, huge)
      .changed(0x200, 2, huge, table(0x300)).split(0x200, 2, huge, 0)
      .changed(0x205, 1, make_small_spte(huge, 1, 5), NP)
      .changed(0x206, 1, leaf(0x123), NP));
    assert.deepEqual(rules(child), ['split-child-mismatch']);
    assert.match(child.findings[0].message, /gfn 0x206/);
  });

  it('a split tracepoint without the link, and a link without the split tracepoint', async () => {
    const huge = leaf(0x40000, 2);
    const noLink = await replay(new TraceText().split(0x200, 2, huge, 0));
    assert.deepEqual(rules(noLink), ['split-without-link']);
    const failed = await replay(new TraceText().split(0x200, 2, huge, -12));
    assert.deepEqual(failed.findings, [], 'a failed split changes nothing');
    assert.equal(failed.vms[0].recording.event(0).result, '-ENOMEM');
    const noTrace = await replay(new TraceText().split(0x400, 2, huge, -16).changed(0x200, 2, huge, table(0x300)).changed(0x200, 1, make_small_spte(huge, 1, 0), NP));
    assert.deepEqual(noTrace.findings.map((f) => [f.rule, f.severity]), [['split-not-traced', 'info']]);
  });

  it('checks the transition rules of handle_changed_spte', async () => {
    const t = await replay(new TraceText()
      .changed(0x10, 1, leaf(0x1), leaf(0x2))                 // present leaf → other pfn: BUG()
      .changed(0x11, 1, leaf(0x3), leaf(0x3))                 // unchanged: never traced
      .changed(0x12, 1, NP, 0x8000000000000123n)              // non-present → non-present, not MMIO
      .changed(0x13, 2, NP, leaf(0x4, 2)));                   // misaligned 2M gfn
    assert.deepEqual(rules(t), ['leaf-pfn-change', 'noop-change', 'nonpresent-change', 'misaligned-gfn']);
    const ok = await replay(new TraceText().changed(0x12, 1, NP, 0x6n).changed(0x12, 1, 0x6n, NP).changed(0x14, 1, NP, FROZEN));
    assert.deepEqual(ok.findings, [], 'MMIO SPTEs (W|X) and FROZEN_SPTE may replace non-present values');
  });

  it('a level-5 record selects 5-level roots; a level-5 record in a 4-level replay is reported', async () => {
    const five = await replay(new TraceText().changed(0, 5, NP, table(0x99)).changed(0, 4, NP, table(0x100)));
    assert.equal(five.vms[0].plan.rootLevel, 5);
    assert.deepEqual(five.findings, []);
    const late = await replay(new TraceText().changed(0, 4, NP, table(0x100)).changed(0, 5, NP, table(0x99)), { lookahead: 1 });
    assert.equal(late.vms[0].plan.rootLevel, 4);
    assert.deepEqual(rules(late), ['level-above-root']);
  });

  it('puts SMM (as id 1) changes in their own address space', async () => {
    const t = await replay(new TraceText().changed(0x10, 1, NP, leaf(1)).changed(0x10, 1, NP, leaf(2), 0, 1));
    assert.deepEqual(t.vms.map((v) => [v.key, v.asId, v.recording.length]), [['vm', 0, 1], ['vm/as1', 1, 1]]);
    assert.deepEqual(t.findings, []);
  });

  it('an SMM fault installs its kvm_mmu_set_spte in the address space its SPTE changes name', async () => {
    // kvm_mmu_set_spte prints no as id: the SPTE it reports is the one the fault just changed.
    const t = await replay(new TraceText()
      .fault(0xa0000n).requested(0xa0, 1, 0x600a0).changed(0xa0, 1, NP, leaf(0x600a0), 0, 1).setSpte(0xa0, 1, leaf(0x600a0))
      .fault(0x101000n).requested(0x101, 1, 0x60101).changed(0x101, 1, NP, leaf(0x60101)).setSpte(0x101, 1, leaf(0x60101)));
    assert.deepEqual(t.findings, []);
    const fns = (key: string) => events(t.vms.find((v) => v.key === key)!.recording).map((e) => e.fn);
    assert.deepEqual(fns('vm/as1'), ['kvm_tdp_mmu_spte_changed', 'kvm_mmu_set_spte']);
    // The fault's first records come before anything names its address space: they stay in as 0.
    assert.deepEqual(fns('vm'), ['kvm_page_fault', 'kvm_mmu_spte_requested', 'kvm_page_fault', 'kvm_mmu_spte_requested', 'kvm_tdp_mmu_spte_changed', 'kvm_mmu_set_spte']);
  });

  it('lists the address spaces with events, most first, and names the ones there are when asked for another', async () => {
    const t = await importTrace(textSource('smm.txt', new TraceText()
      .changed(0x10, 1, NP, leaf(1)).changed(0x11, 1, NP, leaf(2)).changed(0x10, 1, NP, leaf(3), 0, 1).text()));
    assert.deepEqual(replaysByEvents(t).map((v) => [v.key, v.recording.length]), [['vm', 2], ['vm/as1', 1]]);
    assert.equal(replayNamed(t, 'vm/as1').asId, 1);
    assert.throws(() => replayNamed(t, 'vm/as2'), /^Error: smm\.txt has no address space 'vm\/as2'; it has vm \(2 events\), vm\/as1 \(1 events\)$/);
  });

  it('assigns VMs by TGID when asked', async () => {
    const text = [
      '   CPU 0/KVM-101     (    100) [000] ..... 1.000001: kvm_tdp_mmu_spte_changed: as id 0 gfn 10 level 1 old_spte 8000000000000000 new_spte 600000001977',
      '   CPU 0/KVM-201     (    200) [001] ..... 1.000002: kvm_tdp_mmu_spte_changed: as id 0 gfn 10 level 1 old_spte 8000000000000000 new_spte 600000002977',
    ].join('\n');
    const t = await replay(text, { vmIdentity: 'tgid' });
    assert.deepEqual(t.vms.map((v) => v.key), ['tgid:100', 'tgid:200']);
    // A key says which identity made it (a restored stepper source reopens it the same way).
    assert.deepEqual([...t.vms.map((v) => identityOfKey(v.key)), identityOfKey('vm'), identityOfKey('vm/as1')], ['tgid', 'tgid', 'single', 'single']);
    const single = await replay(text);
    assert.deepEqual(rules(single), ['old-spte-mismatch'], 'one VM cannot have both values');
  });

  it('keeps each tracepoint\'s payload on its event, and the trace line of every event', async () => {
    const t = await replay(new TraceText()
      .fault(0x1234000n, 3, 3).requested(0x1234, 1, 0x5678, 3).setSpte(0x1234, 1, leaf(0x5678), 3)
      .split(0x200, 2, leaf(0x40000, 2), -12)
      .raw('  qemu-5 [000] ..... 1.0: kvm_mmu_get_page: sp gen 0 gfn 200 l1 8-byte q0 direct wux !nxe !ad root 0 sync new'));
    const rec = t.vms[0].recording;
    const [fault, requested, set, split, page] = events(rec);
    assert.deepEqual(fault.args, { line: HEADER_LINES + 1, address: 0x1234000n, error_code: 0x182n, rip: 0xffffffff81000000n });
    assert.equal(fault.vcpu, 3);
    assert.equal(fault.cpu, 3);
    assert.deepEqual(requested.args, { line: HEADER_LINES + 2, pfn: 0x5678n, goal_level: 1 });
    assert.deepEqual(requested.stack, []);
    assert.deepEqual(set.args, { line: HEADER_LINES + 3, sptep: 0x1000000n + BigInt(0x1234 * 8), access: 'rwx' });
    assert.deepEqual(set.stack, ['kvm_tdp_mmu_map']);
    assert.deepEqual(split.args, { line: HEADER_LINES + 4, errno: -12 });
    assert.equal(split.result, '-ENOMEM');
    assert.deepEqual(page.args, { line: HEADER_LINES + 5, role: '8-byte q0 direct wux !nxe !ad root 0 sync', created: true });
    assert.equal(page.task, 'qemu');
    for (let i = 0; i < rec.length; i++) assert.equal(rec.lineOf(i), HEADER_LINES + 1 + i);
    assert.throws(() => rec.lineOf(rec.length), /out of range/);
  });

  it('never throws on arbitrary streams of well-formed records', async () => {
    await fc.assert(fc.asyncProperty(fc.array(record(true, true), { maxLength: 60 }), fc.constantFrom('single', 'tgid'), fc.constantFrom('auto', 'tdx', 'vmx'), async (recs, identity, vmType) => {
      const text = recs.map((r) => formatTraceLine(r)).join('\n');
      const t = await replay(text, { vmIdentity: identity as 'single' | 'tgid', vmType: vmType as 'auto' });
      assert.equal(t.parse.records, recs.length);
      for (const v of t.vms) for (let i = 0; i < v.recording.length; i++) v.recording.event(i);
    }), { numRuns: 100 });
  });
});

describe('trace replay: maxEvents (tdpMmuSim.maxEvents)', () => {
  const faults = (n: number): TraceText => {
    const t = new TraceText();
    // One fault per 512 GiB: each links its own tables, so no record has a finding.
    for (let i = 0; i < n; i++) t.freshFault4K(i * 512 ** 3, 0x1000 + i, 0x10000 + 3 * i);
    return t;
  };

  it('stops before the first record met with maxEvents events recorded, and says where', async () => {
    const whole = await replay(faults(40));
    assert.equal(whole.truncated, null);
    assert.equal(whole.findings.length, 0);
    const cut = await replay(faults(40), { maxEvents: 50, lookahead: 8 });
    const rec = cut.vms[0].recording;
    assert.equal(rec.length, 50);
    assert.deepEqual(cut.truncated, { maxEvents: 50, line: rec.lineOf(49) + 1 });
    // What was replayed is the start of the whole replay, event for event.
    for (let i = 0; i < rec.length; i++) assert.deepEqual(rec.event(i), whole.vms[0].recording.event(i));
  });

  it('stops reading at the end of the chunk where the limit was reached', async () => {
    const text = faults(400).text();
    const t = await importTrace(textSource('big.trace', text, 4096), { maxEvents: 10, lookahead: 1 });
    assert.ok(t.truncated);
    assert.ok(t.parse.lines < text.split('\n').length / 10, `${t.parse.lines} lines read`);
  });

  it('rejects a maxEvents that is not a positive integer', async () => {
    for (const bad of [0, -1, 1.5, NaN]) await assert.rejects(replay(faults(1), { maxEvents: bad }), /maxEvents must be a positive integer/);
  });
});
