// Each review check with a patch that must trigger it and one that must not.
import { strict as assert } from 'assert';
import { CHECKS } from '../../../src/patch/remarks';
import { bugOnComment } from '../../../src/patch/remarks/bug-on-comment';
import { changelogParens } from '../../../src/patch/remarks/changelog-parens';
import { forwardDeclaration } from '../../../src/patch/remarks/forward-declaration';
import { KVM_HOST_H, KVM_X86_OPS_H, x86OpsHook } from '../../../src/patch/remarks/x86-ops-hook';
import type { ReviewCheck } from '../../../src/patch/remarks';
import { reviewPatch, type Remark } from '../../../src/patch/review';
import { fixture, fixtureLine, fixtureTreeFiles, makePatch, memoryTree } from './helpers';

const TDP = 'arch/x86/kvm/mmu/tdp_mmu.c';
const files = fixtureTreeFiles();

async function remarks(input: string | Buffer, check: ReviewCheck, withTree = true, name = 'test.patch'): Promise<Remark[]> {
  const r = await reviewPatch(input, name, { tree: withTree ? memoryTree(files) : undefined, scenarios: [], checks: [check] });
  // A remark-free result must not come from a patch that did not apply.
  assert.ok(r.patches.every((p) => p.files.every((f) => f.hunks.every((h) => h.status === 'applied'))), 'every hunk applied');
  return r.remarks;
}

/** The fixture tdp_mmu.c with `find` replaced (must occur). */
function edit(find: string, replace: string, text = files[TDP]): string {
  assert.ok(text.includes(find), `fixture lacks: ${find}`);
  return text.replace(find, replace);
}

describe('patch/remarks: registry', () => {
  it('has the four checks, each with a unique id and a title', () => {
    assert.deepEqual(CHECKS.map((c) => c.id), ['changelog-function-parens', 'avoidable-forward-declaration', 'bug-on-without-comment', 'kvm-x86-ops-hook']);
    assert.ok(CHECKS.every((c) => c.title.length > 10));
  });
});

describe('patch/remarks: function named without "()"', () => {
  it('flags functions and hooks of the post-patch code in the subject and the changelog', async () => {
    const rs = await remarks(fixture('rfc09-shaped.patch'), changelogParens);
    assert.deepEqual(rs.map((r) => [r.line, r.message.match(/^(?:Nit: please say|Please write) (\w+)\(\)/)?.[1]]), [
      [4, 'split_external_spt'], [7, 'split_external_spt'], [14, 'split_external_spt'], [16, 'get_external_spt'],
    ]);
    assert.match(fixtureLine('rfc09-shaped.patch', 16), /comes from get_external_spt,/);
    assert.ok(rs.every((r) => r.file === undefined && r.inputLine === r.line));
  });

  it('leaves alone name(), struct members, macros, file names, struct tags and indented code', async () => {
    const changelog = [
      'Call tdp_mmu_split_huge_page() from here; kvm_x86_ops.remove_external_spte and',
      'sp->handle_removed_pt stay, PG_LEVEL_4K and KVM_BUG_ON are macros, tdp_mmu.c and',
      'mmu/tdp_mmu_set_spte are paths, struct tdp_mmu_link_sp is a tag.',
      '',
      '\ttdp_mmu_set_spte+0x3c/0x90',
    ].join('\n');
    const patch = makePatch('[PATCH] KVM: x86/mmu: Tidy tdp_mmu_link_sp()', changelog, [{ path: TDP, before: files[TDP], after: edit('\tkvm->stat.pages++;', '\tkvm->stat.pages += 1;') }]);
    assert.deepEqual(await remarks(patch, changelogParens), []);
  });

  it('flags a kernel function the simulator knows even when the patch does not define it', async () => {
    const patch = makePatch('[PATCH] KVM: x86/mmu: Tidy', 'Nothing calls handle_changed_spte twice.', [{ path: TDP, before: files[TDP], after: edit('\tkvm->stat.pages++;', '\tkvm->stat.pages += 1;') }]);
    const rs = await remarks(patch, changelogParens, false);
    assert.equal(rs.length, 1);
    assert.match(rs[0].message, /handle_changed_spte\(\)/);
  });
});

