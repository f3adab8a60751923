import * as assert from 'assert';
import { callCountText, decorationText, hoverText } from '../../../src/extension/editor/eventText';
import { RecordingIndex } from '../../../src/extension/stepper/recordingIndex';
import { recordingOf } from './fakeRecording';
import { HUGE, NONLEAF, splitRecording } from './splitFixture';

const hex = (v: bigint) => '0x' + v.toString(16);

describe('editor: inline decoration text', () => {
  const rec = splitRecording();

  it('tells the whole split at the split_external_spt call: SPTE change, hook and its decisive SEAMCALL', () => {
    assert.strictEqual(decorationText(rec, 6, 'tdx'),
      `old ${hex(HUGE)}(leaf 2M) → new ${hex(NONLEAF)}(non-leaf)  split_external_spt → TDH.MEM.PAGE.DEMOTE: TDX_SUCCESS`);
  });

  it('at tdp_mmu_set_spte, looks ahead to the hook it calls', () => {
    assert.strictEqual(decorationText(rec, 4, 'tdx'),
      `old ${hex(HUGE)}(leaf 2M) → new ${hex(NONLEAF)}(non-leaf)  split_external_spt → TDH.MEM.PAGE.DEMOTE: TDX_SUCCESS`);
  });

  it('at a SEAMCALL, names that SEAMCALL and its result', () => {
    assert.strictEqual(decorationText(rec, 8, 'tdx'), `old ${hex(HUGE)}(leaf 2M) → new ${hex(NONLEAF)}(non-leaf)  TDH.MEM.TRACK: TDX_SUCCESS`);
  });

  it('leads with the KVM_BUG_ON reason', () => {
    assert.match(decorationText(rec, 12, 'tdx'), /^KVM_BUG_ON: mirror SPTE transition not allowed under write mmu_lock {2}old 0x[0-9a-f]+\(leaf 2M\) → new/);
  });

  it('shows the failing SEAMCALL rather than the last one', () => {
    const r = recordingOf([
      { kind: 'hook', fn: 'remove_external_spte', gfn: 0x10, level: 1, result: '-EIO' },
      { kind: 'seamcall', fn: 'TDH.MEM.RANGE.BLOCK', parent: 0, result: 'TDX_OPERAND_BUSY' },
      { kind: 'seamcall', fn: 'TDH.MEM.RANGE.BLOCK', parent: 0, result: 'TDX_SUCCESS' },
      { kind: 'seamcall', fn: 'TDH.MEM.PAGE.REMOVE', parent: 0, result: 'TDX_SUCCESS' },
      { kind: 'step', fn: 'next', parent: null },
    ]);
    assert.strictEqual(decorationText(r, 0, 'tdx'), 'remove_external_spte → TDH.MEM.RANGE.BLOCK: TDX_OPERAND_BUSY');
  });

  it('stops looking at the end of the call: a later hook is not this call\'s', () => {
    const r = recordingOf([
      { kind: 'call', fn: 'tdp_mmu_zap_leafs', result: '0' },
      { kind: 'call', fn: 'tdp_mmu_set_spte', parent: 0 },
      { kind: 'hook', fn: 'remove_external_spte', parent: null, result: '0' },
    ]);
    assert.strictEqual(decorationText(r, 0, 'tdx'), '→ 0');
    assert.strictEqual(decorationText(r, 1, 'tdx'), 'tdp_mmu_set_spte #1');
  });
});

describe('editor: hovers', () => {
  const rec = splitRecording();
  const index = new RecordingIndex(rec);

  it('shows old_spte/new_spte decoded, from the frame that set them', () => {
    const text = hoverText(rec, index, rec.event(6), 6, 'old_spte', 'tdx') ?? '';
    assert.match(text, new RegExp(`^\\*\\*old_spte\\*\\* = \`${hex(HUGE)}\` at event #4 \\(tdp_mmu_set_spte\\)\\n\\nleaf at 2M pfn 0x80200 RWX$`));
    assert.match(hoverText(rec, index, rec.event(4), 6, 'new_spte', 'tdx') ?? '', /non-leaf at 2M → page table at pfn 0x9000/);
  });

  it('shows level, gfn, sptep and named arguments', () => {
    assert.strictEqual(hoverText(rec, index, rec.event(4), 6, 'level', 'tdx'), '**level** = 2 (PG_LEVEL_2M) at event #4 (tdp_mmu_set_spte)');
    assert.strictEqual(hoverText(rec, index, rec.event(4), 6, 'gfn', 'tdx'), '**gfn** = `0x200` at event #4 (tdp_mmu_set_spte)');
    assert.match(hoverText(rec, index, rec.event(4), 6, 'sptep', 'tdx') ?? '', /^\*\*sptep\*\* → mirror root, 2M entry of gfn `0x200` \(slot 1\), now `0x[0-9a-f]+`/);
    assert.strictEqual(hoverText(rec, index, rec.event(2), 6, 'shared', 'tdx'), '**shared** = `false` at event #2 (tdp_mmu_link_sp)');
  });

  it('counts the calls of a hook or function and names the latest one', () => {
    assert.strictEqual(hoverText(rec, index, rec.event(4), 9, 'split_external_spt', 'tdx'),
      '**split_external_spt** ran 1 time in this simulation\n\nlatest up to the current event: #6 gfn `0x200` → `0`');
    assert.match(callCountText(rec, index, 2, 'tdp_mmu_set_spte') ?? '', /ran 2 times.*\n\nnot yet called at the current event/);
  });

  it('says nothing about words the simulator does not know there', () => {
    assert.strictEqual(hoverText(rec, index, rec.event(8), 8, 'level', 'tdx'), null, 'TDH.MEM.TRACK has no level');
    assert.strictEqual(hoverText(rec, index, rec.event(4), 6, 'kvm', 'tdx'), null);
  });
});
