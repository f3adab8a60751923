// Real-tree tier: a small made-up patch applied in memory to Debian's linux-source-6.12
// tdp_mmu.c (pre-tdx), when ~/.cache/tdp-mmu-sim/linux-6.12 is there. The patch is generated at
// test time from the real file and never stored. A tier that cannot run says "SKIPPED: <why>".
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { reviewPatch } from '../../../src/patch/review';
import { makePatch } from './helpers';

const TREE = path.join(process.env.TDP_SIM_CACHE ?? path.join(os.homedir(), '.cache/tdp-mmu-sim'), 'linux-6.12');
const TDP = 'arch/x86/kvm/mmu/tdp_mmu.c';

describe('patch/review: real tree (Debian linux-source-6.12)', function () {
  this.timeout(120000);
  const file = path.join(TREE, TDP);

  before(function () {
    if (!fs.existsSync(file)) {
      console.log(`      SKIPPED: ${file} is not there (the kernel tests' scripts/fetch-linux-source.sh puts it there)`);
      this.skip();
    }
  });

  it('locates a hunk made against another version (offset), reviews it, and leaves the tree alone', async () => {
    const text = fs.readFileSync(file, 'utf8');
    const stat = fs.statSync(file);
    const sig = 'static void tdp_account_mmu_page(struct kvm *kvm, struct kvm_mmu_page *sp)\n{\n';
    assert.ok(text.includes(sig), 'tdp_account_mmu_page() is in 6.12');
    const after = text.replace(sig, `${sig}\tWARN_ON_ONCE(!sp->spt);\n`);
    // Shift the @@ line numbers by 40, as if the patch were made against an older tree.
    const patch = makePatch('[PATCH] KVM: x86/tdp_mmu: Check the page table page', 'Make tdp_account_mmu_page() complain about a missing page table.', [{ path: TDP, before: text, after }])
      .replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/m, (_, a, b, c, d) => `@@ -${+a + 40},${b} +${+c + 40},${d} @@`);
    const r = await reviewPatch(patch, 'made-up.patch', { tree: TREE });
    const f = r.patches[0].files[0];
    assert.equal(f.source, 'tree');
    assert.equal(f.hunks[0].status, 'applied');
    assert.equal(f.hunks[0].offset, -40);
    const line = f.post.split('\n').findIndex((l) => l === '\tWARN_ON_ONCE(!sp->spt);') + 1;
    assert.equal(line, text.slice(0, text.indexOf(sig)).split('\n').length + 2);
    assert.equal(r.patches[0].profile.before?.profile, 'pre-tdx');
    assert.equal(r.patches[0].profile.after?.profile, 'pre-tdx');
    assert.match(r.patches[0].behaviour.note!, /keeps the tree at profile pre-tdx/);
    assert.deepEqual(r.remarks.map((m) => [m.check, m.file, m.line]), [['bug-on-without-comment', TDP, line]]);
    assert.equal(fs.statSync(file).mtimeMs, stat.mtimeMs);
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  });
});
