// Debugging as a user does it: a breakpoint toggled with F9 on the split_external_spt() call in a
// kernel-like tdp_mmu.c, F5 on a scenario (no launch.json), then the editor's current-line
// highlight, the Call Stack and the Variables view of the simulated kernel.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { useWorkbench } from '../harness/fixture';
import { quickOpen } from '../harness/workbench';
import { REPO } from '../harness/paths';

const RFC_TREE = path.join(REPO, 'test/fixtures/kernel/hugepage-rfc-v2');
const SCENARIO = 'split-private-2m-rfc.tdpsim.yaml';
const TDP_MMU_C = 'arch/x86/kvm/mmu/tdp_mmu.c';

/** A folder that is a kernel tree (so it is the kernel tree the debugger links to) with a scenario. */
function workspace(dir: string): string {
  const ws = path.join(dir, 'kernel');
  fs.cpSync(RFC_TREE, ws, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'scenarios', SCENARIO), path.join(ws, SCENARIO));
  return ws;
}

/** 1-based line of the split_external_spt() call in tdp_mmu_set_spte() of the fixture. */
function splitCallLine(): number {
  const lines = fs.readFileSync(path.join(RFC_TREE, TDP_MMU_C), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^static u64 tdp_mmu_set_spte\(/.test(l));
  return lines.findIndex((l, i) => i > start && /\bsplit_external_spt\(kvm/.test(l)) + 1;
}


/** Line numbers of the visible editor's lines carrying a decoration class. */
async function decoratedLines(page: Page, cls: string): Promise<number[]> {
  return page.evaluate((c) => {
    const editor = document.querySelector('.editor-instance .monaco-editor')!;
    const numbers = Array.from(editor.querySelectorAll('.margin-view-overlays .line-numbers')) as HTMLElement[];
    return Array.from(editor.querySelectorAll(`.view-overlays .${c}`)).map((el) => {
      const top = (el.parentElement as HTMLElement).style.top;
      return Number(numbers.find((n) => (n.parentElement as HTMLElement).style.top === top)?.textContent ?? -1);
    });
  }, cls);
}

describe('debugging a scenario from the editor (F9, F5)', function () {
  this.timeout(180_000);
  const wb = useWorkbench({ workspace });
  const line = splitCallLine();

  it('stops at the tdp_mmu.c breakpoint and shows the simulated kernel\'s stack and variables', async () => {
    const page = wb.page;
    await quickOpen(page, 'tdp_mmu.c');
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(`:${line}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: `go to line ${line}` }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.statusbar-item', { hasText: `Ln ${line}, Col 1` }).first().waitFor();
    await page.keyboard.press('F9');
    await page.locator('.codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified').first().waitFor();

    await quickOpen(page, SCENARIO);
    await page.keyboard.press('F5');
    const stack = page.locator('.debug-call-stack');
    await stack.locator('.monaco-list-row', { hasText: 'tdp_mmu_set_spte' }).first().waitFor({ timeout: 90_000 });
    // The Call Stack header shows the stop's description.
    await page.locator('.pane-header', { hasText: 'Call Stack' }).locator('text=breakpoint at split_external_spt').first().waitFor();
    await page.locator('.tab.active', { hasText: 'tdp_mmu.c' }).waitFor();
    await wb.shot('stopped at the breakpoint');
    assert.deepStrictEqual(await decoratedLines(page, 'debug-top-stack-frame-line'), [line]);

    const vars = page.locator('.debug-variables');
    const row = (name: string) => vars.locator('.monaco-list-row', { hasText: new RegExp(`^${name} ?=`) }).first();
    const arguments_ = vars.locator('.monaco-list-row', { hasText: /^Arguments$/ }).first();
    await arguments_.waitFor();
    if (await arguments_.getAttribute('aria-expanded') !== 'true') await arguments_.click();
    await row('old_spte').waitFor();
    assert.match(await row('old_spte').locator('.value').textContent() ?? '', /^0x[0-9a-f]+ \(leaf at 2M pfn 0x[0-9a-f]+ /);
    assert.match(await row('new_spte').locator('.value').textContent() ?? '', /\(non-leaf at 2M → page table at pfn 0x[0-9a-f]+\)/);
    assert.strictEqual(await row('level').locator('.value').textContent(), '2 (2M)');
    await wb.shot('variables');
    await page.keyboard.press('Shift+F5');
  });
});
