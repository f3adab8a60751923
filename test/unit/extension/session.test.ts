import * as assert from 'assert';
import { StepperSession, type MoveEvent } from '../../../src/extension/stepper/session';
import { symbolicLocation } from '../../../src/extension/stepper/positionView';
import { FILTER_CATEGORIES, type LocationView } from '../../../src/extension/stepper/protocol';
import { recordingOf } from './fakeRecording';
import { HUGE, NONLEAF, splitRecording } from './splitFixture';

const source = { kind: 'scenario' as const, path: '/ws/split.tdpsim.yaml' };

function session() {
  return new StepperSession(splitRecording(), source, 'tdx');
}

describe('stepper session: moving', () => {
  it('refuses an empty recording with a message naming its source', () => {
    assert.throws(() => new StepperSession(recordingOf([]), source, 'tdx'), /split\.tdpsim\.yaml: the recording has no events/);
  });

  it('steps forward and back through the filtered timeline', () => {
    const s = session();
    s.setFilter({ categories: ['set_spte', 'hook'], gfn: '' });
    const seen = [s.position];
    while (s.navigate('stepForward', 'command')) seen.push(s.position);
    assert.deepStrictEqual(seen, [0, 3, 4, 6, 11]);
    assert.strictEqual(s.navigate('stepBack', 'command'), true);
    assert.strictEqual(s.position, 6);
  });

  it('steps into, over and out by call depth, and runs to hook calls', () => {
    const s = session();
    s.seek(4, 'command');                       // tdp_mmu_set_spte
    assert.strictEqual(s.target('stepInto'), 5); // handle_changed_spte
    assert.strictEqual(s.target('stepOver'), 10, 'over the set_spte call and everything it did');
    s.seek(7, 'command');                       // TDH.MEM.RANGE.BLOCK inside split_external_spt
    assert.strictEqual(s.target('stepOut'), 10);
    assert.strictEqual(s.target('stepOverBack'), 6, 'back to the enclosing hook call');
    s.seek(0, 'command');
    assert.strictEqual(s.target('nextHook'), 6);
    assert.strictEqual(s.target('prevHook'), null);
    assert.strictEqual(s.target('last'), 13);
  });

  it('notifies listeners of real moves only, with their origin', () => {
    const s = session();
    const moves: MoveEvent[] = [];
    const sub = s.onDidMove((e) => moves.push(e));
    s.seek(6, 'webview');
    s.seek(6, 'debug');              // no change: no event
    s.seek(1e9, 'editor');           // clamped to the last event
    s.navigate('stepForward', 'command'); // at the end: nowhere to go
    sub.dispose();
    s.seek(0, 'command');
    assert.deepStrictEqual(moves, [
      { seq: 6, previous: 0, origin: 'webview' },
      { seq: 13, previous: 6, origin: 'editor' },
    ]);
  });

  it('finds the previous and next call of a function and the next event at a line', () => {
    const s = session();
    s.seek(6, 'command');
    assert.strictEqual(s.callOf('tdp_mmu_set_spte', 'backward'), 4);
    assert.strictEqual(s.callOf('tdp_mmu_set_spte', 'forward'), 11);
    s.seek(11, 'command');
    assert.strictEqual(s.callOf('tdp_mmu_set_spte', 'forward'), null);
    assert.strictEqual(s.callOf('tdp_mmu_set_spte', 'backward'), 4, 'not the current call itself');
    s.seek(0, 'command');
    assert.strictEqual(s.eventAt(['tdp_mmu_set_spte.bug_other', 'tdp_mmu_set_spte.split_external_spt'], 'forward'), 6);
    s.seek(6, 'command');
    assert.strictEqual(s.eventAt(['tdp_mmu_set_spte.split_external_spt'], 'forward'), null);
  });
});

