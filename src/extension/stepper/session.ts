// A stepping session: one recording, one current position, one timeline filter. The webview
// panel, the editor decorations, hovers, CodeLens, the status bar and (through the bridge in
// src/extension/stepper/debugBridge.ts) a debug session all follow the same StepperSession.
// Pure: moves come from src/sim/navigate.ts, listeners are plain callbacks.
import type { Recording } from '../../sim/types';
import type { VmReplay } from '../../trace';
import * as nav from '../../sim/navigate';
import type { VmKind } from './format';
import { buildPositionView, type Locate } from './positionView';
import type { NavAction, PositionView, RecordingSource, TimelineFilter } from './protocol';
import { lowerBound, RecordingIndex } from './recordingIndex';
import { Timeline } from './timeline';

/** Who moved the position, so a listener can avoid echoing a move back to where it came from. */
export type MoveOrigin = 'webview' | 'command' | 'editor' | 'debug' | 'restore';

export interface MoveEvent {
  seq: number;
  previous: number;
  origin: MoveOrigin;
}

export interface Disposable { dispose(): void }

export class StepperSession {
  readonly index: RecordingIndex;
  readonly timeline: Timeline;
  private seq = 0;
  private readonly listeners = new Set<(e: MoveEvent) => void>();

  /** `replay`: for a trace, its replayed address space (findings, plan; what a cross-check reads). */
  constructor(readonly rec: Recording, readonly source: RecordingSource, readonly vm: VmKind, readonly replay?: VmReplay) {
    if (rec.length === 0) throw new Error(`${source.path}: the recording has no events to step through`);
    this.index = new RecordingIndex(rec);
    this.timeline = new Timeline(rec, this.index, vm);
  }

  get position(): number {
    return this.seq;
  }

  /** What the panel and its header call the recording: a what-if variant says which decisions
   *  differ from its profile (a trace's address space is already in its name). */
  get title(): string {
    const w = this.source.kind === 'scenario' ? this.source.whatIf : undefined;
    if (!w) return this.rec.name;
    const changed = Object.entries(w.switches).map(([k, v]) => `${k}=${String(v)}`);
    return `${this.rec.name} (what-if${changed.length ? `: ${changed.join(', ')}` : ''})`;
  }

  /** Move to `seq` (clamped into the recording). Returns whether the position changed. */
  seek(seq: number, origin: MoveOrigin): boolean {
    const to = nav.seek(this.rec, seq);
    if (to === null || to === this.seq) return false;
    const previous = this.seq;
    this.seq = to;
    for (const l of [...this.listeners]) l({ seq: to, previous, origin });
    return true;
  }

  /** Where an action would move from the current position (null: nowhere to go). */
  target(action: NavAction): number | null {
    const { rec, seq } = this;
    switch (action) {
      // Forward/back walk the timeline as filtered: what the user sees is what they step through.
      case 'stepForward': return this.timeline.next(seq);
      case 'stepBack': return this.timeline.prev(seq);
      case 'stepInto': return nav.step(rec, seq, 'forward');
      case 'stepOver': return nav.stepOver(rec, seq, 'forward');
      case 'stepOverBack': return nav.stepOver(rec, seq, 'backward');
      case 'stepOut': return nav.stepOut(rec, seq, 'forward');
      case 'nextHook': return nav.runTo(rec, seq, nav.isHookCall, 'forward');
      case 'prevHook': return nav.runTo(rec, seq, nav.isHookCall, 'backward');
      case 'first': return 0;
      case 'last': return rec.length - 1;
    }
  }

  navigate(action: NavAction, origin: MoveOrigin): boolean {
    const to = this.target(action);
    return to !== null && this.seek(to, origin);
  }

  /** The previous (or next) call of a kernel function relative to the current position. */
  callOf(fn: string, dir: nav.Direction): number | null {
    return this.adjacent(this.index.callsOf(fn), dir);
  }

  /** The next (or previous) event anchored at any of `anchors` (for "Run to this line"). */
  eventAt(anchors: readonly string[], dir: nav.Direction): number | null {
    let best: number | null = null;
    for (const a of anchors) {
      const s = this.adjacent(this.index.eventsAt(a), dir);
      if (s !== null && (best === null || (dir === 'forward' ? s < best : s > best))) best = s;
    }
    return best;
  }

  /** The first of the sorted `seqs` after the position, or the last one before it. */
  private adjacent(seqs: Int32Array, dir: nav.Direction): number | null {
    if (dir === 'forward') {
      const i = lowerBound(seqs, this.seq + 1);
      return i < seqs.length ? seqs[i] : null;
    }
    const i = lowerBound(seqs, this.seq) - 1;
    return i >= 0 ? seqs[i] : null;
  }

  setFilter(filter: TimelineFilter): string | null {
    return this.timeline.setFilter(filter);
  }

  positionView(locate: Locate): PositionView {
    return buildPositionView({ rec: this.rec, index: this.index, timeline: this.timeline, vm: this.vm, locate }, this.seq);
  }

  onDidMove(listener: (e: MoveEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
