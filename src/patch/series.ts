// Applying a patch series in memory: each patch on the result of the previous one, every file
// read from the kernel tree once and then kept as an in-memory overlay. With no tree, a file's
// text is built from the hunks alone (their new and old sides), so the hunk content can still be
// parsed and checked.

import { FilePatch, Hunk, patchPath } from './diff';
import { ApplyResult, HunkPlacement, applyHunks, applyToNewFile } from './apply';
import { PatchMail } from './message';
import { KernelTreeReader } from './tree';

export type FileSource =
  | 'tree'        // read from the kernel tree
  | 'series'      // the result of an earlier patch of the series
  | 'new'         // created by the patch
  | 'hunks-only'; // no tree (or not in it): text assembled from the hunks, positions are in that text

export interface AppliedFile {
  /** Path in the patch (for a quoted hunk whose path was elided: the path it was found at). */
  path: string;
  /** Where the text came from; 'hunks-only' texts are not the real file. */
  source: FileSource;
  /** Path relative to the tree root when read from the tree. */
  treePath?: string;
  file: FilePatch;
  /** Text before and after this patch ('' for a new / deleted file). */
  pre: string;
  post: string;
  placements: HunkPlacement[];
  /** The patch deletes the file. */
  deleted: boolean;
  /** Notes for the user: path guessed, file missing, ... */
  notes: string[];
}

/**
 * Lines to put around one side of a hunk when a file is assembled from hunks alone, so that a
 * C parser reads each hunk on its own terms (e.g. a hunk that starts inside a function gets a
 * function opened for it). `section` is the hunk's @@ function context.
 */
export type FrameFragment = (lines: readonly string[], section: string) => { before: string[]; after: string[] };

export interface AppliedPatch {
  patch: PatchMail;
  files: AppliedFile[];
}

export interface ApplyContext {
  tree?: KernelTreeReader;
  signal?: AbortSignal;
  /** Overlay: text of every file touched so far (null: deleted by an earlier patch). */
  overlay?: Map<string, string | null>;
  /** Framing of hunks in files assembled from hunks alone (default: none). */
  frame?: FrameFragment;
}

/** Applies the patches in order. */
export async function applySeries(patches: PatchMail[], ctx: ApplyContext = {}): Promise<AppliedPatch[]> {
  const overlay = ctx.overlay ?? new Map<string, string | null>();
  const out: AppliedPatch[] = [];
  for (const patch of patches) {
    ctx.signal?.throwIfAborted();
    out.push({ patch, files: await applyPatch(patch, ctx.tree, overlay, ctx.frame ?? noFrame, ctx.signal) });
  }
  return out;
}

const noFrame: FrameFragment = () => ({ before: [], after: [] });

async function applyPatch(patch: PatchMail, tree: KernelTreeReader | undefined, overlay: Map<string, string | null>, frame: FrameFragment, signal?: AbortSignal): Promise<AppliedFile[]> {
  const files: AppliedFile[] = [];
  for (const fp of patch.files) {
    signal?.throwIfAborted();
    if (fp.binary) {
      files.push({ path: patchPath(fp), source: 'hunks-only', file: fp, pre: '', post: '', placements: [], deleted: false, notes: ['binary change: not reviewed'] });
      continue;
    }
    if (fp.pathUnknown) {
      files.push(await applyUnknownPath(fp, patch, tree, overlay, frame, signal));
      continue;
    }
    const p = patchPath(fp);
    if (fp.oldPath === null) {
      const r = applyToNewFile(fp.hunks);
      overlay.set(p, r.post);
      files.push({ path: p, source: 'new', file: fp, pre: '', post: r.post, placements: r.placements, deleted: false, notes: [] });
      continue;
    }
    const current = await currentText(fp.oldPath, tree, overlay);
    if (current === undefined) {
      files.push(hunksOnly(fp, p, frame, tree ? [`${fp.oldPath} is not in the tree ${tree.root}: only the hunk content is analysed`] : []));
      continue;
    }
    if (current.text === null) {
      files.push(hunksOnly(fp, p, frame, [`${fp.oldPath} was deleted by an earlier patch of the series`]));
      continue;
    }
    const r = applyHunks(current.text, fp.hunks);
    const post = fp.newPath === null ? '' : r.post;
    if (fp.newPath !== fp.oldPath) overlay.set(fp.oldPath, null);
    if (fp.newPath !== null) overlay.set(fp.newPath, post);
    files.push({ path: p, source: current.source, treePath: current.treePath, file: fp, pre: r.pre, post, placements: r.placements, deleted: fp.newPath === null, notes: [] });
  }
  return files;
}

