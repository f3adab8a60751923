import { strict as assert } from 'assert';
import type { KernelFile } from '../../../src/sim/anchors';
import { KernelLinker } from '../../../src/kernel/linker';
import { fixtureTree, lineOf, parser, readFixture } from './helpers';

const kvm = (p: string, f: string) => `${p}/arch/x86/kvm/${f}`;

async function detect(texts: { kernelFile: KernelFile; text: string }[]) {
  const linker = KernelLinker.fromTexts(await parser(), texts.map((t) => ({ ...t, name: t.kernelFile })));
  const d = linker.detectProfile();
  linker.dispose();
  return d;
}

describe('kernel/profile: which generation a tree is, and why', () => {
  it('pre-tdx: no mirror code at all', async () => {
    const linker = await KernelLinker.open(fixtureTree('pre-tdx'));
    const d = linker.detectProfile();
    const line = lineOf(readFixture(kvm('pre-tdx', 'mmu/tdp_mmu.c')), 'static u64 tdp_mmu_set_spte(');
    assert.deepEqual(d, {
      profile: 'pre-tdx',
      reason: `no mirror-root code in tdp_mmu.c: tdp_mmu_set_spte (line ${line}) has no mirror branch, and no is_mirror_sptep check or external page-table hook call anywhere`,
      warnings: [],
    });
    linker.dispose();
  });

  it('mainline: a mirror branch in tdp_mmu_set_spte without a split', async () => {
    const linker = await KernelLinker.open(fixtureTree('mainline'));
    const line = lineOf(readFixture(kvm('mainline', 'mmu/tdp_mmu.c')), 'if (is_mirror_sptep(sptep))');
    assert.deepEqual(linker.detectProfile(), { profile: 'mainline', reason: `tdp_mmu_set_spte has a mirror branch (line ${line}) and no split_external_spt call`, warnings: [] });
    linker.dispose();
  });

  it('hugepage-rfc-v2: the mirror branch calls split_external_spt', async () => {
    const linker = await KernelLinker.open(fixtureTree('hugepage-rfc-v2'));
    const text = readFixture(kvm('hugepage-rfc-v2', 'mmu/tdp_mmu.c'));
    assert.deepEqual(linker.detectProfile(), {
      profile: 'hugepage-rfc-v2',
      reason: `tdp_mmu_set_spte has a mirror branch (line ${lineOf(text, 'if (is_mirror_sptep(sptep))')}) calling split_external_spt (line ${lineOf(text, 'split_external_spt(kvm, gfn, old_spte, new_spte, level, false)')})`,
      warnings: [],
    });
    linker.dispose();
  });

  it('a split call outside the mirror branch does not make a tree RFC', async () => {
    const text = readFixture(kvm('mainline', 'mmu/tdp_mmu.c')).replace('\treturn old_spte;\n}', '\tsplit_external_spt(kvm, gfn, old_spte, new_spte, level);\n\treturn old_spte;\n}');
    assert.equal((await detect([{ kernelFile: 'mmu/tdp_mmu.c', text }])).profile, 'mainline');
  });

  it('vmx/tdx.c alone tells the generation by its hooks', async () => {
    const rfc = await detect([{ kernelFile: 'vmx/tdx.c', text: readFixture(kvm('hugepage-rfc-v2', 'vmx/tdx.c')) }]);
    assert.equal(rfc.profile, 'hugepage-rfc-v2');
    assert.match(rfc.reason, /^vmx\/tdx.c defines tdx_sept_split_private_spt \(line \d+\); mmu\/tdp_mmu.c not loaded$/);
    const main = await detect([{ kernelFile: 'vmx/tdx.c', text: readFixture(kvm('mainline', 'vmx/tdx.c')) }]);
    assert.equal(main.profile, 'mainline');
    assert.deepEqual(await detect([{ kernelFile: 'mmu/spte.h', text: readFixture(kvm('mainline', 'mmu/spte.h')) }]),
      { profile: undefined, reason: 'mmu/tdp_mmu.c not loaded and nothing else tells the generation', warnings: [] });
  });

  it('a tdp_mmu.c without tdp_mmu_set_spte has no profile', async () => {
    const d = await detect([{ kernelFile: 'mmu/tdp_mmu.c', text: 'int main(void)\n{\n\treturn 0;\n}\n' }]);
    assert.equal(d.profile, undefined);
    assert.match(d.reason, /defines no tdp_mmu_set_spte: not a TDP MMU source we know/);
  });

  it('mirror code wired differently (hooks called from handle_changed_spte): mainline, with a warning', async () => {
    const text = `
static void handle_changed_spte(struct kvm *kvm, struct kvm_mmu_page *sp, u64 old_spte, u64 new_spte)
{
	if (is_mirror_sp(sp))
		kvm_x86_call(set_external_spte)(kvm, old_spte, new_spte);
}

static u64 tdp_mmu_set_spte(struct kvm *kvm, tdp_ptep_t sptep, u64 old_spte, u64 new_spte)
{
	handle_changed_spte(kvm, fixture_sp_of(sptep), old_spte, new_spte);
	return old_spte;
}
`;
    const d = await detect([{ kernelFile: 'mmu/tdp_mmu.c', text }]);
    assert.equal(d.profile, 'mainline');
    assert.match(d.reason, /mirror-root code in tdp_mmu.c \(is_mirror_sp in handle_changed_spte, line 4\) but tdp_mmu_set_spte \(line 8\) has no mirror branch/);
    assert.match(d.warnings.join('\n'), /anchors of the mainline layout may be absent/);
  });

  it('pre-merge TDX trees ("private" naming) are pre-tdx with a warning', async () => {
    const text = 'static u64 tdp_mmu_set_spte(struct kvm *kvm, tdp_ptep_t sptep)\n{\n\tif (is_private_sptep(sptep))\n\t\tstatic_call(kvm_x86_remove_private_spte)(kvm);\n\treturn 0;\n}\n';
    const d = await detect([{ kernelFile: 'mmu/tdp_mmu.c', text }]);
    assert.equal(d.profile, 'pre-tdx');
    assert.deepEqual(d.warnings, ['pre-merge TDX code (is_private_sptep, line 3): an out-of-tree TDX branch, not a known profile']);
  });

  it('files that disagree are reported as warnings', async () => {
    const rfcMmu = { kernelFile: 'mmu/tdp_mmu.c' as const, text: readFixture(kvm('hugepage-rfc-v2', 'mmu/tdp_mmu.c')) };
    const mainTdx = { kernelFile: 'vmx/tdx.c' as const, text: readFixture(kvm('mainline', 'vmx/tdx.c')) };
    assert.deepEqual((await detect([rfcMmu, mainTdx])).warnings, ['tdp_mmu.c calls split_external_spt but vmx/tdx.c defines no tdx_sept_split_private_spt']);
    const preMmu = { kernelFile: 'mmu/tdp_mmu.c' as const, text: readFixture(kvm('pre-tdx', 'mmu/tdp_mmu.c')) };
    assert.deepEqual((await detect([preMmu, mainTdx])).warnings, ['vmx/tdx.c is present but tdp_mmu.c has no mirror-root code']);
    const mainMmu = { kernelFile: 'mmu/tdp_mmu.c' as const, text: readFixture(kvm('mainline', 'mmu/tdp_mmu.c')) };
    const rfcTdx = { kernelFile: 'vmx/tdx.c' as const, text: readFixture(kvm('hugepage-rfc-v2', 'vmx/tdx.c')) };
    assert.match((await detect([mainMmu, rfcTdx])).warnings.join(), /vmx\/tdx.c defines tdx_sept_split_private_spt \(line \d+\) but tdp_mmu.c never calls split_external_spt/);
  });
});
