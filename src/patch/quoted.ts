// A review reply that quotes a patch ("> " lines, "[...]" elisions, the reviewer's text in
// between) → the quoted changelog and hunks, rebuilt as far as the quote allows, plus the
// reviewer's comments attached to the quoted line they follow.
//
// Quotes lose information, and we say what was lost instead of guessing silently:
//  - elided lines ("[...]", "<snip>"): each quoted fragment becomes its own partial hunk;
//  - a fragment whose @@ line was elided has no header: it can only be located by content;
//  - a fragment whose "diff --git" was elided has no path (pathUnknown);
//  - list archives and some mailers collapse the leading " " of context lines (and indentation):
//    a line without a +/-/space marker is taken as context and flagged `assumed`.

import { InputNote } from './errors';
import { FilePatch, Hunk, HunkLine, HUNK_HEADER, parseHunkHeader, parsePathToken } from './diff';
import { SourceLines, emptyLines, trimBlank } from './lines';
import { DiffstatEntry, MailMeta, PatchMail, splitTrailers } from './message';
import { parseSubject } from './subject';

export interface ReplyComment {
  /** The reviewer's text (unquoted lines between two quoted parts). */
  text: SourceLines;
  /** Input line of the quoted line the comment follows, or null before any quote. */
  after: number | null;
}

export interface QuotedReply {
  /** The patch as quoted (reconstructed: true, hunks partial). */
  patch: PatchMail;
  /** Who wrote the reply and when (From:/Date: of the reply). */
  reviewer?: string;
  date?: string;
  /** "On <date>, <author> wrote:" of the quoted patch, as written. */
  attribution?: { line: number; author: string; date: string };
  comments: ReplyComment[];
}

interface QLine { text: string; src: number; depth: number }

const ELISION = /^\s*(\[\s*(\.\.\.|…|snip|snipped)\s*\]|<\s*snip\s*>|\.\.\.)\s*$/i;

function quoteDepth(line: string): { depth: number; text: string } {
  let depth = 0;
  let i = 0;
  while (i < line.length) {
    if (line[i] === '>') { depth++; i++; if (line[i] === ' ' && line[i + 1] === '>') i++; continue; }
    break;
  }
  // One space after the last '>' belongs to the quote marker.
  const text = depth > 0 && line[i] === ' ' ? line.slice(i + 1) : line.slice(i);
  return { depth, text };
}

const isHunkHeader = (t: string) => HUNK_HEADER.test(t);
const isFileHeader = (t: string) => t.startsWith('diff --git ');

/** True when the body quotes a diff (a quoted @@ header or diff --git line). */
export function quotesDiff(body: SourceLines): boolean {
  return body.lines.some((l) => {
    const q = quoteDepth(l);
    return q.depth > 0 && (isHunkHeader(q.text) || isFileHeader(q.text));
  });
}

