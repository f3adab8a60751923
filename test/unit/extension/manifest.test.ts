// The manifest promises of issue 5 (lazy activation, trust, scenario validation), checked on package.json.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('extension manifest', () => {
  it('is tdp-mmu-sim.tdp-mmu-sim, bundled to dist/extension.js', () => {
    assert.strictEqual(`${pkg.publisher}.${pkg.name}`, 'tdp-mmu-sim.tdp-mmu-sim');
    assert.strictEqual(pkg.displayName, 'TDP MMU Simulator');
    assert.strictEqual(pkg.main, './dist/extension.js');
    assert.ok(fs.existsSync(path.join(root, pkg.icon)), `icon ${pkg.icon}`);
  });

  it('activates lazily: never on *, on each of its commands, kernel trees, scenarios and its debug type', () => {
    const events: string[] = pkg.activationEvents;
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), events.join(', '));
    assert.ok(events.includes('workspaceContains:**/arch/x86/kvm/mmu/tdp_mmu.c'));
    assert.ok(events.includes('workspaceContains:**/*.tdpsim.yaml'));
    assert.ok(events.includes('onDebugResolve:tdp-mmu-sim'));
    // VS Code adds onCommand for contributed commands itself; listed ones must be contributed.
    const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
    for (const e of events.filter((e) => e.startsWith('onCommand:'))) assert.ok(commands.has(e.slice(10)), e);
  });

  it('declares full Restricted Mode support, which holds because no shipped code can start a process', () => {
    assert.strictEqual(pkg.capabilities.untrustedWorkspaces.supported, true);
    assert.match(pkg.capabilities.untrustedWorkspaces.description, /Restricted Mode/);
    // Everything the extension bundles (src/, webview/): no process, worker or eval-like API.
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
      .flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
    const offenders = [...files(path.join(root, 'src')), ...files(path.join(root, 'webview'))]
      .filter((f) => /\b(child_process|worker_threads|node:vm)\b|\bnew Function\(|\beval\(/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f));
    assert.deepStrictEqual(offenders, []);
  });

  it('validates *.tdpsim.yaml against the shipped schema', () => {
    const v = pkg.contributes.yamlValidation.find((y: { fileMatch: string }) => y.fileMatch === '*.tdpsim.yaml');
    assert.strictEqual(v.url, './schemas/tdpsim.schema.json');
  });
});
