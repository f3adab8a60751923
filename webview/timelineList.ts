// The virtualized timeline: a listbox that only ever holds the rows on screen, whatever the
// number of events. Rows are fetched from the host by window (the host never sends the whole
// recording). Above a few hundred thousand rows the scroll range is scaled, because browsers
// cap an element's height.
import type { RowView } from '../src/extension/stepper/protocol';
import { h } from './dom';

export const ROW_HEIGHT = 22;
/** Rows fetched beyond the visible ones on each side, so short scrolls need no round trip. */
const OVERSCAN = 40;
/** Largest scroll height used; longer lists scroll proportionally. */
const MAX_SCROLL_HEIGHT = 4_000_000;
const PENDING_TIMEOUT_MS = 1500;

export interface TimelineCallbacks {
  requestRows(start: number, count: number): void;
  /** A row was clicked. */
  pick(row: RowView): void;
  /** Keyboard movement to a filtered index (Up/Down/PageUp/PageDown/Home/End). */
  pickIndex(index: number): void;
  /** Enter on the current row. */
  activate(): void;
  scrolled(scrollTop: number): void;
}

export class TimelineList {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowsBox: HTMLElement;
  private total = 0;
  private cache = new Map<number, RowView>();
  /** Windows asked for and not answered yet ("start:count" → when asked), so a scroll does
   *  not ask twice; one left unanswered for long (a message lost while the panel was moving) is
   *  asked again. */
  private pending = new Map<string, number>();
  private currentSeq = -1;
  private currentIndex = -1;
  private nearestIndex = 0;
  private scheduled = false;

