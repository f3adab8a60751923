// reviewPatch end to end: behaviour diff (the RFC 09/23-shaped patch on a mainline-shaped tree),
// anchors touched, quoted replies, no tree, failed hunks, cancellation, and the reply export.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { diffSignatures, summarise, type SignatureEvent } from '../../../src/patch/behaviour';
import { exportReply, exportReview } from '../../../src/patch/export';
import { reviewPatch, shippedScenarios, type Review } from '../../../src/patch/review';
import { simulateWithProfile } from '../../../src/sim/simulate';
import { PROFILES, switchesOf, withSwitches } from '../../../src/sim/profiles';
import { loadScenarioFile } from '../../../src/sim/scenario';
import { fixture, fixtureLine, fixtureTreeFiles, memoryTree } from './helpers';

const TDP = 'arch/x86/kvm/mmu/tdp_mmu.c';
const SPLIT_SCENARIO = path.resolve(__dirname, '../../../scenarios/split-private-2m-rfc.tdpsim.yaml');

describe('patch/behaviour: Myers diff over event signatures', () => {
  const ev = (seq: number, text: string, step = 1): SignatureEvent => ({ seq, step, kind: 'hook', text });
  it('finds the first differing event on each side and shows each side\'s changed window', () => {
    const before = [ev(3, 'A', 0), ev(9, 'KVM_BUG_ON'), ev(10, 'remove'), ev(12, 'BLOCK'), ev(13, 'TRACK'), ev(14, 'REMOVE'), ev(20, 'Z', 2)];
    const after = [ev(3, 'A', 0), ev(11, 'split'), ev(12, 'BLOCK'), ev(13, 'TRACK'), ev(15, 'DEMOTE'), ev(21, 'Z', 2)];
    const d = diffSignatures(before, after);
    assert.deepEqual(d.firstDiff, { before: 9, after: 11, step: 1 });
    assert.equal(summarise(d), 'at step 2: before: KVM_BUG_ON → remove → BLOCK → TRACK → REMOVE; after: split → BLOCK → TRACK → DEMOTE');
  });
  it('equal sequences have no first difference; pure additions point at the next event before', () => {
    assert.equal(diffSignatures([ev(1, 'A')], [ev(5, 'A')]).firstDiff, null);
    assert.deepEqual(diffSignatures([ev(1, 'A'), ev(2, 'C')], [ev(1, 'A'), ev(4, 'B'), ev(6, 'C')]).firstDiff, { before: 2, after: 4, step: 1 });
  });
});

