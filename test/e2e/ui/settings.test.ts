// What a user sees for bad and good settings.
import * as assert from 'assert';
import * as path from 'path';
import { useWorkbench } from '../harness/fixture';
import { notification, outputText, runCommand, showNotifications } from '../harness/workbench';
import { TDP_MMU_C, folderWith } from '../harness/workspaces';

describe('invalid settings', () => {
  const wb = useWorkbench({ userSettings: { 'tdpMmuSim.maxEvents': -5, 'tdpMmuSim.profile': 'bogus' } });

  it('warn about each bad value, naming setting, value and place', async () => {
    await runCommand(wb.page, 'TDP MMU: Check Settings');
    // Toasts hide after a while (sooner than a loaded machine gets here): read the center.
    await showNotifications(wb.page);
    await notification(wb.page, 'tdpMmuSim.maxEvents: -5 in user settings is below the minimum 1; using the default 1000000.').waitFor();
    await notification(wb.page, 'tdpMmuSim.profile: "bogus" in user settings is not one of').waitFor();
    await wb.shot('warnings');
  });

  it('"Open Setting" on a warning opens the settings editor at that setting', async () => {
    const toast = notification(wb.page, 'tdpMmuSim.maxEvents');
    await toast.getByRole('button', { name: 'Open Setting' }).click();
    const editor = wb.page.locator('.settings-editor');
    await editor.locator('.setting-item-contents', { hasText: 'Max Events' }).first().waitFor();
    await wb.shot('open-setting');
  });

  it('keep the extension working: the log records the problems', async () => {
    await runCommand(wb.page, 'TDP MMU: Show Log');
    await wb.page.locator('.part.panel .output-view', { hasText: 'activated in' }).waitFor();
    assert.match(await outputText(wb.page), /\[warning\] tdpMmuSim\.maxEvents: -5 in user settings/);
  });
});

describe('valid settings in a kernel tree', () => {
  const wb = useWorkbench({ workspace: (dir) => folderWith(dir, 'linux', { [TDP_MMU_C]: '/* placeholder */\n' }) });

  it('"TDP MMU: Check Settings" confirms them and names the kernel tree found', async () => {
    await runCommand(wb.page, 'TDP MMU: Check Settings');
    await showNotifications(wb.page);
    const tree = path.basename(wb.workspace);
    await notification(wb.page, new RegExp(`settings are valid: kernel tree .*/${tree} \\(from workspace folder\\), profile auto`)).waitFor();
    await wb.shot('valid');
  });
});
