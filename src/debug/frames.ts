// The call stack of a simulated event: one frame per modelled kernel function on the event's
// stack (innermost first), each placed at an anchored line of the kernel tree, plus a bottom
// frame for the scenario step (or trace record) that drove it. Frames the tree cannot place are
// symbolic: a generated listing of the function's decision points (the anchor titles).
import * as path from 'path';
import { ANCHORS, anchorById, type Anchor } from '../sim/anchors';
import type { Recording, SimEvent, SourceLocation } from '../sim/types';
import type { AnchorLocator } from './locator';

export type FrameSource =
  | { kind: 'file'; path: string; line: number }
  /** Not in the tree: `doc` is the key of a generated listing (symbolicListing: a function
   *  name, `hook:<fn>`, `seamcall:<fn>` or `step:<n>`), `line` a line of it. */
  | { kind: 'symbolic'; name: string; doc: string; line: number; reason: string };

export interface Frame {
  /** Kernel function, hook or SEAMCALL name; or `step N: op` for the bottom frame. */
  name: string;
  /** The event that entered this function, when the recording has it (outer frames of a
   *  trace may have none). For the innermost frame: the current event. */
  event: SimEvent | undefined;
  /** The decision point the frame is at, when known. */
  anchor: Anchor | undefined;
  source: FrameSource;
  /**
   * False for a frame that has not run yet: the current event is the call itself, made at a
   * line of the caller (a hook, a SEAMCALL, or a call event anchored at its call site). A
   * debugger then shows the caller's line, as the stepper highlights the event's anchor.
   */
  focus: boolean;
}

/** Events on the parent chain of `seq`, innermost (the event itself) first. */
export function ancestry(rec: Recording, seq: number): SimEvent[] {
  const out: SimEvent[] = [];
  for (let s: number | null = seq; s !== null; s = rec.event(s).parent) out.push(rec.event(s));
  return out;
}

const isCallLike = (e: SimEvent): boolean => e.kind === 'call' || e.kind === 'hook' || e.kind === 'seamcall';
/** Hooks (kvm_x86_ops slots) and SEAMCALLs have no source of their own in the kernel tree. */
const isIndirect = (e: SimEvent | undefined): boolean => e?.kind === 'hook' || e?.kind === 'seamcall';

/** A call-site anchor in `caller` that calls `callee` (tdp_mmu_set_spte → split_external_spt). */
function callSite(caller: string, callee: string): Anchor | undefined {
  return ANCHORS.find((a) => a.fn === caller && a.pattern.kind === 'call' && a.pattern.callee === callee);
}

/**
 * `recordSource`: where an event's input record is, when that is finer than its step (the trace
 * line of a replayed event); the bottom frame then points there.
 */
export function framesOf(rec: Recording, seq: number, locator: AnchorLocator, recordSource?: (seq: number) => SourceLocation | undefined): Frame[] {
  const chain = ancestry(rec, seq);
  const ev = chain[0];
  const stack = ev.stack;
  const innermost = stack.length - 1;
  /** The call event of stack entry i: on the chain, at that depth, with that name. */
  const callOf = (i: number): SimEvent | undefined =>
    chain.find((e) => isCallLike(e) && e.stack.length === i + 1 && e.fn === stack[i]);
  const frames: Frame[] = [];
  for (let i = innermost; i >= 0; i--) {
    const fn = stack[i];
    const own = i === innermost ? ev : callOf(i);
    const inner = i === innermost ? ev : callOf(i + 1);
    // Where in `fn` are we? The anchor of the event one level down when it lies in `fn` (the
    // innermost event's own anchor, or the call site of the callee); else the static call site
    // of the callee; else the function itself. Hooks and SEAMCALLs sit at their caller's line.
    let anchor = inner?.anchor && !(i === innermost && isIndirect(ev)) ? anchorById(inner.anchor) : undefined;
    if (anchor?.fn !== fn) anchor = i < innermost ? callSite(fn, stack[i + 1]) : undefined;
    if (!isIndirect(own)) anchor ??= anchorById(fn);
    // Only a call can be "not entered yet"; a KVM_BUG_ON, WARN, invariant or trace record sits
    // in the function on top of its stack.
    const focus = i < innermost || !(isIndirect(ev) || (ev.kind === 'call' && ev.anchor !== null && anchorById(ev.anchor)?.fn !== ev.fn));
    const source = isIndirect(own) ? indirectFrame(rec, own!) : placeFrame(rec, fn, anchor, locator);
    frames.push({ name: fn, event: own, anchor, source, focus });
  }
  const record = recordSource?.(seq);
  frames.push(record
    ? { name: `${ev.kind === 'trace' ? ev.fn : 'record'} (line ${record.line})`, event: undefined, anchor: undefined, source: { kind: 'file', path: record.file, line: record.line }, focus: true }
    : stepFrame(rec, ev));
  return frames;
}