async function currentText(p: string, tree: KernelTreeReader | undefined, overlay: Map<string, string | null>): Promise<{ text: string | null; source: FileSource; treePath?: string } | undefined> {
  if (overlay.has(p)) return { text: overlay.get(p)!, source: 'series' };
  const f = await tree?.read(p);
  return f ? { text: f.text, source: 'tree', treePath: f.rel } : undefined;
}

/**
 * Hunks quoted without their file header: try the files the subject names ("KVM: x86/tdp_mmu:"
 * → tdp_mmu.c / tdp_mmu.h) and files touched earlier, and keep the one where most hunks apply.
 */
async function applyUnknownPath(fp: FilePatch, patch: PatchMail, tree: KernelTreeReader | undefined, overlay: Map<string, string | null>, frame: FrameFragment, signal?: AbortSignal): Promise<AppliedFile> {
  const stems = subjectStems(patch.parsedSubject.title);
  const candidates = new Set<string>([...overlay.keys()].filter((k) => overlay.get(k) !== null));
  if (tree && stems.length) for (const c of await tree.findByStem(stems, signal)) candidates.add(c);
  let best: { path: string; r: ApplyResult; placed: number; source: FileSource; treePath?: string } | null = null;
  for (const c of candidates) {
    const cur = await currentText(c, tree, overlay);
    if (!cur || cur.text === null) continue;
    const r = applyHunks(cur.text, fp.hunks);
    const placed = r.placements.filter((x) => x.status !== 'failed').length;
    if (placed > (best?.placed ?? 0)) best = { path: c, r, placed, source: cur.source, treePath: cur.treePath };
  }
  if (!best) {
    const why = !tree
      ? 'no tree given: only the hunk content is analysed'
      : `no file of the tree matched its hunks (tried ${candidates.size ? [...candidates].join(', ') : `files named ${stems.map((s) => s + '.[ch]').join(', ') || 'in the subject: none'}`})`;
    return hunksOnly(fp, '', frame, [`the quoted hunks do not say which file they change; ${why}`]);
  }
  overlay.set(best.path, best.r.post);
  return {
    path: best.path, source: best.source, treePath: best.treePath, file: fp, pre: best.r.pre, post: best.r.post, placements: best.r.placements, deleted: false,
    notes: [`the quoted hunks do not name their file; ${best.placed} of ${fp.hunks.length} hunk(s) fit ${best.path}, taken as the file`],
  };
}

/** "KVM: x86/tdp_mmu: Add ..." → ['tdp_mmu', 'x86', 'kvm']: the prefix names the area. */
export function subjectStems(title: string): string[] {
  const colon = title.lastIndexOf(': ');
  if (colon < 0) return [];
  const words = title.slice(0, colon).split(/[\s:/,]+/).filter((w) => /^[A-Za-z_][\w-]*$/.test(w));
  return [...new Set(words.reverse().flatMap((w) => [w, w.toLowerCase()]))];
}

/**
 * A file we cannot read: its text is the hunks' sides laid end to end, one blank line apart,
 * each framed by `frame` (synthetic lines that make the fragment parse as C).
 */
function hunksOnly(fp: FilePatch, p: string, frame: FrameFragment, notes: string[]): AppliedFile {
  const preOut: string[] = [];
  const postOut: string[] = [];
  const placements: HunkPlacement[] = fp.hunks.map((hunk: Hunk) => {
    if (preOut.length) { preOut.push(''); postOut.push(''); }
    const section = hunk.header?.section ?? '';
    const preFrame = frame(hunk.lines.filter((l) => l.kind !== '+').map((l) => l.text), section);
    const postFrame = frame(hunk.lines.filter((l) => l.kind !== '-').map((l) => l.text), section);
    preOut.push(...preFrame.before);
    postOut.push(...postFrame.before);
    const pre: number[] = [];
    const post: number[] = [];
    for (const l of hunk.lines) {
      pre.push(l.kind === '+' ? preOut.length + 1 : preOut.push(l.text));
      post.push(l.kind === '-' ? postOut.length + 1 : postOut.push(l.text));
    }
    preOut.push(...preFrame.after);
    postOut.push(...postFrame.after);
    const first = (xs: number[], kinds: string) => xs.find((_, k) => kinds.includes(hunk.lines[k].kind)) ?? 1;
    return { hunk, status: 'applied', preLine: first(pre, ' -'), postLine: first(post, ' +'), offset: 0, fuzz: 0, whitespace: false, ambiguous: false, pre, post };
  });
  return { path: p, source: 'hunks-only', file: fp, pre: preOut.join('\n') + '\n', post: postOut.join('\n') + '\n', placements, deleted: false, notes };
}
