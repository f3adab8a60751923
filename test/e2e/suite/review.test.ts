// The review aid against the real `vscode` API: "Review Patch…" on the RFC 09/23-shaped fixture
// patch (test/fixtures/patch/) makes comment threads on read-only post-patch documents, the
// behaviour diff links into the stepper at the first differing event, "Export Review" opens an
// untitled reply, hunks that do not apply against another tree are marked on the patch, and a
// malformed patch is refused without a review. Kernel trees are fixtures of our own C.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { ReviewEntry } from '../../../src/extension/review/session';

const ID = 'tdp-mmu-sim.tdp-mmu-sim';
/** The suite is bundled into <repo>/out/e2e/suite. */
const REPO = path.resolve(__dirname, '../../..');
const PATCHES = path.join(REPO, 'test/fixtures/patch');
const RFC09 = vscode.Uri.file(path.join(PATCHES, 'rfc09-shaped.patch'));
const TDP_MMU_C = 'arch/x86/kvm/mmu/tdp_mmu.c';

let api: ExtensionApi;

async function setKernelTree(tree: string): Promise<void> {
  await vscode.workspace.getConfiguration('tdpMmuSim').update('kernelTree', tree, vscode.ConfigurationTarget.Global);
}

async function review(uri: vscode.Uri): Promise<ReviewEntry | undefined> {
  return vscode.commands.executeCommand<ReviewEntry | undefined>('tdpMmuSim.reviewPatch', uri);
}

const bodyOf = (t: vscode.CommentThread) => t.comments.map((c) => (typeof c.body === 'string' ? c.body : c.body.value)).join('\n');
/** Markdown without its backslash escapes: the text a reader sees. */
const plain = (md: string) => md.replace(/\\(.)/g, '$1');

