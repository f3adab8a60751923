// Owns the current stepping session and its webview panel: opens recordings (scenario runs and
// trace imports, with progress and cancel), restores a panel after a window reload (panel
// serializer), runs the stepping commands, and keeps the `tdpMmuSim.stepping` context key that
// enables them. Editor features follow it through onDidChangeSession / onDidMove.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import type { SourceLinks } from '../editor/sourceLinks';
import type { Recording } from '../../sim/types';
import type { Locate } from './positionView';
import { STEPPER_VIEW_TYPE, StepperPanel, stepperWebviewOptions } from './panel';
import type { NavAction, RecordingSource, TimelineFilter } from './protocol';
import type * as Recordings from './recordings';
import { StepperSession, type MoveEvent, type MoveOrigin } from './session';
import { validatePersistedState } from './validate';

export const STEPPING_CONTEXT = 'tdpMmuSim.stepping';
/** Set while the stepper shows a replayed trace (what "Cross-check Trace" needs). */
export const STEPPING_TRACE_CONTEXT = 'tdpMmuSim.steppingTrace';

export interface OpenOptions {
  seq?: number;
  filter?: TimelineFilter;
  /** A panel VS Code restored after a reload, to reuse instead of creating one. */
  panel?: vscode.WebviewPanel;
  /** Show the panel (default true). */
  show?: boolean;
}

export class StepperController implements vscode.Disposable {
  private current: StepperSession | undefined;
  private panel: StepperPanel | undefined;
  private moveSub: { dispose(): void } | undefined;
  private readonly sessionChanged = new vscode.EventEmitter<StepperSession | undefined>();
  private readonly moved = new vscode.EventEmitter<MoveEvent>();
  private readonly revealRequested = new vscode.EventEmitter<{ seq: number; frame?: number }>();
  private readonly subscriptions: vscode.Disposable[] = [];

  readonly onDidChangeSession = this.sessionChanged.event;
  /** Moves of whichever session is current. */
  readonly onDidMove = this.moved.event;
  /** Someone asked to see an event's source line (webview stack frame, Enter in the timeline). */
  readonly onDidRequestReveal = this.revealRequested.event;

