// The two custom DAP messages that keep the stepper webview and a debug session on one position
// (src/debug/README.md). Kept apart from session.ts so the extension can use them at activation
// without loading the adapter.

/** Event, adapter → client, after every stop (and after a tdpSeek). */
export const TDP_POSITION_EVENT = 'tdpPosition';
/** Request, client → adapter: move to an event; the adapter answers { seq } and stops there. */
export const TDP_SEEK_REQUEST = 'tdpSeek';

export interface TdpPositionBody {
  /** Event seq the session is stopped at (0-based, as in Recording.event). */
  seq: number;
  /** Number of events in the recording. */
  length: number;
  /** The stop reason: 'entry', 'step', 'breakpoint', 'function breakpoint', 'data breakpoint',
   *  'exception', 'pause', 'goto' (after tdpSeek), 'end', 'start'. */
  reason: string;
  /** Recording.name */
  recording: string;
}

export interface TdpSeekArguments { seq: number }
export interface TdpSeekResponseBody { seq: number }
