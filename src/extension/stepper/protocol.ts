// The messages between the extension host and the stepper webview (webview/main.ts).
// Everything here is JSON: SPTEs and GFNs travel as hex strings because postMessage cannot
// carry bigint. Pure types and constants, imported by both sides; never import `vscode` here.
import type { LockMode, ProfileName } from '../../sim/types';
import type { ProfileSwitches } from '../../sim/profiles';

/** Timeline filter categories, in the order the webview shows them. */
export const FILTER_CATEGORIES = ['set_spte', 'hook', 'seamcall', 'kvm_bug', 'invariant', 'other'] as const;
export type FilterCategory = (typeof FILTER_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<FilterCategory, string> = {
  set_spte: 'tdp_mmu_set_spte*',
  hook: 'hooks',
  seamcall: 'SEAMCALLs',
  kvm_bug: 'KVM_BUG_ON',
  invariant: 'invariants',
  other: 'other',
};

export interface TimelineFilter {
  categories: FilterCategory[];
  /** GFN search as the user typed it ('' = none); parsed by the host, which reports errors. */
  gfn: string;
}

/** Navigation actions a webview button, key or command can ask for. */
export const NAV_ACTIONS = [
  'stepForward', 'stepBack', 'stepOver', 'stepOverBack', 'stepInto', 'stepOut',
  'nextHook', 'prevHook', 'first', 'last',
] as const;
export type NavAction = (typeof NAV_ACTIONS)[number];

/** Most timeline rows a webview may ask for at once (a screenful is ~50). */
export const MAX_ROWS_PER_REQUEST = 500;
/** Longest GFN search text accepted. */
export const MAX_GFN_QUERY = 40;

// ---- webview → host -------------------------------------------------------------------------

export type WebviewMessage =
  /** The webview script has loaded and wants the current state. */
  | { type: 'ready' }
  | { type: 'navigate'; action: NavAction }
  /** Jump to any event. */
  | { type: 'seek'; seq: number }
  /** Jump to the event shown at this index of the filtered timeline (keyboard paging). */
  | { type: 'seekRow'; index: number }
  /** Rows [start, start+count) of the filtered timeline. */
  | { type: 'rows'; start: number; count: number }
  | { type: 'filter'; filter: TimelineFilter }
  /** Show in the editor where event `seq` is anchored or, with `frame`, where that frame
   *  (0 = innermost) of its call stack is. */
  | { type: 'reveal'; seq: number; frame?: number };

// ---- host → webview -------------------------------------------------------------------------

export interface RecordingInfo {
  name: string;
  profile: ProfileName;
  length: number;
  /** Where the recording came from, for the title and for restoring after a reload. */
  source: RecordingSource;
  /** True for trace replays: rows then show timestamps and CPUs. */
  isTrace: boolean;
}

/** Enough to rebuild a recording after a window reload (the webview persists it). */
export type RecordingSource = ScenarioSource | TraceFileSource;
/** whatIf: a what-if variant of `profile` (a review's behaviour diff, src/patch/what-if.ts): the
 *  scenario is loaded as `loadAs` and simulated with the profile's decisions `switches` changed. */
export type ScenarioSource = { kind: 'scenario'; path: string; profile?: ProfileName; whatIf?: { loadAs: ProfileName; switches: ProfileSwitches } };
/** addressSpace: which replay of a trace of several ("vm/as1", "tgid:42"), once chosen. */
export type TraceFileSource = { kind: 'trace'; path: string; profile?: ProfileName; addressSpace?: string };

export interface RowView {
  seq: number;
  kind: string;
  category: FilterCategory;
  fn: string;
  /** Call depth (stack length), for indentation. */
  depth: number;
  /** One line describing the event. */
  summary: string;
  /** KVM_BUG_ON, a failed invariant, a WARN or an error result: shown in the error colour. */
  bad: boolean;
  /** Trace replays only. */
  time?: string;
  cpu?: number;
}

/** Where an anchor lives in the user's kernel tree, as the source linker reported it. */
export type LocationView =
  | { status: 'resolved'; file: string; line: number; label: string }
  | { status: 'absent'; label: string }
  | { status: 'ambiguous'; label: string }
  /** No kernel tree (or no anchor): only the symbolic name is known. */
  | { status: 'symbolic'; label: string };

export interface FrameView {
  /** Kernel function, hook or SEAMCALL; `step N: op` for the scenario step at the bottom. */
  fn: string;
  /** The call event of this frame, when the recording has one. */
  seq: number | null;
  anchor: string | null;
  location: LocationView;
}

export interface BitFieldView {
  /** 'bit 11' or 'bits 51:12'. */
  bits: string;
  name: string;
  value: string;
  meaning: string;
}

export interface SpteView {
  hex: string;
  /** 'leaf 2M', 'non-leaf', 'non-present', 'frozen', ... */
  summary: string;
  fields: BitFieldView[];
  /** What a reviewer should notice (broken writable invariants, stray bits). */
  warnings: string[];
}

export interface TreeEntryView {
  level: number;
  levelName: string;
  /** Slot inside its 512-entry table. */
  index: number;
  gfn: string;
  spte: string;
  summary: string;
  /** Changed by the current event, or earlier in the current scenario step. */
  changed: 'event' | 'step' | null;
  /** The value before that change ('none': the entry did not exist). */
  old?: string;
  /** On the path to the current GFN (the rest are neighbours in the same table). */
  onPath: boolean;
}

export interface TreeView {
  table: 'direct' | 'mirror' | 'sept';
  title: string;
  entries: TreeEntryView[];
  /** Present entries of the deepest shown table that are not listed. */
  hiddenSiblings: number;
  /** Empty when the table does not exist at this point (e.g. no mirror root yet). */
  empty: boolean;
}

export interface BannerView {
  kind: 'kvm_bug' | 'invariant';
  seq: number;
  message: string;
}

export interface EventView {
  seq: number;
  kind: string;
  fn: string;
  anchor: string | null;
  anchorTitle: string | null;
  step: number;
  stepOp: string | null;
  lock: LockMode;
  vcpu: number | null;
  root: string | null;
  gfn: string | null;
  level: string | null;
  result: string | null;
  status: string | null;
  message: string | null;
  args: Array<[string, string]>;
  time: string | null;
  cpu: number | null;
  task: string | null;
}

/** Everything that depends on the current position: what the host sends after each move. */
export interface PositionView {
  seq: number;
  length: number;
  /** Index of the current event in the filtered timeline, or -1 if the filter hides it. */
  filteredIndex: number;
  /** Where the current event would be inserted in the filtered timeline (for scrolling). */
  filteredNearest: number;
  event: EventView;
  stack: FrameView[];
  location: LocationView;
  lock: LockMode;
  /** Old and new SPTE of the current event, or of its nearest enclosing call that changed one. */
  spte: { from: number | null; old: SpteView | null; new: SpteView | null };
  /** The GFN the trees are drawn around (the event's, or the last one seen before it). */
  treeGfn: string | null;
  trees: TreeView[];
  banners: BannerView[];
}

export type HostMessage =
  | { type: 'init'; info: RecordingInfo; filter: TimelineFilter; filteredLength: number; position: PositionView }
  | { type: 'position'; position: PositionView }
  | { type: 'rows'; start: number; total: number; rows: RowView[] }
  | { type: 'filtered'; filter: TimelineFilter; filteredLength: number; filterError: string | null; position: PositionView }
  | { type: 'error'; message: string };

/** What the webview keeps with setState(); the panel serializer gets it back after a reload. */
export interface PersistedState {
  source: RecordingSource;
  seq: number;
  filter: TimelineFilter;
  scrollTop?: number;
}
