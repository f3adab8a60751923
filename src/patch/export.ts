// "Export review": the remarks as a plain-text reply in mailing-list style, for the user to edit
// and send. The patch is quoted with "> ", trimmed to what each remark is about (the changelog
// paragraph, or the hunk lines just above the remarked line), with "[...]" where lines are left
// out, and each remark written below what it is about. Pure: returns text, sends nothing.

import type { Hunk } from './diff';
import type { PatchMail } from './message';
import type { Remark, Review } from './review';

export interface ExportOptions {
  /** Hunk lines quoted above a remarked code line (default 3), or from the start of the function
   *  around it when that is at most `functionContext` lines up (default 15). */
  context?: number;
  functionContext?: number;
  /** Start each reply with Subject:/In-Reply-To: lines for a mail client (default true). */
  headers?: boolean;
  /** Also write each remark's reason below it (default false: the reply says what, the review UI why). */
  reasons?: boolean;
  /** Wrap remark text at this column (default 72). */
  width?: number;
}

interface Quotable {
  /** Input line. */
  src: number;
  text: string;
  /** Block the line belongs to: 'changelog' paragraph index, or a hunk. */
  block: string;
  /** First line of the block to show once (the @@ line of a hunk). */
  header?: string;
}

/** Every quotable line of a patch, by input line: changelog paragraphs and hunk lines. */
function quotableLines(patch: PatchMail): Map<number, Quotable> {
  const out = new Map<number, Quotable>();
  let para = 0;
  patch.changelog.lines.forEach((text, i) => {
    if (text.trim() === '') { para++; return; }
    out.set(patch.changelog.src[i], { src: patch.changelog.src[i], text, block: `changelog ${para}` });
  });
  for (const fp of patch.files) {
    fp.hunks.forEach((h: Hunk, k) => {
      const header = h.header ? `@@ -${h.header.oldStart},${h.header.oldCount} +${h.header.newStart},${h.header.newCount} @@${h.header.section ? ' ' + h.header.section : ''}` : undefined;
      for (const l of h.lines) out.set(l.src, { src: l.src, text: l.kind + l.text, block: `hunk ${fp.src}:${k}`, header });
    });
  }
  return out;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) { out.push(line); line = word; }
      else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

/** The reply to one patch of the review (empty string when it has no remarks). */
export function exportReply(review: Review, patchIndex: number, opts: ExportOptions = {}): string {
  const context = opts.context ?? 3;
  const width = opts.width ?? 72;
  const pr = review.patches[patchIndex];
  if (!pr || pr.remarks.length === 0) return '';
  const patch = pr.patch;
  const lines = quotableLines(patch);
  const ordered = [...lines.values()].sort((a, b) => a.src - b.src);
  const out: string[] = [];
  if (opts.headers ?? true) {
    out.push(`Subject: Re: ${patch.subject}`);
    if (patch.messageId) out.push(`In-Reply-To: ${patch.messageId}`);
    out.push('');
  }
  const author = patch.author ?? 'the author';
  out.push(patch.date ? `On ${patch.date}, ${author} wrote:` : `${author} wrote:`);

  let lastQuoted: Quotable | null = null;
  let lastMessage = '';
  const remarkText = (r: Remark) => {
    const same = r.message === lastMessage;
    lastMessage = r.message;
    const body = same ? 'Ditto.' : r.message;
    return [...wrap(body, width), ...(opts.reasons && !same ? wrap(`(${r.reason})`, width) : [])];
  };
  const subjectRemarks = pr.remarks.filter((r) => r.file === undefined && r.inputLine === patch.subjectLine && !lines.has(r.inputLine));
  if (subjectRemarks.length) {
    out.push(`> ${patch.subject}`, '');
    for (const r of subjectRemarks) out.push(...remarkText(r), '');
  }
  for (const r of pr.remarks) {
    if (subjectRemarks.includes(r)) continue;
    const target = lines.get(r.inputLine);
    if (!target) {
      // Not a line of the patch as sent (e.g. a file the patch does not touch): no quote.
      out.push('', ...remarkText(r));
      continue;
    }
    const blockLines = ordered.filter((q) => q.block === target.block && q.src <= target.src);
    const continuing = lastQuoted?.block === target.block;
    let from = continuing ? blockLines.findIndex((q) => q.src > lastQuoted!.src) : 0;
    if (from < 0) from = blockLines.length; // same line remarked twice: nothing new to quote
    // Changelog: the paragraph up to the line; code: the function around it when the hunk shows
    // its start close enough, else a few lines above it.
    const fnStart = r.quoteFrom === undefined ? -1 : blockLines.findIndex((q) => q.src === r.quoteFrom);
    const near = fnStart >= 0 && blockLines.length - 1 - fnStart <= (opts.functionContext ?? 15) ? fnStart : blockLines.length - 1 - context;
    const start = target.block.startsWith('hunk') ? Math.max(from, near) : from;
    const skipped = start > from || (!continuing && lastQuoted !== null);
    if (out[out.length - 1] !== '') out.push('');
    if (skipped && lastQuoted !== null) out.push('[...]', '');
    if (!continuing && target.header) out.push(`> ${target.header}`);
    for (const q of blockLines.slice(start)) out.push(q.text === '' ? '>' : `> ${q.text}`);
    if (blockLines.length > start) out.push('');
    out.push(...remarkText(r));
    lastQuoted = target;
  }
  out.push('');
  return out.join('\n');
}

/** Replies to every patch with remarks, one after the other. */
export function exportReview(review: Review, opts: ExportOptions = {}): string {
  return review.patches
    .map((_, i) => exportReply(review, i, opts))
    .filter((t) => t !== '')
    .join('\n' + '-'.repeat(72) + '\n\n');
}
