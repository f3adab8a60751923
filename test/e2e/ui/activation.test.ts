// The extension is installed from the .vsix and activates lazily: only on a trigger.
import * as assert from 'assert';
import { useWorkbench } from '../harness/fixture';
import { outputText, runCommand, runningExtensions } from '../harness/workbench';
import { TDP_MMU_C, folderWith } from '../harness/workspaces';

const NAME = 'TDP MMU Simulator';

describe('activation in a folder without kernel tree or scenarios', () => {
  const wb = useWorkbench();

  it('is installed, and not running before a trigger', async () => {
    await runCommand(wb.page, 'Extensions: Show Installed Extensions');
    await wb.page.locator('.extensions-viewlet .monaco-list-row', { hasText: NAME }).first().waitFor();
    await wb.shot('installed');
    const running = await runningExtensions(wb.page);
    assert.ok(running.size > 0, 'the Running Extensions list is empty');
    assert.ok(!running.has(NAME), `already running: ${JSON.stringify(running.get(NAME))}`);
  });

  it('activates on "TDP MMU: Show Log", which shows its log with the activation time', async () => {
    await runCommand(wb.page, 'TDP MMU: Show Log');
    await wb.page.locator('.part.panel .output-view', { hasText: 'activated in' }).waitFor();
    const log = await outputText(wb.page);
    const ms = Number(/activated in ([\d.]+) ms/.exec(log)?.[1]);
    assert.ok(ms >= 0 && ms < 100, `activation time in the log: ${log}`);
    await wb.shot('log');
    const running = await runningExtensions(wb.page, NAME);
    assert.ok(running.has(NAME), `not running: ${[...running.keys()].join(', ')}`);
    console.log(`      Running Extensions: ${JSON.stringify(running.get(NAME))}`);
    assert.match(running.get(NAME)!.activatedBy!, /onCommand:tdpMmuSim\.showLog/);
  });
});

describe('activation in a kernel tree', () => {
  const wb = useWorkbench({ workspace: (dir) => folderWith(dir, 'linux', { [TDP_MMU_C]: '/* placeholder */\n' }) });

  it('runs at startup because the folder holds arch/x86/kvm/mmu/tdp_mmu.c', async () => {
    const deadline = Date.now() + 30_000;
    let running = await runningExtensions(wb.page, NAME);
    while (!running.has(NAME) && Date.now() < deadline) running = await runningExtensions(wb.page, NAME);
    assert.ok(running.has(NAME), `not running: ${[...running.keys()].join(', ')}`);
    assert.match(running.get(NAME)!.activatedBy!, /because a file matching \*\*\/arch\/x86\/kvm\/mmu\/tdp_mmu\.c/);
  });
});
