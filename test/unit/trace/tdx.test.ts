import { strict as assert } from 'assert';
import { VMX_EPT_WRITABLE_MASK, make_small_spte } from '../../../src/sim';
import { sharedBitOfGfn, sharedBitOfGpa, stripSharedBit } from '../../../src/trace/tdx';
import { NP, TraceText, leaf, replay, table } from './helpers';

const SHARED = 2 ** 35;          // GFN bit 35 = GPA bit 47 (TDX_SHARED_BIT_PWL_4)
const SHARED_GPA = 1n << 47n;
const P = (gfn: number) => 0x4000000 + gfn;   // private (guest_memfd) pfns
const S = (gfn: number) => 0x8000000 + gfn;   // shared pfns

/** A TD with one shared and one private 4K fault at gfn 5 (4-level EPT, GPAW 48). */
function td(): TraceText {
  const t = new TraceText();
  t.fault(SHARED_GPA | 0x5000n).requested(5, 1, S(5))
    .changed(0, 4, NP, table(0x100)).changed(0, 3, NP, table(0x101)).changed(0, 2, NP, table(0x102)).changed(5, 1, NP, leaf(S(5)))
    .setSpte(5, 1, leaf(S(5)));
  t.fault(0x5000n).requested(5, 1, P(5))
    .changed(0, 4, NP, table(0x200)).changed(0, 3, NP, table(0x201)).changed(0, 2, NP, table(0x202)).changed(5, 1, NP, leaf(P(5)))
    .setSpte(5, 1, leaf(P(5)));
  t.fault(0x6000n).requested(6, 1, P(6)).changed(6, 1, NP, leaf(P(6))).setSpte(6, 1, leaf(P(6)));
  return t;
}
const rules = (t: { findings: Array<{ rule: string }> }): string[] => t.findings.map((f) => f.rule);

