// Text the editor shows about the current event: the inline note after the highlighted line,
// e.g. `old 0x…(leaf 2M) → new 0x…(non-leaf)  split_external_spt → TDH.MEM.PAGE.DEMOTE: TDX_SUCCESS`,
// and the hovers on the identifiers the simulator knows. Pure: no `vscode` import.
import type { Recording, SimEvent } from '../../sim/types';
import { levelName, spteIndex } from '../../sim/levels';
import { decodeSpte, hex64 } from '../../sim/spte';
import { argText, hexGfn, isBad, spteTransition, type VmKind } from '../stepper/format';
import { withSpte } from '../stepper/positionView';
import type { RecordingIndex } from '../stepper/recordingIndex';

/** How far into a call's nested events we look for its hook and SEAMCALLs (a hook runs a few). */
const NESTED_SCAN_LIMIT = 256;

/** The events nested inside call `seq`, in order (contiguous in a pre-order recording). */
function* nested(rec: Recording, seq: number, limit = NESTED_SCAN_LIMIT): Generator<SimEvent> {
  for (let s = seq + 1; s < rec.length && s <= seq + limit; s++) {
    const ev = rec.event(s);
    if (ev.parent === null || ev.parent < seq) return;
    yield ev;
  }
}

function ancestor(rec: Recording, ev: SimEvent, pred: (e: SimEvent) => boolean): SimEvent | null {
  for (let p = ev.parent; p !== null; p = rec.event(p).parent) {
    const e = rec.event(p);
    if (pred(e)) return e;
  }
  return null;
}

/** The hook call the current event belongs to: itself, its enclosing hook, or the one it makes. */
function hookOf(rec: Recording, ev: SimEvent): SimEvent | null {
  if (ev.kind === 'hook') return ev;
  const up = ancestor(rec, ev, (e) => e.kind === 'hook');
  if (up) return up;
  for (const e of nested(rec, ev.seq)) if (e.kind === 'hook') return e;
  return null;
}

/** The SEAMCALL that tells what a hook achieved: the first that failed, else the last one. */
function decisiveSeamcall(rec: Recording, hook: SimEvent): SimEvent | null {
  let last: SimEvent | null = null;
  for (const e of nested(rec, hook.seq)) {
    if (e.kind !== 'seamcall') continue;
    if (isBad(e)) return e;
    last = e;
  }
  return last;
}

/** The inline note shown after the anchored line of the current event. */
export function decorationText(rec: Recording, seq: number, vm: VmKind): string {
  const ev = rec.event(seq);
  const parts: string[] = [];
  if (ev.kind === 'kvm_bug' || ev.kind === 'warn' || ev.kind === 'invariant') {
    parts.push(`${ev.fn}: ${ev.message ?? '(no message)'}`);
  }
  const change = withSpte(rec, ev);
  const transition = change && spteTransition(change, vm);
  if (transition) parts.push(transition);
  if (ev.kind === 'seamcall') {
    parts.push(`${ev.fn}: ${ev.result ?? '?'}`);
  } else {
    const hook = hookOf(rec, ev);
    if (hook) {
      const sc = decisiveSeamcall(rec, hook);
      parts.push(sc ? `${hook.fn} → ${sc.fn}: ${sc.result ?? '?'}` : `${hook.fn} → ${hook.result ?? '?'}`);
    } else if (ev.result !== undefined && ev.kind !== 'kvm_bug') {
      parts.push(`→ ${ev.result}`);
    }
  }
  if (parts.length === 0) parts.push(ev.kind === 'call' ? `${ev.fn} #${seq}` : `${ev.kind} ${ev.fn}`);
  return parts.join('  ');
}

/**
 * Markdown for a hover on `word`, with its simulated value in the frame event `frame` (the
 * current event, or the call of the enclosing function the pointer is in). Null when the
 * simulator knows nothing about that word there.
 */
export function hoverText(rec: Recording, index: RecordingIndex, frame: SimEvent, current: number, word: string, vm: VmKind): string | null {
  const at = `at event #${frame.seq} (${frame.fn})`;
  const spte = withSpte(rec, frame);
  switch (word) {
    case 'old_spte':
    case 'new_spte': {
      const v = spte?.[word];
      if (v === undefined || !spte) break;
      const d = decodeSpte(v, spte.level, vm);
      const lines = [`**${word}** = \`${hex64(v)}\` at event #${spte.seq} (${spte.fn})`, '', d.summary];
      for (const w of d.warnings) lines.push('', `⚠ ${w}`);
      return lines.join('\n');
    }
    case 'level':
      if (frame.level === undefined) break;
      return `**level** = ${frame.level} (PG_LEVEL_${levelName(frame.level)}) ${at}`;
    case 'gfn':
      if (frame.gfn === undefined) break;
      return `**gfn** = \`${hexGfn(frame.gfn)}\` ${at}`;
    case 'sptep':
    case 'iter': {
      if (frame.gfn === undefined || frame.level === undefined) break;
      const where = `${frame.root ?? 'mirror'} root, ${levelName(frame.level)} entry of gfn \`${hexGfn(frame.gfn)}\` (slot ${spteIndex(frame.gfn, frame.level)})`;
      const value = spte?.new_spte !== undefined && spte.seq === frame.seq ? `, now \`${hex64(spte.new_spte)}\`` : '';
      return `**${word}** → ${where}${value} ${at}`;
    }
    default: {
      const arg = frame.args?.[word];
      if (arg !== undefined) return `**${word}** = \`${argText(arg)}\` ${at}`;
      if (word === 'ret' && frame.result !== undefined) return `**ret** = \`${frame.result}\` ${at}`;
    }
  }
  return callCountText(rec, index, current, word);
}

/** "split_external_spt ran 3 times; the last one before the current event was #812 → 0". */
export function callCountText(rec: Recording, index: RecordingIndex, current: number, fn: string): string | null {
  const calls = index.callsOf(fn);
  if (calls.length === 0) return null;
  let before = -1;
  for (let i = calls.length - 1; i >= 0; i--) if (calls[i] <= current) { before = calls[i]; break; }
  const lines = [`**${fn}** ran ${calls.length} time${calls.length === 1 ? '' : 's'} in this simulation`];
  if (before >= 0) {
    const ev = rec.event(before);
    lines.push('', `latest up to the current event: #${before}${ev.gfn !== undefined ? ` gfn \`${hexGfn(ev.gfn)}\`` : ''}${ev.result !== undefined ? ` → \`${ev.result}\`` : ''}`);
  } else {
    lines.push('', 'not yet called at the current event');
  }
  return lines.join('\n');
}
