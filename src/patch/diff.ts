// Unified diffs as git writes them (also plain `diff -u`): file headers, extended git headers,
// hunks checked against their @@ counts. Strict: a hunk that ends early, a line that belongs to
// no hunk, or a malformed header is a PatchParseError naming the line.

import { PatchParseError } from './errors';
import { SourceLines } from './lines';
import { preview } from './mime';

export type HunkLineKind = ' ' | '-' | '+';

export interface HunkLine {
  kind: HunkLineKind;
  text: string;
  /** Input line. */
  src: number;
  /** Followed by "\ No newline at end of file". */
  noNewline?: boolean;
  /** Quoted hunks only: the +/-/space marker was lost in quoting; context was assumed. */
  assumed?: boolean;
}

export interface HunkHeader {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** Function context git prints after the second @@ ("" when none). */
  section: string;
}

export interface Hunk {
  /** null for a quoted fragment whose @@ line was elided. */
  header: HunkHeader | null;
  lines: HunkLine[];
  /** Input line of the @@ header (or of the first line of a headerless fragment). */
  src: number;
  /** A fragment quoted in a reply: lines may be missing around it and its counts are not checked. */
  partial: boolean;
}

export interface FilePatch {
  /** Path before (null: new file), without the a/ prefix. */
  oldPath: string | null;
  /** Path after (null: deleted file), without the b/ prefix. */
  newPath: string | null;
  hunks: Hunk[];
  /** Binary change: not reviewable, reported. */
  binary: boolean;
  /** Quoted hunks whose file header was elided: the path must be found by content. */
  pathUnknown?: boolean;
  /** Input line of the file header. */
  src: number;
}

/** The path a file patch is about: the new path, or the old one for a deletion. */
export function patchPath(fp: FilePatch): string {
  return fp.newPath ?? fp.oldPath ?? '';
}

export const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

export function parseHunkHeader(line: string, file: string, src: number): HunkHeader {
  const m = HUNK_HEADER.exec(line);
  if (!m) throw new PatchParseError(file, src, `malformed hunk header '${preview(line)}': expected '@@ -l,s +l,s @@ [function]'`);
  return {
    oldStart: Number(m[1]),
    oldCount: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newCount: m[4] === undefined ? 1 : Number(m[4]),
    section: m[5].trim(),
  };
}

/** "a/x/y.c" → "x/y.c"; "/dev/null" → null; strips a diff -u timestamp after a tab. */
export function parsePathToken(token: string, prefix: 'a/' | 'b/'): string | null {
  let p = token.split('\t')[0].trim();
  if (p.startsWith('"') && p.endsWith('"') && p.length >= 2) p = p.slice(1, -1);
  if (p === '/dev/null') return null;
  return p.startsWith(prefix) ? p.slice(2) : p;
}

const EXTENDED = /^(index |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to )/;

export function isDiffStart(line: string): boolean {
  return line.startsWith('diff --git ') || line.startsWith('--- ') || line.startsWith('Index: ');
}

/**
 * Parses the diff starting at index `start` of `sl`. Returns the files and the index of the
 * first line after the diff (the signature "-- " or trailing text).
 */
