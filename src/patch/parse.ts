// Entry point of input parsing: whatever the user opened (a `git format-patch` file, an mbox
// series as `b4 am` writes it, a raw mail saved from a list archive, a bare diff, or a reply
// quoting a patch) → the patches in series order, the cover letter, and notes about anything
// tolerated or not reconstructed. Throws only PatchParseError.

import { InputNote, PatchParseError } from './errors';
import { SourceLines, splitLines } from './lines';
import { looksLikeMbox, splitMbox } from './mbox';
import { MailMessage, decodeCharset, header, parseMail, toByteString } from './mime';
import { MailMeta, PatchMail, findDiffStart, parsePatchBody } from './message';
import { QuotedReply, parseQuotedReply, quotesDiff } from './quoted';
import { parseSubject, seriesLabel } from './subject';

export type InputKind = 'mbox' | 'mail' | 'text';

export interface ParsedInput {
  file: string;
  kind: InputKind;
  /** The patches to review, in series order (the cover letter is not among them). */
  patches: PatchMail[];
  cover: PatchMail | null;
  /** Set when the input is a reply quoting a patch; its patch is also patches[0]. */
  reply: QuotedReply | null;
  notes: InputNote[];
}

/** Header fields that only a real mail header block starts with. */
const MAIL_FIELDS = /^(from|to|cc|subject|date|message-id|received|return-path|mime-version|content-type|delivered-to|in-reply-to|references|x-[a-z-]+|list-[a-z-]+|sender|reply-to|authentication-results|dkim-signature|arc-[a-z-]+):/i;

export function parsePatchInput(input: Uint8Array | string, file: string): ParsedInput {
  const bytes = toByteString(input);
  const nul = bytes.slice(0, 65536).indexOf('\0');
  if (nul >= 0) {
    const line = bytes.slice(0, nul).split('\n').length;
    throw new PatchParseError(file, line, 'binary data (NUL byte): not a patch, mbox or mail');
  }
  const sl = splitLines(bytes);
  const notes: InputNote[] = [];
  let kind: InputKind;
  let messages: { meta: MailMeta & { reviewer?: string }; body: SourceLines }[];
  if (looksLikeMbox(sl)) {
    kind = 'mbox';
    messages = splitMbox(sl).map((m) => fromMail(parseMail(m, file), notes));
  } else if (isMailHeaderBlock(sl)) {
    kind = 'mail';
    messages = [fromMail(parseMail(sl, file), notes)];
  } else {
    kind = 'text';
    messages = [fromText(sl)];
  }

  const patches: PatchMail[] = [];
  let cover: PatchMail | null = null;
  let reply: QuotedReply | null = null;
  for (const m of messages) {
    const label = m.meta.subject ? `'${m.meta.subject}'` : `at line ${m.meta.firstLine}`;
    if (findDiffStart(m.body) >= 0) {
      const p = parsePatchBody(m.body, m.meta, file);
      notes.push(...p.notesAboutInput);
      if (p.isCover) cover = p; else patches.push(p);
    } else if (quotesDiff(m.body)) {
      if (reply) { notes.push({ line: m.meta.firstLine, message: `second reply ${label} ignored: one review reply at a time` }); continue; }
      reply = parseQuotedReply(m.body, m.meta, file);
      notes.push(...reply.patch.notesAboutInput);
      patches.push(reply.patch);
    } else if (parseSubject(m.meta.subject).series?.index === 0) {
      cover = parsePatchBody(m.body, m.meta, file);
    } else {
      notes.push({ line: m.meta.firstLine, message: `message ${label} holds no diff; skipped` });
    }
  }
  if (patches.length === 0) {
    throw new PatchParseError(file, 1, cover
      ? 'only a cover letter: the input holds no patch to review'
      : 'no patch found: expected a git format-patch file, an mbox of patches, a mail with a diff, or a reply quoting a patch');
  }
  return { file, kind, patches: orderSeries(patches, notes), cover, reply, notes };
}

/** A mail starts with a known header field followed by more header lines; a lone "From: x"
 *  followed by a blank line is an archive page's pseudo-header (see fromText). */
