// Lazy activation and its cost, against the real extension host. The suite opens an empty folder,
// so nothing but these tests can trigger activation.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';

const ID = 'tdp-mmu-sim.tdp-mmu-sim';
// Read when mocha loads this file, before any test ran.
const activeAtLoad = vscode.extensions.getExtension(ID)?.isActive;

describe('activation', () => {
  it('is installed but not active in a folder without kernel tree or scenarios', () => {
    assert.ok(vscode.extensions.getExtension(ID), `${ID} is not installed`);
    assert.strictEqual(activeAtLoad, false);
  });

  it('activates within the 100 ms budget', async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(ID)!;
    const started = performance.now();
    const api = await ext.activate();
    const total = performance.now() - started;
    assert.strictEqual(ext.isActive, true);
    console.log(`      activate(): ${api.activationMs.toFixed(1)} ms; with loading dist/extension.js: ${total.toFixed(1)} ms (budget 100 ms)`);
    assert.ok(api.activationMs < 100, `activate() took ${api.activationMs} ms`);
  });

  it('registers its commands', async () => {
    const ours = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('tdpMmuSim.'));
    assert.ok(ours.includes('tdpMmuSim.showLog') && ours.includes('tdpMmuSim.checkSettings'), ours.join(', '));
    await vscode.commands.executeCommand('tdpMmuSim.showLog');
  });
});
