// One patch mail body → changelog, version notes, diffstat and per-file hunks, the way
// `git format-patch` lays it out:
//   changelog ... trailers / "---" / notes and diffstat / diff / "-- " signature.

import { InputNote } from './errors';
import { FilePatch, isDiffStart, parseUnifiedDiff, patchPath } from './diff';
import { SourceLines, emptyLines, slice, trimBlank } from './lines';
import { ParsedSubject, parseSubject } from './subject';

export interface DiffstatEntry {
  /** As printed: may be shortened to ".../tail". */
  path: string;
  /** Changed lines according to the diffstat ("Bin" entries: null). */
  changes: number | null;
  src: number;
}

export interface PatchMail {
  /** Decoded subject as written ('' when the input had none). */
  subject: string;
  /** Input line of the subject, when the input has one. */
  subjectLine?: number;
  parsedSubject: ParsedSubject;
  /** "Name <addr>" from From: (or a "From:" first body line, which git am prefers). */
  author?: string;
  /** Date header as written. */
  date?: string;
  messageId?: string;
  /** Commit message without trailers. */
  changelog: SourceLines;
  /** Signed-off-by:, Reviewed-by:, Link:, ... */
  trailers: SourceLines;
  /** Text between "---" and the diff that is not diffstat (version history, notes). */
  notes: SourceLines;
  diffstat: DiffstatEntry[];
  files: FilePatch[];
  /** 0/K of a series: the cover letter. */
  isCover: boolean;
  /** Rebuilt from "> " quoting in a reply: hunks are partial. */
  reconstructed: boolean;
  firstLine: number;
  lastLine: number;
  notesAboutInput: InputNote[];
}

export interface MailMeta {
  subject: string;
  /** Input line of the subject (Subject: header, or the archive page's title line). */
  subjectLine?: number;
  author?: string;
  date?: string;
  messageId?: string;
  firstLine: number;
  lastLine: number;
}

const DIFFSTAT = /^ (.+?)\s+\|\s+(?:(\d+)(?: [+-]*)?|Bin\b.*)$/;
const DIFFSTAT_SUMMARY = /^ \d+ files? changed/;
const DIFFSTAT_MODE = /^ (create|delete) mode \d+ |^ rename |^ copy |^ mode change /;
const TRAILER = /^[A-Za-z][A-Za-z0-9-]*: \S/;

/** Index of the first line where a diff starts, or -1. */
export function findDiffStart(body: SourceLines): number {
  const L = body.lines;
  for (let i = 0; i < L.length; i++) {
    if (L[i].startsWith('diff --git ')) return i;
    if (L[i].startsWith('--- ') && i + 2 < L.length && L[i + 1].startsWith('+++ ') && L[i + 2].startsWith('@@')) return i;
    if (L[i].startsWith('Index: ') && isDiffStart(L[i])) {
      if (i + 1 < L.length && /^=+$/.test(L[i + 1])) return i;
    }
  }
  return -1;
}

export function parsePatchBody(body: SourceLines, meta: MailMeta, file: string): PatchMail {
  const notesAboutInput: InputNote[] = [];
  const L = body.lines;
  let start = 0;
  let author = meta.author;
  // git am: a "From:" line opening the body names the real author.
  const firstText = L.findIndex((l) => l.trim() !== '');
  if (firstText >= 0 && /^From: \S/.test(L[firstText])) {
    author = L[firstText].slice(6).trim();
    start = firstText + 1;
  }
  const rel = findDiffStart(slice(body, start));
  const hasDiff = rel >= 0;
  const diffStart = start + rel;
  const textEnd = hasDiff ? diffStart : L.length;
  let sep = -1;
  for (let i = start; i < textEnd; i++) if (L[i] === '---') { sep = i; break; }
  const message = slice(body, start, sep >= 0 ? sep : textEnd);
  const { changelog, trailers } = splitTrailers(stripSignature(message));
  const diffstat: DiffstatEntry[] = [];
  const notes: { lines: string[]; src: number[] } = { lines: [], src: [] };
  if (sep >= 0) {
    for (let i = sep + 1; i < textEnd; i++) {
      const m = DIFFSTAT.exec(L[i]);
      if (m) diffstat.push({ path: m[1].trim(), changes: m[2] === undefined ? null : Number(m[2]), src: body.src[i] });
      else if (!DIFFSTAT_SUMMARY.test(L[i]) && !DIFFSTAT_MODE.test(L[i])) {
        notes.lines.push(L[i]);
        notes.src.push(body.src[i]);
      }
    }
  }
  let files: FilePatch[] = [];
  if (hasDiff) {
    const parsed = parseUnifiedDiff(body, diffStart, file);
    files = parsed.files;
    const rest = trimBlank(slice(body, parsed.end));
    if (rest.lines.length > 0 && rest.lines[0] !== '-- ') {
      notesAboutInput.push({ line: rest.src[0], message: 'text after the diff was ignored' });
    }
  }
  checkDiffstat(diffstat, files, notesAboutInput);
  const parsedSubject = parseSubject(meta.subject);
  return {
    subject: meta.subject,
    subjectLine: meta.subjectLine,
    parsedSubject,
    author,
    date: meta.date,
    messageId: meta.messageId,
    changelog,
    trailers,
    notes: trimBlank(notes),
    diffstat,
    files,
    isCover: parsedSubject.series?.index === 0,
    reconstructed: false,
    firstLine: meta.firstLine,
    lastLine: meta.lastLine,
    notesAboutInput,
  };
}

/** Drops a trailing "-- " signature (only present when the mail has no diff). */
function stripSignature(sl: SourceLines): SourceLines {
  const sig = sl.lines.indexOf('-- ');
  return sig >= 0 ? slice(sl, 0, sig) : sl;
}

/** The last paragraph is the trailer block when every line in it is "Key: value" or "[note]". */
export function splitTrailers(message: SourceLines): { changelog: SourceLines; trailers: SourceLines } {
  const t = trimBlank(message);
  let i = t.lines.length;
  while (i > 0 && t.lines[i - 1].trim() !== '') i--;
  const para = slice(t, i);
  const isTrailers = para.lines.length > 0 && para.lines.every((l) => TRAILER.test(l) || /^\[.*\]$/.test(l.trim()));
  if (!isTrailers) return { changelog: t, trailers: emptyLines() };
  return { changelog: trimBlank(slice(t, 0, i)), trailers: para };
}

/** A diffstat that disagrees with the hunks means the patch was edited by hand: say so. */
function checkDiffstat(diffstat: DiffstatEntry[], files: FilePatch[], notes: InputNote[]): void {
  for (const d of diffstat) {
    if (d.changes === null) continue;
    const tail = d.path.startsWith('.../') ? d.path.slice(3) : null;
    const fp = files.find((f) => (tail ? patchPath(f).endsWith(tail) : patchPath(f) === d.path || f.oldPath === d.path || d.path.includes(' => ')));
    if (!fp) {
      notes.push({ line: d.src, message: `diffstat lists ${d.path} but the diff does not change it` });
      continue;
    }
    const changed = fp.hunks.reduce((n, h) => n + h.lines.filter((l) => l.kind !== ' ').length, 0);
    if (!fp.binary && changed !== d.changes) {
      notes.push({ line: d.src, message: `diffstat says ${d.changes} changed line(s) in ${d.path}, the hunks change ${changed}` });
    }
  }
}