describe('trace replay: TDX', () => {
  it('knows where the shared bit lives in GFNs and GPAs', () => {
    assert.equal(sharedBitOfGfn(SHARED + 5), 35);
    assert.equal(sharedBitOfGfn(2 ** 39 + 2 ** 35), 39, 'with GPAW 52, bit 35 is an ordinary address bit');
    assert.equal(sharedBitOfGfn(5), null);
    assert.equal(sharedBitOfGpa(SHARED_GPA | 0x1000n), 35);
    assert.equal(sharedBitOfGpa((1n << 51n) | 0x1000n), 39);
    assert.equal(sharedBitOfGpa(0xfee00000n), null);
    assert.equal(stripSharedBit(SHARED + 5, 35), 5);
    assert.equal(stripSharedBit(5, 35), 5);
  });

  it('recognises a TD by a shared GPA and splits its SPTE changes between the mirror and direct roots', async () => {
    const t = await replay(td());
    assert.deepEqual(t.findings, []);
    const vm = t.vms[0];
    assert.equal(vm.plan.vmType, 'tdx');
    assert.equal(vm.plan.sharedBit, 35);
    assert.match(vm.plan.vmTypeReason, /TDX shared bit \(GPA bit 47\) in the GPA 0x800000005000 of kvm_page_fault at line 13/);
    const rec = vm.recording;
    const end = rec.stateAt(rec.length - 1);
    assert.deepEqual(end.walk('mirror', 5).map((w) => w.spte), [table(0x200), table(0x201), table(0x202), leaf(P(5))]);
    assert.deepEqual(end.walk('direct', SHARED + 5).map((w) => w.spte), [table(0x100), table(0x101), table(0x102), leaf(S(5))]);
    assert.deepEqual(end.walk('direct', 5).map((w) => w.spte), [NP], 'the direct root maps the shared alias only');
    const privLeaf = rec.event(12);
    assert.equal(privLeaf.root, 'mirror');
    assert.equal(privLeaf.args?.expected_hook, 'set_external_spte');
    assert.equal(rec.event(9).args?.expected_hook, 'link_external_spt');
    const sharedLeaf = rec.event(5);
    assert.equal(sharedLeaf.root, 'direct');
    assert.equal(sharedLeaf.gfn, SHARED + 5, 'direct-root entries are named by their position (with the shared bit)');
    assert.equal(sharedLeaf.args?.traced_gfn, 5);
    assert.equal(sharedLeaf.vcpu, 0);
    assert.equal(vm.counts.rootInference.assumed, 0);
    assert.ok(vm.counts.rootInference.fault + vm.counts.rootInference.consistent === 9);
  });

  it('zaps of private memory outside a fault go to the mirror root by consistency, under write mmu_lock', async () => {
    const t = await replay(td().on('qemu-system-x86', 3000).changed(5, 1, leaf(P(5)), NP, 1));
    assert.deepEqual(t.findings, []);
    const rec = t.vms[0].recording;
    const zap = rec.event(rec.length - 1);
    assert.equal(zap.root, 'mirror');
    assert.equal(zap.args?.root_by, 'consistent');
    assert.equal(zap.args?.expected_hook, 'remove_external_spte');
    assert.equal(zap.lock, 'write');
  });

  it('GFNs with the shared bit (zapping the whole direct root) go to the direct root', async () => {
    const t = await replay(td().on('qemu-system-x86', 3000).changed(SHARED + 5, 1, leaf(S(5)), NP, 1));
    assert.deepEqual(t.findings, []);
    const rec = t.vms[0].recording;
    assert.equal(rec.event(rec.length - 1).args?.root_by, 'shared-bit');
    assert.deepEqual(rec.stateAt(rec.length - 1).walk('direct', SHARED + 5).map((w) => w.spte).slice(-1), [NP]);
  });

  it('a mirror SPTE changing while present is a KVM_BUG_ON', async () => {
    const p6 = leaf(P(6));
    const t = await replay(td().on('qemu-system-x86', 3000).changed(6, 1, p6, p6 & ~VMX_EPT_WRITABLE_MASK, 1));
    assert.deepEqual(rules(t), ['mirror-present-to-present']);
    assert.equal(t.findings[0].anchor, 'tdp_mmu_set_spte.bug_present');
    assert.equal(t.findings[0].severity, 'error');
    const rfc = await replay(td().on('qemu-system-x86', 3000).changed(6, 1, p6, p6 & ~VMX_EPT_WRITABLE_MASK, 1), { profile: 'hugepage-rfc-v2' });
    assert.equal(rfc.findings[0].anchor, 'tdp_mmu_set_spte.bug_other');
  });

  it('huge private leaves and mirror splits: errors on mainline, allowed by the huge-page RFC', async () => {
    const huge = leaf(P(0x400), 2);
    const trace = () => td()
      .fault(0x400000n).requested(0x400, 2, P(0x400)).changed(0x400, 2, NP, huge).setSpte(0x400, 2, huge)
      .on('qemu-system-x86', 3000).changed(0x400, 2, huge, table(0x300), 1).split(0x400, 2, huge, 0, 1);
    const mainline = await replay(trace());
    assert.deepEqual(rules(mainline), ['mirror-huge-leaf', 'mirror-split']);
    const rfc = await replay(trace(), { profile: 'hugepage-rfc-v2' });
    assert.deepEqual(rfc.findings, []);
    const rec = rfc.vms[0].recording;
    const splitEv = rec.event(rec.length - 2);
    assert.equal(splitEv.root, 'mirror');
    assert.equal(splitEv.args?.expected_hook, 'split_external_spt');
    assert.deepEqual(rec.stateAt(rec.length - 1).walk('mirror', 0x4ff).map((w) => w.spte).slice(-2), [table(0x300), make_small_spte(huge, 1, 0xff)]);
  });

  it('a mirror SPTE made present outside a fault, or zapped inside one', async () => {
    const outside = await replay(td().on('qemu-system-x86', 3000).changed(7, 1, NP, leaf(P(7)), 1));
    assert.deepEqual(rules(outside), ['mirror-present-outside-fault']);
    assert.equal(outside.vms[0].recording.event(outside.findings[0].seq).args?.root_by, 'assumed');
    const inside = await replay(td().fault(0x6000n).requested(6, 1, P(6)).changed(6, 1, leaf(P(6)), NP));
    assert.deepEqual(rules(inside), ['mirror-zap-under-read-lock']);
  });

  it('without a shared GPA the VM is replayed as non-TDX unless --vm-type tdx says otherwise', async () => {
    const t = new TraceText().changed(0, 4, NP, table(0x200)).changed(5, 1, NP, leaf(P(5)));
    const auto = await replay(t);
    assert.equal(auto.vms[0].plan.vmType, 'vmx');
    const forced = await replay(t, { vmType: 'tdx' });
    assert.equal(forced.vms[0].plan.vmType, 'tdx');
    assert.equal(forced.vms[0].plan.sharedBit, 35);
    assert.deepEqual(forced.vms[0].counts.rootInference, { vm: 0, 'shared-bit': 0, consistent: 0, fault: 0, parent: 0, assumed: 2 });
    const rec = forced.vms[0].recording;
    assert.equal(rec.event(1).root, 'mirror');
  });
});
