import * as assert from 'assert';
import { locationView } from '../../../src/extension/editor/locationView';

const loc = (file: string, startLine: number) => ({ file, kernelFile: 'mmu/tdp_mmu.c' as const, startLine, startColumn: 1, endLine: startLine, endColumn: 40, text: '' });

describe('editor: where an anchor is, as the stepper and status bar say it', () => {
  it('names file:line when the linker found the anchor', () => {
    assert.deepStrictEqual(
      locationView('tdp_mmu_set_spte.split_external_spt', { anchor: 'tdp_mmu_set_spte.split_external_spt', status: 'found', location: loc('/k/arch/x86/kvm/mmu/tdp_mmu.c', 790) }),
      { status: 'resolved', file: '/k/arch/x86/kvm/mmu/tdp_mmu.c', line: 790, label: 'tdp_mmu.c:790' });
  });

  it('keeps absent and ambiguous anchors as such, with the reason and every candidate', () => {
    assert.deepStrictEqual(
      locationView('split_external_spt', { anchor: 'split_external_spt', status: 'absent', cause: 'profile', expected: true, reason: 'not in the mainline profile' }),
      { status: 'absent', label: 'split_external_spt is absent: not in the mainline profile' });
    assert.deepStrictEqual(
      locationView('tdp_mmu_set_spte.bug_other', {
        anchor: 'tdp_mmu_set_spte.bug_other', status: 'ambiguous', reason: '2 KVM_BUG_ON calls match',
        candidates: [loc('/k/tdp_mmu.c', 770), loc('/k/tdp_mmu.c', 781)],
      }),
      { status: 'ambiguous', label: 'tdp_mmu_set_spte.bug_other is ambiguous: 2 KVM_BUG_ON calls match (tdp_mmu.c:770, tdp_mmu.c:781)' });
  });

  it('is symbolic without a kernel tree', () => {
    assert.deepStrictEqual(locationView('tdp_mmu_set_spte', undefined), { status: 'symbolic', label: 'tdp_mmu_set_spte (mmu/tdp_mmu.c)' });
  });
});