describe('stepper session: the position view', () => {
  it('shows the split hook with its call stack, innermost first, at resolved lines', () => {
    const s = session();
    s.seek(6, 'command');
    const locate = (a: string): LocationView => (a === 'tdp_mmu_set_spte.split_external_spt'
      ? { status: 'resolved', file: '/k/arch/x86/kvm/mmu/tdp_mmu.c', line: 790, label: 'tdp_mmu.c:790' }
      : { status: 'absent', label: `${a}: not in this tree` });
    const v = s.positionView(locate);
    assert.strictEqual(v.event.fn, 'split_external_spt');
    assert.strictEqual(v.event.anchorTitle, 'present leaf → present non-leaf: split the external mapping');
    assert.strictEqual(v.event.stepOp, 'split');
    // Each frame sits at its decision point (src/debug/frames.ts), the scenario step at the bottom;
    // a hook has no source of its own (its caller's line is where it is).
    assert.deepStrictEqual(v.stack.map((f) => [f.fn, f.seq, f.anchor]), [
      ['split_external_spt', 6, null],
      ['tdp_mmu_set_spte', 4, 'tdp_mmu_set_spte.split_external_spt'],
      ['tdp_mmu_iter_set_spte', 3, 'tdp_mmu_iter_set_spte'],
      ['tdp_mmu_link_sp', 2, 'tdp_mmu_link_sp.exclusive'],
      ['tdp_mmu_split_huge_page', 1, 'tdp_mmu_split_huge_page.link_sp'],
      ['step 0: split', null, null],
    ]);
    assert.deepStrictEqual(v.stack[5].location, { status: 'resolved', file: '/ws/split.tdpsim.yaml', line: 7, label: 'split.tdpsim.yaml:7' });
    assert.deepStrictEqual(v.location, { status: 'resolved', file: '/k/arch/x86/kvm/mmu/tdp_mmu.c', line: 790, label: 'tdp_mmu.c:790' });
    assert.notStrictEqual(v.stack[0].location.status, 'resolved');
    assert.strictEqual(v.stack[1].location.status, 'resolved');
    assert.strictEqual(v.lock, 'write');
  });

  it('decodes the old and new SPTE of the enclosing tdp_mmu_set_spte bit by bit', () => {
    const s = session();
    s.seek(6, 'command');
    const v = s.positionView(symbolicLocation);
    assert.strictEqual(v.spte.from, 4);
    assert.strictEqual(v.spte.old?.hex, '0x' + HUGE.toString(16));
    assert.match(v.spte.old?.summary ?? '', /^leaf at 2M pfn 0x80200 RWX$/);
    assert.match(v.spte.new?.summary ?? '', /^non-leaf at 2M → page table at pfn 0x9000$/);
    const large = v.spte.old?.fields.find((f) => f.name === 'large');
    assert.deepStrictEqual(large && [large.bits, large.value], ['bit 7', '0x1']);
    assert.strictEqual(v.spte.new?.fields.find((f) => f.name === 'large')?.value, '0x0');
    assert.strictEqual(v.location.status, 'symbolic');
    assert.strictEqual(v.location.label, 'tdp_mmu_set_spte.split_external_spt (mmu/tdp_mmu.c)');
  });

  it('draws the mirror and S-EPT trees around the GFN and marks what changed', () => {
    const s = session();
    s.seek(4, 'command'); // the mirror SPTE becomes non-leaf over 512 new 4K children
    let v = s.positionView(symbolicLocation);
    assert.strictEqual(v.treeGfn, '0x200');
    const [mirror, sept] = v.trees;
    assert.strictEqual(mirror.table, 'mirror');
    const path = mirror.entries.filter((e) => e.onPath);
    assert.deepStrictEqual(path.map((e) => [e.levelName, e.index, e.summary, e.changed]), [
      ['512G', 0, 'non-leaf', null], ['1G', 0, 'non-leaf', null], ['2M', 1, 'non-leaf', 'event'], ['4K', 0, 'leaf 4K', 'event'],
    ]);
    assert.strictEqual(path[2].old, '0x' + HUGE.toString(16));
    assert.strictEqual(path[2].spte, '0x' + NONLEAF.toString(16));
    const neighbours = mirror.entries.filter((e) => !e.onPath);
    assert.deepStrictEqual(neighbours.map((e) => e.index), [1, 2, 3]);
    assert.strictEqual(mirror.hiddenSiblings, 511 - 3);
    // The S-EPT has not been told yet: its 2M entry is still MAPPED and unchanged.
    assert.deepStrictEqual(sept.entries.map((e) => [e.levelName, e.summary, e.changed]), [
      ['512G', 'NL_MAPPED', null], ['1G', 'NL_MAPPED', null], ['2M', 'MAPPED 2M', null],
    ]);

    s.seek(7, 'command'); // TDH.MEM.RANGE.BLOCK
    v = s.positionView(symbolicLocation);
    assert.deepStrictEqual(v.trees[1].entries.at(-1), {
      level: 2, levelName: '2M', index: 1, gfn: '0x200', spte: v.trees[1].entries.at(-1)?.spte, summary: 'BLOCKED 2M',
      changed: 'event', old: v.trees[1].entries.at(-1)?.old, onPath: true,
    });
    // The mirror split of event #4 stays marked while the hook runs (same scenario step).
    const mirror2M = v.trees[0].entries.find((e) => e.levelName === '2M')!;
    assert.deepStrictEqual([mirror2M.changed, mirror2M.old], ['step', '0x' + HUGE.toString(16)]);
    assert.match(v.spte.new?.summary ?? '', /^non-leaf/, 'the SPTE panel stays on the enclosing tdp_mmu_set_spte');
  });

  it('raises the invariant banner and then the KVM_BUG_ON banner, and keeps them', () => {
    const s = session();
    s.seek(9, 'command');
    assert.deepStrictEqual(s.positionView(symbolicLocation).banners, []);
    s.seek(10, 'command');
    assert.deepStrictEqual(s.positionView(symbolicLocation).banners, [
      { kind: 'invariant', seq: 10, message: 'invariant broken: mirror gfn 0x5000 mapped, S-EPT FREE' },
    ]);
    s.seek(13, 'command');
    const b = s.positionView(symbolicLocation).banners;
    assert.deepStrictEqual(b.map((x) => [x.kind, x.seq]), [['kvm_bug', 12], ['invariant', 10]]);
    assert.match(b[0].message, /^KVM_BUG_ON: the VM is bugged \(mirror SPTE transition not allowed/);
  });

  it('places the current event in the filtered timeline', () => {
    const s = session();
    s.setFilter({ categories: ['seamcall'], gfn: '' });
    s.seek(8, 'command');
    let v = s.positionView(symbolicLocation);
    assert.deepStrictEqual([v.filteredIndex, v.filteredNearest], [1, 1]);
    s.seek(6, 'command');
    v = s.positionView(symbolicLocation);
    assert.deepStrictEqual([v.filteredIndex, v.filteredNearest], [-1, 0]);
    s.setFilter({ categories: [...FILTER_CATEGORIES], gfn: '' });
    assert.strictEqual(s.positionView(symbolicLocation).filteredIndex, 6);
  });

  it('is plain JSON at every position (postMessage cannot carry bigint)', () => {
    const s = session();
    for (let seq = 0; seq < s.rec.length; seq++) {
      s.seek(seq, 'command');
      const v = s.positionView(symbolicLocation);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), v);
    }
  });
});
