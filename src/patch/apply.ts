// Applying hunks to file text, in memory. Nothing here touches the disk.
//
// Each hunk is located the way GNU patch and `git apply` would, and a bit further because
// reviewers feed us quoted fragments: by the header's line number (shifted by the offset of
// the previous hunk), by content anywhere after the previous hunk, preferring places inside
// the function named in the @@ line; then ignoring whitespace (quotes lose indentation); then
// with fuzz (up to two context lines ignored at each end). A hunk whose new side is already in
// the file is "already applied": the pre-patch text is rebuilt from its old side instead.
// A hunk that fits nowhere is reported as failed, with the reason.

import { Hunk, HunkLine } from './diff';

export type PlacementStatus = 'applied' | 'already-applied' | 'failed';

export interface HunkPlacement {
  hunk: Hunk;
  status: PlacementStatus;
  /** 1-based line of the hunk's first old-side line in the pre-patch text (0 when failed). */
  preLine: number;
  /** 1-based line of the hunk's first new-side line in the post-patch text (0 when failed). */
  postLine: number;
  /** Found this many lines away from where the header (plus earlier offsets) put it; 0 without a header. */
  offset: number;
  /** Context lines ignored at the start and end to make the hunk fit. */
  fuzz: number;
  /** Matched only after ignoring whitespace differences. */
  whitespace: boolean;
  /** Several places fitted equally well; the one nearest the expected line was taken. */
  ambiguous: boolean;
  /** Why it failed, or how a headerless fragment was placed. */
  reason?: string;
  /**
   * For each hunk line, its 1-based line in the pre- and post-patch text. A removed line has
   * no post line: `post` is the post line the removal happened before (and vice versa for '+').
   */
  pre: number[];
  post: number[];
}

export interface ApplyResult {
  pre: string;
  post: string;
  placements: HunkPlacement[];
}

export interface ApplyOptions {
  /** Most context lines ignored at each end of a hunk (GNU patch's default is 2). */
  maxFuzz?: number;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

interface Split {
  lines: string[];
  /** Whether the text ended with a newline. */
  eol: boolean;
}

function splitText(text: string): Split {
  if (text === '') return { lines: [], eol: true };
  const eol = text.endsWith('\n');
  const lines = (eol ? text.slice(0, -1) : text).split('\n');
  return { lines, eol };
}

function joinText(lines: string[], eol: boolean): string {
  return lines.length === 0 ? '' : lines.join('\n') + (eol ? '\n' : '');
}

/** What git prints after @@: the nearest earlier line starting with a letter, '_' or '$'. */
function funcnameBefore(lines: string[], at: number): string | null {
  for (let i = at - 1; i >= 0; i--) if (/^[A-Za-z_$]/.test(lines[i])) return lines[i];
  return null;
}

interface Match {
  at: number;        // 0-based index in the file of the first matched line
  trimStart: number; // fuzz: hunk lines skipped at the start
  trimEnd: number;   // and at the end
  whitespace: boolean;
  reverse: boolean;  // matched the new side: already applied
}

/** Indices of lines of one side of a hunk (' ' and '-' for old, ' ' and '+' for new). */
function side(lines: HunkLine[], which: 'old' | 'new'): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => { if (l.kind === ' ' || l.kind === (which === 'old' ? '-' : '+')) out.push(i); });
  return out;
}

/** The file's lines, and the same with whitespace runs collapsed (computed once per file). */
interface FileLines {
  exact: string[];
  blind: string[];
}

/** Every index at or after `from` where `want` matches the file line for line. */
function findAll(file: FileLines, want: string[], from: number, ws: boolean): number[] {
  const lines = ws ? file.blind : file.exact;
  const wanted = ws ? want.map(norm) : want;
  const out: number[] = [];
  if (wanted.length === 0) return out;
  outer: for (let p = from; p + wanted.length <= lines.length; p++) {
    for (let k = 0; k < wanted.length; k++) if (lines[p + k] !== wanted[k]) continue outer;
    out.push(p);
  }
  return out;
}

interface Expected {
  /** 0-based line where the old side should start (header + earlier offset): ranks candidates. */
  old: number;
  /** Same for the new side, for hunks already in the file. */
  new: number;
  /** Where the header alone puts the old / new side: offsets are reported against these. */
  headerOld: number;
  headerNew: number;
}