describe('patch/remarks: avoidable forward declaration', () => {
  it('the seed case: a declaration only needed because the new helper sits above the definition', async () => {
    const rs = await remarks(fixture('rfc09-shaped.patch'), forwardDeclaration);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].file, TDP);
    assert.equal(rs[0].line, 11);
    assert.match(fixtureLine('rfc09-shaped.patch', rs[0].inputLine), /^\+static void \*get_external_spt\(/);
    assert.match(rs[0].message, /defining split_external_spt\(\) after set_external_spte_present\(\), which also uses get_external_spt\(\)/);
    assert.match(rs[0].reason, /only used by tdp_mmu_set_spte\(\)/);
  });

  it('the same for a quoted reply whose hunks lost their file header and indentation', async () => {
    const rs = await remarks(fixture('reply-archive.txt'), forwardDeclaration, true, 'reply.txt');
    assert.equal(rs.length, 1);
    assert.match(fixtureLine('reply-archive.txt', rs[0].inputLine), /^> \+static void \*get_external_spt/);
  });

  it('no remark when a caller of the new helper comes before the definition', async () => {
    const after = edit('static struct kvm_mmu_page *tdp_mmu_alloc_sp_for_split(bool mirror);\n', 'static struct kvm_mmu_page *tdp_mmu_alloc_sp_for_split(bool mirror);\nstatic void *get_external_spt(gfn_t gfn, u64 new_spte, int level);\n', edit(
      'static void tdp_account_mmu_page(struct kvm *kvm, struct kvm_mmu_page *sp)\n{\n\tkvm->stat.pages++;\n}\n',
      'static bool has_external_spt(gfn_t gfn, u64 spte, int level)\n{\n\treturn get_external_spt(gfn, spte, level) != NULL;\n}\n\nstatic void tdp_account_mmu_page(struct kvm *kvm, struct kvm_mmu_page *sp)\n{\n\tkvm->stat.pages++;\n\tWARN_ON_ONCE(has_external_spt(sp->gfn, 0, 1));\n}\n'));
    const patch = makePatch('[PATCH] KVM: x86/tdp_mmu: Check for external tables', 'Add a helper.', [{ path: TDP, before: files[TDP], after }]);
    assert.deepEqual(await remarks(patch, forwardDeclaration), []);
  });

  it('a declaration with no earlier user at all is not needed', async () => {
    const after = edit('static struct kvm_mmu_page *tdp_mmu_alloc_sp_for_split(bool mirror);\n', 'static struct kvm_mmu_page *tdp_mmu_alloc_sp_for_split(bool mirror);\nstatic void tdp_account_mmu_page(struct kvm *kvm, struct kvm_mmu_page *sp);\n');
    const rs = await remarks(makePatch('[PATCH] x', 'Declare.', [{ path: TDP, before: files[TDP], after }]), forwardDeclaration);
    assert.equal(rs.length, 1);
    assert.match(rs[0].message, /not needed/);
  });

  it('no remark without a tree: hunks alone do not show where functions are defined', async () => {
    assert.deepEqual(await remarks(fixture('rfc09-shaped.patch'), forwardDeclaration, false), []);
  });
});

