// The filtered timeline: which events the webview lists, and the rows of any window of it.
// The webview virtualizes the list and asks for the rows it shows; this never materializes
// more than one window of rows, whatever the length of the recording.
import type { Recording } from '../../sim/types';
import { parseSpte } from '../../sim/spte';
import { eventSummary, isBad, type VmKind } from './format';
import { FILTER_CATEGORIES, type RowView, type TimelineFilter } from './protocol';
import { lowerBound, type RecordingIndex } from './recordingIndex';

/** GFNs are at most 40 bits (SPTE bits 51:12). */
const MAX_GFN = 2 ** 40 - 1;

/** Parse the GFN search box: hex as the kernel prints it, with or without 0x; '' = no search. */
export function parseGfnQuery(text: string): { gfn: number | null } | { error: string } {
  if (text.trim() === '') return { gfn: null };
  let v: bigint;
  try {
    v = parseSpte(text, 'GFN');
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (v > BigInt(MAX_GFN)) return { error: `GFN '${text.trim()}' is beyond the 40-bit guest frame space` };
  return { gfn: Number(v) };
}

export const ALL_EVENTS: TimelineFilter = { categories: [...FILTER_CATEGORIES], gfn: '' };

export class Timeline {
  private current: TimelineFilter = ALL_EVENTS;
  /** Visible seqs in order; null = every event. */
  private seqs: Int32Array | null = null;
  /** The parsed GFN search of `current`. */
  private gfn: number | null = null;

  constructor(private readonly rec: Recording, private readonly index: RecordingIndex, private readonly vm: VmKind) {}

  get filter(): TimelineFilter {
    return this.current;
  }

  /**
   * Apply a filter. A GFN search that does not parse is reported and the previous GFN search is
   * kept, so a half-typed query never empties the list; the categories apply either way.
   */
  setFilter(filter: TimelineFilter): string | null {
    const parsed = parseGfnQuery(filter.gfn);
    const error = 'error' in parsed ? parsed.error : null;
    const gfnText = error ? this.current.gfn : filter.gfn;
    const gfn = 'gfn' in parsed ? parsed.gfn : this.gfn;
    // Keep the categories in their canonical order so equal filters compare equal.
    const categories = FILTER_CATEGORIES.filter((c) => filter.categories.includes(c));
    this.current = { categories, gfn: gfnText };
    this.gfn = gfn;
    this.seqs = this.index.filter(categories, gfn);
    return error;
  }

  get length(): number {
    return this.seqs ? this.seqs.length : this.rec.length;
  }

  seqAt(i: number): number {
    return this.seqs ? this.seqs[i] : i;
  }

  /** Position of `seq` in the filtered list, or -1 when the filter hides it. */
  indexOf(seq: number): number {
    const i = this.nearest(seq);
    return i < this.length && this.seqAt(i) === seq ? i : -1;
  }

  /** Index of the first visible event at or after `seq` (length when none). */
  nearest(seq: number): number {
    return this.seqs ? lowerBound(this.seqs, seq) : Math.max(0, Math.min(seq, this.rec.length));
  }

  /** The next visible event after `seq`, or null. */
  next(seq: number): number | null {
    const i = this.nearest(seq + 1);
    return i < this.length ? this.seqAt(i) : null;
  }

  /** The previous visible event before `seq`, or null. */
  prev(seq: number): number | null {
    const i = this.nearest(seq) - 1;
    return i >= 0 ? this.seqAt(i) : null;
  }

  /** Rows [start, start+count) of the filtered list, clipped to its end. */
  rows(start: number, count: number): RowView[] {
    const end = Math.min(this.length, start + count);
    const out: RowView[] = [];
    for (let i = start; i < end; i++) {
      const seq = this.seqAt(i);
      const ev = this.rec.event(seq);
      const row: RowView = {
        seq,
        kind: ev.kind,
        category: this.index.categoryOf(seq),
        fn: ev.fn,
        depth: ev.stack.length,
        summary: eventSummary(ev, this.vm),
        bad: isBad(ev),
      };
      if (ev.time !== undefined) row.time = ev.time.toFixed(6);
      if (ev.cpu !== undefined) row.cpu = ev.cpu;
      out.push(row);
    }
    return out;
  }
}
