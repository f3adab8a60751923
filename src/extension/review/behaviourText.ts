// Words for a scenario's behaviour diff (src/patch/behaviour.ts): what each side does where the
// two differ, as a reviewer reads it — "KVM_BUG_ON → remove_external_spte() → TDH.MEM.RANGE.BLOCK,
// TDH.MEM.TRACK, TDH.MEM.PAGE.REMOVE" before, "split_external_spt() → TDH.MEM.RANGE.BLOCK, …"
// after. Pure.

import type { RecordingDiff, SignatureEvent } from '../../patch/behaviour';
import type { Side } from './links';

/** Most events named per side before the rest is counted. */
const MAX_EVENTS = 8;

/**
 * Short name of a signature event: a hook as "split_external_spt()", a SEAMCALL by its leaf
 * ("TDH.MEM.PAGE.DEMOTE", with its status when it is not TDX_SUCCESS), a KVM_BUG_ON as itself.
 * Reads signatureOf()'s text ("hook NAME(args)", "NAME(args) = STATUS", "KVM_BUG_ON at ANCHOR").
 */
export function shortName(e: SignatureEvent): string {
  switch (e.kind) {
    case 'hook':
      return `${/^hook\s+([\w.]+)/.exec(e.text)?.[1] ?? e.text}()`;
    case 'seamcall': {
      const name = /^[\w.]+/.exec(e.text)?.[0] ?? e.text;
      const status = / = (\S+)$/.exec(e.text)?.[1];
      return status && status !== 'TDX_SUCCESS' ? `${name} = ${status}` : name;
    }
    case 'kvm_bug':
      return /^\S+/.exec(e.text)?.[0] ?? e.text;
  }
}

/**
 * The events of one side from the first to the last change of the diff (unchanged events in
 * between included, so the sequence reads as what that side does there). Empty when equal.
 */
export function changedRegion(diff: RecordingDiff, side: Side): SignatureEvent[] {
  const changed = diff.ops.flatMap((o, i) => (o.op === 'same' ? [] : [i]));
  if (changed.length === 0) return [];
  const mine = side === 'before' ? 'removed' : 'added';
  return diff.ops.slice(changed[0], changed[changed.length - 1] + 1)
    .filter((o) => o.op === 'same' || o.op === mine)
    .flatMap((o) => o.events);
}

/** "a() → TDH.X, TDH.Y → KVM_BUG_ON": SEAMCALLs in a row are listed with commas. */
export function sequenceText(events: readonly SignatureEvent[], max = MAX_EVENTS): string {
  if (events.length === 0) return 'nothing';
  const shown = events.slice(0, max);
  let out = '';
  shown.forEach((e, i) => {
    if (i > 0) out += e.kind === 'seamcall' && shown[i - 1].kind === 'seamcall' ? ', ' : ' → ';
    out += shortName(e);
  });
  return events.length > max ? `${out} … (${events.length - max} more)` : out;
}

/**
 * One line for a thread label: what happened first on the "before" side where the two differ,
 * then what the "after" side does instead, e.g. "KVM_BUG_ON → split_external_spt() →
 * TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.DEMOTE". Null when the sides are equal.
 */
export function headline(diff: RecordingDiff): string | null {
  const first = diff.ops.find((o) => o.op !== 'same');
  if (!first) return null;
  const after = changedRegion(diff, 'after');
  if (first.op === 'added') return `now also ${sequenceText(after)}`;
  const was = shortName(first.events[0]);
  return after.length ? `${was} → ${sequenceText(after)}` : `${was} no longer happens`;
}
