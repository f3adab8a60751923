// Entry of the stepper webview (dist/webview.js). It renders what the extension host sends and
// reports what the user does; it never computes simulator state. Its position and filters are
// kept with setState() so they survive the panel being hidden (the webview is then destroyed:
// no retainContextWhenHidden) and a window reload (the panel serializer gets them back).
import {
  CATEGORY_LABELS, FILTER_CATEGORIES, MAX_ROWS_PER_REQUEST,
  type FilterCategory, type HostMessage, type NavAction, type PersistedState, type PositionView,
  type RecordingInfo, type TimelineFilter, type WebviewMessage,
} from '../src/extension/stepper/protocol';
import { renderBanners, renderEvent, renderSpte, renderStack, renderTrees, type DetailActions } from './details';
import { h } from './dom';
import { TimelineList } from './timelineList';
import { button, checkbox, registerToolkit, textField, type Checkbox } from './toolkit';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
registerToolkit();

const post = (m: WebviewMessage) => vscode.postMessage(m);

let info: RecordingInfo | null = null;
let filter: TimelineFilter = { categories: [...FILTER_CATEGORIES], gfn: '' };
let position: PositionView | null = null;
/** The scroll offset saved before the webview was last destroyed, applied once on init. */
let restoreScroll = vscode.getState()?.scrollTop;

function save(): void {
  if (!info || !position) return;
  vscode.setState({ source: info.source, seq: position.seq, filter, scrollTop: timeline.scrollTop });
}

// ---- controls ------------------------------------------------------------------------------

/** Toolbar buttons: label, action, tooltip (with the keybinding contributed in package.json). */
const CONTROLS: Array<[string, NavAction, string]> = [
  ['« first', 'first', 'First event (Alt+Home)'],
  ['⇤ hook', 'prevHook', 'Run back to the previous hook call (Alt+PageUp)'],
  ['↶ over', 'stepOverBack', 'Step over backward (Shift+F10)'],
  ['◀', 'stepBack', 'Step back through the timeline (Alt+Left)'],
  ['▶', 'stepForward', 'Step forward through the timeline (Alt+Right)'],
  ['↷ over', 'stepOver', 'Step over: skip what this call does (F10)'],
  ['↓ into', 'stepInto', 'Step into: the very next event (F11)'],
  ['↑ out', 'stepOut', 'Step out of the current call (Shift+F11)'],
  ['hook ⇥', 'nextHook', 'Run to the next hook call (Alt+PageDown)'],
  ['last »', 'last', 'Last event (Alt+End)'],
];

const act: DetailActions = {
  reveal: (seq, frame) => post(frame === undefined ? { type: 'reveal', seq } : { type: 'reveal', seq, frame }),
  seek: (seq) => post({ type: 'seek', seq }),
};

const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Stepping' },
  ...CONTROLS.map(([label, action, title]) => button(label, { title, id: `nav-${action}`, secondary: !action.startsWith('step') }, () => post({ type: 'navigate', action }))));

