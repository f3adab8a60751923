// The page-table contents a Recording can show at any event: for each table kind (direct root,
// mirror root, the TDX module's S-EPT) a map from (level, table index) to the 512 entries of that
// page table. Entries are keyed by position (level + GFN), not by physical page, because that is
// what an EntryWrite names; a freed page table is represented by its entries going back to the
// empty value. Nodes are copy-on-write so that checkpoints share everything they did not change.
import type { PgLevel, RootKind, Spte, WalkEntry } from './types';
import * as levels from './levels';
import * as spte from './spte';

// Module-local copies: imported bindings are getter calls in CommonJS output (hot path).
const { SPTE_ENT_PER_PAGE, gfnRoundForLevel, pagesPerHpage, spteIndex, tableSpanPages } = levels;
const { SHADOW_NONPRESENT_VALUE, is_large_pte, is_shadow_present_pte, septEntryIsLeaf } = spte;

export type TableKind = RootKind | 'sept';
export const TABLE_KINDS: readonly TableKind[] = ['direct', 'mirror', 'sept'];
export const tableKindIndex = (t: TableKind): number => (t === 'direct' ? 0 : t === 'mirror' ? 1 : 2);

/** The value of an entry nobody wrote: SHADOW_NONPRESENT_VALUE for SPTEs, FREE (0) in the S-EPT. */
export function emptyValue(t: TableKind): Spte {
  return t === 'sept' ? 0n : SHADOW_NONPRESENT_VALUE;
}

/** Present for the walk: MMU-present SPTE, or any S-EPT state but FREE. */
export function entryPresent(t: TableKind, v: Spte): boolean {
  return t === 'sept' ? v !== 0n : is_shadow_present_pte(v);
}

/** A leaf mapping: present and last-level (SPTE), or a leaf S-EPT state. */
export function entryIsLeaf(t: TableKind, v: Spte, level: PgLevel): boolean {
  if (t === 'sept') return septEntryIsLeaf(v);
  // is_shadow_present_pte() && is_last_spte()
  return is_shadow_present_pte(v) && (level === 1 || is_large_pte(v));
}

interface Node {
  owner: number;
  e: BigUint64Array;
}

interface Bucket {
  owner: number;
  nodes: Map<number, Node>;
}

const nodeKey = (level: PgLevel, gfn: number): number => Math.floor(gfn / tableSpanPages(level)) * 8 + level;
/** Nodes are spread over buckets so that a snapshot copies 256 references, and a store copies
 *  only the buckets (and nodes) it changes after a snapshot. */
const BUCKETS = 256;
const bucketOf = (key: number): number => Math.floor(key / 8) % BUCKETS;

/** One table kind's entries. `owner` tags buckets and nodes this store may mutate in place. */
export class TableStore {
  private static nextOwner = 1;
  private owner = TableStore.nextOwner++;
  /** Present leaf entries per level (index = level). */
  readonly leafCounts = new Float64Array(6);
  rootPresent = false;
  private buckets: Bucket[];
  /** The node used last and its key (consecutive accesses mostly stay in one page table);
   *  set() keeps it current when it creates or copies that node. */
  private lastKey = -1;
  private lastNode: Node | undefined = undefined;

  constructor(readonly kind: TableKind, readonly rootLevel: PgLevel, buckets?: Bucket[]) {
    this.buckets = buckets ?? Array.from({ length: BUCKETS }, () => ({ owner: this.owner, nodes: new Map<number, Node>() }));
  }

  private node(key: number): Node | undefined {
    if (key === this.lastKey) return this.lastNode;
    const n = this.buckets[bucketOf(key)].nodes.get(key);
    this.lastKey = key;
    this.lastNode = n;
    return n;
  }

  get(level: PgLevel, gfn: number): Spte {
    const n = this.node(nodeKey(level, gfn));
    return n ? n.e[spteIndex(gfn, level)] : emptyValue(this.kind);
  }

  set(level: PgLevel, gfn: number, v: Spte): void {
    const key = nodeKey(level, gfn);
    const last = key === this.lastKey ? this.lastNode : undefined;
    if (last !== undefined && last.owner === this.owner) return this.store(last, level, gfn, v);
    const bi = bucketOf(key);
    let b = this.buckets[bi];
    if (b.owner !== this.owner) {
      b = { owner: this.owner, nodes: new Map(b.nodes) };
      this.buckets[bi] = b;
    }
    let n = b.nodes.get(key);
    if (!n) {
      n = { owner: this.owner, e: new BigUint64Array(SPTE_ENT_PER_PAGE) };
      if (this.kind !== 'sept') n.e.fill(SHADOW_NONPRESENT_VALUE);
      b.nodes.set(key, n);
    } else if (n.owner !== this.owner) {
      n = { owner: this.owner, e: n.e.slice() };
      b.nodes.set(key, n);
    }
    this.lastKey = key;
    this.lastNode = n;
    this.store(n, level, gfn, v);
  }

  /** Write one entry of a node this store owns, keeping the leaf counts. */
  private store(n: Node, level: PgLevel, gfn: number, v: Spte): void {
    const i = spteIndex(gfn, level);
    const old = n.e[i];
    if (entryIsLeaf(this.kind, old, level)) this.leafCounts[level]--;
    if (entryIsLeaf(this.kind, v, level)) this.leafCounts[level]++;
    n.e[i] = v;
  }

  /** An immutable copy sharing every bucket and node; this store copies what it changes next. */
  snapshot(): TableStore {
    const s = new TableStore(this.kind, this.rootLevel, this.buckets.slice());
    s.owner = 0; // a snapshot never mutates in place
    s.leafCounts.set(this.leafCounts);
    s.rootPresent = this.rootPresent;
    this.owner = TableStore.nextOwner++;
    return s;
  }

  /** A private, mutable copy (for replaying from a checkpoint). */
  fork(): TableStore {
    const s = new TableStore(this.kind, this.rootLevel, this.buckets.slice());
    s.leafCounts.set(this.leafCounts);
    s.rootPresent = this.rootPresent;
    return s;
  }

  walk(gfn: number): WalkEntry[] {
    if (!this.rootPresent) return [];
    const out: WalkEntry[] = [];
    for (let level = this.rootLevel; level >= 1; level--) {
      const g = gfnRoundForLevel(gfn, level as PgLevel);
      const v = this.get(level as PgLevel, g);
      out.push({ level: level as PgLevel, gfn: g, spte: v });
      if (!entryPresent(this.kind, v) || entryIsLeaf(this.kind, v, level as PgLevel)) break;
    }
    return out;
  }

  /** Non-empty entries of the page table at `level` covering gfn (FROZEN and blocked ones included). */
  tableAt(gfn: number, level: PgLevel): WalkEntry[] {
    const n = this.node(nodeKey(level, gfn));
    if (!n) return [];
    const base = Math.floor(gfn / tableSpanPages(level)) * tableSpanPages(level);
    const empty = emptyValue(this.kind);
    const out: WalkEntry[] = [];
    for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
      if (n.e[i] !== empty) out.push({ level, gfn: base + i * pagesPerHpage(level), spte: n.e[i] });
    }
    return out;
  }

  counts(): Partial<Record<PgLevel, number>> {
    const out: Partial<Record<PgLevel, number>> = {};
    for (let l = 1; l <= 5; l++) if (this.leafCounts[l]) out[l as PgLevel] = this.leafCounts[l];
    return out;
  }
}
