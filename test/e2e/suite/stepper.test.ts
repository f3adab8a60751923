// The stepper and editor linking against the real `vscode` API: running a shipped scenario,
// the stepper panel, stepping, the highlighted kernel line with its inline note, hovers,
// CodeLens, "Run to this line", and anchors the kernel tree lacks. The kernel tree is one of the
// fixture trees of test/fixtures/kernel/ (our own C, shaped like the kernel's).
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { StepperApi } from '../../../src/extension/stepper/index';

const ID = 'tdp-mmu-sim.tdp-mmu-sim';
/** The suite is bundled into <repo>/out/e2e/suite. */
const REPO = path.resolve(__dirname, '../../..');
const fixture = (profile: string) => path.join(REPO, 'test/fixtures/kernel', profile);
const TDP_MMU_C = 'arch/x86/kvm/mmu/tdp_mmu.c';

let stepper: StepperApi;
let scenarios: string;

async function setKernelTree(tree: string): Promise<void> {
  await vscode.workspace.getConfiguration('tdpMmuSim').update('kernelTree', tree, vscode.ConfigurationTarget.Global);
}

async function until<T>(what: string, get: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a scenario and waits until its anchors are resolved in the kernel tree (if any). */
async function runScenario(file: string, profile?: string): Promise<void> {
  await vscode.commands.executeCommand('tdpMmuSim.runScenario', vscode.Uri.file(file), ...(profile ? [profile] : []));
  const s = stepper.controller.session;
  if (s) await stepper.links.open(s.rec.profile);
}

function session() {
  const s = stepper.controller.session;
  assert.ok(s, 'no stepping session');
  return s;
}

/** Runs a navigation command until the current event satisfies `done`. */
async function stepUntil(command: string, done: () => boolean, max = 500): Promise<void> {
  for (let i = 0; i < max && !done(); i++) await vscode.commands.executeCommand(command);
  assert.ok(done(), `${command} never got there (at #${session().position})`);
}

function stepperTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('tdpMmuSim.stepper'));
}

/** Activates the extension and sets `stepper` and `scenarios` (each describe may run alone, --grep). */
async function useExtension(): Promise<void> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(ID)!;
  const api = await ext.activate();
  assert.ok(api.stepper, 'the extension API has no stepper');
  stepper = api.stepper;
  scenarios = path.join(ext.extensionPath, 'scenarios');
}

