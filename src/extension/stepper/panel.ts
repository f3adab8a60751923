// The stepper webview panel: builds its HTML (strict CSP with a nonce, resources only from the
// extension's dist/ and media/), validates every message it receives, and relays between the
// webview and the current StepperSession. Without retainContextWhenHidden the webview is
// destroyed when hidden: on coming back it says 'ready' and gets the whole picture again.
import * as vscode from 'vscode';
import type { Locate } from './positionView';
import type { HostMessage, WebviewMessage } from './protocol';
import { newNonce, stepperHtml } from './html';
import { MAX_ROWS_PER_REQUEST } from './protocol';
import type { StepperSession } from './session';
import { validateWebviewMessage } from './validate';

export const STEPPER_VIEW_TYPE = 'tdpMmuSim.stepper';

/** The folders a stepper webview may load from (localResourceRoots). */
export function stepperResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function stepperWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: stepperResourceRoots(extensionUri), retainContextWhenHidden: false };
}

/** What the panel needs of its owner (the StepperController): the current session and how to act. */
export interface StepperPanelOwner {
  readonly session: StepperSession | undefined;
  readonly onDidChangeSession: vscode.Event<unknown>;
  readonly locate: Locate;
  revealEvent(seq: number, frame?: number): void;
  panelClosed(panel: StepperPanel): void;
}

export class StepperPanel implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private sessionSub: { dispose(): void } | undefined;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly controller: StepperPanelOwner,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.options = stepperWebviewOptions(extensionUri);
    panel.webview.html = stepperHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'stepper.css')).toString(),
      nonce: newNonce(),
    });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      controller.onDidChangeSession(() => this.attach()),
    );
    this.attach();
  }

  get session(): StepperSession | undefined {
    return this.controller.session;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** Follow the controller's current session (a new scenario replaces the old one in place). */
  private attach(): void {
    this.sessionSub?.dispose();
    const s = this.session;
    this.panel.title = s ? `TDP MMU: ${s.title}` : 'TDP MMU Simulator';
    this.sessionSub = s?.onDidMove(() => this.postPosition());
    if (s) this.postInit();
  }

  private post(m: HostMessage): void {
    // A hidden webview does not exist and drops what it is sent; it asks for everything with
    // 'ready' when shown again.
    if (!this.disposed) void this.panel.webview.postMessage(m);
  }

  private postInit(): void {
    const s = this.session;
    if (!s) return;
    this.post({
      type: 'init',
      info: { name: s.title, profile: s.rec.profile, length: s.rec.length, source: s.source, isTrace: s.source.kind === 'trace' },
      filter: s.timeline.filter,
      filteredLength: s.timeline.length,
      position: s.positionView(this.controller.locate),
    });
  }

  /** Redraw after anchors were re-resolved (the locations changed, not the position). */
  refresh(): void {
    this.postPosition();
  }

  private postPosition(): void {
    const s = this.session;
    if (s) this.post({ type: 'position', position: s.positionView(this.controller.locate) });
  }

  private receive(raw: unknown): void {
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      this.log.warn(`stepper webview: rejected ${v.error}`);
      this.post({ type: 'error', message: `Rejected a webview message: ${v.error}` });
      return;
    }
    try {
      this.handle(v.value);
    } catch (e) {
      this.log.error(`stepper webview: ${v.value.type}: ${e instanceof Error ? e.stack : String(e)}`);
      this.post({ type: 'error', message: `${v.value.type} failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private handle(m: WebviewMessage): void {
    const s = this.session;
    if (m.type === 'ready') {
      if (s) this.postInit();
      return;
    }
    if (!s) {
      this.post({ type: 'error', message: 'No simulation is loaded: run a scenario first.' });
      return;
    }
    switch (m.type) {
      case 'navigate':
        if (!s.navigate(m.action, 'webview')) this.post({ type: 'error', message: nowhere(m.action) });
        break;
      case 'seek':
        if (m.seq >= s.rec.length) this.post({ type: 'error', message: `There is no event #${m.seq}: the recording has ${s.rec.length} events (#0 to #${s.rec.length - 1}).` });
        else s.seek(m.seq, 'webview');
        break;
      case 'seekRow':
        if (m.index < s.timeline.length) s.seek(s.timeline.seqAt(m.index), 'webview');
        break;
      case 'rows':
        this.post({ type: 'rows', start: m.start, total: s.timeline.length, rows: s.timeline.rows(m.start, Math.min(m.count, MAX_ROWS_PER_REQUEST)) });
        break;
      case 'filter': {
        const filterError = s.setFilter(m.filter);
        this.post({ type: 'filtered', filter: s.timeline.filter, filteredLength: s.timeline.length, filterError, position: s.positionView(this.controller.locate) });
        break;
      }
      case 'reveal':
        if (m.seq < s.rec.length) this.controller.revealEvent(m.seq, m.frame);
        break;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sessionSub?.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.panel.dispose();
    this.controller.panelClosed(this);
  }
}

function nowhere(action: string): string {
  switch (action) {
    case 'nextHook': return 'No later hook call.';
    case 'prevHook': return 'No earlier hook call.';
    case 'stepBack':
    case 'stepOverBack': return 'Already at the first event.';
    default: return 'Already at the last event.';
  }
}
