import { strict as assert } from 'assert';
import { ANCHORS, type Anchor, type AnchorPattern } from '../../../src/sim/anchors';
import { PROFILE_NAMES } from '../../../src/sim/types';
import { KernelLinker } from '../../../src/kernel/linker';
import { resolveAnchor, type Resolution } from '../../../src/kernel/resolve';
import { fixtureFile, fixtureTree, lineOf, parser, readFixture } from './helpers';

const found = (r: Resolution) => {
  assert.equal(r.status, 'found', JSON.stringify(r));
  return (r as Extract<Resolution, { status: 'found' }>).location;
};

describe('kernel/resolve: every anchor in the fixture trees', () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: anchors of the profile are found once inside their function, the others absent as expected`, async () => {
      const linker = await KernelLinker.open(fixtureTree(profile));
      const report = linker.resolveAll();
      assert.equal(report.profile, profile);
      for (const r of report.resolutions) {
        const anchor = ANCHORS.find((a) => a.id === r.anchor)!;
        if (anchor.profiles.includes(profile)) {
          const loc = found(r);
          const fn = linker.file(anchor.file)!.structure.functionsNamed(anchor.fn);
          assert.equal(fn.length, 1);
          assert.ok(fn[0].span.startLine <= loc.startLine && loc.endLine <= fn[0].span.endLine, `${anchor.id} lies outside ${anchor.fn}`);
          assert.equal(r.status === 'found' && r.note, undefined);
        } else {
          assert.equal(r.status, 'absent', `${anchor.id} should be absent in ${profile}: ${JSON.stringify(r)}`);
          assert.ok(r.status === 'absent' && r.cause === 'profile' && r.expected, r.anchor);
          assert.match(r.status === 'absent' ? r.reason : '', /expected: the anchor exists only in/);
        }
      }
      linker.dispose();
    });
  }

  it('matched text and lines are the construct itself', async () => {
    const linker = await KernelLinker.open(fixtureTree('hugepage-rfc-v2'));
    const text = readFixture('hugepage-rfc-v2/arch/x86/kvm/mmu/tdp_mmu.c');
    const split = found(linker.resolve('tdp_mmu_set_spte.split_external_spt'));
    assert.equal(split.text, 'split_external_spt(kvm, gfn, old_spte, new_spte, level, false)');
    assert.equal(split.startLine, lineOf(text, 'split_external_spt(kvm, gfn, old_spte, new_spte, level, false)'));
    assert.equal(split.kernelFile, 'mmu/tdp_mmu.c');
    assert.equal(found(linker.resolve('tdp_mmu_set_spte.bug_other')).text, 'KVM_BUG_ON(1, kvm)');
    const branch = found(linker.resolve('tdp_mmu_set_spte.split_branch'));
    assert.match(branch.text, /^if \(is_last_spte\(old_spte, level\) && !is_last_spte\(new_spte, level\)\)\n\t+split_external_spt\(.*\);$/);
    const hook = found(linker.resolve('split_external_spt.hook'));
    assert.equal(hook.text, 'kvm_x86_call(split_external_spt)(kvm, gfn, level, external_spt, shared)');
    const fn = found(linker.resolve('split_external_spt'));
    assert.ok(fn.text.startsWith('static int split_external_spt(') && fn.text.endsWith('}'));
    assert.equal(fn.startColumn, 1);
    linker.dispose();
  });

  it('a construct present twice is ambiguous with every candidate, never a pick', async () => {
    const linker = await KernelLinker.open(fixtureFile('ambiguous_tdp_mmu.c'));
    const text = readFixture('single/ambiguous_tdp_mmu.c');
    const twoDefs = linker.resolve('tdp_mmu_link_sp');
    assert.equal(twoDefs.status, 'ambiguous');
    assert.deepEqual(twoDefs.status === 'ambiguous' && twoDefs.candidates.map((c) => c.startLine),
      [lineOf(text, '#ifdef CONFIG_FIXTURE_ATOMIC_LINK') + 1, lineOf(text, '#else') + 1]);
    const twoCalls = linker.resolve('tdp_mmu_set_spte.handle_changed_spte');
    assert.equal(twoCalls.status, 'ambiguous');
    assert.match(twoCalls.status === 'ambiguous' ? twoCalls.reason : '', /2 matches for call of handle_changed_spte in tdp_mmu_set_spte/);
    // Only one of the two definitions has a tdp_mmu_iter_set_spte call: that one is unambiguous.
    assert.equal(found(linker.resolve('tdp_mmu_link_sp.exclusive')).startLine, lineOf(text, 'tdp_mmu_iter_set_spte(kvm, iter'));
    linker.dispose();
  });

  it('absence names its cause: profile, file not loaded, or missing where it should be', async () => {
    const pre = await KernelLinker.open(fixtureTree('pre-tdx'));
    const expected = pre.resolve('set_external_spte_present');
    assert.deepEqual(expected.status === 'absent' && [expected.cause, expected.expected], ['profile', true]);
    assert.match(expected.status === 'absent' ? expected.reason : '', /function set_external_spte_present is not defined in mmu\/tdp_mmu.c/);
    const noTdx = pre.resolve('tdx_track');
    assert.match(noTdx.status === 'absent' ? noTdx.reason : '', /vmx\/tdx.c does not exist in this tree/);
    // Judged as mainline, the same tree lacks what mainline must have.
    const forced = pre.resolve('tdp_mmu_set_spte.mirror_branch', 'mainline');
    assert.deepEqual(forced.status === 'absent' && [forced.cause, forced.expected], ['missing', false]);
    assert.match(forced.status === 'absent' ? forced.reason : '', /no if on is_mirror_sptep in tdp_mmu_set_spte \(lines \d+-\d+\)/);
    // And a construct the profile excludes but the tree has is found, with a note.
    const extra = pre.resolve('tdp_mmu_set_spte', 'hugepage-rfc-v2');
    assert.equal(extra.status, 'found');
    const rfcOnly = pre.resolve({ ...ANCHORS.find((a) => a.id === 'tdp_mmu_set_spte')!, profiles: ['hugepage-rfc-v2'] });
    assert.match(rfcOnly.status === 'found' ? rfcOnly.note ?? '' : '', /found although the anchor exists only in hugepage-rfc-v2, this tree is pre-tdx/);
    pre.dispose();

    const single = await KernelLinker.open(fixtureTree('mainline') + '/arch/x86/kvm/mmu/tdp_mmu.c');
    const tdx = single.resolve('tdx_track');
    assert.deepEqual(tdx.status === 'absent' && [tdx.cause, tdx.expected], ['file', false]);
    assert.match(tdx.status === 'absent' ? tdx.reason : '', /vmx\/tdx.c is not loaded \(linking the single file .*tdp_mmu.c\)/);
    single.dispose();
  });

  it('unknown anchor ids are an error, not an absence', async () => {
    const linker = await KernelLinker.open(fixtureTree('mainline'));
    assert.throws(() => linker.resolve('no_such_function.decision'), /unknown anchor id 'no_such_function.decision'/);
    linker.dispose();
  });
});

describe('kernel/resolve: pattern semantics', () => {
  const C = `
static int demo(struct kvm *kvm, u64 old_spte, u64 new_spte, int level)
{
	int ret = helper(kvm);

	ret = helper(kvm) + kvm_x86_call(helper)(kvm);
	if (is_mirror_sptep(kvm->sptep)) {
		if (KVM_BUG_ON(!is_shadow_present_pte(new_spte), kvm))
			return -EBUSY;
		if (!is_shadow_present_pte(new_spte))
			zap(kvm, old_spte);
		else if (is_last_spte(old_spte, level))
			split(kvm, new_spte);
		else
			KVM_BUG_ON(1, kvm);
	}
	lockdep_assert_held_write(&kvm->mmu_lock);
	return ret;
}
`;
  const lines = C.split('\n');
  const line = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
  let linker: KernelLinker;
  before(async () => { linker = KernelLinker.fromTexts(await parser(), [{ kernelFile: 'mmu/tdp_mmu.c', text: C, name: 'demo.c' }]); });
  after(() => linker.dispose());
  const at = (pattern: AnchorPattern): Resolution => {
    const anchor: Anchor = { id: 'demo.x', fn: 'demo', file: 'mmu/tdp_mmu.c', title: 't', pattern, profiles: PROFILE_NAMES };
    return resolveAnchor(anchor, (kf) => linker.file(kf) ?? { missing: kf }, undefined);
  };
  const startLines = (r: Resolution) => r.status === 'found' ? [r.location.startLine] : r.status === 'ambiguous' ? r.candidates.map((c) => c.startLine) : [];

  it('call: direct calls and hook calls of the same name are told apart by via', () => {
    assert.deepEqual(startLines(at({ kind: 'call', callee: 'helper' })), [line('int ret = helper'), line('\tret = helper'), line('\tret = helper')]);
    assert.deepEqual(startLines(at({ kind: 'call', callee: 'helper', via: 'direct' })), [line('int ret = helper'), line('\tret = helper')]);
    const hook = at({ kind: 'call', callee: 'helper', via: 'hook' });
    assert.equal(hook.status === 'found' && hook.location.text, 'kvm_x86_call(helper)(kvm)');
  });

  it('call: nth picks in source order, and a missing nth is absent', () => {
    assert.deepEqual(startLines(at({ kind: 'call', callee: 'helper', via: 'direct', nth: 1 })), [line('\tret = helper')]);
    assert.equal(at({ kind: 'call', callee: 'helper', via: 'direct', nth: 2 }).status, 'absent');
  });

  it('macro: mentions are identifiers and struct fields in the arguments', () => {
    assert.deepEqual(startLines(at({ kind: 'macro', macro: 'lockdep_assert_held_write', mentions: ['mmu_lock', 'kvm'] })), [line('lockdep_assert_held_write')]);
    assert.equal(at({ kind: 'macro', macro: 'lockdep_assert_held_write', mentions: ['mmu'] }).status, 'absent', 'no substring matching');
    assert.equal(at({ kind: 'macro', macro: 'KVM_BUG_ON', mentions: [] }).status, 'ambiguous');
  });

  it('if: the condition mentions all identifiers; else-ifs are ifs too', () => {
    assert.deepEqual(startLines(at({ kind: 'if', mentions: ['is_last_spte'] })), [line('else if (is_last_spte')]);
    const r = at({ kind: 'if', mentions: ['is_shadow_present_pte', 'new_spte'] });
    assert.equal(r.status, 'ambiguous', 'the KVM_BUG_ON if and the zap if both qualify');
  });

  it('within: condition, then and else parts of an if, nested', () => {
    assert.deepEqual(startLines(at({ kind: 'macro', macro: 'KVM_BUG_ON', mentions: [], within: { if: ['is_mirror_sptep'], part: 'then' } })),
      [line('if (KVM_BUG_ON'), line('KVM_BUG_ON(1, kvm)')]);
    assert.deepEqual(startLines(at({ kind: 'macro', macro: 'KVM_BUG_ON', mentions: [], within: { if: ['KVM_BUG_ON'], part: 'condition' } })), [line('if (KVM_BUG_ON')]);
    assert.deepEqual(startLines(at({ kind: 'macro', macro: 'KVM_BUG_ON', mentions: [], within: { if: ['is_last_spte'], part: 'else', within: { if: ['is_mirror_sptep'] } } })),
      [line('KVM_BUG_ON(1, kvm)')]);
    assert.deepEqual(startLines(at({ kind: 'call', callee: 'split', within: { if: ['is_shadow_present_pte', 'new_spte'], part: 'else' } })), [line('split(kvm, new_spte)')]);
    assert.equal(at({ kind: 'call', callee: 'zap', within: { if: ['is_last_spte'] } }).status, 'absent');
    const r = at({ kind: 'call', callee: 'split', within: { if: ['is_mirror_sptep'], part: 'else' } });
    assert.match(r.status === 'absent' ? r.reason : '', /no call of split in the else branch of the if on is_mirror_sptep in demo/);
  });

  it('a function under parse errors: the reason says which lines the parser could not read', async () => {
    const messy = KernelLinker.fromTexts(await parser(), [{ kernelFile: 'mmu/tdp_mmu.c', name: 'messy.c', text: 'static void tdp_mmu_set_spte(struct kvm *kvm)\n{\n\tfor_each_thing(kvm, x)\n\t\tflush = f(x) || flush;\n}\n' }]);
    const r = messy.resolve('tdp_mmu_set_spte.handle_changed_spte', 'mainline');
    assert.match(r.status === 'absent' ? r.reason : '', /the parser could not read lines 3 of its body/);
    messy.dispose();
  });
});