function locate(lines: FileLines, hunk: Hunk, from: number, expected: Expected, maxFuzz: number): { match: Match; ambiguous: boolean; offset: number } | null {
  const file = lines.exact;
  const section = hunk.header?.section ? norm(hunk.header.section) : '';
  const pick = (cands: number[], exp: number) => {
    const rank = (p: number) => {
      const fn = section ? funcnameBefore(file, p) : null;
      return { inSection: section !== '' && fn !== null && norm(fn).startsWith(section) ? 0 : 1, dist: Math.abs(p - exp) };
    };
    const ranked = cands.map((p) => ({ p, r: rank(p) })).sort((a, b) => a.r.inSection - b.r.inSection || a.r.dist - b.r.dist || a.p - b.p);
    const [best, next] = ranked;
    return { p: best.p, ambiguous: !!next && next.r.inSection === best.r.inSection && next.r.dist === best.r.dist };
  };
  const texts = (lines: HunkLine[], which: 'old' | 'new') => side(lines, which).map((i) => lines[i].text);
  const forward = (fuzz: number, ws: boolean) => {
    for (let ts = 0; ts <= fuzz; ts++) {
      const trimmed = trimContext(hunk.lines, ts, fuzz - ts);
      if (!trimmed) continue;
      const want = texts(trimmed.lines, 'old');
      if (want.length === 0) continue;
      const cands = findAll(lines, want, from, ws);
      if (cands.length === 0) continue;
      const { p, ambiguous } = pick(cands, expected.old + ts);
      return { match: { at: p, trimStart: ts, trimEnd: fuzz - ts, whitespace: ws, reverse: false }, ambiguous, offset: p - ts - expected.headerOld };
    }
    return null;
  };
  // Already applied: the new side is in the file. Needs at least one added line to tell.
  const reverse = (ws: boolean) => {
    if (!hunk.lines.some((l) => l.kind === '+')) return null;
    const cands = findAll(lines, texts(hunk.lines, 'new'), from, ws);
    if (cands.length === 0) return null;
    const { p, ambiguous } = pick(cands, expected.new);
    return { match: { at: p, trimStart: 0, trimEnd: 0, whitespace: ws, reverse: true }, ambiguous, offset: p - expected.headerNew };
  };
  // Like GNU patch: an exact fit either way before any fuzz (fuzz could otherwise "apply" a
  // hunk a second time next to its own added lines).
  const exact = forward(0, false) ?? forward(0, true) ?? reverse(false) ?? reverse(true);
  if (exact) return exact;
  // Pure insertions (no old side): where the header says.
  if (side(hunk.lines, 'old').length === 0 && hunk.header) {
    const at = Math.min(Math.max(expected.old, from), file.length);
    return { match: { at, trimStart: 0, trimEnd: 0, whitespace: false, reverse: false }, ambiguous: false, offset: at - expected.headerOld };
  }
  for (let fuzz = 1; fuzz <= maxFuzz; fuzz++) {
    const found = forward(fuzz, false) ?? forward(fuzz, true);
    if (found) return found;
  }
  return null;
}

/** The hunk without `s` leading and `e` trailing context lines (null if they are not context). */
function trimContext(lines: HunkLine[], s: number, e: number): { lines: HunkLine[]; start: number; end: number } | null {
  if (s + e >= lines.length) return null;
  for (let i = 0; i < s; i++) if (lines[i].kind !== ' ') return null;
  for (let i = 0; i < e; i++) if (lines[lines.length - 1 - i].kind !== ' ') return null;
  return { lines: lines.slice(s, lines.length - e), start: s, end: e };
}

/**
 * Applies the hunks of one file to `text` (the file as it is now). Hunks must be in file order,
 * as diff writes them. Returns the pre- and post-patch texts and where each hunk went.
 */