const goTo = textField('event #', 'Go to event number', {
  onEnter: () => {
    const n = Number(goTo.value.trim().replace(/^#/, ''));
    if (Number.isInteger(n) && n >= 0) post({ type: 'seek', seq: n });
    else showError(`'${goTo.value}' is not an event number`);
  },
});

const checks = new Map<FilterCategory, Checkbox>();
for (const c of FILTER_CATEGORIES) checks.set(c, checkbox(CATEGORY_LABELS[c], true, () => sendFilter()));
/** Typing in the GFN box re-filters once the user pauses, not on every key. */
let searchTimer: ReturnType<typeof setTimeout> | undefined;
const gfnSearch = textField('gfn (hex)', 'Search events by GFN', {
  onInput: () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(sendFilter, 200);
  },
  onEnter: () => {
    clearTimeout(searchTimer);
    sendFilter();
  },
});
const filterError = h('span', { class: 'filter-error', role: 'status' });
const count = h('span', { class: 'count', 'aria-live': 'polite' });

function sendFilter(): void {
  const categories = FILTER_CATEGORIES.filter((c) => checks.get(c)!.checked);
  post({ type: 'filter', filter: { categories, gfn: gfnSearch.value.slice(0, 40) } });
}

const timeline = new TimelineList({
  requestRows: (start, n) => post({ type: 'rows', start, count: Math.min(n, MAX_ROWS_PER_REQUEST) }),
  pick: (row) => post({ type: 'seek', seq: row.seq }),
  pickIndex: (index) => post({ type: 'seekRow', index }),
  activate: () => { if (position) post({ type: 'reveal', seq: position.seq }); },
  scrolled: () => save(),
});

// ---- layout --------------------------------------------------------------------------------

const title = h('h1', {}, 'TDP MMU Simulator');
const where = h('span', { class: 'where', 'aria-live': 'polite' });
const banners = h('div', { class: 'banners' });
const errorBox = h('div', { class: 'error', role: 'alert', hidden: '' });
const details = h('div', { class: 'details' });

document.body.append(
  h('header', {}, title, where, toolbar, h('label', { class: 'goto' }, goTo.element)),
  errorBox,
  banners,
  h('main', {},
    h('section', { class: 'timeline-pane', 'aria-label': 'Timeline' },
      h('div', { class: 'filters', role: 'group', 'aria-label': 'Timeline filters' },
        ...[...checks.values()].map((c) => c.element), gfnSearch.element, filterError, count),
      timeline.element),
    details),
);

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
  setTimeout(() => { errorBox.hidden = true; }, 8000);
}

// ---- rendering what the host sends -----------------------------------------------------------

function renderFilter(f: TimelineFilter, filteredLength: number): void {
  filter = f;
  for (const [c, box] of checks) box.checked = f.categories.includes(c);
  if (gfnSearch.value !== f.gfn && document.activeElement !== gfnSearch.element) gfnSearch.value = f.gfn;
  count.textContent = `${filteredLength.toLocaleString()} of ${(info?.length ?? 0).toLocaleString()} events`;
}

function renderPosition(p: PositionView, reveal: boolean): void {
  position = p;
  where.textContent = `event #${p.seq} of ${p.length.toLocaleString()} · mmu_lock ${p.lock}`;
  banners.replaceChildren(...renderBanners(p.banners, act));
  details.replaceChildren(renderEvent(p, act), renderStack(p.stack, p.seq, act), renderSpte(p), renderTrees(p));
  timeline.setCurrent(p.seq, p.filteredIndex, p.filteredNearest, reveal);
  save();
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  switch (m.type) {
    case 'init': {
      const sameSource = JSON.stringify(vscode.getState()?.source) === JSON.stringify(m.info.source);
      info = m.info;
      title.textContent = `${m.info.name} · ${m.info.profile}${m.info.isTrace ? ' · trace' : ''}`;
      document.body.classList.toggle('trace', m.info.isTrace);
      renderFilter(m.filter, m.filteredLength);
      timeline.reset(m.filteredLength);
      const scroll = sameSource ? restoreScroll : undefined;
      restoreScroll = undefined;
      renderPosition(m.position, scroll === undefined);
      if (scroll !== undefined) timeline.scrollTop = scroll;
      break;
    }
    case 'position':
      renderPosition(m.position, true);
      break;
    case 'rows':
      timeline.addRows(m.start, m.total, m.rows);
      break;
    case 'filtered':
      filterError.textContent = m.filterError ?? '';
      renderFilter(m.filter, m.filteredLength);
      timeline.reset(m.filteredLength);
      renderPosition(m.position, true);
      break;
    case 'error':
      showError(m.message);
      break;
  }
});

// '/' jumps to the GFN search, as in many list UIs; the stepping keys are VS Code keybindings.
window.addEventListener('keydown', (e) => {
  if (e.key === '/' && !(e.target instanceof HTMLElement && e.target.closest('vscode-text-field'))) {
    e.preventDefault();
    gfnSearch.focus();
  }
});

post({ type: 'ready' });
timeline.focus();