describe('stepper: a shipped scenario on the huge-page RFC fixture tree', function () {
  this.timeout(60_000);
  const tree = fixture('hugepage-rfc-v2');
  const tdpMmuC = path.join(tree, TDP_MMU_C);

  before(async () => {
    await useExtension();
    await setKernelTree(tree);
  });

  after(async () => {
    await setKernelTree('');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('"Run Scenario" simulates it and opens the stepper panel', async () => {
    await runScenario(path.join(scenarios, 'split-private-2m-rfc.tdpsim.yaml'));
    const s = session();
    assert.strictEqual(s.rec.profile, 'hugepage-rfc-v2');
    assert.ok(s.rec.length > 10, `only ${s.rec.length} events`);
    assert.strictEqual(s.position, 0);
    await until('the stepper tab', () => stepperTabs().length === 1);
  });

  it('running to the split_external_spt hook highlights the kvm_x86_ops call with the inline note', async () => {
    await stepUntil('tdpMmuSim.nextHook', () => session().rec.event(session().position).fn === 'split_external_spt');
    const s = session();
    assert.strictEqual(s.rec.event(s.position).kind, 'hook');
    const expected = stepper.links.found(s.rec.event(s.position).anchor!);
    assert.ok(expected, `anchor ${s.rec.event(s.position).anchor} not found in the fixture tree`);
    const t = await until('the highlighted line', () => stepper.currentLine.current);
    assert.strictEqual(t.file, tdpMmuC);
    assert.strictEqual(t.line, expected.startLine);
    assert.match(t.note, /^old 0x[0-9a-f]+\(leaf 2M\) → new 0x[0-9a-f]+\(non-leaf\) {2}split_external_spt → TDH\.MEM\.PAGE\.DEMOTE: TDX_SUCCESS$/);
    const editor = await until('tdp_mmu.c visible', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === tdpMmuC));
    assert.match(editor.document.lineAt(t.line - 1).text, /kvm_x86_call\(split_external_spt\)/);
    await until('the line scrolled into view', () => editor.visibleRanges.some((r) => r.contains(new vscode.Position(t.line - 1, 0))));
  });

  it('one step back: the call of split_external_spt() in tdp_mmu_set_spte(), same note, another line', async () => {
    const hook = stepper.currentLine.current!;
    await vscode.commands.executeCommand('tdpMmuSim.stepBack');
    const s = session();
    assert.deepStrictEqual([s.rec.event(s.position).kind, s.rec.event(s.position).fn], ['call', 'split_external_spt']);
    const t = await until('the highlight to move', () => stepper.currentLine.current?.line !== hook.line && stepper.currentLine.current);
    const doc = await vscode.workspace.openTextDocument(tdpMmuC);
    assert.match(doc.lineAt(t.line - 1).text, /split_external_spt\(kvm, gfn, old_spte, new_spte, level, false\)/);
    assert.strictEqual(t.note, hook.note);
  });

  it('hovers there show old_spte and level of the enclosing tdp_mmu_set_spte', async () => {
    const doc = await vscode.workspace.openTextDocument(tdpMmuC);
    const line = stepper.currentLine.current!.line - 1;
    const text = async (word: string) => {
      const col = doc.lineAt(line).text.indexOf(word);
      assert.ok(col > 0, `${word} is not on line ${line + 1}`);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, col + 1));
      return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    };
    const old = await text('old_spte');
    assert.match(old, /\*\*old_spte\*\* = `0x[0-9a-f]+` at event #\d+ \(tdp_mmu_set_spte\)/);
    assert.match(old, /leaf at 2M/);
    assert.match(await text('level'), /\*\*level\*\* = 2 \(PG_LEVEL_2M\)/);
    assert.match(await text('new_spte'), /non-leaf at 2M/);
  });

  it('CodeLens above tdp_mmu_set_spte counts its calls; "next call" moves there', async () => {
    const doc = await vscode.workspace.openTextDocument(tdpMmuC);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const s = session();
    const n = s.index.callsOf('tdp_mmu_set_spte').length;
    assert.ok(n > 0);
    const count = lenses.find((l) => l.command?.title === `tdp_mmu_set_spte: ran ${n} time${n === 1 ? '' : 's'}`);
    assert.ok(count, lenses.map((l) => l.command?.title).join(' | '));
    assert.match(doc.lineAt(count.range.start.line).text, /tdp_mmu_set_spte\(/);
    const next = lenses.find((l) => l.command?.title === 'next call ▶' && l.range.start.line === count.range.start.line)!;
    await vscode.commands.executeCommand('tdpMmuSim.first');
    await vscode.commands.executeCommand(next.command!.command, ...next.command!.arguments!);
    assert.strictEqual(s.rec.event(s.position).fn, 'tdp_mmu_set_spte');
    assert.strictEqual(s.position, s.index.callsOf('tdp_mmu_set_spte')[0]);
  });

  it('"Run to This Line" on the split_external_spt call seeks to the next event anchored there', async () => {
    const s = session();
    const loc = stepper.links.found('tdp_mmu_set_spte.split_external_spt')!;
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(tdpMmuC));
    editor.selection = new vscode.Selection(loc.startLine - 1, 4, loc.startLine - 1, 4);
    await vscode.commands.executeCommand('tdpMmuSim.first');
    await vscode.commands.executeCommand('tdpMmuSim.runToLine');
    assert.strictEqual(s.rec.event(s.position).anchor, 'tdp_mmu_set_spte.split_external_spt');
    assert.strictEqual(stepper.currentLine.current?.line, loc.startLine);
  });

  it('the panel survives being hidden: the session and position stay', async () => {
    const s = session();
    const at = s.position;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.strictEqual(stepperTabs().length, 0);
    await vscode.commands.executeCommand('tdpMmuSim.openSimulator');
    await until('the stepper tab again', () => stepperTabs().length === 1);
    assert.strictEqual(stepper.controller.session, s);
    assert.strictEqual(s.position, at);
  });
});

