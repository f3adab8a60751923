// The status bar names the current event and where it is: `tdp_mmu.c:790`, or plainly that its
// anchor is absent from or ambiguous in this kernel tree, or symbolic without a tree.
import * as vscode from 'vscode';
import type { StepperController } from '../stepper/controller';
import type { SourceLinks } from './sourceLinks';

export const SHOW_STEPPER_COMMAND = 'tdpMmuSim.showStepper';

export class StepperStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('tdpMmuSim.position', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly controller: StepperController, private readonly links: SourceLinks) {
    this.item.name = 'TDP MMU Simulator position';
    this.item.command = SHOW_STEPPER_COMMAND;
    this.subscriptions = [
      this.item,
      controller.onDidMove(() => this.update()),
      controller.onDidChangeSession(() => this.update()),
      links.onDidChange(() => this.update()),
    ];
    this.update();
  }

  private update(): void {
    const s = this.controller.session;
    if (!s) {
      this.item.hide();
      return;
    }
    const ev = s.rec.event(s.position);
    const where = ev.anchor ? this.links.locate(ev.anchor) : undefined;
    const place = !where ? 'no anchor'
      : where.status === 'resolved' ? where.label
      : where.status === 'symbolic' ? 'symbolic location'
      : `anchor ${where.status}`;
    this.item.text = `$(debug-step-over) TDP MMU #${s.position} of ${s.rec.length} ${ev.fn} · ${place}`;
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${s.rec.name}** (${s.rec.profile}), event #${s.position}: \`${ev.fn}\`\n\n`);
    if (where) tip.appendText(where.label);
    tip.appendMarkdown('\n\nClick to show the stepper.');
    this.item.tooltip = tip;
    this.item.backgroundColor = where && (where.status === 'absent' || where.status === 'ambiguous')
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
