// The stepper's contributions in package.json agree with what the code registers and sends.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { NAV_ACTIONS } from '../../../src/extension/stepper/protocol';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));
const commands = new Map<string, { title: string; enablement?: string }>(
  pkg.contributes.commands.map((c: { command: string; title: string; enablement?: string }) => [c.command, c]));

describe('stepper manifest', () => {
  it('contributes a command for every navigation action, enabled only while stepping', () => {
    for (const a of NAV_ACTIONS) {
      const c = commands.get(`tdpMmuSim.${a}`);
      assert.ok(c, `tdpMmuSim.${a} is not contributed`);
      assert.strictEqual(c.enablement, 'tdpMmuSim.stepping', a);
    }
  });

  it('binds stepping keys only while the stepper (or a linked C editor) has focus', () => {
    const ours = pkg.contributes.keybindings.filter((k: { command: string }) => k.command.startsWith('tdpMmuSim.'));
    assert.ok(ours.length >= NAV_ACTIONS.length);
    for (const k of ours) {
      assert.ok(commands.has(k.command), `keybinding for uncontributed ${k.command}`);
      assert.match(k.when, /activeWebviewPanelId == 'tdpMmuSim\.stepper'|tdpMmuSim\.stepping/, `${k.command} ${k.key} has no focus condition`);
    }
    const keys = ours.map((k: { key: string; when: string }) => `${k.key} ${k.when}`);
    assert.strictEqual(new Set(keys).size, keys.length, 'two commands on the same key and context');
  });

  it('restores the stepper panel after a reload and lists scenarios in the explorer', () => {
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:tdpMmuSim.stepper'));
    assert.ok(pkg.contributes.views.explorer.some((v: { id: string }) => v.id === 'tdpMmuSim.scenarios'));
    for (const id of ['tdpMmuSim.openSimulator', 'tdpMmuSim.runScenario', 'tdpMmuSim.runToLine']) assert.ok(commands.has(id), id);
  });

  it('ships the webview bundle entry and stylesheet the panel loads', () => {
    assert.ok(fs.existsSync(path.join(__dirname, '../../../webview/main.ts')));
    assert.ok(fs.existsSync(path.join(__dirname, '../../../media/stepper.css')));
  });
});
