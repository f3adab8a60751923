// The review aid as a user meets it, in Restricted Mode (reviewing only reads files and runs our
// simulator): open the RFC 09/23-shaped patch in a kernel-tree workspace, press the editor title
// action, and see the comments on the post-patch tdp_mmu.c; export the reply; a malformed patch
// gets an error naming its line.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { useWorkbench } from '../harness/fixture';
import { notification, quickOpen, runCommand } from '../harness/workbench';
import { folderWith } from '../harness/workspaces';
import { REPO } from '../harness/paths';

const PATCHES = path.join(REPO, 'test/fixtures/patch');
const RFC09 = 'rfc09-shaped.patch';
const MALFORMED = 'malformed-hunk-header.patch';

/** The fixture tree the patch was made against, the patch, and a copy with a broken @@ line. */
function workspace(dir: string): string {
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(PATCHES, 'tree', rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else files[r] = fs.readFileSync(path.join(PATCHES, 'tree', r), 'utf8');
    }
  };
  walk('');
  const patch = fs.readFileSync(path.join(PATCHES, RFC09), 'utf8');
  files[RFC09] = patch;
  files[MALFORMED] = patch.replace('@@ -35,6 +36,16 @@', '@@ -35,six +36,16 @@');
  return folderWith(dir, 'linux', files);
}


/** Text of the lines the active editor shows. */
async function visibleLines(page: Page): Promise<string[]> {
  await page.locator('.editor-group-container.active .monaco-editor .view-line').first().waitFor();
  return page.evaluate(() => Array.from(document.querySelectorAll('.editor-group-container.active .monaco-editor .view-lines .view-line'))
    .map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' ')));
}

/** A comment thread widget in the visible editors whose text contains `text`. */
const commentWidget = (page: Page, text: string | RegExp) => page.locator('.monaco-editor .review-widget', { hasText: text }).first();

describe('review aid', () => {
  const wb = useWorkbench({
    workspaceTrust: true,
    userSettings: { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false },
    workspace,
  });

  it('the editor title action on a patch shows review comments on the post-patch code, in Restricted Mode', async function () {
    this.timeout(120_000);
    const { page } = wb;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor();
    await quickOpen(page, RFC09);
    await page.locator('.editor-actions .action-item a[aria-label^="Review Patch"]').first().click({ timeout: 30_000 });
    // The post-patch tdp_mmu.c opens beside the patch at the first hunk whose behaviour changed.
    await page.locator('.tab.active', { hasText: 'tdp_mmu.c' }).waitFor({ timeout: 60_000 });
    const hunk = commentWidget(page, 'KVM_BUG_ON → split_external_spt() → TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.DEMOTE');
    await hunk.waitFor({ timeout: 30_000 });
    await hunk.locator('text=Open in stepper after the patch').first().waitFor();
    await commentWidget(page, 'Remark: New KVM_BUG_ON/WARN_ON without an explanatory comment').waitFor();
    // Read-only: typing there changes nothing and VS Code says why.
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.type('x');
    await page.locator('.monaco-editor-overlaymessage', { hasText: 'Cannot edit in read-only editor' }).waitFor();
    // The Comments panel lists every thread; filtered and clicked, it brings the tdp_mmu_set_spte()
    // hunk's thread into view.
    await page.locator('.part.panel input[placeholder^="Filter"]').first().fill('Hunk 3 of 3');
    await page.locator('.part.panel .monaco-list-row', { hasText: 'Hunk 3 of 3' }).first().click();
    await commentWidget(page, /Hunk 3\/3 · KVM_BUG_ON → split_external_spt\(\)/).waitFor();
    await page.keyboard.press('Control+J'); // hide the panel: more editor in the screenshot
    await wb.shot('review comments on the post-patch tdp_mmu.c');
    // The patch itself carries the overview and the changelog remarks.
    await commentWidget(page, /Kernel profile of the code: mainline before, hugepage-rfc-v2 after the patch/).waitFor();
    await wb.shot('review overview on the patch');
  });

  it('Export Review opens the reply in an untitled editor', async function () {
    this.timeout(60_000);
    const { page } = wb;
    await runCommand(page, 'TDP MMU: Export Review');
    await page.locator('.tab.active', { hasText: /Untitled/ }).waitFor();
    // The reply quotes the changelog line a remark is about.
    const lines = await visibleLines(page);
    assert.ok(lines.some((l) => /^> Add the split_external_spt hook to kvm_x86_ops/.test(l)), lines.join('\n'));
    await wb.shot('exported review');
  });

  it('a malformed patch gets an error naming the line, and no review', async function () {
    this.timeout(60_000);
    const { page } = wb;
    await quickOpen(page, MALFORMED);
    await runCommand(page, 'TDP MMU: Review Patch…');
    const line = fs.readFileSync(path.join(PATCHES, RFC09), 'utf8').split('\n').findIndex((l) => l.startsWith('@@ -35,6 +36,16 @@')) + 1;
    await notification(page, `cannot review ${MALFORMED}:${line}: malformed hunk header`).waitFor({ timeout: 30_000 });
    await wb.shot('malformed patch error');
  });
});
