import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { structuredPatch } from 'diff';
import { applyHunks } from '../../../src/patch/apply';
import { Hunk } from '../../../src/patch/diff';
import { parsePatchInput } from '../../../src/patch/parse';
import { applySeries } from '../../../src/patch/series';
import { fsTree } from '../../../src/patch/tree';
import { FIXTURE_TREE, fixture } from './helpers';

const TDP = 'arch/x86/kvm/mmu/tdp_mmu.c';
const tdpText = () => fs.readFileSync(path.join(FIXTURE_TREE, TDP), 'utf8');
const rfc09 = () => parsePatchInput(fixture('rfc09-shaped.patch'), 'rfc09.patch').patches[0];
const tdpHunks = (): Hunk[] => rfc09().files.find((f) => f.newPath === TDP)!.hunks;

describe('patch/apply: one file in memory', () => {
  it('applies at the header positions and maps every hunk line to pre and post lines', () => {
    const pre = tdpText();
    const r = applyHunks(pre, tdpHunks());
    assert.equal(r.pre, pre);
    assert.deepEqual(r.placements.map((p) => [p.status, p.offset, p.fuzz, p.whitespace]), [['applied', 0, 0, false], ['applied', 0, 0, false], ['applied', 0, 0, false]]);
    const postLines = r.post.split('\n');
    const preLines = pre.split('\n');
    for (const p of r.placements) {
      assert.equal(p.postLine, p.hunk.header!.newStart);
      p.hunk.lines.forEach((l, k) => {
        if (l.kind !== '-') assert.equal(postLines[p.post[k] - 1], l.text);
        if (l.kind !== '+') assert.equal(preLines[p.pre[k] - 1], l.text);
      });
    }
    assert.match(r.post, /split_external_spt\(kvm, gfn, old_spte, new_spte, level\);/);
  });

  it('tolerates offsets and reports them', () => {
    const shifted = '/* one */\n/* two */\n/* three */\n' + tdpText();
    const r = applyHunks(shifted, tdpHunks());
    assert.deepEqual(r.placements.map((p) => [p.status, p.offset]), [['applied', 3], ['applied', 3], ['applied', 3]]);
    assert.equal(r.pre, shifted);
  });

  it('applies with fuzz when a context line differs, and says so', () => {
    const changed = tdpText().replace('\tstruct kvm_mmu_page *sp = sptep_to_sp(rcu_dereference(pt));', '\tstruct kvm_mmu_page *sp = sptep_to_sp(pt);');
    const r = applyHunks(changed, tdpHunks());
    assert.deepEqual(r.placements.map((p) => [p.status, p.fuzz]), [['applied', 0], ['applied', 1], ['applied', 0]]);
    assert.match(r.post, /\tstruct kvm_mmu_page \*sp = sptep_to_sp\(pt\);\n/);
  });

  it('uses the @@ function context when the same lines appear in two functions', () => {
    // A hunk whose lines occur in two places; the header line number points at neither.
    const text = 'int a(void)\n{\n\tx = 1;\n\ty = 2;\n\tz = 3;\n}\n\nint b(void)\n{\n\tx = 1;\n\ty = 2;\n\tz = 3;\n}\n';
    const hunk: Hunk = {
      header: { oldStart: 1, oldCount: 3, newStart: 1, newCount: 3, section: 'int b(void)' }, src: 1, partial: false,
      lines: [{ kind: ' ', text: '\tx = 1;', src: 2 }, { kind: '-', text: '\ty = 2;', src: 3 }, { kind: '+', text: '\ty = 20;', src: 4 }, { kind: ' ', text: '\tz = 3;', src: 5 }],
    };
    const r = applyHunks(text, [hunk]);
    assert.equal(r.placements[0].preLine, 10);
    assert.match(r.post, /int b\(void\)\n\{\n\tx = 1;\n\ty = 20;/);
    assert.match(r.post, /int a\(void\)\n\{\n\tx = 1;\n\ty = 2;/);
  });

  it('recognises hunks already in the file and rebuilds the pre-patch text', () => {
    const pre = tdpText();
    const post = applyHunks(pre, tdpHunks()).post;
    const again = applyHunks(post, tdpHunks());
    assert.deepEqual(again.placements.map((p) => p.status), ['already-applied', 'already-applied', 'already-applied']);
    assert.equal(again.pre, pre);
    assert.equal(again.post, post);
  });

  it('reports a hunk that does not apply, and still applies the others', () => {
    const broken = tdpText().replace(/\tif \(is_mirror_sptep\(sptep\)\) \{\n\t\tKVM_BUG_ON/, '\tif (sptep_is_mirror(sptep)) {\n\t\tKVM_BUG_ON').replace('handle_changed_spte(kvm, as_id, gfn, old_spte, new_spte, level, false);', 'handle_changed(kvm);');
    const r = applyHunks(broken, tdpHunks());
    assert.deepEqual(r.placements.map((p) => p.status), ['applied', 'applied', 'failed']);
    assert.match(r.placements[2].reason!, /appear nowhere after line \d+/);
    assert.match(r.post, /static int split_external_spt/);
  });

  it('keeps "\\ No newline at end of file" semantics', () => {
    const r = parsePatchInput('--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n', 'f.patch');
    const out = applyHunks('a\nb\n', r.patches[0].files[0].hunks);
    assert.equal(out.post, 'a\nc');
  });

  it('property: a diff of two texts applies to the old text (shifted or not) and gives the new one', () => {
    const lineArb = fc.integer({ min: 0, max: 999 });
    fc.assert(
      fc.property(
        fc.uniqueArray(lineArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 3 }), ins: fc.nat({ max: 3 }) }), { maxLength: 5 }),
        fc.nat({ max: 5 }),
        (base, edits, shift) => {
          const oldLines = base.map((n) => `line ${n};`);
          const newLines = [...oldLines];
          let fresh = 0;
          for (const e of edits) {
            const at = e.at % (newLines.length + 1);
            newLines.splice(at, e.del, ...Array.from({ length: e.ins }, () => `new ${fresh++};`));
          }
          const oldText = oldLines.join('\n') + '\n';
          const newText = newLines.join('\n') + (newLines.length ? '\n' : '');
          const sp = structuredPatch('f', 'f', oldText, newText, '', '', { context: 3 });
          const hunks: Hunk[] = sp.hunks.map((h) => ({
            header: { oldStart: h.oldStart, oldCount: h.oldLines, newStart: h.newStart, newCount: h.newLines, section: '' }, src: 1, partial: false,
            lines: h.lines.filter((l) => !l.startsWith('\\')).map((l, i) => ({ kind: l[0] as ' ' | '+' | '-', text: l.slice(1), src: i + 1 })),
          }));
          const prefix = Array.from({ length: shift }, (_, i) => `prefix ${i};`).join('\n') + (shift ? '\n' : '');
          const r = applyHunks(prefix + oldText, hunks);
          assert.ok(r.placements.every((p) => p.status === 'applied' && p.offset === shift && p.fuzz === 0));
          assert.equal(r.post, prefix + newText);
          assert.equal(r.pre, prefix + oldText);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('patch/apply: series and trees', () => {
  const snapshot = (dir: string): string => {
    const out: string[] = [];
    const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else out.push(`${p}:${fs.statSync(p).mtimeMs}:${fs.readFileSync(p, 'utf8').length}`); } };
    walk(dir);
    return out.sort().join('\n');
  };

  it('applies a series in order, each patch on the previous one, without touching the tree', async () => {
    const before = snapshot(FIXTURE_TREE);
    const parsed = parsePatchInput(fixture('series-v2-out-of-order.mbox'), 'series.mbox');
    const applied = await applySeries(parsed.patches, { tree: fsTree(FIXTURE_TREE) });
    assert.deepEqual(applied.map((a) => a.files.map((f) => [f.path, f.source, f.placements.map((p) => p.status).join()])), [
      [[TDP, 'tree', 'applied']],
      [['arch/x86/include/asm/kvm_host.h', 'tree', 'applied'], [TDP, 'series', 'applied']],
      [[TDP, 'series', 'applied']],
    ]);
    const final = applied[2].files[0];
    assert.match(final.pre, /return -EINVAL;/);
    assert.match(final.post, /return -EOPNOTSUPP;/);
    assert.match(final.post, /kvm->stat\.mirror_leaves_removed\+\+;/, 'patch 1/3 is still in the text patch 3/3 sees');
    assert.equal(snapshot(FIXTURE_TREE), before);
  });

  it('out of series order, a patch that builds on a later one does not apply and is reported', async () => {
    const parsed = parsePatchInput(fixture('series-v2-out-of-order.mbox'), 'series.mbox');
    const applied = await applySeries([parsed.patches[2], parsed.patches[1]], { tree: fsTree(FIXTURE_TREE) });
    assert.equal(applied[0].files[0].placements[0].status, 'failed');
  });

  it('finds the file of quoted hunks whose diff header was elided, ignoring lost indentation', async () => {
    const parsed = parsePatchInput(fixture('reply-archive.txt'), 'reply.txt');
    const [applied] = await applySeries(parsed.patches, { tree: fsTree(FIXTURE_TREE) });
    const f = applied.files[0];
    assert.equal(f.path, TDP);
    assert.match(f.notes[0], /3 of 3 hunk\(s\) fit arch\/x86\/kvm\/mmu\/tdp_mmu\.c/);
    assert.deepEqual(f.placements.map((p) => [p.status, p.whitespace]), [['applied', false], ['applied', true], ['applied', true]]);
    // Context comes from the file, with its real indentation; added lines as quoted.
    assert.match(f.post, /\n\tif \(is_mirror_sptep\(sptep\)\) \{\n ?if \(!is_shadow_present_pte\(new_spte\)\)\n/);
  });

  it('with a tree rooted at arch/x86/kvm, patch paths lose the components the root ends with', async () => {
    const tree = fsTree(path.join(FIXTURE_TREE, 'arch/x86/kvm'));
    assert.equal((await tree.read(TDP))?.rel, 'mmu/tdp_mmu.c');
    assert.equal(await tree.read('arch/x86/include/asm/kvm_host.h'), undefined);
    assert.equal(await tree.read('../tree/' + TDP), undefined);
    const [applied] = await applySeries([rfc09()], { tree });
    assert.deepEqual(applied.files.map((f) => f.source), ['hunks-only', 'hunks-only', 'tree']);
    assert.match(applied.files[0].notes[0], /is not in the tree/);
  });

  it('without a tree, each file is the hunks laid end to end', async () => {
    const [applied] = await applySeries([rfc09()]);
    const f = applied.files.find((x) => x.path === TDP)!;
    assert.equal(f.source, 'hunks-only');
    const post = f.post.split('\n');
    for (const p of f.placements) p.hunk.lines.forEach((l, k) => { if (l.kind !== '-') assert.equal(post[p.post[k] - 1], l.text); });
  });
});