function isMailHeaderBlock(sl: SourceLines): boolean {
  if (sl.lines.length < 2 || !MAIL_FIELDS.test(sl.lines[0])) return false;
  return sl.lines[1].trim() !== '';
}

function fromMail(m: MailMessage, notes: InputNote[]): { meta: MailMeta; body: SourceLines } {
  notes.push(...m.notes);
  return {
    meta: {
      subject: header(m, 'Subject')?.value ?? '',
      subjectLine: header(m, 'Subject')?.line,
      author: header(m, 'From')?.value,
      date: header(m, 'Date')?.value,
      messageId: header(m, 'Message-ID')?.value,
      firstLine: m.firstLine,
      lastLine: m.lastLine,
    },
    body: m.body,
  };
}

/**
 * Text that is not a mail: a bare diff, or a page copied from a list archive whose first lines
 * are "Subject line", "From: Name", "Date: ..." separated by blank lines (like the seed).
 */
function fromText(raw: SourceLines): { meta: MailMeta; body: SourceLines } {
  const lines = raw.lines.map((l) => decodeCharset(Buffer.from(l, 'latin1'), 'utf-8'));
  const meta: MailMeta = { subject: '', firstLine: raw.src[0] ?? 1, lastLine: raw.src[raw.src.length - 1] ?? 1 };
  let bodyStart = 0;
  for (let i = 0; i < Math.min(lines.length, 40); i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    const m = /^(From|Date|Subject):\s*(.*)$/i.exec(l);
    if (m) {
      const key = m[1].toLowerCase();
      if (key === 'from') meta.author = m[2];
      else if (key === 'date') meta.date = m[2];
      else { meta.subject = m[2]; meta.subjectLine = raw.src[i]; }
    } else if (!meta.subject && /\[[^\]]*\b(PATCH|RFC)\b[^\]]*\]/i.test(l) && !l.startsWith('>')) {
      meta.subject = l;
      meta.subjectLine = raw.src[i];
    } else break;
    bodyStart = i + 1;
  }
  return { meta, body: { lines: lines.slice(bodyStart), src: raw.src.slice(bodyStart) } };
}

/** Series order from [PATCH vN M/K]; newest version only when several are mixed. */
function orderSeries(patches: PatchMail[], notes: InputNote[]): PatchMail[] {
  const versions = new Set(patches.map((p) => p.parsedSubject.series?.version ?? 1));
  let kept = patches;
  if (versions.size > 1) {
    const newest = Math.max(...versions);
    kept = patches.filter((p) => (p.parsedSubject.series?.version ?? 1) === newest);
    notes.push({ line: patches[0].firstLine, message: `the input mixes series versions (${[...versions].sort().map((v) => 'v' + v).join(', ')}); reviewing v${newest} only` });
  }
  const sorted = kept
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.parsedSubject.series?.index ?? Infinity) - (b.p.parsedSubject.series?.index ?? Infinity) || a.i - b.i)
    .map((x) => x.p);
  if (sorted.some((p, i) => p !== kept[i])) {
    notes.push({ line: sorted[0].firstLine, message: `patches reordered by their series position: ${sorted.map((p) => seriesLabel(p.parsedSubject.series)).join(', ')}` });
  }
  const seen = new Map<number, PatchMail>();
  const unique: PatchMail[] = [];
  for (const p of sorted) {
    const idx = p.parsedSubject.series?.index;
    if (idx !== null && idx !== undefined) {
      if (seen.has(idx)) { notes.push({ line: p.firstLine, message: `${seriesLabel(p.parsedSubject.series)} appears twice; the later copy is ignored` }); continue; }
      seen.set(idx, p);
    }
    unique.push(p);
  }
  const total = unique.find((p) => p.parsedSubject.series?.total)?.parsedSubject.series?.total;
  if (total && seen.size > 0 && seen.size < total) {
    const missing: number[] = [];
    for (let k = 1; k <= total; k++) if (!seen.has(k)) missing.push(k);
    if (missing.length > 0) notes.push({ line: unique[0].firstLine, message: `series of ${total} patch(es); the input lacks ${missing.length > 10 ? `${missing.length} of them` : missing.map((k) => `${k}/${total}`).join(', ')}` });
  }
  return unique;
}
