// The panes about the current event: banners, the event and its source location, the kernel
// call stack, the decoded old/new SPTE and the mirror / S-EPT trees. Each function renders one
// pane from the host's PositionView; none computes simulator state.
import type {
  BannerView, EventView, FrameView, LocationView, PositionView, SpteView, TreeView,
} from '../src/extension/stepper/protocol';
import { h } from './dom';

export interface DetailActions {
  /** Show in the editor, without moving, where an event (or one frame of its stack) is. */
  reveal(seq: number, frame?: number): void;
  seek(seq: number): void;
}

function locationLink(l: LocationView, reveal: () => void): HTMLElement {
  const a = h('a', {
    href: '#', class: `loc loc-${l.status}`,
    title: l.status === 'resolved' ? 'Show this line in the editor' : l.status === 'symbolic' ? 'No kernel tree linked: symbolic location' : 'The source linker could not place this anchor',
  }, l.label);
  a.addEventListener('click', (e) => { e.preventDefault(); reveal(); });
  return a;
}

export function renderBanners(banners: BannerView[], act: DetailActions): HTMLElement[] {
  return banners.map((b) => {
    const go = h('a', { href: '#', class: 'banner-go' }, `go to #${b.seq}`);
    go.addEventListener('click', (e) => { e.preventDefault(); act.seek(b.seq); });
    return h('div', { class: `banner banner-${b.kind}`, role: 'alert' }, h('span', {}, b.message), ' ', go);
  });
}

function row(name: string, value: string | Node | null): HTMLElement | null {
  if (value === null) return null;
  return h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, value));
}

export function renderEvent(p: PositionView, act: DetailActions): HTMLElement {
  const e: EventView = p.event;
  return h('section', { class: 'pane event', 'aria-labelledby': 'event-h' },
    h('h2', { id: 'event-h' }, 'Current event'),
    h('div', { class: 'event-title', 'aria-live': 'polite' },
      h('span', { class: `kind kind-${e.kind}` }, e.kind), ' ',
      h('code', { class: 'fn' }, e.fn), e.anchorTitle ? h('span', { class: 'anchor-title' }, ` — ${e.anchorTitle}`) : null),
    h('table', { class: 'kv' }, h('tbody', {},
      row('source', locationLink(p.location, () => act.reveal(e.seq))),
      row('anchor', e.anchor),
      row('step', `#${e.step}${e.stepOp ? ` ${e.stepOp}` : ''}`),
      row('mmu_lock', h('span', { class: `lock lock-${p.lock}` }, p.lock)),
      row('vCPU', e.vcpu === null ? null : String(e.vcpu)),
      row('root', e.root),
      row('gfn', e.gfn),
      row('level', e.level),
      row('result', e.result),
      row('status', e.status),
      row('message', e.message),
      ...e.args.map(([k, v]) => row(k, v)),
      row('time', e.time),
      row('cpu', e.cpu === null ? null : String(e.cpu)),
      row('task', e.task),
    )));
}

export function renderStack(frames: FrameView[], current: number, act: DetailActions): HTMLElement {
  const list = h('ol', { class: 'stack', 'aria-label': 'Kernel call stack, innermost first' },
    ...frames.map((f, i) => h('li', { class: f.seq === current ? 'frame current' : 'frame' },
      h('code', {}, f.fn), ' ', locationLink(f.location, () => act.reveal(current, i)))));
  return h('section', { class: 'pane', 'aria-labelledby': 'stack-h' },
    h('h2', { id: 'stack-h' }, 'Call stack'),
    frames.length ? list : h('p', { class: 'muted' }, 'top level (no kernel function)'));
}

function spteTable(label: string, s: SpteView, other: SpteView | null): HTMLElement {
  const otherValues = new Map(other?.fields.map((f) => [f.name, f.value]) ?? []);
  return h('div', { class: 'spte' },
    h('h3', {}, `${label} `, h('code', {}, s.hex)),
    h('p', { class: 'spte-summary' }, s.summary),
    ...s.warnings.map((w) => h('p', { class: 'warning' }, `⚠ ${w}`)),
    h('table', { class: 'bits' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'bits'), h('th', { scope: 'col' }, 'field'), h('th', { scope: 'col' }, 'value'), h('th', { scope: 'col' }, 'meaning'))),
      h('tbody', {}, ...s.fields.map((f) => {
        const differs = other !== null && otherValues.get(f.name) !== f.value;
        return h('tr', { class: differs ? 'differs' : '' },
          h('td', {}, f.bits), h('td', {}, f.name), h('td', {}, h('code', {}, f.value)), h('td', {}, f.meaning));
      }))));
}

export function renderSpte(p: PositionView): HTMLElement {
  const { old, new: neu, from } = p.spte;
  const note = from !== null && from !== p.seq ? h('p', { class: 'muted' }, `from the enclosing call #${from}`) : null;
  return h('section', { class: 'pane', 'aria-labelledby': 'spte-h' },
    h('h2', { id: 'spte-h' }, 'SPTE'),
    note,
    old || neu
      ? h('div', { class: 'spte-pair' }, old ? spteTable('old', old, neu) : null, neu ? spteTable('new', neu, old) : null)
      : h('p', { class: 'muted' }, 'this event changes no SPTE'));
}

function treeColumn(t: TreeView): HTMLElement {
  const top = t.entries.length ? t.entries[0].level : 0;
  const body = t.empty
    ? h('p', { class: 'muted' }, 'no such table at this point')
    : h('ul', { class: 'tree', 'aria-label': t.title },
      ...t.entries.map((e) => h('li', {
        class: `entry${e.onPath ? ' on-path' : ' sibling'}${e.changed ? ` changed changed-${e.changed}` : ''}`,
        'data-indent': String(top - e.level),
        title: e.changed === 'event' ? `changed by this event; was ${e.old}` : e.changed === 'step' ? `changed earlier in this step; was ${e.old}` : '',
      },
      h('span', { class: 'lvl' }, `${e.levelName}[${e.index}]`), ' ',
      h('span', { class: 'gfn' }, e.gfn), ' ',
      h('code', { class: 'val' }, e.spte), ' ',
      h('span', { class: 'sum' }, e.summary),
      e.changed ? h('span', { class: 'chg' }, ` (was ${e.old})`) : null)),
      t.hiddenSiblings > 0 ? h('li', { class: 'more muted' }, `… ${t.hiddenSiblings} more present entries in this table`) : null);
  return h('div', { class: `tree-col table-${t.table}` }, h('h3', {}, t.title), body);
}

export function renderTrees(p: PositionView): HTMLElement {
  return h('section', { class: 'pane', 'aria-labelledby': 'trees-h' },
    h('h2', { id: 'trees-h' }, p.treeGfn ? `Page tables around gfn ${p.treeGfn}` : 'Page tables'),
    p.trees.length ? h('div', { class: 'trees' }, ...p.trees.map(treeColumn)) : h('p', { class: 'muted' }, 'no GFN yet'));
}
