// The stepper's commands: open/run, stepping (also bound to keys while the stepper or a linked
// kernel file is focused), go to event, run to this line, previous/next call of a function.
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { NEXT_CALL_COMMAND, PREVIOUS_CALL_COMMAND } from '../editor/codeLens';
import type { SourceLinks } from '../editor/sourceLinks';
import { SHOW_STEPPER_COMMAND } from '../editor/statusBar';
import { GO_TO_EVENT_COMMAND, RUN_SCENARIO_COMMAND, RUN_SCENARIO_WITH_PROFILE_COMMAND } from '../scenarios/scenarioLens';
import { shippedScenarios, workspaceScenarios } from '../scenarios/scenarioTree';
import { PROFILE_NAMES, type ProfileName } from '../../sim/types';
import type { StepperController } from './controller';
import { NAV_ACTIONS, type NavAction } from './protocol';
import { CROSS_CHECK_COMMAND, crossCheckTrace } from './crossCheck';

export const OPEN_SIMULATOR_COMMAND = 'tdpMmuSim.openSimulator';
export const RUN_TO_LINE_COMMAND = 'tdpMmuSim.runToLine';
export const OPEN_TRACE_COMMAND = 'tdpMmuSim.openTrace';

/** Command id of each navigation action: tdpMmuSim.stepForward, tdpMmuSim.nextHook, ... */
export const navCommand = (a: NavAction) => `tdpMmuSim.${a}`;

const isScenario = (uri: vscode.Uri | undefined): uri is vscode.Uri => !!uri && uri.scheme === 'file' && uri.fsPath.endsWith('.tdpsim.yaml');

/** A scenario from a command argument: a URI (CodeLens, explorer, tree view) or the active editor. */
function scenarioArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && 'file' in arg && typeof (arg as { file: unknown }).file === 'string') {
    return vscode.Uri.file((arg as { file: string }).file); // a ScenarioTree node
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  return isScenario(active) ? active : undefined;
}

async function pickScenario(services: ExtensionServices): Promise<vscode.Uri | undefined> {
  const shipped = shippedScenarios(services.context.extensionPath);
  const workspace = await workspaceScenarios(shipped);
  const item = (file: string, group: string) => ({ label: path.basename(file, '.tdpsim.yaml'), description: group, file });
  const picked = await vscode.window.showQuickPick(
    [...workspace.map((f) => item(f, vscode.workspace.asRelativePath(f))), ...shipped.map((f) => item(f, 'shipped'))],
    { title: 'TDP MMU: run which scenario?', matchOnDescription: true },
  );
  return picked && vscode.Uri.file(picked.file);
}

async function pickProfile(): Promise<ProfileName | undefined> {
  const picked = await vscode.window.showQuickPick(PROFILE_NAMES.map((p) => ({ label: p })), { title: 'TDP MMU: simulate on which kernel profile?' });
  return picked?.label as ProfileName | undefined;
}

export function registerStepperCommands(services: ExtensionServices, controller: StepperController, links: SourceLinks): vscode.Disposable[] {
  const run = (uri: vscode.Uri | undefined, profile?: ProfileName) => {
    if (!uri) {
      void vscode.window.showInformationMessage('TDP MMU: open a *.tdpsim.yaml scenario, or pick one in the TDP MMU Scenarios view.');
      return undefined;
    }
    return controller.open({ kind: 'scenario', path: uri.fsPath, ...(profile ? { profile } : {}) });
  };

  const seekTo = (seq: number | null, what: string) => {
    if (seq === null) vscode.window.setStatusBarMessage(`TDP MMU: ${what}`, 3000);
    else controller.seek(seq, 'editor');
  };

  return [
    vscode.commands.registerCommand(OPEN_SIMULATOR_COMMAND, async () => {
      if (controller.session) return controller.showPanel();
      const uri = scenarioArg(undefined) ?? (await pickScenario(services));
      if (uri) await run(uri);
    }),
    vscode.commands.registerCommand(OPEN_TRACE_COMMAND, async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({
        title: 'TDP MMU: open an ftrace / trace-cmd report of the KVM MMU tracepoints',
        canSelectMany: false,
        filters: { 'Trace text': ['txt', 'trace', 'log'], 'All files': ['*'] },
      }))?.[0];
      if (uri) await controller.open({ kind: 'trace', path: uri.fsPath });
    }),
    vscode.commands.registerCommand(CROSS_CHECK_COMMAND, () => crossCheckTrace(services, controller)),
    vscode.commands.registerCommand(SHOW_STEPPER_COMMAND, () => vscode.commands.executeCommand(OPEN_SIMULATOR_COMMAND)),
    vscode.commands.registerCommand(RUN_SCENARIO_COMMAND, (arg?: unknown, profile?: unknown) =>
      run(scenarioArg(arg), typeof profile === 'string' && (PROFILE_NAMES as readonly string[]).includes(profile) ? profile as ProfileName : undefined)),
    vscode.commands.registerCommand(RUN_SCENARIO_WITH_PROFILE_COMMAND, async (arg?: unknown) => {
      const uri = scenarioArg(arg);
      const profile = uri && (await pickProfile());
      if (profile) await run(uri, profile);
    }),
    ...NAV_ACTIONS.map((a) => vscode.commands.registerCommand(navCommand(a), () => controller.navigate(a))),
    vscode.commands.registerCommand(GO_TO_EVENT_COMMAND, async (arg?: unknown) => {
      const s = controller.session;
      if (!s) return controller.navigate('first'); // says there is no session
      let seq = typeof arg === 'number' ? arg : undefined;
      if (seq === undefined) {
        const text = await vscode.window.showInputBox({
          title: 'TDP MMU: go to event',
          prompt: `Event number, 0 to ${s.rec.length - 1}`,
          validateInput: (v) => (/^\s*#?\d+\s*$/.test(v) && Number(v.replace('#', '')) < s.rec.length ? undefined : `an event number from 0 to ${s.rec.length - 1}`),
        });
        if (text === undefined) return;
        seq = Number(text.replace('#', ''));
      }
      controller.seek(seq, 'command');
    }),
    vscode.commands.registerCommand(RUN_TO_LINE_COMMAND, (uri?: unknown) => {
      const s = controller.session;
      const editor = vscode.window.activeTextEditor;
      if (!s || !editor || (uri instanceof vscode.Uri && uri.toString() !== editor.document.uri.toString())) return;
      const line = editor.selection.active.line + 1;
      const anchors = links.anchorsAtLine(editor.document, line);
      if (anchors.length === 0) {
        void vscode.window.showInformationMessage(`TDP MMU: no simulated event is anchored at line ${line} of ${path.basename(editor.document.fileName)}.`);
        return;
      }
      seekTo(s.eventAt(anchors, 'forward'), `no later event at line ${line} (${anchors.join(', ')})`);
    }),
    vscode.commands.registerCommand(PREVIOUS_CALL_COMMAND, (fn: unknown) => {
      const s = controller.session;
      if (s && typeof fn === 'string') seekTo(s.callOf(fn, 'backward'), `no earlier call of ${fn}`);
    }),
    vscode.commands.registerCommand(NEXT_CALL_COMMAND, (fn: unknown) => {
      const s = controller.session;
      if (s && typeof fn === 'string') seekTo(s.callOf(fn, 'forward'), `no later call of ${fn}`);
    }),
  ];
}
