// The workspace `npm start` opens: shipped scenarios and the fixture kernel trees, with the
// extension running because of them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { useWorkbench } from '../harness/fixture';
import { REPO } from '../harness/paths';
import { runningExtensions } from '../harness/workbench';
import { defaultWorkspace, fixtureKernelTrees } from '../harness/workspaces';

describe('default workspace (npm start)', () => {
  const wb = useWorkbench({ workspace: (dir) => defaultWorkspace(path.join(dir, 'workspace'), '') });

  it('shows the shipped scenarios and a folder per fixture kernel tree', async () => {
    const explorer = wb.page.locator('.explorer-folders-view');
    const scenario = fs.readdirSync(path.join(REPO, 'scenarios')).find((f) => f.endsWith('.tdpsim.yaml'));
    assert.ok(scenario, 'scenarios/ ships no *.tdpsim.yaml');
    await explorer.locator('.monaco-list-row', { hasText: scenario }).first().waitFor();
    for (const tree of fixtureKernelTrees()) {
      await explorer.locator('.monaco-list-row', { hasText: `kernel fixture (${path.basename(tree)})` }).first().waitFor();
    }
    await wb.shot('default workspace');
  });

  it('runs the extension from startup', async () => {
    const deadline = Date.now() + 30_000;
    let running = await runningExtensions(wb.page);
    while (!running.has('TDP MMU Simulator') && Date.now() < deadline) running = await runningExtensions(wb.page);
    assert.ok(running.has('TDP MMU Simulator'), [...running.keys()].join(', '));
  });
});