export function parseUnifiedDiff(sl: SourceLines, start: number, file: string): { files: FilePatch[]; end: number } {
  const L = sl.lines;
  const files: FilePatch[] = [];
  let cur: FilePatch | null = null;
  let i = start;
  while (i < L.length) {
    const line = L[i];
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git (\S+) (\S+)$/.exec(line);
      cur = {
        oldPath: m ? parsePathToken(m[1], 'a/') : null,
        newPath: m ? parsePathToken(m[2], 'b/') : null,
        hunks: [],
        binary: false,
        src: sl.src[i],
      };
      files.push(cur);
      i++;
      for (; i < L.length; i++) {
        const h = L[i];
        if (h.startsWith('new file mode ')) cur.oldPath = null;
        else if (h.startsWith('deleted file mode ')) cur.newPath = null;
        else if (h.startsWith('rename from ') || h.startsWith('copy from ')) cur.oldPath = h.slice(h.indexOf(' from ') + 6);
        else if (h.startsWith('rename to ') || h.startsWith('copy to ')) cur.newPath = h.slice(h.indexOf(' to ') + 4);
        else if (h.startsWith('Binary files ') || h === 'GIT binary patch') {
          cur.binary = true;
          if (h === 'GIT binary patch') i = skipBinary(L, i + 1) - 1;
        } else if (!EXTENDED.test(h)) break;
      }
      continue;
    }
    if (line.startsWith('Index: ') && i + 1 < L.length && /^=+$/.test(L[i + 1])) {
      i += 2; // svn/quilt style banner before ---/+++
      continue;
    }
    if (line.startsWith('--- ') && i + 1 < L.length && L[i + 1].startsWith('+++ ')) {
      const oldPath = parsePathToken(line.slice(4), 'a/');
      const newPath = parsePathToken(L[i + 1].slice(4), 'b/');
      if (!cur || cur.hunks.length > 0 || cur.binary) {
        cur = { oldPath, newPath, hunks: [], binary: false, src: sl.src[i] };
        files.push(cur);
      } else {
        // The ---/+++ lines name the paths exactly; "diff --git" is ambiguous with spaces.
        cur.oldPath = oldPath;
        cur.newPath = newPath;
      }
      i += 2;
      continue;
    }
    if (line.startsWith('@@')) {
      if (!cur) throw new PatchParseError(file, sl.src[i], 'hunk header before any file header (diff --git or ---/+++)');
      const parsed = parseHunk(sl, i, file);
      cur.hunks.push(parsed.hunk);
      i = parsed.end;
      continue;
    }
    break;
  }
  const lastHunk = files[files.length - 1]?.hunks.slice(-1)[0];
  if (lastHunk?.header && i < L.length && /^[-+ ]/.test(L[i]) && L[i] !== '-- ') {
    const h = lastHunk.header;
    throw new PatchParseError(file, sl.src[i], `line is beyond the end of the hunk at line ${lastHunk.src}, whose header counts ${h.oldCount} old and ${h.newCount} new line(s): '${preview(L[i])}'`);
  }
  // Anything that looks like more diff after trailing text means a hunk was cut short.
  for (let j = i; j < L.length && L[j] !== '-- '; j++) {
    if (L[j].startsWith('@@ -') || L[j].startsWith('diff --git ')) {
      throw new PatchParseError(file, sl.src[i], `unexpected text inside the diff: '${preview(L[i])}' (expected a hunk line, a hunk header or a file header before line ${sl.src[j]})`);
    }
  }
  return { files, end: i };
}

function skipBinary(L: readonly string[], i: number): number {
  // literal/delta blocks end with a blank line; two blocks (forward and reverse).
  for (let blocks = 0; i < L.length && blocks < 2; blocks++) {
    if (!/^(literal|delta) \d+$/.test(L[i])) break;
    i++;
    while (i < L.length && L[i] !== '') i++;
    i++;
  }
  return i;
}

function parseHunk(sl: SourceLines, at: number, file: string): { hunk: Hunk; end: number } {
  const L = sl.lines;
  const header = parseHunkHeader(L[at], file, sl.src[at]);
  const hunk: Hunk = { header, lines: [], src: sl.src[at], partial: false };
  let oldLeft = header.oldCount;
  let newLeft = header.newCount;
  let i = at + 1;
  const missing = () => `${oldLeft} old and ${newLeft} new line(s) still expected`;
  while (oldLeft > 0 || newLeft > 0) {
    if (i >= L.length) {
      throw new PatchParseError(file, sl.src[L.length - 1], `hunk '${preview(L[at])}' (line ${sl.src[at]}) ends at end of input: ${missing()}`);
    }
    const line = L[i];
    const c = line[0];
    if (c === '\\') {
      markNoNewline(hunk, file, sl.src[i]);
      i++;
      continue;
    }
    // An empty line is a context line whose lone space was stripped by a mailer.
    const kind: HunkLineKind | null = line === '' ? ' ' : c === ' ' || c === '-' || c === '+' ? c : null;
    if (kind === null) {
      throw new PatchParseError(file, sl.src[i], `line is not part of hunk '${preview(L[at])}' (line ${sl.src[at]}): '${preview(line)}'; ${missing()}`);
    }
    if ((kind !== '+' && oldLeft === 0) || (kind !== '-' && newLeft === 0)) {
      throw new PatchParseError(file, sl.src[i], `hunk '${preview(L[at])}' (line ${sl.src[at]}) has more ${kind === '+' ? 'added' : kind === '-' ? 'removed' : 'context'} lines than its header counts`);
    }
    if (kind !== '+') oldLeft--;
    if (kind !== '-') newLeft--;
    hunk.lines.push({ kind, text: line.slice(1), src: sl.src[i] });
    i++;
  }
  if (i < L.length && L[i].startsWith('\\')) {
    markNoNewline(hunk, file, sl.src[i]);
    i++;
  }
  return { hunk, end: i };
}

function markNoNewline(hunk: Hunk, file: string, src: number): void {
  const last = hunk.lines[hunk.lines.length - 1];
  if (!last) throw new PatchParseError(file, src, "'\\ No newline at end of file' before any hunk line");
  last.noNewline = true;
}
