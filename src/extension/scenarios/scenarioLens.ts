// CodeLens on scenario files: "Run in TDP MMU Simulator" at the top; while that scenario is the
// current session, one lens per step to jump to its first event.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import type { StepperController } from '../stepper/controller';

export const RUN_SCENARIO_COMMAND = 'tdpMmuSim.runScenario';
export const RUN_SCENARIO_WITH_PROFILE_COMMAND = 'tdpMmuSim.runScenarioWithProfile';
export const GO_TO_EVENT_COMMAND = 'tdpMmuSim.goToEvent';

export class ScenarioLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly services: ExtensionServices, private readonly controller: StepperController) {
    this.subscriptions = [
      controller.onDidChangeSession(() => this.changed.fire()),
      services.settings.onDidChange(() => this.changed.fire()),
    ];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.services.settings.current.codeLensEnabled) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, { title: '▶ Run in TDP MMU Simulator', command: RUN_SCENARIO_COMMAND, arguments: [doc.uri], tooltip: 'Simulate this scenario and step through it' }),
      new vscode.CodeLens(top, { title: 'Run with profile…', command: RUN_SCENARIO_WITH_PROFILE_COMMAND, arguments: [doc.uri], tooltip: 'Simulate this scenario on another kernel profile' }),
    ];
    const s = this.controller.session;
    if (s && s.source.kind === 'scenario' && s.source.path === doc.uri.fsPath) {
      const steps = s.rec.steps;
      steps.forEach((step, i) => {
        if (!step.source || step.source.line > doc.lineCount) return;
        const next = i + 1 < steps.length ? steps[i + 1].firstSeq : s.rec.length;
        const range = new vscode.Range(step.source.line - 1, 0, step.source.line - 1, 0);
        lenses.push(new vscode.CodeLens(range, {
          title: `step ${step.index} (${step.op}): events #${step.firstSeq}–#${Math.max(step.firstSeq, next - 1)}`,
          command: GO_TO_EVENT_COMMAND,
          arguments: [step.firstSeq],
          tooltip: 'Go to the first event of this step',
        }));
      });
    }
    return lenses;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