describe('patch/review: the RFC 09/23-shaped patch on a mainline-shaped tree', function () {
  this.timeout(60000);
  let review: Review;
  before(async () => {
    review = await reviewPatch(fixture('rfc09-shaped.patch'), 'rfc09.patch', { tree: memoryTree(fixtureTreeFiles()), scenarios: shippedScenarios() });
  });

  it('detects mainline before and hugepage-rfc-v2 after', () => {
    const p = review.patches[0];
    assert.equal(p.profile.before?.profile, 'mainline');
    assert.equal(p.profile.after?.profile, 'hugepage-rfc-v2');
  });

  it('the private huge-page split under write mmu_lock goes from KVM_BUG_ON to split_external_spt() → BLOCK, TRACK, DEMOTE', () => {
    const bd = review.patches[0].behaviour;
    const split = bd.scenarios.find((s) => s.file === SPLIT_SCENARIO)!;
    assert.ok(split, 'the shipped split scenario ran');
    assert.match(split.summary, /before: KVM_BUG_ON at tdp_mmu_set_spte\.bug_present → hook remove_external_spte\(gfn 0x200, 2M\)/);
    assert.match(split.summary, /after: hook split_external_spt\(gfn 0x200, 2M\) → TDH\.MEM\.RANGE\.BLOCK\(gfn 0x200, 2M\) = TDX_SUCCESS → TDH\.MEM\.TRACK\(\) = TDX_SUCCESS → TDH\.MEM\.PAGE\.DEMOTE\(gfn 0x200, 2M\) = TDX_SUCCESS$/);
    assert.equal(split.before.bugged, true);
    assert.equal(split.after.bugged, false);
    // The first differing events, in each side's own recording (what the stepper opens at).
    const scenario = loadScenarioFile(SPLIT_SCENARIO, { profile: 'hugepage-rfc-v2' });
    const b = simulateWithProfile(scenario, bd.before!.profile);
    const a = simulateWithProfile(scenario, bd.after!.profile);
    assert.equal(b.event(split.diff!.firstDiff!.before!).fn, 'KVM_BUG_ON');
    assert.equal(a.event(split.diff!.firstDiff!.after!).fn, 'split_external_spt');
  });

  it('simulates only what the patch changes: the RFC\'s other switches stay as before', () => {
    const bd = review.patches[0].behaviour;
    assert.equal(bd.before!.profile.setSpteMirrorPresent, 'bug');
    assert.equal(bd.after!.profile.setSpteMirrorPresent, 'split');
    assert.equal(bd.after!.profile.splitOnConversion, bd.before!.profile.splitOnConversion);
    const convert = bd.scenarios.find((s) => /convert-private-to-shared/.test(s.file));
    if (convert) assert.equal(convert.diff?.firstDiff ?? null, null, convert.summary);
    assert.ok(bd.after!.whatIf.some((w) => /split_external_spt/.test(w)));
    assert.equal(review.findings, true);
  });

  it('names each side\'s what-if variant by the decisions it changes, so that it can be simulated again', () => {
    const bd = review.patches[0].behaviour;
    for (const side of [bd.before!, bd.after!]) {
      const switches = switchesOf(side.profile);
      assert.deepEqual(withSwitches(side.name, switches), side.profile);
    }
    assert.deepEqual(switchesOf(bd.after!.profile), { ...switchesOf(bd.before!.profile), setSpteMirrorPresent: 'split' });
    assert.deepEqual(switchesOf(PROFILES['hugepage-rfc-v2']), {});
  });

  it('reports the anchors each hunk touches, on the post- and pre-patch side', () => {
    const tdp = review.patches[0].files.find((f) => f.path === TDP)!;
    const ids = (k: number) => Object.fromEntries(tdp.hunks[k].anchors.map((a) => [a.id, a.change]));
    assert.deepEqual(ids(0), {});
    assert.equal(ids(1)['split_external_spt'], 'added');
    const set = ids(2);
    assert.equal(set['tdp_mmu_set_spte.split_external_spt'], 'added');
    assert.equal(set['tdp_mmu_set_spte.bug_present'], 'removed');
    assert.equal(set['tdp_mmu_set_spte.mirror_branch'], 'modified');
    const call = tdp.hunks[2].anchors.find((a) => a.id === 'tdp_mmu_set_spte.split_external_spt')!;
    assert.match(tdp.post.split('\n')[call.post!.startLine - 1], /split_external_spt\(kvm, gfn, old_spte, new_spte, level\);/);
    const gone = tdp.hunks[2].anchors.find((a) => a.id === 'tdp_mmu_set_spte.bug_present')!;
    assert.match(tdp.pre.split('\n')[gone.pre!.startLine - 1], /KVM_BUG_ON\(is_shadow_present_pte\(new_spte\), kvm\);/);
  });

  it('exports a mailing-list reply: attribution, trimmed quotes, remarks below what they are about', () => {
    const text = exportReply(review, 0);
    const lines = text.split('\n');
    assert.equal(lines[0], 'Subject: Re: [RFC PATCH v2 09/23] KVM: x86/tdp_mmu: Add split_external_spt hook called during write mmu_lock');
    assert.ok(lines.includes('On Thu, 7 Aug 2025 17:43:20 +0800, Ada Example <ada@example.org> wrote:'));
    const decl = lines.indexOf('> +static void *get_external_spt(gfn_t gfn, u64 new_spte, int level);');
    assert.ok(decl > 0);
    assert.equal(lines[decl + 1], '');
    assert.match(lines[decl + 2], /^Is it possible to get rid of this declaration/);
    const bug = lines.indexOf('> +\tKVM_BUG_ON(!child_spt, kvm);');
    assert.match(lines[bug + 2], /^Please add a comment saying why KVM_BUG_ON\(!child_spt, kvm\)/);
    assert.ok(lines.includes('> +static int split_external_spt(struct kvm *kvm, gfn_t gfn, u64 old_spte,'), 'the function around the remark is quoted from its start');
    assert.ok(lines.includes('Ditto.'));
    assert.ok(lines.filter((l) => l === '[...]').length >= 2);
    assert.ok(!text.includes('maintainer-tip.rst'), 'reasons are left out by default');
    assert.ok(exportReply(review, 0, { reasons: true }).includes('maintainer-tip.rst'));
    // Every quoted line is a line of the patch as sent.
    const patchLines = new Set(fixture('rfc09-shaped.patch').toString().split('\n'));
    for (const l of lines.filter((x) => x.startsWith('> ') && !x.startsWith('> @@') && !x.startsWith('> [RFC'))) assert.ok(patchLines.has(l.slice(2)), l);
    assert.equal(exportReview(review), text);
  });
});