function placeFrame(rec: Recording, fn: string, anchor: Anchor | undefined, locator: AnchorLocator): FrameSource {
  const doc = fn;
  const listing = symbolicListing(rec, doc);
  const lineInListing = (anchor && listing.lines.findIndex((l) => l.anchor === anchor.id) + 1) || 1;
  if (!anchor) {
    return { kind: 'symbolic', name: listing.name, doc, line: lineInListing, reason: `${fn} has no anchor in the simulator's table` };
  }
  const found = locator.locate(anchor.id);
  if (found.status === 'found') return { kind: 'file', path: found.location.file, line: found.location.startLine };
  return { kind: 'symbolic', name: listing.name, doc, line: lineInListing, reason: found.reason };
}

/** A hook or SEAMCALL: no kernel source of its own; a one-line listing says what it is. */
function indirectFrame(rec: Recording, ev: SimEvent): FrameSource {
  const doc = `${ev.kind}:${ev.fn}`;
  return { kind: 'symbolic', name: symbolicListing(rec, doc).name, doc, line: 1, reason: ev.kind === 'hook' ? 'a kvm_x86_ops hook: the call site is in the caller' : 'a SEAMCALL into the TDX module' };
}

function stepFrame(rec: Recording, ev: SimEvent): Frame {
  const step = rec.steps[ev.step];
  const name = step ? `step ${step.index}: ${step.op}` : `step ${ev.step}`;
  const src: SourceLocation | undefined = step?.source;
  const source: FrameSource = src
    ? { kind: 'file', path: src.file, line: src.line }
    : { kind: 'symbolic', name: `${rec.name} (no source)`, doc: `step:${ev.step}`, line: 1, reason: 'this step has no source location' };
  return { name, event: undefined, anchor: undefined, source, focus: true };
}

// ---- symbolic listings ------------------------------------------------------------------------

export interface Listing {
  /** Shown as the Source name, e.g. "tdp_mmu.c (not in this tree)". */
  name: string;
  lines: Array<{ text: string; anchor?: string }>;
}

/**
 * A generated, read-only "source" for a frame the kernel tree cannot show: the function's
 * decision points in this profile, one per line, so the frame's line points at the right one.
 */
export function symbolicListing(rec: Recording, key: string): Listing {
  const [kind, rest] = key.includes(':') ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] : ['fn', key];
  if (kind === 'step') {
    const step = rec.steps[Number(rest)];
    return { name: `${rec.name} (no source)`, lines: [{ text: step ? `step ${step.index}: ${step.op}` : key }] };
  }
  if (kind === 'hook') {
    return { name: `kvm_x86_ops.${rest} (hook)`, lines: [{ text: `kvm_x86_ops.${rest}: external page-table hook; the TDX implementation follows as a call` }] };
  }
  if (kind === 'seamcall') {
    return { name: 'TDX module (SEAMCALL)', lines: [{ text: `${rest}: SEAMCALL into the TDX module, modelled by the simulator` }] };
  }
  const anchors = ANCHORS.filter((a) => a.fn === rest && a.profiles.includes(rec.profile));
  if (anchors.length === 0) {
    return { name: `${rest} (no source)`, lines: [{ text: `${rest}: modelled by the simulator without a source anchor` }] };
  }
  const file = path.posix.basename(anchors[0].file);
  return {
    name: `${file} (not in this tree)`,
    lines: [
      { text: `// ${rest}() in arch/x86/kvm/${anchors[0].file}: the simulator's decision points (${rec.profile})` },
      ...anchors.map((a) => ({ text: `${a.id}: ${a.title}`, anchor: a.id })),
    ],
  };
}

export function listingText(l: Listing): string {
  return l.lines.map((x) => x.text).join('\n') + '\n';
}