/** Looks like a line of C rather than prose: ends a statement/block or is a comment/directive. */
function looksLikeCode(text: string): boolean {
  return /[;{]\s*$/.test(text) || /^\s*}/.test(text) || /^\s*(\/\*|\*\/|#\s*(include|define|if))/.test(text);
}

export function parseQuotedReply(body: SourceLines, meta: MailMeta & { reviewer?: string }, file: string): QuotedReply {
  const notes: InputNote[] = [];
  const lines: QLine[] = body.lines.map((l, i) => ({ ...quoteDepth(l), src: body.src[i] }));
  // The patch sits at the quote depth where its hunk headers are (1 for a direct reply).
  const depthVotes = new Map<number, number>();
  for (const l of lines) if (l.depth > 0 && (isHunkHeader(l.text) || isFileHeader(l.text))) depthVotes.set(l.depth, (depthVotes.get(l.depth) ?? 0) + 1);
  const patchDepth = [...depthVotes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 1;

  const attribution = findAttribution(lines);
  // Stream of quoted patch lines, with the fragment each belongs to (elisions start a new one).
  const stream: { text: string; src: number; fragment: number }[] = [];
  const comments: ReplyComment[] = [];
  let fragment = 0;
  let pending: { lines: string[]; src: number[] } | null = null;
  const flushComment = () => {
    if (!pending) return;
    const t = trimBlank(pending);
    if (t.lines.length > 0) comments.push({ text: t, after: stream.length ? stream[stream.length - 1].src : null });
    pending = null;
  };
  for (const l of lines) {
    if (ELISION.test(l.text)) {
      flushComment();
      fragment++;
      notes.push({ line: l.src, message: 'lines elided here ("[...]"): the quote is not contiguous' });
      continue;
    }
    if (l.depth === patchDepth) {
      flushComment();
      stream.push({ text: l.text, src: l.src, fragment });
    } else if (l.depth < patchDepth) {
      if (attribution && (l.src === attribution.line || l.src === attribution.endLine)) continue;
      pending ??= { lines: [], src: [] };
      pending.lines.push(l.text);
      pending.src.push(l.src);
    }
  }
  flushComment();

  const diffAt = findQuotedDiffStart(stream);
  // Changelog: quoted lines before the diff, up to a "---" separator; diffstat after it.
  const changelogLines: { lines: string[]; src: number[] } = { lines: [], src: [] };
  const diffstat: DiffstatEntry[] = [];
  let inStat = false;
  for (let i = 0; i < diffAt; i++) {
    const s = stream[i];
    if (s.text === '---') { inStat = true; continue; }
    if (inStat) {
      const m = /^ ?(\S.*?)\s+\|\s+(\d+)/.exec(s.text);
      if (m) diffstat.push({ path: m[1], changes: Number(m[2]), src: s.src });
      continue;
    }
    if (i > 0 && s.fragment !== stream[i - 1].fragment) { changelogLines.lines.push(''); changelogLines.src.push(s.src); }
    changelogLines.lines.push(s.text);
    changelogLines.src.push(s.src);
  }
  const { changelog, trailers } = splitTrailers(changelogLines);
  const files = rebuildHunks(stream.slice(diffAt), file, notes);

  const parsedSubject = parseSubject(meta.subject);
  const patch: PatchMail = {
    subject: meta.subject.replace(/^\s*(re|fwd?)\s*:\s*/i, ''),
    subjectLine: meta.subjectLine,
    parsedSubject: { ...parsedSubject, reply: false },
    author: attribution?.author,
    date: attribution?.date,
    changelog,
    trailers,
    notes: emptyLines(),
    diffstat,
    files,
    isCover: parsedSubject.series?.index === 0,
    reconstructed: true,
    firstLine: meta.firstLine,
    lastLine: meta.lastLine,
    notesAboutInput: notes,
  };
  return { patch, reviewer: meta.reviewer ?? meta.author, date: meta.date, attribution: attribution ?? undefined, comments };
}

/**
 * Where the quoted diff starts. The first fragment holding a diff construct (@@, diff --git,
 * +++) or a +/- line of C is the first diff fragment; inside it, the diff starts at its first
 * diff construct when prose or a "---" separator precedes that, else at the fragment's start
 * (a fragment cut out of the middle of a hunk starts with code).
 */
function findQuotedDiffStart(stream: { text: string; fragment: number }[]): number {
  const isConstruct = (t: string) => isHunkHeader(t) || isFileHeader(t) || t.startsWith('+++ ');
  const isCode = (t: string) => (t[0] === '+' || t[0] === '-') && !t.startsWith('---') && looksLikeCode(t.slice(1));
  const first = stream.findIndex((s) => isConstruct(s.text) || isCode(s.text));
  if (first < 0) return stream.length;
  const frag = stream[first].fragment;
  const fragStart = stream.findIndex((s) => s.fragment === frag);
  if (isCode(stream[first].text)) return fragStart;
  const before = stream.slice(fragStart, first);
  // Context lines of a hunk that lost their markers also precede @@ when the quote starts
  // mid-hunk; prose is told apart by the separator or by a blank line ending a paragraph.
  const prose = before.some((s) => s.text === '---') || before.every((s) => !looksLikeCode(s.text));
  return prose ? first : fragStart;
}

/** "On <date>, <author> wrote:", possibly wrapped onto a second line before "wrote:". */
function findAttribution(lines: QLine[]): { line: number; endLine: number; author: string; date: string } | null {
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].depth > 0) continue;
    let text = lines[i].text.trim();
    let endLine = lines[i].src;
    if (/^On\s/.test(text) && !/wrote:$/.test(text) && i + 1 < lines.length && /wrote:$/.test(lines[i + 1].text.trim()) && lines[i + 1].depth === 0) {
      text += ' ' + lines[i + 1].text.trim();
      endLine = lines[i + 1].src;
    }
    const m = /^On\s+(.*),\s+([^,]+?)\s+wrote:$/.exec(text);
    if (m) return { line: lines[i].src, endLine, date: m[1].trim(), author: m[2].trim() };
  }
  return null;
}

