// mbox splitting: `git format-patch` files, `git format-patch --stdout` / `b4 am` series, and
// mailboxes saved by mail clients. A message starts at a "From " line that begins the file or
// follows a blank line and is followed by a header field (so a changelog sentence starting
// with "From " is not taken for a separator). mboxrd/mboxo escaping (">From ") is undone.

import { isHeaderField } from './mime';
import { SourceLines } from './lines';

export function isMboxSeparator(sl: SourceLines, i: number): boolean {
  return (
    sl.lines[i].startsWith('From ') &&
    (i === 0 || sl.lines[i - 1].trim() === '') &&
    i + 1 < sl.lines.length &&
    isHeaderField(sl.lines[i + 1])
  );
}

/** True when the input is an mbox (its first non-blank line is a "From " separator). */
export function looksLikeMbox(sl: SourceLines): boolean {
  const first = sl.lines.findIndex((l) => l.trim() !== '');
  return first >= 0 && sl.lines[first].startsWith('From ') && first + 1 < sl.lines.length && isHeaderField(sl.lines[first + 1]);
}

/** Splits an mbox into messages (separator lines dropped, ">From " unescaped). */
export function splitMbox(sl: SourceLines): SourceLines[] {
  const messages: SourceLines[] = [];
  let cur: { lines: string[]; src: number[] } | null = null;
  for (let i = 0; i < sl.lines.length; i++) {
    if (isMboxSeparator(sl, i)) {
      if (cur) messages.push(cur);
      cur = { lines: [], src: [] };
      continue;
    }
    if (!cur) continue; // text before the first separator (blank lines) belongs to no message
    const line = sl.lines[i];
    cur.lines.push(/^>+From /.test(line) ? line.slice(1) : line);
    cur.src.push(sl.src[i]);
  }
  if (cur) messages.push(cur);
  return messages;
}
