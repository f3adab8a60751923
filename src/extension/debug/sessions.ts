// The live tdp-mmu-sim debug sessions, for the stepper bridge: which recording each one debugs,
// where it is stopped, and a way to move it. Inline adapters are tracked directly (same
// Recording object as the adapter); any session, inline or not, also reports positions through
// the custom DAP event `tdpPosition` and accepts the custom request `tdpSeek` (src/debug/README.md).
import * as vscode from 'vscode';
import type { Recording } from '../../sim/types';
import { TDP_POSITION_EVENT, TDP_SEEK_REQUEST, type TdpPositionBody, type TdpSeekResponseBody } from '../../debug/bridge';
import type { TdpDebugSession } from '../../debug/session';

export const DEBUG_TYPE = 'tdp-mmu-sim';

export interface DebugPosition {
  session: vscode.DebugSession;
  /** The adapter's recording when it runs inline in this extension host (undefined otherwise). */
  recording: Recording | undefined;
  /** The launch attribute `scenario`, resolved: the file being debugged. */
  scenario: string | undefined;
  seq: number;
  length: number;
  /** Why the debugger stopped there: 'breakpoint', 'step', 'goto' (after a seek), ... */
  reason: string;
}

export class TdpDebugSessions implements vscode.Disposable {
  private readonly adapters = new Map<string, TdpDebugSession>();
  private readonly positions = new Map<string, DebugPosition>();
  private readonly changed = new vscode.EventEmitter<DebugPosition>();
  private readonly ended = new vscode.EventEmitter<vscode.DebugSession>();
  private readonly subscriptions: vscode.Disposable[];

  /** Fires whenever a tdp-mmu-sim debug session stops at an event. */
  readonly onDidChangePosition = this.changed.event;
  /** Fires when a tdp-mmu-sim debug session ends. */
  readonly onDidEndSession = this.ended.event;

  constructor() {
    this.subscriptions = [
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== TDP_POSITION_EVENT) return;
        const body = e.body as Partial<TdpPositionBody> | undefined;
        if (typeof body?.seq !== 'number' || typeof body.length !== 'number') return;
        const pos: DebugPosition = {
          session: e.session,
          recording: this.adapters.get(e.session.id)?.recording,
          scenario: typeof e.session.configuration.scenario === 'string' ? e.session.configuration.scenario : undefined,
          seq: body.seq, length: body.length, reason: String(body.reason ?? ''),
        };
        this.positions.set(e.session.id, pos);
        this.changed.fire(pos);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.type !== DEBUG_TYPE) return;
        this.adapters.delete(s.id);
        this.positions.delete(s.id);
        this.ended.fire(s);
      }),
    ];
  }

  /** Called by the adapter factory for each inline adapter it creates. */
  track(session: vscode.DebugSession, adapter: TdpDebugSession): void {
    this.adapters.set(session.id, adapter);
  }

  /** The last position of a session (default: the active debug session). */
  position(session = vscode.debug.activeDebugSession): DebugPosition | undefined {
    return session ? this.positions.get(session.id) : undefined;
  }

  /** Move a stopped (or running) session to event `seq`; it stops there with reason 'goto'. */
  async seek(seq: number, session = vscode.debug.activeDebugSession): Promise<number> {
    if (!session || session.type !== DEBUG_TYPE) throw new Error('no TDP MMU Simulator debug session is active');
    const r = await session.customRequest(TDP_SEEK_REQUEST, { seq }) as TdpSeekResponseBody;
    return r.seq;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
    this.ended.dispose();
  }
}
