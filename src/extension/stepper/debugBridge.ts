// One session, one position: when a tdp-mmu-sim debug session stops, the stepper shows the
// same recording at the same event; when the user moves in the stepper, the debugger follows
// (custom DAP event `tdpPosition` / request `tdpSeek`, src/debug/README.md).
import * as vscode from 'vscode';
import type { DebugPosition, TdpDebugSessions } from '../debug/sessions';
import type { StepperController } from './controller';
import { isScenarioFile } from '../../debug/inputs';

export function bridgeDebugger(controller: StepperController, debug: TdpDebugSessions, log: vscode.LogOutputChannel): vscode.Disposable {
  /** Seeks we asked for: their `goto` answers must not move us again. */
  const ourSeeks = new Set<number>();

  /** Is the stepper showing what this debug session debugs? */
  const same = (pos: DebugPosition): boolean => {
    const s = controller.session;
    if (!s) return false;
    if (pos.recording) return s.rec === pos.recording;
    return s.source.path === pos.scenario && s.rec.length === pos.length;
  };

  const onDebugPosition = async (pos: DebugPosition) => {
    if (pos.reason === 'goto' && ourSeeks.delete(pos.seq)) return;
    if (!same(pos)) {
      if (!pos.recording || !pos.scenario) return; // an adapter in another process: nothing to adopt
      // The launch attribute `scenario` names a scenario or an ftrace file, as the adapter decided.
      const kind = isScenarioFile(pos.scenario) ? 'scenario' : 'trace';
      controller.adopt(pos.recording, { kind, path: pos.scenario, profile: pos.recording.profile });
    }
    controller.seek(pos.seq, 'debug');
  };

  const subs = [
    debug.onDidChangePosition((pos) => { void onDebugPosition(pos); }),
    controller.onDidMove((e) => {
      if (e.origin === 'debug' || e.origin === 'restore') return;
      const pos = debug.position();
      if (!pos || !same(pos) || pos.seq === e.seq) return;
      ourSeeks.add(e.seq);
      debug.seek(e.seq, pos.session).catch((err) => {
        ourSeeks.delete(e.seq);
        log.warn(`stepper → debugger seek to #${e.seq}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }),
  ];
  return { dispose: () => subs.forEach((d) => d.dispose()) };
}
