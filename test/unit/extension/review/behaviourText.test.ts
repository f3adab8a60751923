// How a scenario's behaviour diff reads in the review: short event names, each side's sequence
// where the two differ, and the one-line headline. Diffs are made by the core's diffSignatures()
// from the core's signatureOf() texts.
import * as assert from 'assert';
import fc from 'fast-check';
import { diffSignatures, type SignatureEvent } from '../../../../src/patch/behaviour';
import { changedRegion, headline, sequenceText, shortName } from '../../../../src/extension/review/behaviourText';

let seq = 0;
const hook = (fn: string): SignatureEvent => ({ seq: seq++, step: 1, kind: 'hook', text: `hook ${fn}(gfn 0x200, 2M)` });
const seamcall = (fn: string, result = 'TDX_SUCCESS'): SignatureEvent => ({ seq: seq++, step: 1, kind: 'seamcall', text: `${fn}(gfn 0x200, 2M) = ${result}` });
const bug = (anchor: string): SignatureEvent => ({ seq: seq++, step: 1, kind: 'kvm_bug', text: `KVM_BUG_ON at ${anchor}` });

/** The mirror split of RFC v2 09/23: mainline bugs the VM and zaps, the patch splits. */
function split09() {
  const before = [hook('set_external_spte'), seamcall('TDH.MEM.PAGE.AUG'), bug('tdp_mmu_set_spte.bug_present'), hook('remove_external_spte'),
    seamcall('TDH.MEM.RANGE.BLOCK'), seamcall('TDH.MEM.TRACK'), seamcall('TDH.MEM.PAGE.REMOVE')];
  const after = [hook('set_external_spte'), seamcall('TDH.MEM.PAGE.AUG'), hook('split_external_spt'),
    seamcall('TDH.MEM.RANGE.BLOCK'), seamcall('TDH.MEM.TRACK'), seamcall('TDH.MEM.PAGE.DEMOTE')];
  return diffSignatures(before, after);
}

describe('review: behaviour diff in words', () => {
  it('names hooks as calls, SEAMCALLs by leaf (with a status other than success), KVM_BUG_ON as itself', () => {
    assert.strictEqual(shortName(hook('split_external_spt')), 'split_external_spt()');
    assert.strictEqual(shortName(seamcall('TDH.MEM.PAGE.DEMOTE')), 'TDH.MEM.PAGE.DEMOTE');
    assert.strictEqual(shortName(seamcall('TDH.MEM.PAGE.AUG', 'TDX_OPERAND_BUSY')), 'TDH.MEM.PAGE.AUG = TDX_OPERAND_BUSY');
    assert.strictEqual(shortName({ seq: 0, step: 0, kind: 'seamcall', text: 'TDH.MEM.TRACK() = TDX_SUCCESS' }), 'TDH.MEM.TRACK');
    assert.strictEqual(shortName(bug('kvm_tdp_mmu_map.bug_mirror_huge')), 'KVM_BUG_ON');
  });

  it('RFC 09/23: each side from the first to the last difference; the headline reads KVM_BUG_ON → the split path', () => {
    const d = split09();
    assert.strictEqual(sequenceText(changedRegion(d, 'before')), 'KVM_BUG_ON → remove_external_spte() → TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.REMOVE');
    assert.strictEqual(sequenceText(changedRegion(d, 'after')), 'split_external_spt() → TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.DEMOTE');
    assert.strictEqual(headline(d), 'KVM_BUG_ON → split_external_spt() → TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.DEMOTE');
  });

  it('equal sides: no region, no headline; only additions or removals say so', () => {
    const same = [hook('set_external_spte'), seamcall('TDH.MEM.PAGE.AUG')];
    const eq = diffSignatures(same, same);
    assert.deepStrictEqual(changedRegion(eq, 'before'), []);
    assert.strictEqual(headline(eq), null);
    assert.strictEqual(headline(diffSignatures(same, [...same, bug('x.y')])), 'now also KVM_BUG_ON');
    assert.strictEqual(headline(diffSignatures([...same, hook('free_external_spt')], same)), 'free_external_spt() no longer happens');
  });

  it('long sequences are cut, saying how many more', () => {
    const many = Array.from({ length: 12 }, () => seamcall('TDH.MEM.TRACK'));
    assert.strictEqual(sequenceText(many, 3), 'TDH.MEM.TRACK, TDH.MEM.TRACK, TDH.MEM.TRACK … (9 more)');
    assert.strictEqual(sequenceText([]), 'nothing');
  });

  it("each side's region is its sequence without the common prefix and suffix", () => {
    const ev = fc.constantFrom(() => hook('a'), () => hook('b'), () => seamcall('TDH.X'), () => seamcall('TDH.Y'), () => bug('c.d')).map((f) => f());
    fc.assert(fc.property(fc.array(ev, { maxLength: 12 }), fc.array(ev, { maxLength: 12 }), (b, a) => {
      const d = diffSignatures(b, a);
      const rb = changedRegion(d, 'before');
      const ra = changedRegion(d, 'after');
      const texts = (xs: SignatureEvent[]) => xs.map((x) => x.text);
      if (!d.firstDiff) {
        assert.deepStrictEqual(texts(b), texts(a));
        assert.deepStrictEqual([rb, ra, headline(d)], [[], [], null]);
        return;
      }
      assert.ok(rb.length + ra.length > 0 && headline(d));
      // Outside the regions both sides agree: what the diff keeps before the first change and
      // after the last one is a common prefix and a common suffix of the two sequences.
      const ops = d.ops;
      const pre = ops[0].op === 'same' ? ops[0].events.length : 0;
      const post = ops.length > 1 && ops[ops.length - 1].op === 'same' ? ops[ops.length - 1].events.length : 0;
      assert.deepStrictEqual(texts(rb), texts(b.slice(pre, b.length - post)));
      assert.deepStrictEqual(texts(ra), texts(a.slice(pre, a.length - post)));
      assert.deepStrictEqual(texts(b.slice(0, pre)), texts(a.slice(0, pre)));
      assert.deepStrictEqual(texts(b.slice(b.length - post)), texts(a.slice(a.length - post)));
    }));
  });
});