describe('patch/review: other inputs', function () {
  this.timeout(60000);

  it('a reply quoting the patch (lost indentation, no file header) still shows the behaviour change', async () => {
    const r = await reviewPatch(fixture('reply-archive.txt'), 'reply.txt', { tree: memoryTree(fixtureTreeFiles()), scenarios: [SPLIT_SCENARIO] });
    assert.equal(r.patches[0].files[0].path, TDP);
    assert.match(r.patches[0].behaviour.scenarios[0].summary, /after: hook split_external_spt/);
    assert.ok(r.notes.some((n) => n.line === 18 && /lost their \+\/-\/space marker/.test(n.message)), 'says what could not be reconstructed');
  });

  it('without a tree: hunks analysed on their own, anchors from the hunk content, no simulation', async () => {
    const r = await reviewPatch(fixture('rfc09-shaped.patch'), 'rfc09.patch', { scenarios: [SPLIT_SCENARIO] });
    const tdp = r.patches[0].files.find((f) => f.path === TDP)!;
    assert.equal(tdp.source, 'hunks-only');
    assert.ok(tdp.hunks[2].anchors.some((a) => a.id === 'tdp_mmu_set_spte.split_external_spt' && a.change === 'added'));
    assert.ok(!tdp.hunks[1].anchors.some((a) => a.fn === 'handle_removed_pt'), 'a hunk ending inside a function does not swallow the next one');
    assert.match(r.patches[0].behaviour.note!, /unknown/);
    assert.equal(r.patches[0].behaviour.scenarios.length, 0);
  });

  it('the seed mail itself (a list-archive page) is reviewed without a tree', async function () {
    // shared/ sits beside the checkout (as CI lays it out); the seed is not ours to copy.
    const seed = path.resolve(__dirname, '../../../../shared/seed/000_3f68401f62f6533d.txt');
    if (!fs.existsSync(seed)) {
      console.log(`      SKIPPED: ${seed} is not there`);
      this.skip();
    }
    const r = await reviewPatch(fs.readFileSync(seed), 'seed.txt', { scenarios: [] });
    assert.equal(r.input.reply?.comments.length, 5);
    assert.equal(r.input.reply?.attribution?.author, 'Yan Zhao');
    assert.ok(r.remarks.some((m) => m.check === 'changelog-function-parens' && /split_external_spt\(\)/.test(m.message)));
    assert.ok(r.remarks.some((m) => m.check === 'bug-on-without-comment' && /KVM_BUG_ON\(!external_spt, kvm\)/.test(m.message)));
    const tdp = r.patches[0].files[0];
    assert.ok(tdp.hunks[2].anchors.some((a) => a.id === 'tdp_mmu_set_spte.split_external_spt'));
  });

  it('a hunk that does not apply is reported with the reason, the others are still reviewed', async () => {
    const files = fixtureTreeFiles();
    files[TDP] = files[TDP].replace('\t\tKVM_BUG_ON(is_shadow_present_pte(new_spte), kvm);\n\t\tremove_external_spte(kvm, gfn, old_spte, level);', '\t\tremove_external_spte(kvm, gfn, old_spte, level);');
    const r = await reviewPatch(fixture('rfc09-shaped.patch'), 'rfc09.patch', { tree: memoryTree(files), scenarios: [] });
    const hunks = r.patches[0].files.find((f) => f.path === TDP)!.hunks;
    assert.deepEqual(hunks.map((h) => h.status), ['applied', 'applied', 'failed']);
    assert.equal(hunks[2].inputLine, 81);
    assert.match(fixtureLine('rfc09-shaped.patch', 81), /^@@ -182,12 \+193,16 @@/);
    assert.match(hunks[2].reason!, /appear nowhere/);
    assert.equal(r.findings, true);
    assert.ok(r.remarks.some((m) => m.check === 'bug-on-without-comment'));
  });

  it('can be cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(reviewPatch(fixture('rfc09-shaped.patch'), 'rfc09.patch', { tree: memoryTree(fixtureTreeFiles()), signal: ac.signal }), (e: Error) => e.name === 'AbortError');
  });

  it('can be cancelled while its scenarios run (the cancel button of the UI fires between them)', async () => {
    const ac = new AbortController();
    const simulated: string[] = [];
    const scenarios = shippedScenarios();
    assert.ok(scenarios.length > 2);
    const review = reviewPatch(fixture('rfc09-shaped.patch'), 'rfc09.patch', {
      tree: memoryTree(fixtureTreeFiles()),
      signal: ac.signal,
      onProgress: (m) => {
        if (!/^simulating .*\(\d+\//.test(m)) return;
        simulated.push(m);
        // Abort from outside the synchronous simulation, as a UI cancellation token would.
        if (simulated.length === 1) setImmediate(() => ac.abort());
      },
    });
    await assert.rejects(review, (e: Error) => e.name === 'AbortError');
    assert.ok(simulated.length < scenarios.length, `stopped after ${simulated.length} of ${scenarios.length} scenarios`);
  });

  it('reports progress', async () => {
    const seen: string[] = [];
    await reviewPatch(fixture('series-v2-out-of-order.mbox'), 'series.mbox', { tree: memoryTree(fixtureTreeFiles()), scenarios: [], onProgress: (m) => seen.push(m) });
    assert.ok(seen.some((m) => /reviewing \[PATCH v2 3\/3\]/.test(m)));
  });
});