describe('patch/remarks: KVM_BUG_ON/WARN_ON without a comment', () => {
  it('flags the new KVM_BUG_ON(!child_spt) but not the KVM_BUG_ON(1) explained above its if', async () => {
    const rs = await remarks(fixture('rfc09-shaped.patch'), bugOnComment);
    assert.equal(rs.length, 1);
    assert.match(rs[0].message, /KVM_BUG_ON\(!child_spt, kvm\)/);
    assert.match(fixtureLine('rfc09-shaped.patch', rs[0].inputLine), /^\+\tKVM_BUG_ON\(!child_spt, kvm\);/);
  });

  it('flags WARN_ON_ONCE too, and accepts a comment right above', async () => {
    const series = fixture('v2-0001-KVM-x86-tdp_mmu-Count-mirror-leaves-removed-under.patch');
    const rs = await remarks(series, bugOnComment);
    assert.deepEqual(rs.map((r) => r.message.match(/why (\S+)\(/)?.[1]), ['WARN_ON_ONCE']);
    const commented = series.toString().replace('+\tWARN_ON_ONCE(level > PG_LEVEL_2M);', '+\t/* The external table has no leaves above 2M. */\n+\tWARN_ON_ONCE(level > PG_LEVEL_2M);').replace('@@ -33,6 +33,8 @@', '@@ -33,6 +33,9 @@');
    assert.deepEqual(await remarks(commented, bugOnComment), []);
  });

  it('existing KVM_BUG_ONs in context are not the patch\'s business', async () => {
    const patch = makePatch('[PATCH] x', 'Tidy.', [{ path: TDP, before: files[TDP], after: edit('\tret = kvm_x86_call(remove_external_spte)(kvm, gfn, level, old_pfn);', '\tret = kvm_x86_call(remove_external_spte)(kvm, gfn, level,\n\t\t\t\t\t\t old_pfn);') }]);
    assert.deepEqual(await remarks(patch, bugOnComment), []);
  });
});

describe('patch/remarks: kvm_x86_ops hook vs kvm-x86-ops.h', () => {
  it('a hook added to the struct only (series 2/3), with and without a tree', async () => {
    const p = fixture('v2-0002-KVM-x86-Add-a-hook-for-the-smallest-level-the-ext.patch');
    for (const withTree of [true, false]) {
      const rs = await remarks(p, x86OpsHook, withTree);
      assert.equal(rs.length, 1, `withTree=${withTree}`);
      assert.equal(rs[0].file, KVM_HOST_H);
      assert.match(rs[0].message, /external_max_level is added to struct kvm_x86_ops but not to kvm-x86-ops\.h/);
      assert.match(fixtureLine('v2-0002-KVM-x86-Add-a-hook-for-the-smallest-level-the-ext.patch', rs[0].inputLine), /^\+\tint \(\*external_max_level\)/);
      assert.equal(/judged from the patch alone/.test(rs[0].reason), !withTree);
    }
  });

  it('no remark when both files get the hook (rfc09), with and without a tree', async () => {
    assert.deepEqual(await remarks(fixture('rfc09-shaped.patch'), x86OpsHook, true), []);
    assert.deepEqual(await remarks(fixture('rfc09-shaped.patch'), x86OpsHook, false), []);
  });

  it('an entry added to kvm-x86-ops.h without a struct member', async () => {
    const ops = files[KVM_X86_OPS_H];
    const patch = makePatch('[PATCH] x', 'Add an op.', [{ path: KVM_X86_OPS_H, before: ops, after: ops.replace('KVM_X86_OP(vcpu_free)\n', 'KVM_X86_OP(vcpu_free)\nKVM_X86_OP(vcpu_reset)\n') }]);
    const rs = await remarks(patch, x86OpsHook);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].file, KVM_X86_OPS_H);
    assert.match(rs[0].message, /KVM_X86_OP\(vcpu_reset\) is added to kvm-x86-ops\.h but struct kvm_x86_ops has no member vcpu_reset/);
  });

  it('a member removed from the struct while its entry stays', async () => {
    const host = files[KVM_HOST_H];
    const patch = makePatch('[PATCH] x', 'Drop a hook.', [{ path: KVM_HOST_H, before: host, after: host.replace('\tvoid (*vcpu_free)(struct kvm_vcpu *vcpu);\n', '') }]);
    const rs = await remarks(patch, x86OpsHook);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].file, KVM_X86_OPS_H);
    assert.match(rs[0].message, /vcpu_free is removed from struct kvm_x86_ops but KVM_X86_OP\(vcpu_free\) is still in kvm-x86-ops\.h/);
  });
});
