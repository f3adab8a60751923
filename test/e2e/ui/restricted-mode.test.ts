// capabilities.untrustedWorkspaces = true: the extension runs unchanged in Restricted Mode.
import { useWorkbench } from '../harness/fixture';
import { runCommand } from '../harness/workbench';
import { TDP_MMU_C, folderWith } from '../harness/workspaces';

describe('Restricted Mode', () => {
  const wb = useWorkbench({
    workspaceTrust: true,
    userSettings: { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false },
    workspace: (dir) => folderWith(dir, 'linux', { [TDP_MMU_C]: '/* placeholder */\n' }),
  });

  it('opens the untrusted folder restricted, and the extension runs and says so', async () => {
    await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor();
    await runCommand(wb.page, 'TDP MMU: Show Log');
    await wb.page.locator('.part.panel .output-view', { hasText: 'Restricted Mode (fully supported' }).waitFor();
    await wb.shot('restricted');
  });
});