export function applyHunks(text: string, hunks: Hunk[], opts: ApplyOptions = {}): ApplyResult {
  const maxFuzz = opts.maxFuzz ?? 2;
  const file = splitText(text);
  const F = file.lines;
  const fileLines: FileLines = { exact: F, blind: F.map(norm) };
  const preOut: string[] = [];
  const postOut: string[] = [];
  const placements: HunkPlacement[] = [];
  let preEol = file.eol;
  let postEol = file.eol;
  let cursor = 0;
  let delta = 0; // where the last hunk was found minus where its header put it
  for (const hunk of hunks) {
    // Header lines are 1-based; a side with count 0 names the line *before* the hunk.
    const at = (start: number, count: number) => (count === 0 ? start : start - 1);
    const h = hunk.header;
    const expected: Expected = h
      ? {
          old: Math.max(at(h.oldStart, h.oldCount) + delta, cursor),
          new: Math.max(at(h.newStart, h.newCount) + delta, cursor),
          headerOld: at(h.oldStart, h.oldCount),
          headerNew: at(h.newStart, h.newCount),
        }
      : { old: cursor, new: cursor, headerOld: cursor, headerNew: cursor };
    const found = locate(fileLines, hunk, cursor, expected, maxFuzz);
    if (!found) {
      const oldSide = hunk.lines.filter((l) => l.kind !== '+').length;
      placements.push({
        hunk, status: 'failed', preLine: 0, postLine: 0, offset: 0, fuzz: 0, whitespace: false, ambiguous: false,
        reason: oldSide > 0
          ? `its ${oldSide} context and removed line(s) appear nowhere after line ${cursor} of the file, even ignoring whitespace with ${maxFuzz} line(s) of fuzz, and its added lines are not there either`
          : 'an insertion with neither context nor a line number cannot be placed',
        pre: hunk.lines.map(() => 0), post: hunk.lines.map(() => 0),
      });
      continue;
    }
    const { match } = found;
    for (; cursor < match.at; cursor++) { preOut.push(F[cursor]); postOut.push(F[cursor]); }
    // Per hunk line: its line in the pre and post text (0 for context ignored as fuzz).
    const pre: number[] = new Array(hunk.lines.length).fill(0);
    const post: number[] = new Array(hunk.lines.length).fill(0);
    // The side that is in the file comes from the file (its real whitespace); the other side
    // from the hunk.
    const inFile = match.reverse ? '+' : '-';
    for (let k = match.trimStart; k < hunk.lines.length - match.trimEnd; k++) {
      const l = hunk.lines[k];
      if (l.kind === ' ') {
        const t = F[cursor++];
        pre[k] = preOut.push(t);
        post[k] = postOut.push(t);
      } else if (l.kind === '-') {
        pre[k] = preOut.push(inFile === '-' ? F[cursor++] : l.text);
        post[k] = postOut.length + 1;
      } else {
        post[k] = postOut.push(inFile === '+' ? F[cursor++] : l.text);
        pre[k] = preOut.length + 1;
      }
    }
    if (cursor === F.length) {
      // "\ No newline at end of file" after the last line of a side.
      const noEol = (kinds: string) => hunk.lines.some((l) => l.noNewline && kinds.includes(l.kind));
      if (match.reverse) preEol = !noEol(' -');
      else postEol = !noEol(' +');
    }
    const first = (arr: number[]) => arr.find((x) => x > 0) ?? 0;
    placements.push({
      hunk,
      status: match.reverse ? 'already-applied' : 'applied',
      preLine: first(pre),
      postLine: first(post),
      offset: h ? found.offset : 0,
      fuzz: match.trimStart + match.trimEnd,
      whitespace: match.whitespace,
      ambiguous: found.ambiguous,
      reason: h === null ? 'no @@ line in the quote: placed by content alone' : undefined,
      pre,
      post,
    });
    if (h) delta = match.reverse ? match.at - at(h.newStart, h.newCount) : match.at - match.trimStart - at(h.oldStart, h.oldCount);
  }
  for (; cursor < F.length; cursor++) { preOut.push(F[cursor]); postOut.push(F[cursor]); }
  return { pre: joinText(preOut, preEol), post: joinText(postOut, postEol), placements };
}

/** A new file: the added lines are the whole post-patch text. */
export function applyToNewFile(hunks: Hunk[]): ApplyResult {
  const postOut: string[] = [];
  const placements = hunks.map((hunk): HunkPlacement => {
    const post = hunk.lines.map((l) => (l.kind === '-' ? postOut.length + 1 : postOut.push(l.text)));
    return { hunk, status: 'applied', preLine: 0, postLine: post[0] ?? 1, offset: 0, fuzz: 0, whitespace: false, ambiguous: false, pre: hunk.lines.map(() => 0), post };
  });
  return { pre: '', post: joinText(postOut, true), placements };
}
