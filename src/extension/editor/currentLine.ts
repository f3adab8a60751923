// The editor follows the stepper: the current event's anchored line in the user's tdp_mmu.c (or
// tdx.c) is revealed and highlighted, with an inline note of what happened there. An anchor the
// linker cannot place is not drawn anywhere (the status bar and the webview say why).
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { framesOf } from '../../debug/frames';
import { noTreeLocator } from '../../debug/locator';
import type { StepperController } from '../stepper/controller';
import type { MoveEvent } from '../stepper/session';
import { decorationText } from './eventText';
import type { SourceLinks } from './sourceLinks';

interface Target {
  file: string;
  /** 1-based. */
  line: number;
  note: string;
}

export class CurrentLine implements vscode.Disposable {
  private readonly line = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  private readonly note = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorInlayHint.foreground'), fontStyle: 'italic' },
  });
  private target: Target | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly services: ExtensionServices,
    private readonly controller: StepperController,
    private readonly links: SourceLinks,
  ) {
    this.subscriptions.push(
      this.line, this.note,
      controller.onDidMove((e) => void this.update(e)),
      controller.onDidChangeSession(() => void this.update(undefined)),
      controller.onDidRequestReveal((r) => void this.revealFrame(r.seq, r.frame)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.paint()),
      services.settings.onDidChange(() => void this.update(undefined)),
    );
  }

  /** The line highlighted now, for the extension-host tests and the status bar. */
  get current(): Target | undefined {
    return this.target;
  }

  private async update(move: MoveEvent | undefined): Promise<void> {
    const s = this.controller.session;
    const enabled = this.services.settings.current.highlightEnabled;
    const ev = s?.rec.event(s.position);
    const loc = enabled && ev?.anchor ? this.links.found(ev.anchor) : undefined;
    this.target = s && loc ? { file: loc.file, line: loc.startLine, note: decorationText(s.rec, s.position, s.vm) } : undefined;
    // The debugger shows its own line; everything else brings the source into view.
    if (this.target && move && move.origin !== 'debug' && move.origin !== 'restore') await this.show(this.target.file, this.target.line);
    this.paint();
  }

  /** Opens a file at a line beside the stepper, keeping the keyboard focus where it is. */
  private async show(file: string, line: number): Promise<void> {
    const uri = vscode.Uri.file(file);
    const range = new vscode.Range(line - 1, 0, line - 1, 0);
    let editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === uri.fsPath);
    if (!editor) {
      // Never in the stepper's own editor group: the source would hide the stepper.
      const stepper = this.controller.panelColumn;
      const column = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined && e.viewColumn !== stepper)?.viewColumn
        ?? (stepper === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
      try {
        editor = await vscode.window.showTextDocument(uri, { viewColumn: column, preserveFocus: true, preview: true });
      } catch (e) {
        this.services.log.warn(`cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private paint(): void {
    const t = this.target;
    for (const editor of vscode.window.visibleTextEditors) {
      if (!t || editor.document.uri.scheme !== 'file' || editor.document.uri.fsPath !== vscode.Uri.file(t.file).fsPath || t.line > editor.document.lineCount) {
        editor.setDecorations(this.line, []);
        editor.setDecorations(this.note, []);
        continue;
      }
      const range = editor.document.lineAt(t.line - 1).range;
      editor.setDecorations(this.line, [range]);
      editor.setDecorations(this.note, [{ range, renderOptions: { after: { contentText: t.note } } }]);
    }
  }

  /** Shows where an event (or a frame of its stack) is; says why when it has no line. */
  private async revealFrame(seq: number, frame: number | undefined): Promise<void> {
    const s = this.controller.session;
    if (!s || seq >= s.rec.length) return;
    let anchor: string | undefined;
    let fileLine: { file: string; line: number } | undefined;
    if (frame === undefined) {
      anchor = s.rec.event(seq).anchor ?? undefined;
    } else {
      const f = framesOf(s.rec, seq, noTreeLocator())[frame];
      if (!f) return;
      anchor = f.anchor?.id;
      if (!anchor && f.source.kind === 'file') fileLine = { file: f.source.path, line: f.source.line };
    }
    if (anchor) {
      const loc = this.links.found(anchor);
      if (loc) fileLine = { file: loc.file, line: loc.startLine };
      else {
        const where = this.links.locate(anchor);
        const why = where.status === 'symbolic' ? `no kernel tree is linked (tdpMmuSim.kernelTree), so ${where.label} has no line` : where.label;
        void vscode.window.showInformationMessage(`TDP MMU: ${why}.`);
        return;
      }
    }
    if (fileLine) await this.show(fileLine.file, fileLine.line);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
