import { strict as assert } from 'assert';
import * as path from 'path';
import { main } from '../../../src/cli/main';
import { ANCHORS } from '../../../src/sim/anchors';
import { FIXTURES, fixtureTree, lineOf, readFixture } from './helpers';

async function link(args: string[], env: Record<string, string> = {}, cwd = process.cwd()) {
  let out = '';
  let err = '';
  const code = await main(['link', ...args], { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd, env });
  return { code, out, err };
}

describe('tdp-sim link', () => {
  it('prints each anchor with its status and lines, the profile and why; exit 0 when all of the profile are found', async () => {
    const r = await link([fixtureTree('hugepage-rfc-v2')]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], `${fixtureTree('hugepage-rfc-v2')}: kernel tree, 5 files`);
    assert.match(lines[1], /^profile: hugepage-rfc-v2 \(detected\): tdp_mmu_set_spte has a mirror branch \(line \d+\) calling split_external_spt \(line \d+\)$/);
    const text = readFixture('hugepage-rfc-v2/arch/x86/kvm/mmu/tdp_mmu.c');
    const split = lines.find((l) => l.startsWith('found      tdp_mmu_set_spte.split_external_spt '))!;
    assert.match(split, new RegExp(` mmu/tdp_mmu.c:${lineOf(text, 'split_external_spt(kvm, gfn, old_spte, new_spte, level, false)')}  split_external_spt\\(kvm, gfn, old_spte, new_spte, level, false\\)$`));
    assert.match(lines.find((l) => l.includes(' kvm_tdp_mmu_map.bug_mirror_huge '))!, /^absent +kvm_tdp_mmu_map.bug_mirror_huge +no KVM_BUG_ON\(mentioning is_mirror_sptep\) in kvm_tdp_mmu_map .*; expected: the anchor exists only in mainline, this tree is hugepage-rfc-v2$/);
    const rfcCount = ANCHORS.filter((a) => a.profiles.includes('hugepage-rfc-v2')).length;
    assert.equal(lines.filter((l) => l.startsWith('found ')).length, rfcCount);
    assert.match(r.out, new RegExp(`\\n${rfcCount} found, ${ANCHORS.length - rfcCount} absent as expected for hugepage-rfc-v2, 0 in files not loaded, 0 missing, 0 ambiguous\\n$`));
  });

  it('--json gives the report with every anchor and its kernel description', async () => {
    const r = await link([fixtureTree('pre-tdx'), '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.profile.used, 'pre-tdx');
    assert.equal(j.profile.detected, 'pre-tdx');
    assert.equal(j.profile.forced, false);
    assert.match(j.profile.reason, /^no mirror-root code in tdp_mmu.c/);
    assert.deepEqual(j.origin, { kind: 'tree', dir: fixtureTree('pre-tdx'), missing: ['vmx/tdx.c'] });
    assert.equal(j.anchors.length, ANCHORS.length);
    const map = j.anchors.find((a: { anchor: string }) => a.anchor === 'kvm_tdp_mmu_map.link_sp');
    assert.equal(map.status, 'found');
    assert.equal(map.fn, 'kvm_tdp_mmu_map');
    assert.equal(map.location.kernelFile, 'mmu/tdp_mmu.c');
    assert.equal(map.location.file, path.join(fixtureTree('pre-tdx'), 'arch/x86/kvm/mmu/tdp_mmu.c'));
    assert.equal(map.location.text, 'tdp_mmu_link_sp(kvm, &iter, sp, true)');
    const s = j.summary;
    assert.equal(s.found + s.absentExpected + s.notLoaded + s.missing + s.ambiguous, ANCHORS.length);
    assert.equal(s.found, j.anchors.filter((a: { status: string }) => a.status === 'found').length);
  });

  it('--profile judges against another profile: what it lacks is MISSING and the exit status is 1', async () => {
    const r = await link([fixtureTree('mainline'), '--profile', 'hugepage-rfc-v2']);
    assert.equal(r.code, 1);
    assert.match(r.out, /\nprofile: hugepage-rfc-v2 \(--profile\)\n/);
    assert.match(r.out, /\nMISSING +tdp_mmu_set_spte.split_external_spt +no direct call of split_external_spt in the then branch of the if on is_mirror_sptep in tdp_mmu_set_spte/);
    assert.match(r.out, /\nfound +kvm_tdp_mmu_map.bug_mirror_huge .*\[found although the anchor exists only in mainline, this tree is hugepage-rfc-v2\]\n/);
  });

  it('ambiguous anchors list every candidate; a single file says how it was read', async () => {
    const r = await link([path.join(FIXTURES, 'single/ambiguous_tdp_mmu.c')]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^.*ambiguous_tdp_mmu.c: single file, read as mmu\/tdp_mmu.c \(its name does not say which kernel file it is\)\n/);
    assert.match(r.out, /\nambiguous +tdp_mmu_link_sp +tdp_mmu_link_sp is defined 2 times in mmu\/tdp_mmu.c \(#if variants\?\): mmu\/tdp_mmu.c:9-12, mmu\/tdp_mmu.c:14-20\n/);
    assert.match(r.out, /\nnot loaded +tdx_track +vmx\/tdx.c is not loaded \(linking the single file .*\)\n/);
    const tdx = await link([path.join(fixtureTree('mainline'), 'arch/x86/kvm/vmx/tdx.c')]);
    assert.match(tdx.out, /single file, read as vmx\/tdx.c\n/);
    assert.match(tdx.out, /\nprofile: mainline \(detected\): vmx\/tdx.c defines tdx_sept_link_private_spt/);
  });

  it('TDP_KERNEL_TREE is used when no path is given; relative paths are against the working directory', async () => {
    const viaEnv = await link([], { TDP_KERNEL_TREE: fixtureTree('mainline') });
    assert.equal(viaEnv.code, 0, viaEnv.err);
    assert.match(viaEnv.out, /^.*mainline: kernel tree, 5 files\nprofile: mainline/);
    const rel = await link(['mainline'], {}, FIXTURES);
    assert.equal(rel.code, 0, rel.err);
    assert.match(rel.out, /^mainline: kernel tree, 5 files\n/);
  });

  it('bad paths and options exit 2 with a message naming the problem', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], {}, /^tdp-sim link: no kernel tree given and TDP_KERNEL_TREE is not set\n/],
      [[FIXTURES], {}, /^tdp-sim link: .*fixtures\/kernel: not a kernel tree \(found neither arch\/x86\/kvm\/mmu\/tdp_mmu.c nor mmu\/tdp_mmu.c under it\)\n$/],
      [[], { TDP_KERNEL_TREE: '/nonexistent/tree' }, /^tdp-sim link: \/nonexistent\/tree: no such file or directory \(from TDP_KERNEL_TREE\)\n$/],
      [[path.resolve(__dirname, 'helpers.ts')], {}, /helpers.ts: not a kernel tree or C file/],
      [[fixtureTree('mainline'), '--profile', 'v7'], {}, /--profile must be one of pre-tdx, mainline, hugepage-rfc-v2, got 'v7'/],
      [[fixtureTree('mainline'), fixtureTree('pre-tdx')], {}, /expected one tree root or C file, got 2/],
      [[fixtureTree('mainline'), '--frobnicate'], {}, /Unknown option '--frobnicate'/],
    ];
    for (const [args, env, re] of cases) {
      const r = await link(args, env);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, re);
    }
  });
});
