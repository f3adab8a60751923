// Pure navigation over a Recording: where does "step over", "step out", "run to the next hook
// call", ... land, given the current event? Shared by the debug adapter (src/debug/) and the
// stepper webview (src/extension/stepper/, webview/), so that both move the same way.
//
// Positions are event seqs in [0, recording.length). Every function returns the seq to move to,
// or null when there is nowhere to go (end/start of the recording, no matching event); callers
// keep their position on null. Nothing here replays the simulation: a move reads events only.
//
// Call structure comes from SimEvent.parent (the seq of the enclosing call event, null at top
// level). The recording is in pre-order (a call's nested events directly follow it), so the
// events nested inside call `c` are exactly the contiguous run after `c` whose parent is >= c.
// That makes "skip the callee" a linear scan with an O(1) test per event.

import type { Recording, SimEvent } from './types';

/** Direction of a move: forward in time or backward (reverse execution). */
export type Direction = 'forward' | 'backward';

/** A test on an event, for runTo(): e.g. isHookCall, byFunction('tdp_mmu_set_spte'). */
export type EventPredicate = (ev: SimEvent) => boolean;

/** Clamp any requested seq into the recording; null for an empty recording. */
export function seek(rec: Recording, seq: number): number | null {
  if (rec.length === 0) return null;
  if (!Number.isFinite(seq)) return seq > 0 ? rec.length - 1 : 0;
  return Math.min(rec.length - 1, Math.max(0, Math.trunc(seq)));
}

/** One event forward or backward ("step into", and its reverse "step back"). */
export function step(rec: Recording, from: number, dir: Direction = 'forward'): number | null {
  const to = dir === 'forward' ? from + 1 : from - 1;
  return to >= 0 && to < rec.length ? to : null;
}

/**
 * Is `seq` nested (at any depth) inside the call event `call`, assuming every event in
 * (call, seq) is as well? True when its parent is `call` or one of those nested events.
 */
function nestedIn(ev: SimEvent, call: number): boolean {
  return ev.parent !== null && ev.parent >= call;
}

/** First seq after `from` that is not nested inside event `scope` (null: end of recording). */
function endOfScope(rec: Recording, from: number, scope: number): number | null {
  for (let s = from + 1; s < rec.length; s++) {
    if (!nestedIn(rec.event(s), scope)) return s;
  }
  return null;
}

/**
 * Step over: forward, the next event that is not nested inside the current one (the callee
 * runs to completion). Backward, the previous event of the same call (a sibling: its callees are
 * skipped) or, if there is none, the enclosing call itself — like gdb's reverse-next.
 */
export function stepOver(rec: Recording, from: number, dir: Direction = 'forward'): number | null {
  if (from < 0 || from >= rec.length) return null;
  if (dir === 'forward') return endOfScope(rec, from, from);
  const parent = rec.event(from).parent;
  for (let s = from - 1; s >= 0; s--) {
    if (s === parent) return s;
    if (rec.event(s).parent === parent) return s;
  }
  return null;
}

/**
 * Step out: forward, the first event after the enclosing call has finished (its parent's
 * callees all skipped). Backward, the enclosing call event itself (gdb's reverse-finish).
 * At top level (no enclosing call) this is a step over.
 */
export function stepOut(rec: Recording, from: number, dir: Direction = 'forward'): number | null {
  if (from < 0 || from >= rec.length) return null;
  const parent = rec.event(from).parent;
  if (parent === null) return stepOver(rec, from, dir);
  return dir === 'forward' ? endOfScope(rec, from, parent) : parent;
}

/** The next (or previous) event strictly after (before) `from` that matches `pred`. */
export function runTo(rec: Recording, from: number, pred: EventPredicate, dir: Direction = 'forward'): number | null {
  const delta = dir === 'forward' ? 1 : -1;
  for (let s = from + delta; s >= 0 && s < rec.length; s += delta) {
    if (pred(rec.event(s))) return s;
  }
  return null;
}

/** Call depth of an event: how many enclosing call events it has (0 at top level). */
export function depth(rec: Recording, seq: number): number {
  let d = 0;
  for (let p = rec.event(seq).parent; p !== null; p = rec.event(p).parent) d++;
  return d;
}

// ---- common predicates for runTo ------------------------------------------------------------

/** A kvm_x86_ops external page-table hook (link/set/remove/free/split_external_sp[t|te]). */
export const isHookCall: EventPredicate = (ev) => ev.kind === 'hook';
/** A SEAMCALL into the TDX module. */
export const isSeamcall: EventPredicate = (ev) => ev.kind === 'seamcall';
/** Something went wrong: KVM_BUG_ON, WARN, or a broken invariant. */
export const isProblem: EventPredicate = (ev) => ev.kind === 'kvm_bug' || ev.kind === 'warn' || ev.kind === 'invariant';
/** The start of a scenario step (or trace record group). */
export const isStepStart: EventPredicate = (ev) => ev.kind === 'step';
/** An event that wrote at least one page-table entry. */
export const writesEntries: EventPredicate = (ev) => (ev.writes?.length ?? 0) > 0;
/** Any event of the named kernel function, hook or SEAMCALL (exact kernel spelling). */
export const byFunction = (fn: string): EventPredicate => (ev) => ev.fn === fn;
/** Any event anchored at the given anchor id (src/sim/anchors.ts). */
export const byAnchor = (anchor: string): EventPredicate => (ev) => ev.anchor === anchor;