describe('stepper: anchors the kernel tree lacks are never placed elsewhere', function () {
  this.timeout(60_000);

  before(async () => setKernelTree(fixture('mainline')));
  after(async () => {
    await setKernelTree('');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('an RFC recording on a mainline tree: the split hook has no line, the status says absent', async () => {
    await runScenario(path.join(scenarios, 'split-private-2m-rfc.tdpsim.yaml'));
    await stepUntil('tdpMmuSim.nextHook', () => session().rec.event(session().position).fn === 'split_external_spt');
    const anchor = session().rec.event(session().position).anchor!;
    const where = stepper.controller.locate(anchor);
    assert.strictEqual(where.status, 'absent', JSON.stringify(where));
    assert.strictEqual(stepper.currentLine.current, undefined, 'an absent anchor must not be highlighted anywhere');
    const view = session().positionView(stepper.controller.locate);
    assert.strictEqual(view.location.status, 'absent');
  });

  it('"Run Scenario with Profile…" on mainline refuses the 2M fault with the file, line and reason', async () => {
    const before = stepper.controller.session;
    await vscode.commands.executeCommand('tdpMmuSim.runScenario', vscode.Uri.file(path.join(scenarios, 'split-private-2m-rfc.tdpsim.yaml')), 'mainline');
    assert.strictEqual(stepper.controller.session, before, 'a scenario that does not load must not replace the session');
  });
});

describe('stepper: without a kernel tree', function () {
  this.timeout(60_000);

  it('steps with symbolic locations and highlights nothing', async () => {
    await setKernelTree('');
    await runScenario(path.join(scenarios, 'private-4k-fault.tdpsim.yaml'));
    await stepUntil('tdpMmuSim.stepForward', () => session().rec.event(session().position).anchor !== null);
    const s = session();
    assert.strictEqual(s.positionView(stepper.controller.locate).location.status, 'symbolic');
    assert.strictEqual(stepper.currentLine.current, undefined);
    await vscode.commands.executeCommand('tdpMmuSim.stepForward');
    assert.ok(s.position > 0);
  });
});

/** "Open Trace…" on `file`, accepting the address-space QuickPick's first item (most events)
 *  once it is up: accepting before it shows does nothing, so keep trying, bounded. */
async function openTraceTakingFirstChoice(file: string): Promise<void> {
  const opening = vscode.commands.executeCommand('tdpMmuSim.openTrace', vscode.Uri.file(file));
  let done = false;
  void opening.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 60 && !done; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  await opening;
}

describe('stepper: trace replay', function () {
  this.timeout(60_000);
  before(useExtension);

  it('"Open Trace…" replays an ftrace file with its timestamps and CPUs', async () => {
    const file = path.join(REPO, 'test/fixtures/trace/td-conversion.trace-cmd.txt');
    await vscode.commands.executeCommand('tdpMmuSim.openTrace', vscode.Uri.file(file));
    const s = session();
    assert.deepStrictEqual(s.source, { kind: 'trace', path: file });
    const [row] = s.timeline.rows(0, 1);
    assert.match(row.time ?? '', /^\d+\.\d{6}$/);
    assert.strictEqual(row.cpu, 0);
    await until('the stepper tab', () => stepperTabs().length === 1);
  });

  it('a trace with an SMM address space asks which to step through, and keeps the choice', async () => {
    const file = path.join(REPO, 'test/fixtures/trace/vmx-smm.ftrace.txt');
    await openTraceTakingFirstChoice(file);
    assert.deepStrictEqual(session().source, { kind: 'trace', path: file, addressSpace: 'vm' }, 'the choice is part of the source a reload restores');
    // A source that names the address space (a restored panel) opens it without asking.
    const smm = await stepper.controller.open({ kind: 'trace', path: file, addressSpace: 'vm/as1' });
    assert.ok(smm, 'vm/as1 did not open');
    assert.deepStrictEqual([smm.rec.length, smm.rec.event(0).fn], [5, 'kvm_tdp_mmu_spte_changed']);
    const gone = await stepper.controller.open({ kind: 'trace', path: file, addressSpace: 'vm/as2' });
    assert.strictEqual(gone, undefined);
    assert.strictEqual(stepper.controller.session, smm, 'an address space the trace lacks must not replace the session');
  });

  it('with tdpMmuSim.trace.vmIdentity "tgid" a host trace of two VMs opens as two, and the user picks one', async () => {
    const config = vscode.workspace.getConfiguration('tdpMmuSim');
    await config.update('trace.vmIdentity', 'tgid', vscode.ConfigurationTarget.Global);
    try {
      await until('the setting', () => stepper.controller !== undefined && vscode.workspace.getConfiguration('tdpMmuSim').get('trace.vmIdentity') === 'tgid');
      const file = path.join(REPO, 'test/fixtures/trace/two-vms-tgid.ftrace.txt');
      await openTraceTakingFirstChoice(file);
      assert.deepStrictEqual(session().source, { kind: 'trace', path: file, addressSpace: 'tgid:3100' });
      assert.strictEqual(session().rec.length, 11);
    } finally {
      await config.update('trace.vmIdentity', undefined, vscode.ConfigurationTarget.Global);
    }
    // Restored with the setting back at "single": the chosen VM still opens.
    const again = await stepper.controller.open(session().source);
    assert.strictEqual(again?.rec.length, 11);
  });

  it('"Cross-check Trace with the Simulator" moves to the first change the model does not make, or says they agree', async () => {
    type Result = { steps: number; agreed: number; firstDisagreement: { changeLine: number | null; expected: string | null; actual: string | null } | null };
    const twoM = path.join(REPO, 'test/fixtures/trace/td-private-2m.ftrace.txt');
    await vscode.commands.executeCommand('tdpMmuSim.openTrace', vscode.Uri.file(twoM));
    const r = await vscode.commands.executeCommand<Result>('tdpMmuSim.crossCheckTrace');
    assert.ok(r?.firstDisagreement, 'a TD trace with a 2M private leaf must disagree with the mainline model');
    assert.deepStrictEqual([r.firstDisagreement.changeLine, r.firstDisagreement.expected, r.firstDisagreement.actual],
      [24, 'mirror level 2 gfn 0x200: non-present → non-leaf', 'mirror level 2 gfn 0x200: non-present → leaf']);
    const s = session();
    assert.strictEqual(s.rec.event(s.position).fn, 'kvm_tdp_mmu_spte_changed');
    assert.strictEqual((s.rec as unknown as { lineOf(seq: number): number }).lineOf(s.position), 24);

    await vscode.commands.executeCommand('tdpMmuSim.openTrace', vscode.Uri.file(path.join(REPO, 'test/fixtures/trace/vmx-dirty-log.ftrace.txt')));
    const ok = await vscode.commands.executeCommand<Result>('tdpMmuSim.crossCheckTrace');
    assert.deepStrictEqual([ok?.firstDisagreement, ok?.agreed], [null, ok?.steps]);
  });

  it('a file that is not a trace is refused and the session stays', async () => {
    const before = stepper.controller.session;
    await vscode.commands.executeCommand('tdpMmuSim.openTrace', vscode.Uri.file(path.join(REPO, 'test/fixtures/trace/not-a-trace.txt')));
    assert.strictEqual(stepper.controller.session, before);
  });
});

describe('stepper and debugger: one session, one position', function () {
  this.timeout(60_000);
  let api: ExtensionApi;

  before(async () => {
    await useExtension();
    api = await vscode.extensions.getExtension<ExtensionApi>(ID)!.activate();
    await setKernelTree(fixture('hugepage-rfc-v2'));
  });
  after(async () => {
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging(vscode.debug.activeDebugSession);
    await setKernelTree('');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a debug session stopping shows its recording in the stepper; moves go both ways', async () => {
    const started = await vscode.debug.startDebugging(undefined, {
      type: 'tdp-mmu-sim', request: 'launch', name: 'e2e: stepper bridge',
      scenario: path.join(scenarios, 'split-private-2m-rfc.tdpsim.yaml'), stopOnEntry: true,
    });
    assert.ok(started);
    // Launching runs the whole simulation first: allow for a loaded machine.
    const pos = await until('the debugger to stop on entry', () => api.debug.position(), 30_000);
    const s = await until('the stepper to adopt the recording', () => stepper.controller.session?.rec === pos.recording && stepper.controller.session);
    assert.strictEqual(s.position, pos.seq);

    // Stepper → debugger.
    await vscode.commands.executeCommand('tdpMmuSim.nextHook');
    const hook = s.position;
    assert.ok(hook > pos.seq);
    await until('the debugger to follow the stepper', () => api.debug.position()?.seq === hook);

    // Debugger → stepper.
    await vscode.commands.executeCommand('workbench.action.debug.stepInto');
    await until('the stepper to follow the debugger', () => api.debug.position()?.seq !== hook && s.position === api.debug.position()?.seq);
    assert.strictEqual(stepper.controller.session, s, 'still the same session');
  });
});
