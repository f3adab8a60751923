// `tdp-sim review`: text, --json, --reply, exit codes.
import { strict as assert } from 'assert';
import * as path from 'path';
import { runCli } from '../cli/io';
import { FIXTURES, FIXTURE_TREE } from './helpers';

const fx = (n: string) => path.join(FIXTURES, n);
const SPLIT = path.resolve(__dirname, '../../../scenarios');

describe('cli: tdp-sim review', function () {
  this.timeout(60000);

  it('prints hunks, anchors, the behaviour diff and the remarks; exit 1', async () => {
    const r = await runCli(['review', fx('rfc09-shaped.patch'), '--tree', FIXTURE_TREE]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /profile: mainline → hugepage-rfc-v2/);
    assert.match(r.out, /@@ -182,12 \+193,16 @@ static u64 tdp_mmu_set_spte/);
    assert.match(r.out, /rfc09-shaped\.patch:81: applied at 193-208/);
    assert.match(r.out, /anchor tdp_mmu_set_spte\.split_external_spt \(added, lines 203-203\)/);
    assert.match(r.out, /split-private-2m-rfc\.tdpsim\.yaml: at step 2 \(split, .*\): before: KVM_BUG_ON .*; after: hook split_external_spt/);
    assert.match(r.out, /arch\/x86\/kvm\/mmu\/tdp_mmu\.c:11 \(.*rfc09-shaped\.patch:60\): \[avoidable-forward-declaration\]/);
    assert.match(r.out, /6 remarks, with behaviour changes/);
  });

  it('--json for scripts, without the file texts', async () => {
    const r = await runCli(['review', fx('rfc09-shaped.patch'), '--tree', FIXTURE_TREE, '--json', '--scenarios', SPLIT]);
    assert.equal(r.code, 1, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.remarks.length, 6);
    assert.equal(j.patches[0].profile.after.profile, 'hugepage-rfc-v2');
    assert.equal(j.patches[0].files[2].post, undefined);
    assert.ok(j.patches[0].behaviour.scenarios.some((s: { diff: { firstDiff: unknown } | null }) => s.diff?.firstDiff));
  });

  it('--reply prints the mailing-list reply', async () => {
    const r = await runCli(['review', fx('reply-archive.txt'), '--tree', FIXTURE_TREE, '--reply']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^Subject: Re: \[RFC PATCH v2 09\/23\]/);
    assert.match(r.out, /\n> \+static void \*get_external_spt\(gfn_t gfn, u64 new_spte, int level\);\n\nIs it possible/);
  });

  it('exit 0 when there is nothing to say', async () => {
    const r = await runCli(['review', fx('v2-0003-KVM-x86-tdp_mmu-Return-EOPNOTSUPP-for-mirror-spli.patch')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /0 remarks/);
  });

  it('exit 2 with file:line for malformed input, and for bad usage', async () => {
    const bad = await runCli(['review', fx('tree/arch/x86/kvm/mmu/tdp_mmu.c')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /tdp_mmu\.c:1: no patch found/);
    assert.equal((await runCli(['review'])).code, 2);
    assert.equal((await runCli(['review', fx('rfc09-shaped.patch'), '--tree', fx('nope')])).code, 2);
    assert.equal((await runCli(['review', fx('missing.patch')])).code, 2);
  });
});
