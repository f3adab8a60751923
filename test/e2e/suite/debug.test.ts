// Debugging a shipped scenario in a real VS Code: F5-style launch of the tdp-mmu-sim debugger
// (inline adapter), a breakpoint in the fixture tree's tdp_mmu.c, the stack VS Code focuses,
// variables, evaluate, and the tdpPosition/tdpSeek bridge the stepper uses.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { DebugPosition } from '../../../src/extension/debug/sessions';

const ID = 'tdp-mmu-sim.tdp-mmu-sim';
/** The suite is bundled into <repo>/out/e2e/suite. */
const REPO = path.resolve(__dirname, '../../..');
const TREE = path.join(REPO, 'test/fixtures/kernel/hugepage-rfc-v2');
const TDP_MMU_C = path.join(TREE, 'arch/x86/kvm/mmu/tdp_mmu.c');

/** 1-based line of the split_external_spt() call inside tdp_mmu_set_spte() of the fixture. */
function splitCallLine(): number {
  const lines = fs.readFileSync(TDP_MMU_C, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^static u64 tdp_mmu_set_spte\(/.test(l));
  const at = lines.findIndex((l, i) => i > start && /\bsplit_external_spt\(kvm/.test(l));
  assert.ok(start >= 0 && at > start, 'tdp_mmu_set_spte() calls split_external_spt() in the fixture');
  return at + 1;
}

function nextPosition(api: ExtensionApi, want: (p: DebugPosition) => boolean, timeoutMs = 20_000): Promise<DebugPosition> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error('the debug session never stopped there')); }, timeoutMs);
    const sub = api.debug.onDidChangePosition((p) => {
      if (!want(p)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(p);
    });
  });
}

