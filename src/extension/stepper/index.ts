// Registers the stepper and everything that follows it: the webview panel (and its serializer),
// the editor decorations, hovers and CodeLens in linked kernel files, the status bar, the
// scenario view and CodeLens, and the commands. Nothing heavy happens here: the simulator runs
// and the kernel tree is parsed only when a scenario is run.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { FunctionCallLenses } from '../editor/codeLens';
import { CurrentLine } from '../editor/currentLine';
import { SimulatedValueHovers } from '../editor/hovers';
import { SourceLinks } from '../editor/sourceLinks';
import { StepperStatusBar } from '../editor/statusBar';
import { ScenarioLenses } from '../scenarios/scenarioLens';
import { SCENARIOS_VIEW, ScenarioTree } from '../scenarios/scenarioTree';
import type { TdpDebugSessions } from '../debug/sessions';
import { registerStepperCommands } from './commands';
import { StepperController } from './controller';
import { bridgeDebugger } from './debugBridge';

/** What the extension-host tests reach through the extension's API. */
export interface StepperApi {
  controller: StepperController;
  links: SourceLinks;
  currentLine: CurrentLine;
}

const C_FILES: vscode.DocumentSelector = [{ scheme: 'file', language: 'c' }];
const SCENARIO_FILES: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.tdpsim.yaml' }];

export function registerStepper(services: ExtensionServices, debug: TdpDebugSessions): StepperApi {
  const links = new SourceLinks(services);
  const controller = new StepperController(services, links);
  const currentLine = new CurrentLine(services, controller, links);
  const fnLenses = new FunctionCallLenses(services, controller, links);
  const scenarioLenses = new ScenarioLenses(services, controller);
  const tree = new ScenarioTree(services);
  services.context.subscriptions.push(
    links, controller, currentLine, fnLenses, scenarioLenses, tree,
    new StepperStatusBar(controller, links),
    // The stepper and a tdp-mmu-sim debug session share one position.
    bridgeDebugger(controller, debug, services.log),
    vscode.languages.registerHoverProvider(C_FILES, new SimulatedValueHovers(services, controller, links)),
    vscode.languages.registerCodeLensProvider(C_FILES, fnLenses),
    vscode.languages.registerCodeLensProvider(SCENARIO_FILES, scenarioLenses),
    vscode.window.createTreeView(SCENARIOS_VIEW, { treeDataProvider: tree }),
    vscode.commands.registerCommand('tdpMmuSim.refreshScenarios', () => tree.refresh()),
    ...registerStepperCommands(services, controller, links),
  );
  return { controller, links, currentLine };
}
