// The review aid's editor view (src/extension/review/threads.ts) of real reviews: reviewPatch()
// on the patch fixtures against fixture kernel trees, mapped to post-patch documents and comment
// threads. Checks where each thread sits, that nothing the core found is dropped, and that the
// bodies say what the core found and link only to our commands with valid arguments.
import * as assert from 'assert';
import * as path from 'path';
import { reviewPatch, type Review } from '../../../../src/patch/review';
import { LINK_COMMANDS, OPEN_IN_STEPPER_COMMAND, REVEAL_COMMAND, EXPORT_REVIEW_COMMAND, parseExportLink, parseRevealLink, parseStepperLink } from '../../../../src/extension/review/links';
import { reviewSummary, reviewView, type ReviewView, type ThreadView } from '../../../../src/extension/review/threads';
import { FIXTURES, fixture, fixtureText } from '../../patch/helpers';

const REPO = path.resolve(__dirname, '../../../..');
const PATCH_TREE = path.join(FIXTURES, 'tree');
const MAINLINE_TREE = path.join(REPO, 'test/fixtures/kernel/mainline');
/** The scenario RFC v2 09/23 changes, and one it does not: enough for the diff, quick to run. */
const SCENARIOS = ['split-private-2m-rfc', 'private-4k-fault'].map((s) => path.join(REPO, 'scenarios', `${s}.tdpsim.yaml`));
const RFC09 = 'rfc09-shaped.patch';

/** Markdown with its backslash escapes removed: the text a reader sees. */
const plain = (md: string) => md.replace(/\\(.)/g, '$1');

/** Every command link of a body: [command, parsed JSON arguments]. */
function links(body: string): [string, unknown][] {
  return [...body.matchAll(/\]\(command:([\w.]+)\?([^ )]*)/g)].map((m) => [m[1], JSON.parse(decodeURIComponent(m[2]))[0]]);
}

const lines = (text: string) => text.split('\n').length;

async function review(name: string, tree?: string, scenarios = SCENARIOS): Promise<Review> {
  return reviewPatch(fixture(name), name, { tree, scenarios });
}

/** Each thread lies inside its document: a post-patch text, or the input. */
function assertPlaced(view: ReviewView, input: string): void {
  for (const t of view.threads) {
    const text = t.place.kind === 'input' ? input : view.documents.find((d) => t.place.kind === 'post' && d.key === t.place.key)?.text;
    assert.ok(text !== undefined, `${t.label}: no document ${JSON.stringify(t.place)}`);
    assert.ok(t.startLine >= 1 && t.startLine <= t.endLine && t.endLine <= lines(text), `${t.label}: lines ${t.startLine}-${t.endLine} of ${lines(text)}`);
  }
}

/** Command links use only the commands bodies are trusted with, each with valid arguments for this review. */
function assertLinks(view: ReviewView, id: number, r: Review): void {
  for (const t of view.threads) {
    for (const [cmd, arg] of links(t.body)) {
      assert.ok(LINK_COMMANDS.includes(cmd), `${t.label}: link to ${cmd}`);
      const parsed = cmd === OPEN_IN_STEPPER_COMMAND ? parseStepperLink(arg) : cmd === REVEAL_COMMAND ? parseRevealLink(arg) : parseExportLink(arg);
      assert.ok(parsed.ok, `${t.label}: ${!parsed.ok && parsed.error}`);
      assert.strictEqual(parsed.value.review, id);
      if (cmd === OPEN_IN_STEPPER_COMMAND) {
        const v = parseStepperLink(arg);
        assert.ok(v.ok && r.patches[v.value.patch].behaviour.scenarios[v.value.scenario].diff?.firstDiff, `${t.label}: links to a scenario without a difference`);
      }
      const rv = cmd === REVEAL_COMMAND ? parseRevealLink(arg) : undefined;
      if (rv?.ok && rv.value.file !== undefined) {
        assert.ok(view.documents.some((d) => d.patch === rv.value.patch && d.file === rv.value.file), `${t.label}: reveal of a document the view lacks`);
      }
    }
  }
}

const byKind = (v: ReviewView, kind: ThreadView['kind']) => v.threads.filter((t) => t.kind === kind);