describe('debugging a scenario (tdp-mmu-sim debugger)', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let session: vscode.DebugSession;
  const line = splitCallLine();
  const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(TDP_MMU_C), new vscode.Position(line - 1, 0)));

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(ID)!;
    api = await ext.activate();
    assert.ok(api.debug, 'the extension API has no debug sessions tracker');
  });

  after(async () => {
    vscode.debug.removeBreakpoints([bp]);
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging(vscode.debug.activeDebugSession);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('stops at a breakpoint in tdp_mmu.c of the fixture tree, focused on that line', async () => {
    vscode.debug.addBreakpoints([bp]);
    const scenario = path.join(vscode.extensions.getExtension(ID)!.extensionPath, 'scenarios/split-private-2m-rfc.tdpsim.yaml');
    const stopped = nextPosition(api, (p) => p.reason === 'breakpoint');
    const started = await vscode.debug.startDebugging(undefined, {
      type: 'tdp-mmu-sim', request: 'launch', name: 'e2e: split (RFC v2)', scenario, kernelTree: TREE,
    });
    assert.ok(started, 'startDebugging refused the configuration');
    const pos = await stopped;
    session = pos.session;
    assert.ok(pos.recording, 'the inline adapter shares its recording');
    assert.strictEqual(pos.recording.event(pos.seq).fn, 'split_external_spt');
    // VS Code focuses the caller's frame (the callee has not run yet), at the breakpoint line.
    const focused = await until(() => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame && vscode.debug.activeStackItem);
    const trace = await session.customRequest('stackTrace', { threadId: 1 });
    const frame = trace.stackFrames.find((f: { id: number }) => f.id === (focused as vscode.DebugStackFrame).frameId);
    // In code-server the client sees the adapter's paths as vscode-remote:// URIs.
    const framePath: string = frame.source.path.includes('://') ? vscode.Uri.parse(frame.source.path).path : frame.source.path;
    assert.deepStrictEqual([frame.name, framePath, frame.line], ['tdp_mmu_set_spte', TDP_MMU_C, line]);
    const editor = await until(() => vscode.window.activeTextEditor?.document.uri.fsPath === TDP_MMU_C && vscode.window.activeTextEditor);
    assert.strictEqual(editor.selection.active.line, line - 1);
  });

  it('shows the kernel-named variables of tdp_mmu_set_spte and evaluates SPTE predicates', async () => {
    const frame = vscode.debug.activeStackItem as vscode.DebugStackFrame;
    const { scopes } = await session.customRequest('scopes', { frameId: frame.frameId });
    const args = scopes.find((s: { name: string }) => s.name === 'Arguments');
    const { variables } = await session.customRequest('variables', { variablesReference: args.variablesReference });
    const v = new Map<string, string>(variables.map((x: { name: string; value: string }) => [x.name, x.value]));
    assert.strictEqual(v.get('gfn'), '0x200');
    assert.strictEqual(v.get('level'), '2 (2M)');
    assert.match(v.get('old_spte')!, /\(leaf at 2M pfn 0x[0-9a-f]+ /);
    assert.match(v.get('new_spte')!, /\(non-leaf at 2M → page table at pfn 0x[0-9a-f]+\)/);
    const r = await session.customRequest('evaluate', { expression: 'is_last_spte(old_spte, level) && !is_last_spte(new_spte, level)', frameId: frame.frameId, context: 'watch' });
    assert.strictEqual(r.result, 'true');
  });

  it('tdpSeek moves the debug session (the stepper bridge)', async () => {
    const moved = nextPosition(api, (p) => p.reason === 'goto');
    assert.strictEqual(await api.debug.seek(3, session), 3);
    assert.strictEqual((await moved).seq, 3);
    await vscode.debug.stopDebugging(session);
  });

  it('a race of two vCPUs: VS Code gets a thread per vCPU and focuses the one that hit the breakpoint', async () => {
    const scenario = path.join(vscode.extensions.getExtension(ID)!.extensionPath, 'scenarios/race-frozen-spte.tdpsim.yaml');
    const fbp = new vscode.FunctionBreakpoint('tdp_mmu_set_spte_atomic', true, 'vcpu == 1');
    vscode.debug.addBreakpoints([fbp]);
    try {
      const stopped = nextPosition(api, (p) => p.reason === 'function breakpoint');
      assert.ok(await vscode.debug.startDebugging(undefined, { type: 'tdp-mmu-sim', request: 'launch', name: 'e2e: race', scenario }));
      const pos = await stopped;
      assert.strictEqual(pos.recording?.event(pos.seq).vcpu, 1);
      const { threads } = await pos.session.customRequest('threads');
      assert.deepStrictEqual(threads.map((t: { name: string }) => t.name), ['VM (ioctls, MMU notifiers, teardown)', 'vCPU 0', 'vCPU 1']);
      const focused = await until(() => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame && vscode.debug.activeStackItem);
      assert.strictEqual((focused as vscode.DebugStackFrame).threadId, 3, 'vCPU 1 is focused');
      const other = await pos.session.customRequest('stackTrace', { threadId: 2 });
      assert.ok(other.stackFrames.length > 0, 'vCPU 0 shows where it last ran');
      await vscode.debug.stopDebugging(pos.session);
    } finally {
      vscode.debug.removeBreakpoints([fbp]);
    }
  });

  it('a trace launch without vmIdentity takes tdpMmuSim.trace.vmIdentity', async () => {
    const config = vscode.workspace.getConfiguration('tdpMmuSim');
    await config.update('trace.vmIdentity', 'tgid', vscode.ConfigurationTarget.Global);
    try {
      const trace = path.join(REPO, 'test/fixtures/trace/two-vms-tgid.ftrace.txt');
      const stopped = nextPosition(api, (p) => p.reason === 'entry');
      assert.ok(await vscode.debug.startDebugging(undefined, { type: 'tdp-mmu-sim', request: 'launch', name: 'e2e: tgid', scenario: trace, stopOnEntry: true }));
      const pos = await stopped;
      assert.strictEqual(pos.session.configuration.vmIdentity, 'tgid');
      assert.match(pos.recording?.name ?? '', /\[tgid:3100\]/);
      await vscode.debug.stopDebugging(pos.session);
    } finally {
      await config.update('trace.vmIdentity', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a launch without maxEvents stops the simulation at the tdpMmuSim.maxEvents setting', async () => {
    const config = vscode.workspace.getConfiguration('tdpMmuSim');
    await config.update('maxEvents', 40, vscode.ConfigurationTarget.Global);
    try {
      const scenario = path.join(vscode.extensions.getExtension(ID)!.extensionPath, 'scenarios/split-private-2m-rfc.tdpsim.yaml');
      const stopped = nextPosition(api, (p) => p.reason === 'entry');
      assert.ok(await vscode.debug.startDebugging(undefined, { type: 'tdp-mmu-sim', request: 'launch', name: 'e2e: limited', scenario, stopOnEntry: true }));
      const pos = await stopped;
      assert.strictEqual(pos.session.configuration.maxEvents, 40);
      assert.strictEqual(pos.recording?.length, 40);
      await vscode.debug.stopDebugging(pos.session);
    } finally {
      await config.update('maxEvents', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

async function until<T>(get: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
