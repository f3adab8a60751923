// Text as lines, each remembering the line of the input file it came from. Mail decoding
// (quoted-printable soft breaks, base64, MIME parts, "> " quoting) changes line numbering;
// keeping the original line lets every error and remark point at the line the user sees.

export interface SourceLines {
  readonly lines: readonly string[];
  /** src[i]: 1-based line of the input file that lines[i] came from. */
  readonly src: readonly number[];
}

/** Splits text on LF (dropping a CR before it); line i maps to input line firstLine + i. */
export function splitLines(text: string, firstLine = 1): SourceLines {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A trailing newline ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return { lines, src: lines.map((_, i) => firstLine + i) };
}

export function slice(sl: SourceLines, start: number, end = sl.lines.length): SourceLines {
  return { lines: sl.lines.slice(start, end), src: sl.src.slice(start, end) };
}

export function emptyLines(): SourceLines {
  return { lines: [], src: [] };
}

/** The input line for index i, clamped so that "end of input" errors still name a real line. */
export function srcLine(sl: SourceLines, i: number): number {
  if (sl.src.length === 0) return 1;
  return sl.src[Math.min(Math.max(i, 0), sl.src.length - 1)];
}

/** Removes leading and trailing blank lines. */
export function trimBlank(sl: SourceLines): SourceLines {
  let s = 0;
  let e = sl.lines.length;
  while (s < e && sl.lines[s].trim() === '') s++;
  while (e > s && sl.lines[e - 1].trim() === '') e--;
  return slice(sl, s, e);
}