  constructor(private readonly services: ExtensionServices, private readonly links: SourceLinks) {
    this.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(STEPPER_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, state) => this.restore(panel, state),
      }),
      // Re-resolved anchors (tree opened, buffer edited) change what the stepper shows.
      links.onDidChange(() => this.refresh()),
    );
  }

  get session(): StepperSession | undefined {
    return this.current;
  }

  readonly locate: Locate = (anchor) => this.links.locate(anchor);

  /** Runs a scenario (or imports a trace) and makes it the current session. */
  async open(source: RecordingSource, opts: OpenOptions = {}): Promise<StepperSession | undefined> {
    // Loaded on first use: the simulator and the scenario loader are not needed to activate.
    const { loadRecording, RecordingLoadError } = require('./recordings') as typeof Recordings;
    const what = source.kind === 'trace' ? 'Importing trace' : 'Simulating';
    // A trace does not say which kernel generation wrote it: with tdpMmuSim.profile `auto`,
    // the linked tree's (a scenario names its own).
    if (source.kind === 'trace' && !source.profile && this.services.settings.current.profile === 'auto') {
      const detected = await this.links.detectedProfile();
      if (detected) source = { ...source, profile: detected };
    }
    let loaded;
    try {
      loaded = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `TDP MMU: ${what} ${vscode.workspace.asRelativePath(source.path)}`, cancellable: true },
        (progress, token) => loadRecording(source, {
          settings: this.services.settings.current,
          token,
          progress: (message, fraction) => progress.report({ message, increment: fraction === undefined ? undefined : fraction * 100 }),
          log: (message) => this.services.log.info(message),
        }),
      );
    } catch (e) {
      if (e instanceof vscode.CancellationError) return undefined;
      const message = e instanceof RecordingLoadError ? e.message : `${source.path}: ${e instanceof Error ? e.message : String(e)}`;
      this.services.log.error(`open ${source.kind}: ${e instanceof Error && !(e instanceof RecordingLoadError) ? e.stack : message}`);
      void vscode.window.showErrorMessage(`TDP MMU: ${message}`, 'Open File').then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(source.path));
      });
      opts.panel?.dispose();
      return undefined;
    }
    const session = new StepperSession(loaded.recording, loaded.source, loaded.vm, loaded.replay);
    if (opts.filter) session.setFilter(opts.filter);
    if (opts.seq !== undefined) session.seek(opts.seq, 'restore');
    // Linking parses the kernel tree (seconds on a first run): the stepper shows at once with
    // symbolic locations, and redraws when the lines are known (links.onDidChange).
    void this.links.open(loaded.recording.profile);
    this.setSession(session);
    if (opts.show !== false || opts.panel) this.showPanel(opts.panel);
    this.services.log.info(`stepping ${source.kind} ${source.path}: ${loaded.recording.length} events, profile ${loaded.recording.profile}`);
    return session;
  }

  /** Shows a recording made elsewhere (an inline debug session's) as the current session. */
  adopt(recording: Recording, source: RecordingSource): StepperSession {
    const { vmOf } = require('./recordings') as typeof Recordings;
    const session = new StepperSession(recording, source, vmOf(source, recording));
    void this.links.open(recording.profile);
    this.setSession(session);
    return session;
  }

  private setSession(session: StepperSession | undefined): void {
    this.moveSub?.dispose();
    this.current = session;
    this.moveSub = session?.onDidMove((e) => this.moved.fire(e));
    void vscode.commands.executeCommand('setContext', STEPPING_CONTEXT, session !== undefined);
    void vscode.commands.executeCommand('setContext', STEPPING_TRACE_CONTEXT, session?.replay !== undefined);
    this.sessionChanged.fire(session);
  }

  /** Shows the stepper panel for the current session (reusing an open one). */
  showPanel(restored?: vscode.WebviewPanel): void {
    if (this.panel && !restored) {
      this.panel.reveal();
      return;
    }
    this.panel?.dispose();
    const panel = restored ?? vscode.window.createWebviewPanel(STEPPER_VIEW_TYPE, 'TDP MMU Simulator',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      stepperWebviewOptions(this.services.context.extensionUri));
    this.panel = new StepperPanel(panel, this, this.services.context.extensionUri, this.services.log);
  }

  /** The editor group the stepper panel is in, if it is open. */
  get panelColumn(): vscode.ViewColumn | undefined {
    return this.panel?.panel.viewColumn;
  }

  /** Called by the panel when the user closes it. The session stays: editor features keep it. */
  panelClosed(p: StepperPanel): void {
    if (this.panel === p) this.panel = undefined;
  }

  /** After a window reload VS Code hands back the panel with what the webview saved. */
  private async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const v = validatePersistedState(state);
    if (!v.ok) {
      this.services.log.warn(`stepper: not restoring a panel: ${v.error}`);
      panel.dispose();
      return;
    }
    await this.open(v.value.source, { seq: v.value.seq, filter: v.value.filter, panel });
  }

  navigate(action: NavAction, origin: MoveOrigin = 'command'): void {
    const s = this.current;
    if (!s) {
      void vscode.window.showInformationMessage('TDP MMU: no simulation is running. Run a scenario first (TDP MMU: Open Simulator).');
      return;
    }
    if (!s.navigate(action, origin)) vscode.window.setStatusBarMessage('TDP MMU: nowhere to go', 2000);
  }

  seek(seq: number, origin: MoveOrigin): boolean {
    return this.current?.seek(seq, origin) ?? false;
  }

  /** Show where an event (or, with `frame`, one frame of its call stack) is in the source. */
  revealEvent(seq: number, frame?: number): void {
    this.revealRequested.fire({ seq, frame });
  }

  /** Anchors resolved differently: redraw the panel (locations) and listeners (decorations). */
  private refresh(): void {
    const s = this.current;
    if (s) this.moved.fire({ seq: s.position, previous: s.position, origin: 'restore' });
    if (s && this.panel) this.panel.refresh();
  }

  dispose(): void {
    this.panel?.dispose();
    this.moveSub?.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.sessionChanged.dispose();
    this.moved.dispose();
    this.revealRequested.dispose();
  }
}