describe('review: the RFC 09/23-shaped patch on the tree it was made against', function () {
  this.timeout(120_000);
  const tree = path.join(PATCHES, 'tree');
  let entry: ReviewEntry;
  let treeBefore: string;

  before(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(ID)!.activate();
    await setKernelTree(tree);
    treeBefore = fs.readFileSync(path.join(tree, TDP_MMU_C), 'utf8');
    const e = await review(RFC09);
    assert.ok(e, 'Review Patch… gave no review');
    entry = e;
  });

  after(async () => {
    await setKernelTree('');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('attaches the hunk threads to read-only post-patch documents, leaving the tree as it was', async () => {
    const post = entry.threads.filter((t) => t.uri.scheme === 'tdp-review');
    assert.ok(post.length >= 5, `only ${post.length} threads on post-patch documents`);
    const c = entry.documents.find((d) => d.file === TDP_MMU_C)!;
    const doc = await vscode.workspace.openTextDocument(c.uri);
    assert.match(doc.getText(), /split_external_spt\(kvm, gfn, old_spte, new_spte, level\);/);
    // A virtual document from a content provider: no file system behind it to write to.
    assert.notStrictEqual(vscode.workspace.fs.isWritableFileSystem(c.uri.scheme), true);
    assert.strictEqual(fs.readFileSync(path.join(tree, TDP_MMU_C), 'utf8'), treeBefore);
  });

  it('says on the tdp_mmu_set_spte() hunk: KVM_BUG_ON → split_external_spt() → the TDX split SEAMCALLs', async () => {
    const t = entry.threads.find((x) => x.label?.includes('KVM_BUG_ON → split_external_spt() → TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.DEMOTE') && plain(bodyOf(x)).includes('tdp_mmu_set_spte.split_external_spt'));
    assert.ok(t, `no such thread among: ${entry.threads.map((x) => x.label).join(' | ')}`);
    assert.strictEqual(t.collapsibleState, vscode.CommentThreadCollapsibleState.Expanded);
    const doc = await vscode.workspace.openTextDocument(t.uri);
    const covered = doc.getText(new vscode.Range(t.range!.start.line, 0, t.range!.end.line + 1, 0));
    assert.match(covered, /split_external_spt\(kvm, gfn, old_spte, new_spte, level\)/);
    const body = t.comments[0].body as vscode.MarkdownString;
    assert.ok(typeof body.isTrusted === 'object' && body.isTrusted.enabledCommands.includes('tdpMmuSim.review.openInStepper'));
  });

  it('shows each remark as an unresolved thread with its reason, and the patch overview on its subject line', async () => {
    const remarks = entry.threads.filter((t) => t.label?.startsWith('Remark: '));
    assert.strictEqual(remarks.length, entry.review.remarks.length);
    assert.ok(remarks.every((t) => t.state === vscode.CommentThreadState.Unresolved && /\*Why:\*/.test(bodyOf(t))));
    const fwd = remarks.find((t) => t.label === 'Remark: New forward declaration that moving the new code would remove');
    assert.ok(fwd && fwd.uri.scheme === 'tdp-review', 'forward-declaration remark on the post-patch tdp_mmu.c');
    const doc = await vscode.workspace.openTextDocument(fwd.uri);
    assert.match(doc.lineAt(fwd.range!.start.line).text, /^static void \*get_external_spt\(/);
    const overview = entry.threads.find((t) => t.uri.toString() === RFC09.toString() && t.label === entry.review.patches[0].label);
    assert.ok(overview);
    assert.match(doc.uri.path, /after-09-of-23/);
    const input = await vscode.workspace.openTextDocument(RFC09);
    assert.match(input.lineAt(overview.range!.start.line).text, /^Subject: \[RFC PATCH v2 09\/23\]/);
  });

  it('opens the scenario in the stepper at the first differing event, on either side', async () => {
    const pr = entry.review.patches[0];
    const k = pr.behaviour.scenarios.findIndex((s) => s.diff?.firstDiff);
    assert.ok(k >= 0, 'no scenario behaves differently');
    const first = pr.behaviour.scenarios[k].diff!.firstDiff!;
    await vscode.commands.executeCommand('tdpMmuSim.review.openInStepper', { review: entry.id, patch: 0, scenario: k, side: 'after' });
    let s = api.stepper.controller.session!;
    assert.strictEqual(s.position, first.after);
    const ev = s.rec.event(s.position);
    assert.deepStrictEqual([ev.kind, ev.fn], ['hook', 'split_external_spt']);
    const after = s;
    await vscode.commands.executeCommand('tdpMmuSim.review.openInStepper', { review: entry.id, patch: 0, scenario: k, side: 'before' });
    s = api.stepper.controller.session!;
    assert.strictEqual(s.position, first.before);
    assert.strictEqual(s.rec.event(s.position).kind, 'kvm_bug');
    // The source names the what-if variant: opening it again, as a reloaded window does, simulates
    // the same thing (the after side is mainline with 09/23's split, not plain mainline).
    assert.deepStrictEqual(after.source.kind === 'scenario' && after.source.whatIf?.switches.setSpteMirrorPresent, 'split');
    assert.match(after.title, /\(what-if: .*setSpteMirrorPresent=split/, 'the panel says it is a variant');
    const again = await api.stepper.controller.open(after.source);
    assert.ok(again, 'the variant did not open from its source');
    assert.deepStrictEqual([again.rec.length, again.rec.event(after.position).fn], [after.rec.length, 'split_external_spt']);
  });

  it('Export Review opens the mailing-list reply in an untitled editor, quoting with "> "', async () => {
    const before = vscode.workspace.textDocuments.length;
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('tdpMmuSim.exportReview', { review: entry.id });
    assert.ok(doc && doc.isUntitled, 'not an untitled document');
    assert.strictEqual(vscode.window.activeTextEditor?.document, doc);
    assert.ok(vscode.workspace.textDocuments.length > before);
    const text = doc.getText();
    assert.match(text, /^Subject: Re: \[RFC PATCH v2 09\/23\]/m);
    const quoted = text.split('\n').filter((l) => l.startsWith('> '));
    assert.ok(quoted.length >= 3, text);
    assert.ok(quoted.some((l) => l.includes('KVM_BUG_ON(!child_spt, kvm);')), text);
    const fwd = entry.review.remarks.find((r) => r.check === 'avoidable-forward-declaration')!;
    assert.ok(text.includes(fwd.message.split(' ').slice(0, 4).join(' ')), 'the remark is in the reply');
    // Close it unsaved (closing all editors would ask whether to save it).
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('review: a tree the patch does not fit, and a malformed patch', function () {
  this.timeout(120_000);

  before(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(ID)!.activate();
  });

  after(async () => {
    await setKernelTree('');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('marks hunks that did not apply on their @@ line in the patch', async () => {
    await setKernelTree(path.join(REPO, 'test/fixtures/kernel/mainline'));
    const e = await review(RFC09);
    assert.ok(e);
    const failed = e.review.patches[0].files.flatMap((f) => f.hunks).filter((h) => h.status === 'failed');
    assert.ok(failed.length > 0, 'expected hunks that do not apply to the mainline fixture');
    const threads = e.threads.filter((t) => t.label?.startsWith('Did not apply'));
    assert.strictEqual(threads.length, failed.length);
    const input = await vscode.workspace.openTextDocument(RFC09);
    for (const t of threads) {
      assert.strictEqual(t.uri.toString(), RFC09.toString());
      assert.match(input.lineAt(t.range!.start.line).text, /^@@ /);
      assert.match(plain(bodyOf(t)), /Did not apply:\*\* /);
    }
    // Reviewing the same patch again replaces its threads instead of adding to them.
    const again = await review(RFC09);
    assert.ok(again && again.id !== e.id);
    assert.deepStrictEqual(api.review.session!.reviews.filter((r) => r.input.toString() === RFC09.toString()).map((r) => r.id), [again.id]);
  });

  it('refuses a malformed patch without a review and without throwing', async () => {
    const dir = path.join(process.env.E2E_RUN_DIR ?? fs.mkdtempSync('/tmp/tdp-review-'), 'review');
    fs.mkdirSync(dir, { recursive: true });
    const bad = path.join(dir, 'malformed-hunk-header.patch');
    fs.writeFileSync(bad, fs.readFileSync(RFC09.fsPath, 'utf8').replace('@@ -35,6 +36,16 @@', '@@ -35,six +36,16 @@'));
    const count = api.review.session!.reviews.length;
    assert.strictEqual(await review(vscode.Uri.file(bad)), undefined);
    assert.strictEqual(api.review.session!.reviews.length, count);
  });
});
