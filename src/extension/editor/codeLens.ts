// CodeLens above each modelled function of the linked tdp_mmu.c / tdx.c: how many times it ran
// in the current simulation, with "previous call" / "next call" relative to the current event.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import type { StepperController } from '../stepper/controller';
import type { SourceLinks } from './sourceLinks';

export const PREVIOUS_CALL_COMMAND = 'tdpMmuSim.previousCall';
export const NEXT_CALL_COMMAND = 'tdpMmuSim.nextCall';

export class FunctionCallLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly services: ExtensionServices,
    private readonly controller: StepperController,
    private readonly links: SourceLinks,
  ) {
    this.subscriptions = [
      controller.onDidChangeSession(() => this.changed.fire()),
      links.onDidChange(() => this.changed.fire()),
      services.settings.onDidChange(() => this.changed.fire()),
    ];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const s = this.controller.session;
    const kf = this.links.kernelFileOf(doc);
    if (!s || !kf || !this.services.settings.current.codeLensEnabled) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const a of this.links.anchorsOf(kf)) {
      if (a.pattern.kind !== 'function') continue;
      const loc = this.links.found(a.id);
      if (!loc || loc.startLine > doc.lineCount) continue;
      const range = new vscode.Range(loc.startLine - 1, 0, loc.startLine - 1, 0);
      const n = s.index.callsOf(a.fn).length;
      const title = n === 0 ? `${a.fn}: not called in this simulation` : `${a.fn}: ran ${n} time${n === 1 ? '' : 's'}`;
      lenses.push(new vscode.CodeLens(range, { title, command: '', tooltip: a.title }));
      if (n > 0) {
        lenses.push(
          new vscode.CodeLens(range, { title: '◀ previous call', command: PREVIOUS_CALL_COMMAND, arguments: [a.fn], tooltip: `Go to the call of ${a.fn} before the current event` }),
          new vscode.CodeLens(range, { title: 'next call ▶', command: NEXT_CALL_COMMAND, arguments: [a.fn], tooltip: `Go to the call of ${a.fn} after the current event` }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
