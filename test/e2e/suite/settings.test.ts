// Settings checks through the real configuration API: values written to user settings are read,
// rejected with a clear message, and the kernel tree is found.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const config = () => vscode.workspace.getConfiguration('tdpMmuSim');
type Check = { problems: string[]; kernelTree: { root?: string; from: string } };
const check = () => vscode.commands.executeCommand<Check>('tdpMmuSim.checkSettings');

describe('settings', () => {
  afterEach(async () => {
    for (const key of ['maxEvents', 'profile', 'kernelTree']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  it('has no problems with the defaults, and no kernel tree in an empty folder', async () => {
    const r = await check();
    assert.deepStrictEqual(r.problems, []);
    assert.strictEqual(r.kernelTree.from, 'none');
  });

  it('reports invalid user settings by name, value and place, and keeps working', async () => {
    await config().update('maxEvents', -5, vscode.ConfigurationTarget.Global);
    await config().update('profile', 'bogus', vscode.ConfigurationTarget.Global);
    const r = await check();
    assert.deepStrictEqual(r.problems.sort(), [
      'tdpMmuSim.maxEvents: -5 in user settings is below the minimum 1; using the default 1000000.',
      'tdpMmuSim.profile: "bogus" in user settings is not one of "auto", "pre-tdx", "mainline", "hugepage-rfc-v2"; using the default "auto".',
    ]);
  });

  it('finds the kernel tree the setting names, and reports one without tdp_mmu.c', async () => {
    const tree = path.join(process.env.E2E_RUN_DIR!, 'linux');
    fs.mkdirSync(path.join(tree, 'arch/x86/kvm/mmu'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'arch/x86/kvm/mmu/tdp_mmu.c'), '// placeholder\n');
    await config().update('kernelTree', tree, vscode.ConfigurationTarget.Global);
    assert.deepStrictEqual((await check()).kernelTree, { root: tree, from: 'setting' });

    await config().update('kernelTree', path.join(tree, 'arch'), vscode.ConfigurationTarget.Global);
    const r = await check();
    assert.strictEqual(r.kernelTree.from, 'none');
    assert.deepStrictEqual(r.problems, [`tdpMmuSim.kernelTree "${path.join(tree, 'arch')}" has no arch/x86/kvm/mmu/tdp_mmu.c (looked in ${path.join(tree, 'arch')}).`]);
  });
});
