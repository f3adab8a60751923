// "TDP MMU: Cross-check Trace with the Simulator": runs the trace's inputs (faults, splits, zaps)
// through the model of the session's profile (src/trace/crosscheck.ts) and moves the stepper to
// the first trace event where the real kernel and the model disagree.
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import type * as TraceApi from '../../trace';
import type { CrossCheckResult } from '../../trace';
import type { StepperController } from './controller';

export const CROSS_CHECK_COMMAND = 'tdpMmuSim.crossCheckTrace';

/** Cross-checks the stepper's trace; the result (undefined without a trace session) is for tests. */
export async function crossCheckTrace(services: ExtensionServices, controller: StepperController): Promise<CrossCheckResult | undefined> {
  const s = controller.session;
  if (!s?.replay) {
    void vscode.window.showInformationMessage('TDP MMU: a cross-check needs a trace in the stepper: open one with "TDP MMU: Open Trace…".');
    return undefined;
  }
  const { crossCheckReplay, formatCrossCheck } = require('../../trace') as typeof TraceApi;
  const replay = s.replay;
  const profile = s.rec.profile;
  const file = s.source.path;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `TDP MMU: Cross-checking ${path.basename(file)} with the ${profile} model` },
    async () => crossCheckReplay(replay, profile),
  );
  for (const line of formatCrossCheck([result], file).trimEnd().split('\n')) services.log.info(line);
  const d = result.firstDisagreement;
  if (!d) {
    const note = result.notes.length ? ` (${result.notes.join('; ')})` : '';
    void vscode.window.showInformationMessage(`TDP MMU: the ${profile} model replays all ${result.steps} inputs of ${path.basename(file)} as the trace shows${note}.`);
    return result;
  }
  // The session may have changed while the model ran.
  if (controller.session === s) controller.seek(d.traceSeq, 'command');
  void vscode.window.showWarningMessage(
    `TDP MMU: ${path.basename(file)}:${d.changeLine ?? d.line}: the ${profile} model disagrees in input ${d.step + 1} (${d.op}): ` +
    `the model does ${d.expected ?? 'nothing more'}, the trace shows ${d.actual ?? 'nothing more'}.`,
    'Show Log',
  ).then((choice) => { if (choice) services.log.show(); });
  return result;
}