  constructor(private readonly cb: TimelineCallbacks) {
    this.spacer = h('div', { class: 'tl-spacer' });
    this.rowsBox = h('div', { class: 'tl-rows', role: 'presentation' });
    this.element = h('div', {
      class: 'timeline', role: 'listbox', tabindex: '0', 'aria-label': 'Timeline of events',
    }, this.spacer, this.rowsBox);
    this.element.addEventListener('scroll', () => {
      this.schedule();
      this.cb.scrolled(this.element.scrollTop);
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** A new filter or recording: forget every cached row. */
  reset(total: number): void {
    this.total = total;
    this.cache.clear();
    this.pending.clear();
    this.spacer.style.height = `${Math.min(total * ROW_HEIGHT, MAX_SCROLL_HEIGHT)}px`;
    this.schedule();
  }

  addRows(start: number, total: number, rows: RowView[]): void {
    if (total !== this.total) return; // an answer for a filter that is gone
    for (const key of [...this.pending.keys()]) if (Number(key.split(':')[0]) === start) this.pending.delete(key);
    rows.forEach((r, i) => this.cache.set(start + i, r));
    this.schedule();
  }

  setCurrent(seq: number, index: number, nearest: number, reveal: boolean): void {
    this.currentSeq = seq;
    this.currentIndex = index;
    this.nearestIndex = nearest;
    if (reveal) this.reveal(index >= 0 ? index : nearest);
    this.schedule();
  }

  get scrollTop(): number {
    return this.element.scrollTop;
  }

  set scrollTop(v: number) {
    this.element.scrollTop = v;
  }

  focus(): void {
    this.element.focus();
  }

  private get visibleCount(): number {
    return Math.max(1, Math.ceil(this.element.clientHeight / ROW_HEIGHT));
  }

  private get scaled(): boolean {
    return this.total * ROW_HEIGHT > MAX_SCROLL_HEIGHT;
  }

  /** Index of the first row on screen. */
  private firstVisible(): number {
    const st = this.element.scrollTop;
    if (!this.scaled) return Math.floor(st / ROW_HEIGHT);
    const range = MAX_SCROLL_HEIGHT - this.element.clientHeight;
    return Math.round((st / Math.max(1, range)) * Math.max(0, this.total - this.visibleCount));
  }

  /** Scroll so that row `index` is on screen (no scrolling when it already is). */
  private reveal(index: number): void {
    if (index < 0 || index >= this.total) return;
    const first = this.firstVisible();
    const n = this.visibleCount;
    if (index >= first && index < first + n - 1) return;
    const top = Math.max(0, index - Math.floor(n / 3));
    if (!this.scaled) {
      this.element.scrollTop = top * ROW_HEIGHT;
    } else {
      const range = MAX_SCROLL_HEIGHT - this.element.clientHeight;
      this.element.scrollTop = (top / Math.max(1, this.total - n)) * range;
    }
  }

  /** Render once, at the next animation frame; or after a short timeout when no frame comes
   *  (a webview that is not being painted, e.g. in a background tab, gets no frames). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      if (!this.scheduled) return;
      this.scheduled = false;
      this.render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 50);
  }

  private render(): void {
    const first = this.firstVisible();
    const n = this.visibleCount + 1;
    const last = Math.min(this.total, first + n);
    const top = this.scaled ? this.element.scrollTop : first * ROW_HEIGHT;
    this.rowsBox.style.transform = `translateY(${top}px)`;
    const children: HTMLElement[] = [];
    let missing = false;
    for (let i = first; i < last; i++) {
      const row = this.cache.get(i);
      if (!row) missing = true;
      children.push(row ? this.rowElement(row, i) : h('div', { class: 'tl-row tl-loading', role: 'option', 'aria-busy': 'true' }, '…'));
    }
    this.rowsBox.replaceChildren(...children);
    const active = this.currentIndex >= first && this.currentIndex < last ? `tl-row-${this.currentIndex}` : '';
    if (active) this.element.setAttribute('aria-activedescendant', active); else this.element.removeAttribute('aria-activedescendant');
    if (missing) this.fetch(first, last);
    this.evict(first, last);
  }

  private fetch(first: number, last: number): void {
    const start = Math.max(0, first - OVERSCAN);
    const count = Math.min(this.total, last + OVERSCAN) - start;
    const key = `${start}:${count}`;
    const asked = this.pending.get(key);
    if (count <= 0 || (asked !== undefined && Date.now() - asked < PENDING_TIMEOUT_MS)) return;
    this.pending.set(key, Date.now());
    this.cb.requestRows(start, count);
    // Render again after the timeout: if the answer never came, this asks once more.
    setTimeout(() => this.schedule(), PENDING_TIMEOUT_MS + 50);
  }

  /** Keep the cache to a few screens around the view, so memory stays flat while scrolling. */
  private evict(first: number, last: number): void {
    if (this.cache.size < 8 * OVERSCAN + 4 * (last - first)) return;
    for (const i of this.cache.keys()) {
      if (i < first - 2 * OVERSCAN || i > last + 2 * OVERSCAN) this.cache.delete(i);
    }
  }

  private rowElement(row: RowView, index: number): HTMLElement {
    const current = row.seq === this.currentSeq;
    const el = h('div', {
      id: `tl-row-${index}`,
      class: `tl-row cat-${row.category}${row.bad ? ' bad' : ''}${current ? ' current' : ''}`,
      role: 'option',
      'aria-selected': current ? 'true' : 'false',
      'data-seq': String(row.seq),
      title: row.summary,
    },
    h('span', { class: 'tl-seq' }, `#${row.seq}`),
    row.time !== undefined ? h('span', { class: 'tl-time' }, `${row.time}${row.cpu !== undefined ? ` [${String(row.cpu).padStart(3, '0')}]` : ''}`) : null,
    h('span', { class: 'tl-summary', 'data-depth': String(Math.min(row.depth, 12)) }, row.summary));
    el.addEventListener('click', () => this.cb.pick(row));
    return el;
  }

  private onKey(e: KeyboardEvent): void {
    const base = this.currentIndex >= 0 ? this.currentIndex : this.nearestIndex;
    const page = Math.max(1, this.visibleCount - 1);
    let to: number | null = null;
    switch (e.key) {
      case 'ArrowDown': to = this.currentIndex >= 0 ? base + 1 : base; break;
      case 'ArrowUp': to = base - 1; break;
      case 'PageDown': to = base + page; break;
      case 'PageUp': to = base - page; break;
      case 'Home': to = 0; break;
      case 'End': to = this.total - 1; break;
      case 'Enter': this.cb.activate(); e.preventDefault(); return;
      default: return;
    }
    e.preventDefault();
    to = Math.max(0, Math.min(this.total - 1, to));
    if (this.total > 0 && to !== this.currentIndex) this.cb.pickIndex(to);
  }
}