function rebuildHunks(stream: { text: string; src: number; fragment: number }[], file: string, notes: InputNote[]): FilePatch[] {
  const files: FilePatch[] = [];
  let cur: FilePatch | null = null;
  let hunk: Hunk | null = null;
  let hunkFragment = -1;
  let assumed = 0;
  const closeHunk = () => {
    if (hunk && assumed > 0) {
      notes.push({ line: hunk.src, message: `${assumed} quoted line(s) of this hunk lost their +/-/space marker; taken as context` });
    }
    if (hunk && hunk.lines.length === 0 && hunk.header === null) cur!.hunks.pop();
    hunk = null;
    assumed = 0;
  };
  const unknownFile = (src: number): FilePatch => {
    const fp: FilePatch = { oldPath: null, newPath: null, pathUnknown: true, hunks: [], binary: false, src };
    files.push(fp);
    notes.push({ line: src, message: 'the file header of this quoted hunk was elided: its file is unknown and must be found by content' });
    return fp;
  };
  for (let i = 0; i < stream.length; i++) {
    const s = stream[i];
    const t = s.text;
    if (t === '-- ') break; // the quoted patch's signature
    if (isFileHeader(t)) {
      closeHunk();
      const m = /^diff --git (\S+) (\S+)$/.exec(t);
      cur = { oldPath: m ? parsePathToken(m[1], 'a/') : null, newPath: m ? parsePathToken(m[2], 'b/') : null, hunks: [], binary: false, src: s.src };
      if (!m) { cur.pathUnknown = true; notes.push({ line: s.src, message: 'unreadable diff --git line; file unknown' }); }
      files.push(cur);
      continue;
    }
    if (/^(index |new file mode |deleted file mode |similarity index |rename (from|to) )/.test(t) && !hunk) {
      if (t.startsWith('new file mode ') && cur) cur.oldPath = null;
      if (t.startsWith('deleted file mode ') && cur) cur.newPath = null;
      continue;
    }
    if (t.startsWith('--- ') && stream[i + 1]?.text.startsWith('+++ ') && (!hunk || hunk.lines.length === 0)) {
      closeHunk();
      const oldPath = parsePathToken(t.slice(4), 'a/');
      const newPath = parsePathToken(stream[i + 1].text.slice(4), 'b/');
      if (!cur || cur.hunks.length > 0 || cur.pathUnknown) {
        cur = { oldPath, newPath, hunks: [], binary: false, src: s.src };
        files.push(cur);
      } else { cur.oldPath = oldPath; cur.newPath = newPath; }
      i++;
      continue;
    }
    if (isHunkHeader(t)) {
      closeHunk();
      cur ??= unknownFile(s.src);
      hunk = { header: parseHunkHeader(t, file, s.src), lines: [], src: s.src, partial: true };
      hunkFragment = s.fragment;
      cur.hunks.push(hunk);
      continue;
    }
    if (!hunk || s.fragment !== hunkFragment) {
      // Lines after an elision with no @@ line: a headerless fragment of the current file.
      closeHunk();
      cur ??= unknownFile(s.src);
      hunk = { header: null, lines: [], src: s.src, partial: true };
      hunkFragment = s.fragment;
      cur.hunks.push(hunk);
    }
    if (t.startsWith('\\ ') && hunk.lines.length > 0) { hunk.lines[hunk.lines.length - 1].noNewline = true; continue; }
    hunk.lines.push(toHunkLine(t, s.src, () => assumed++));
  }
  closeHunk();
  return files;
}

function toHunkLine(t: string, src: number, onAssumed: () => void): HunkLine {
  const c = t[0];
  if (t === '') return { kind: ' ', text: '', src };
  if (c === ' ' || c === '+' || c === '-') return { kind: c, text: t.slice(1), src };
  onAssumed();
  return { kind: ' ', text: t, src, assumed: true };
}
