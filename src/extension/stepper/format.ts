// Short text forms of simulator values, shared by the stepper view-model, the inline editor
// decorations and the hovers so that all three say the same thing the same way.
import type { PgLevel, RootKind, SimEvent, Spte } from '../../sim/types';
import { levelName } from '../../sim/levels';
import { decodeSeptEntry, hex64, is_frozen_spte, is_last_spte, is_mmio_spte, is_shadow_present_pte } from '../../sim/spte';

export type VmKind = 'vmx' | 'tdx';

export function hexGfn(gfn: number): string {
  return '0x' + gfn.toString(16);
}

/**
 * A few words for an SPTE in context, as a reviewer would say it: 'leaf 2M', 'non-leaf',
 * 'non-present', 'frozen', 'mmio'. S-EPT entries (our encoding, src/sim/spte.ts) give their
 * TDX state instead: 'MAPPED 2M', 'NL_MAPPED', 'FREE'.
 */
export function spteShort(value: Spte, level: PgLevel | undefined, table: RootKind | 'sept' = 'mirror', vm: VmKind = 'tdx'): string {
  if (table === 'sept') {
    try {
      const d = decodeSeptEntry(value);
      return d.leaf && d.level ? `${d.state} ${levelName(d.level)}` : d.state;
    } catch (e) {
      return `invalid S-EPT entry: ${(e as Error).message}`;
    }
  }
  if (is_frozen_spte(value)) return 'frozen';
  if (!is_shadow_present_pte(value)) return is_mmio_spte(value, vm) ? 'mmio' : 'non-present';
  if (level === undefined) return 'present';
  return is_last_spte(value, level) ? `leaf ${levelName(level)}` : 'non-leaf';
}

/** 'old 0x…(leaf 2M) → new 0x…(non-leaf)' for an event that changed an SPTE. */
export function spteTransition(ev: SimEvent, vm: VmKind): string | null {
  if (ev.old_spte === undefined && ev.new_spte === undefined) return null;
  const table = ev.root ?? 'mirror';
  const part = (label: string, v: Spte) => `${label} ${hex64(v)}(${spteShort(v, ev.level, table, vm)})`;
  if (ev.new_spte === undefined) return part('old', ev.old_spte!);
  if (ev.old_spte === undefined) return part('new', ev.new_spte);
  return `${part('old', ev.old_spte)} → ${part('new', ev.new_spte)}`;
}

/** 'gfn 0x200 2M mirror' — where an event acts, as far as it says. */
export function eventPlace(ev: SimEvent): string {
  const parts: string[] = [];
  if (ev.root) parts.push(ev.root);
  if (ev.gfn !== undefined) parts.push(`gfn ${hexGfn(ev.gfn)}`);
  if (ev.level !== undefined) parts.push(levelName(ev.level));
  return parts.join(' ');
}

/** One line for the timeline. */
export function eventSummary(ev: SimEvent, vm: VmKind): string {
  const place = eventPlace(ev);
  switch (ev.kind) {
    case 'kvm_bug':
    case 'warn':
    case 'invariant':
      return `${ev.fn}: ${ev.message ?? '(no message)'}`;
    case 'step':
      return [ev.fn, place, ev.message].filter(Boolean).join('  ');
    case 'trace':
      return [ev.fn, place, spteTransition(ev, vm), ev.message].filter(Boolean).join('  ');
    case 'seamcall':
    case 'hook':
      return [ev.fn, place, ev.result !== undefined ? `→ ${ev.result}` : ''].filter(Boolean).join('  ');
    default: {
      const change = spteTransition(ev, vm);
      return [ev.fn, place, change, ev.result !== undefined ? `→ ${ev.result}` : ''].filter(Boolean).join('  ');
    }
  }
}

/** Is this event something that went wrong (shown in the error colour)? */
export function isBad(ev: SimEvent): boolean {
  if (ev.kind === 'kvm_bug' || ev.kind === 'warn' || ev.kind === 'invariant') return true;
  if (ev.result === undefined) return false;
  // Kernel errnos print as '-EBUSY'; TDX statuses other than success as 'TDX_...'.
  return ev.result.startsWith('-') || (ev.kind === 'seamcall' && ev.result !== 'TDX_SUCCESS');
}

/** Values of `args` as text (bigints in hex, as the kernel would print them). */
export function argText(v: string | number | boolean | bigint): string {
  return typeof v === 'bigint' ? hex64(v) : String(v);
}
