// Which simulator anchors a hunk touches: every anchor (src/sim/anchors.ts) resolved by the
// linker in the post-patch text whose lines contain an added line of the hunk, and every anchor
// resolved in the pre-patch text whose lines contain a removed line.

import { ANCHORS, type KernelFile } from '../sim/anchors';
import { resolveAnchor, type Location } from '../kernel/resolve';
import type { SourceFile } from '../kernel/source-file';
import type { HunkPlacement } from './apply';

export interface AnchorLines {
  startLine: number;
  endLine: number;
}

export interface TouchedAnchor {
  id: string;
  title: string;
  fn: string;
  /** added: only in the post-patch text; removed: only in the pre-patch text. */
  change: 'added' | 'removed' | 'modified';
  /** Where the anchor is after the patch (absent when removed). */
  post?: AnchorLines;
  /** Where the anchor was before the patch (absent when added). */
  pre?: AnchorLines;
  /** Added lines (post numbering) inside the anchor, or removed lines (pre numbering) when it was removed. */
  lines: number[];
}

/** Every location of each anchor of `kf` in one parsed file (ambiguous anchors give several). */
export function anchorLocations(kf: KernelFile, file: SourceFile | undefined): Map<string, Location[]> {
  const out = new Map<string, Location[]>();
  if (!file) return out;
  const lookup = (k: KernelFile) => (k === kf ? file : { missing: `${k} is not part of this file` });
  for (const a of ANCHORS) {
    if (a.file !== kf) continue;
    const r = resolveAnchor(a, lookup, undefined);
    if (r.status === 'found') out.set(a.id, [r.location]);
    else if (r.status === 'ambiguous') out.set(a.id, r.candidates);
  }
  return out;
}

const inside = (l: Location, line: number) => l.startLine <= line && line <= l.endLine;

export function anchorsTouched(placement: HunkPlacement, pre: Map<string, Location[]>, post: Map<string, Location[]>): TouchedAnchor[] {
  if (placement.status === 'failed') return [];
  const added: number[] = [];
  const removed: number[] = [];
  placement.hunk.lines.forEach((l, k) => {
    if (l.kind === '+' && placement.post[k]) added.push(placement.post[k]);
    if (l.kind === '-' && placement.pre[k]) removed.push(placement.pre[k]);
  });
  const out: TouchedAnchor[] = [];
  for (const a of ANCHORS) {
    const postLocs = post.get(a.id) ?? [];
    const preLocs = pre.get(a.id) ?? [];
    const postHit = postLocs.find((l) => added.some((n) => inside(l, n)));
    const preHit = preLocs.find((l) => removed.some((n) => inside(l, n)));
    if (!postHit && !preHit) continue;
    const change = postLocs.length === 0 ? 'removed' : preLocs.length === 0 ? 'added' : 'modified';
    const span = (l: Location | undefined): AnchorLines | undefined => (l ? { startLine: l.startLine, endLine: l.endLine } : undefined);
    out.push({
      id: a.id,
      title: a.title,
      fn: a.fn,
      change,
      post: span(postHit ?? postLocs[0]),
      pre: span(preHit ?? preLocs[0]),
      lines: postHit ? added.filter((n) => inside(postHit, n)) : removed.filter((n) => inside(preHit!, n)),
    });
  }
  return out;
}