describe('review view: RFC 09/23-shaped patch on the tree it was made against', function () {
  this.timeout(30_000);
  let r: Review;
  let view: ReviewView;
  before(async () => {
    r = await review(RFC09, PATCH_TREE);
    view = reviewView(r, 7);
  });

  it('has one read-only post-patch document per touched file, holding the patched text', () => {
    const pr = r.patches[0];
    assert.deepStrictEqual(view.documents.map((d) => d.file), pr.files.map((f) => f.path));
    for (const d of view.documents) {
      assert.strictEqual(d.text, pr.files.find((f) => f.path === d.file)!.post);
      assert.ok(d.key.startsWith('/7/after-09-of-23/') && d.key.endsWith(d.file), d.key);
    }
    const c = view.documents.find((d) => d.file.endsWith('tdp_mmu.c'))!;
    assert.match(c.text, /split_external_spt\(kvm, gfn, old_spte, new_spte, level\);/);
  });

  it('puts one thread on the post-patch lines of every hunk', () => {
    const hunks = r.patches[0].files.flatMap((f) => f.hunks.map((h) => ({ f, h })));
    const threads = byKind(view, 'hunk');
    assert.strictEqual(threads.length, hunks.length);
    hunks.forEach(({ f, h }, i) => {
      const t = threads[i];
      assert.deepStrictEqual(t.place, { kind: 'post', key: view.documents.find((d) => d.file === f.path)!.key });
      assert.deepStrictEqual([t.startLine, t.endLine], [h.post!.start, h.post!.end]);
      assert.ok(plain(t.body).includes(h.header), t.body);
    });
    assertPlaced(view, fixtureText(RFC09));
  });

  it('says, on the tdp_mmu_set_spte() hunk, that KVM_BUG_ON became split_external_spt() and the TDX split path', () => {
    const t = byKind(view, 'hunk').find((x) => plain(x.body).includes('tdp_mmu_set_spte.split_external_spt'))!;
    assert.ok(t, 'no hunk thread names the anchor');
    assert.match(t.label, /KVM_BUG_ON → split_external_spt\(\) → TDH\.MEM\.RANGE\.BLOCK, TDH\.MEM\.TRACK, TDH\.MEM\.PAGE\.DEMOTE/);
    assert.ok(t.expanded);
    const body = plain(t.body);
    assert.match(body, /tdp_mmu_set_spte\.bug_present` removed/);
    assert.match(body, /- before: KVM_BUG_ON → remove_external_spte\(\) → TDH\.MEM\.RANGE\.BLOCK/);
    assert.match(body, /- after: split_external_spt\(\) → .*TDH\.MEM\.PAGE\.DEMOTE/);
    const stepper = links(t.body).filter(([c]) => c === OPEN_IN_STEPPER_COMMAND).map(([, a]) => a);
    const k = r.patches[0].behaviour.scenarios.findIndex((s) => s.file === SCENARIOS[0]);
    assert.deepStrictEqual(stepper, [{ review: 7, patch: 0, scenario: k, side: 'after' }, { review: 7, patch: 0, scenario: k, side: 'before' }]);
    // The editor opens at the first hunk whose behaviour changed.
    const first = byKind(view, 'hunk').find((x) => x.expanded)!;
    assert.ok(first.label.includes('KVM_BUG_ON → split_external_spt()'));
    assert.deepStrictEqual(view.focus, { place: first.place, line: first.startLine });
  });

  it('leaves hunks that touch no simulator anchor collapsed, saying so', () => {
    const quiet = byKind(view, 'hunk').filter((t) => t.label.endsWith('no simulator anchor'));
    assert.ok(quiet.length >= 2);
    for (const t of quiet) {
      assert.ok(!t.expanded);
      assert.match(t.body, /Touches no simulator anchor/);
      assert.ok(!links(t.body).some(([c]) => c === OPEN_IN_STEPPER_COMMAND));
    }
  });

  it('shows every remark as its own unresolved thread at its line, with its reason', () => {
    const threads = byKind(view, 'remark');
    assert.strictEqual(threads.length, r.remarks.length);
    assert.ok(r.remarks.some((x) => x.file) && r.remarks.some((x) => !x.file), 'fixture should give remarks on code and on the changelog');
    r.remarks.forEach((x, i) => {
      const t = threads[i];
      assert.ok(t.unresolved && t.expanded);
      assert.strictEqual(t.startLine, x.line);
      assert.strictEqual(t.label, `Remark: ${x.title}`);
      const body = plain(t.body);
      assert.ok(body.includes(x.message) && body.includes(x.reason), body);
      const place = t.place;
      if (x.file) assert.strictEqual(place.kind === 'post' && view.documents.find((d) => d.key === place.key)?.file, x.file);
      else assert.strictEqual(place.kind, 'input');
    });
  });

  it('gives the patch an overview on its subject line: profiles, every scenario, export', () => {
    const [t] = byKind(view, 'patch');
    const pr = r.patches[0];
    assert.strictEqual(t.startLine, pr.patch.subjectLine);
    assert.match(fixtureText(RFC09).split('\n')[t.startLine - 1], /^Subject: \[RFC PATCH v2 09\/23\]/);
    const body = plain(t.body);
    assert.match(body, /\*\*mainline\*\* before, \*\*hugepage-rfc-v2\*\* after/);
    for (const s of pr.behaviour.scenarios) assert.ok(body.includes(s.name), s.name);
    assert.ok(links(t.body).some(([c]) => c === EXPORT_REVIEW_COMMAND));
    assertLinks(view, 7, r);
  });

  it('puts input notes at their lines, collapsed', () => {
    const notes = byKind(view, 'note');
    assert.deepStrictEqual(notes.map((n) => [n.startLine, plain(n.body)]), r.notes.map((n) => [n.line, n.message]));
    assert.ok(notes.every((n) => !n.expanded && n.place.kind === 'input'));
  });

  it('sums it up in one line', () => {
    assert.strictEqual(reviewSummary(r), `1 patch: 5 hunks, ${r.remarks.length} remarks, 1 scenario behaves differently`);
  });
});

describe('review view: hunks that do not apply', function () {
  this.timeout(30_000);
  it('are shown on their @@ line in the patch, marked "did not apply" with the reason, never dropped', async () => {
    // The RFC 09/23-shaped patch against the mainline kernel fixture: two tdp_mmu.c hunks miss.
    const r = await review(RFC09, MAINLINE_TREE);
    const view = reviewView(r, 1);
    const failed = r.patches[0].files.flatMap((f) => f.hunks).filter((h) => h.status === 'failed');
    assert.ok(failed.length > 0, 'fixture should have hunks that fail');
    const threads = byKind(view, 'failed-hunk');
    assert.strictEqual(threads.length, failed.length);
    const input = fixtureText(RFC09).split('\n');
    failed.forEach((h, i) => {
      const t = threads[i];
      assert.deepStrictEqual([t.place, t.startLine], [{ kind: 'input' }, h.inputLine]);
      assert.match(input[t.startLine - 1], /^@@ /);
      assert.match(t.label, /^Did not apply \d+\/3 · tdp_mmu\.c$/);
      assert.ok(t.expanded);
      assert.ok(plain(t.body).includes(`Did not apply:** ${h.reason}`), t.body);
    });
    const all = r.patches[0].files.reduce((n, f) => n + f.hunks.length, 0);
    assert.strictEqual(byKind(view, 'hunk').length + threads.length, all);
    assert.match(reviewSummary(r), new RegExp(`\\(${failed.length} did not apply\\)`));
    assertPlaced(view, fixtureText(RFC09));
    assertLinks(view, 1, r);
  });
});

describe('review view: a series, and a patch without a tree', function () {
  this.timeout(30_000);
  it('a 3-patch mbox gives each patch its own documents, overview and threads', async () => {
    const name = 'series-v2-out-of-order.mbox';
    const r = await review(name, PATCH_TREE, []);
    const view = reviewView(r, 2);
    assert.strictEqual(r.patches.length, 3);
    const keys = view.documents.map((d) => d.key);
    assert.strictEqual(new Set(keys).size, keys.length);
    assert.deepStrictEqual([...new Set(keys.map((k) => k.split('/')[2]))], ['after-1-of-3', 'after-2-of-3', 'after-3-of-3']);
    const overviews = byKind(view, 'patch');
    assert.deepStrictEqual(overviews.map((t) => t.startLine), r.patches.map((p) => p.patch.subjectLine));
    assert.deepStrictEqual(overviews.map((t) => t.label), r.patches.map((p) => p.label));
    const hunks = r.patches.reduce((n, p) => n + p.files.reduce((m, f) => m + f.hunks.length, 0), 0);
    assert.strictEqual(byKind(view, 'hunk').length + byKind(view, 'failed-hunk').length, hunks);
    assertPlaced(view, fixtureText(name));
    assertLinks(view, 2, r);
  });

  it('without a tree, documents are assembled from the hunks and the threads say so', async () => {
    const r = await review(RFC09, undefined, SCENARIOS);
    const view = reviewView(r, 3);
    assert.ok(r.patches[0].files.every((f) => f.source === 'hunks-only'));
    const hunk = byKind(view, 'hunk')[0];
    assert.ok(hunk.place.kind === 'post');
    const overview = plain(byKind(view, 'patch')[0].body);
    assert.match(overview, /not in the tree: text assembled from the hunks/);
    assert.match(overview, /Simulated behaviour:\*\* not simulated: /);
    assert.ok(!links(byKind(view, 'patch')[0].body).some(([c]) => c === OPEN_IN_STEPPER_COMMAND));
    assertPlaced(view, fixtureText(RFC09));
  });
});
