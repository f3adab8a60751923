// Hovers in the linked kernel files: the simulated value of old_spte, new_spte, level, gfn,
// sptep, ... at the current event, taken from the frame of the function the pointer is in; and
// for hook and kernel function names, how often they ran.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { ancestry } from '../../debug/frames';
import type { StepperController } from '../stepper/controller';
import { callCountText, hoverText } from './eventText';
import type { SourceLinks } from './sourceLinks';

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/;

export class SimulatedValueHovers implements vscode.HoverProvider {
  constructor(
    private readonly services: ExtensionServices,
    private readonly controller: StepperController,
    private readonly links: SourceLinks,
  ) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const s = this.controller.session;
    if (!s || !this.services.settings.current.hoverEnabled || !this.links.kernelFileOf(doc)) return undefined;
    const range = doc.getWordRangeAtPosition(pos, IDENTIFIER);
    if (!range) return undefined;
    const word = doc.getText(range);
    // Values are only meaningful in a function that is on the current call stack.
    const fn = this.links.functionAt(doc, pos.line + 1);
    const frame = fn ? ancestry(s.rec, s.position).find((e) => e.fn === fn) : undefined;
    const text = frame
      ? hoverText(s.rec, s.index, frame, s.position, word, s.vm)
      : callCountText(s.rec, s.index, s.position, word);
    if (!text) return undefined;
    const md = new vscode.MarkdownString(`${text}\n\n_TDP MMU simulator, event #${s.position}_`);
    return new vscode.Hover(md, range);
  }
}
