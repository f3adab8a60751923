// A Review (src/patch/review.ts) → what the editor shows: the post-patch documents (read-only,
// in memory) and the comment threads on them and on the reviewed input. One thread per hunk on
// the lines it covers after the patch (a hunk that did not apply sits on its @@ line in the
// input instead: reported, never dropped), one per remark at its line, one overview per patch on
// its subject line, and the input notes at theirs. Pure: the glue (session.ts) turns these into
// vscode.CommentThreads and the bodies into trusted MarkdownStrings.

import * as path from 'path';
import type { ScenarioBehaviour, ScenarioRun } from '../../patch/behaviour';
import type { FileReview, HunkReview, PatchReview, Remark, Review } from '../../patch/review';
import type { SimSide } from '../../patch/what-if';
import { changedRegion, headline, sequenceText } from './behaviourText';
import { EXPORT_REVIEW_COMMAND, OPEN_IN_STEPPER_COMMAND, REVEAL_COMMAND, type RevealLink, type Side, type StepperLink } from './links';
import { code, commandLink, esc } from './markdown';

/** A post-patch file: `file` as it is after patch `patch` of the series. */
export interface PostDocument {
  /** Path of its tdp-review: URI; unique within all reviews. */
  key: string;
  patch: number;
  file: string;
  text: string;
}

export type ThreadKind = 'patch' | 'hunk' | 'failed-hunk' | 'remark' | 'note';

export type ThreadPlace = { kind: 'post'; key: string } | { kind: 'input' };

export interface ThreadView {
  kind: ThreadKind;
  place: ThreadPlace;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  label: string;
  /** Markdown; its command links use only links.ts's LINK_COMMANDS. */
  body: string;
  expanded: boolean;
  /** Remarks are open items for the reviewer until they resolve them. */
  unresolved: boolean;
}

export interface ReviewView {
  documents: PostDocument[];
  threads: ThreadView[];
  /** Where to look first: the first hunk whose simulated behaviour changed, else the first hunk. */
  focus?: { place: ThreadPlace; line: number };
}

/** URI path of a post-patch document: /<review>/after-<patch>/<file path>; the tab shows the file name. */
export function postDocKey(review: number, patch: PatchReview, index: number, file: string): string {
  const s = patch.patch.parsedSubject.series;
  const which = s?.index != null && s.total != null
    ? `after-${String(s.index).padStart(String(s.total).length, '0')}-of-${s.total}`
    : `after-patch-${index + 1}`;
  const rel = file.split('/').filter((p) => p && p !== '.' && p !== '..').join('/') || 'unknown-file';
  return `/${review}/${which}/${rel}`;
}

export function reviewView(review: Review, id: number): ReviewView {
  const documents: PostDocument[] = [];
  const threads: ThreadView[] = [];
  const keys = new Set<string>();
  review.patches.forEach((pr, i) => {
    const docOf = new Map<string, string>();
    for (const fr of pr.files) {
      const targeted = fr.hunks.some((h) => h.post !== null) || pr.remarks.some((r) => r.file === fr.path);
      if (!targeted) continue;
      let key = postDocKey(id, pr, i, fr.path);
      // Two patches of a series with the same number (or a file twice): keep keys unique.
      for (let n = 2; keys.has(key); n++) key = `${postDocKey(id, pr, i, fr.path)}~${n}`;
      keys.add(key);
      docOf.set(fr.path, key);
      documents.push({ key, patch: i, file: fr.path, text: fr.post });
    }
    threads.push(patchThread(review, id, pr, i, docOf));
    for (const fr of pr.files) {
      fr.hunks.forEach((h, k) => threads.push(hunkThread(id, pr, i, fr, h, k, docOf.get(fr.path))));
    }
    for (const r of pr.remarks) threads.push(remarkThread(id, r, r.file !== undefined ? docOf.get(r.file) : undefined));
  });
  for (const n of review.notes) {
    threads.push({ kind: 'note', place: { kind: 'input' }, startLine: n.line, endLine: n.line, label: 'Note on the input', body: esc(n.message), expanded: false, unresolved: false });
  }
  const hunks = threads.filter((t) => t.kind === 'hunk' && t.place.kind === 'post');
  const first = hunks.find((t) => t.expanded) ?? hunks[0];
  return { documents, threads, focus: first && { place: first.place, line: first.startLine } };
}

// ---- threads ------------------------------------------------------------------------------------

function hunkThread(id: number, pr: PatchReview, i: number, fr: FileReview, h: HunkReview, k: number, key: string | undefined): ThreadView {
  const n = fr.hunks.length;
  const onPost = key !== undefined && h.post !== null;
  const changed = h.anchors.length > 0 ? changedScenarios(pr) : [];
  const first = changed[0]?.diff && headline(changed[0].diff);
  let summary: string;
  if (h.status === 'failed') summary = 'did not apply';
  else if (first) summary = first + (changed.length > 1 ? ` (and ${changed.length - 1} more scenario${changed.length > 2 ? 's' : ''})` : '');
  else if (h.anchors.length) summary = `touches ${unique(h.anchors.map((a) => `${a.fn}()`)).join(', ')}`;
  else summary = 'no simulator anchor';
  const where = h.header.startsWith('@@') ? '' : ' (quoted)';
  const body = [
    `**Hunk ${k + 1} of ${n}**${where} in ${code(fr.path || 'an unknown file')}: ${code(h.header)}`,
    placement(h),
    ...fileNotes(fr),
    // What changed in simulated behaviour first (the reason to read this thread), then where.
    ...(h.anchors.length ? behaviourText(id, pr, i, false) : []),
    anchorsText(h),
    commandLink('Show in the patch', REVEAL_COMMAND, { review: id, line: h.inputLine } satisfies RevealLink),
  ];
  return {
    kind: h.status === 'failed' ? 'failed-hunk' : 'hunk',
    place: onPost ? { kind: 'post', key } : { kind: 'input' },
    startLine: onPost ? h.post!.start : h.inputLine,
    endLine: onPost ? h.post!.end : h.inputLine,
    label: `${h.status === 'failed' ? 'Did not apply' : 'Hunk'} ${k + 1}/${n} · ${h.status === 'failed' ? path.basename(fr.path) || 'unknown file' : summary}`,
    body: body.filter(Boolean).join('\n\n'),
    expanded: h.status === 'failed' || !!first,
    unresolved: false,
  };
}

function remarkThread(id: number, r: Remark, key: string | undefined): ThreadView {
  // A remark on a file the patch does not show (e.g. kvm-x86-ops.h left untouched) sits on the
  // input line it was traced to.
  const onPost = key !== undefined;
  const line = onPost ? r.line : r.file === undefined ? r.line : r.inputLine;
  const body = [
    esc(r.message),
    `*Why:* ${esc(r.reason)}`,
    r.file !== undefined && !onPost ? `About ${code(r.file)} line ${r.line} after the patch.` : '',
    `${commandLink('Show in the patch', REVEAL_COMMAND, { review: id, line: r.inputLine } satisfies RevealLink)} · check ${code(r.check)}`,
  ];
  return {
    kind: 'remark',
    place: onPost ? { kind: 'post', key } : { kind: 'input' },
    startLine: line,
    endLine: line,
    label: `Remark: ${r.title}`,
    body: body.filter(Boolean).join('\n\n'),
    expanded: true,
    unresolved: true,
  };
}

function patchThread(review: Review, id: number, pr: PatchReview, i: number, docOf: Map<string, string>): ThreadView {
  const line = pr.patch.subjectLine ?? pr.patch.firstLine;
  const { before, after } = pr.profile;
  const prof = (d: typeof before) => (d?.profile ? `**${d.profile}**` : 'unknown');
  const files = pr.files.map((fr) => {
    const hunks = fr.hunks.map((h, k) => {
      const key = docOf.get(fr.path);
      const link: RevealLink = key !== undefined && h.post ? { review: id, line: h.post.start, patch: i, file: fr.path } : { review: id, line: h.inputLine };
      return `${commandLink(`hunk ${k + 1}`, REVEAL_COMMAND, link)} ${STATUS_WORDS[h.status]}`;
    });
    return `- ${code(fr.path || 'unknown file')} (${SOURCE_WORDS[fr.source]}): ${hunks.join(', ') || 'no hunks'}`;
  });
  const warnings = unique([...(before?.warnings ?? []), ...(after?.warnings ?? [])]);
  const body = [
    `**${esc(pr.label)}**${review.patches.length > 1 ? ` (patch ${i + 1} of ${review.patches.length} in this input)` : ''}`,
    `Kernel profile of the code: ${prof(before)} before, ${prof(after)} after the patch.` +
      (after?.reason ? ` ${esc(after.reason)}` : before?.reason ? ` ${esc(before.reason)}` : ''),
    ...warnings.map((w) => `⚠ ${esc(w)}`),
    `Files:\n${files.join('\n')}`,
    ...behaviourText(id, pr, i, true),
    pr.remarks.length
      ? `${pr.remarks.length} review remark${pr.remarks.length > 1 ? 's' : ''} · ${commandLink('Export review', EXPORT_REVIEW_COMMAND, { review: id }, 'A mailing-list reply in a new untitled editor')}`
      : 'No review remarks.',
  ];
  return { kind: 'patch', place: { kind: 'input' }, startLine: line, endLine: line, label: pr.label, body: body.join('\n\n'), expanded: true, unresolved: false };
}

// ---- parts --------------------------------------------------------------------------------------

const STATUS_WORDS: Record<HunkReview['status'], string> = {
  applied: 'applied',
  'already-applied': 'already applied',
  failed: '**did not apply**',
};

const SOURCE_WORDS: Record<FileReview['source'], string> = {
  tree: 'from the kernel tree',
  series: 'as an earlier patch left it',
  new: 'new file',
  'hunks-only': 'not in the tree: text assembled from the hunks',
};

function placement(h: HunkReview): string {
  if (h.status === 'failed') return `**Did not apply:** ${esc(h.reason ?? 'no place in the file fits it')}.`;
  const how: string[] = [];
  if (h.offset) how.push(`${Math.abs(h.offset)} line${Math.abs(h.offset) > 1 ? 's' : ''} ${h.offset > 0 ? 'below' : 'above'} where its header says`);
  if (h.fuzz) how.push(`with ${h.fuzz} line${h.fuzz > 1 ? 's' : ''} of fuzz`);
  if (h.whitespace) how.push('ignoring whitespace');
  if (h.ambiguous) how.push('where several places fitted, the nearest');
  const what = h.status === 'already-applied' ? 'Already in the tree (the text before it was rebuilt from the hunk)' : 'Applied';
  return `${what}${how.length ? `, ${how.join(', ')}` : ''}.${h.reason ? ` ${esc(h.reason)}.` : ''}`;
}

function fileNotes(fr: FileReview): string[] {
  return fr.notes.map((n) => `*Note:* ${esc(n)}`);
}

function anchorsText(h: HunkReview): string {
  if (h.status === 'failed') return '';
  if (h.anchors.length === 0) return 'Touches no simulator anchor.';
  const items = h.anchors.map((a) => {
    const at = a.post ? `line ${a.post.startLine}` : a.pre ? `line ${a.pre.startLine} before the patch` : '';
    return `- ${code(a.id)} ${a.change}${at ? ` (${at})` : ''}: ${esc(a.title)}`;
  });
  return `Simulator anchors touched:\n${items.join('\n')}`;
}

const changedScenarios = (pr: PatchReview) => pr.behaviour.scenarios.filter((s) => s.diff?.firstDiff);

/** What the simulator says about the patch: sides simulated, then each scenario that differs. */
function behaviourText(id: number, pr: PatchReview, i: number, overview: boolean): string[] {
  const b = pr.behaviour;
  if (b.note) return [`**Simulated behaviour:** not simulated: ${esc(b.note)}.`];
  if (!b.before || !b.after) return [];
  const out = [`**Simulated behaviour of the patch** (${b.scenarios.length} scenario${b.scenarios.length === 1 ? '' : 's'}, each simulated before and after it):\n${sidesText(b.before, b.after)}`];
  const changed = changedScenarios(pr);
  for (const s of changed) out.push(scenarioText(id, pr, i, s));
  const same = b.scenarios.filter((s) => s.diff && !s.diff.firstDiff);
  const skipped = b.scenarios.filter((s) => !s.diff);
  if (overview) {
    if (same.length) out.push(`Same hooks, SEAMCALLs and KVM_BUG_ONs: ${same.map((s) => esc(s.name)).join('; ')}.`);
    if (skipped.length) out.push(`Not comparable:\n${skipped.map((s) => `- ${esc(s.name)}: ${esc(s.summary)}`).join('\n')}`);
  } else {
    const rest = [same.length && `${same.length} other scenario${same.length > 1 ? 's behave' : ' behaves'} the same`, skipped.length && `${skipped.length} could not run on both sides`].filter(Boolean);
    if (rest.length) out.push(`${rest.join('; ')} (see the patch's overview in the input).`);
  }
  if (!changed.length && b.scenarios.length) out.push('No scenario behaves differently.');
  if (!b.scenarios.length) out.push('No scenarios were found to run.');
  return out;
}

function sidesText(before: SimSide, after: SimSide): string {
  const extra = after.whatIf.filter((w) => !before.whatIf.includes(w));
  const b = `- before: **${before.name}**${before.whatIf.length ? `, ${before.whatIf.map(esc).join('; ')}` : ''}`;
  const a = after.name === before.name
    ? `- after: the same${extra.length ? `, ${extra.map(esc).join('; ')}` : ''}`
    : `- after: **${after.name}**${after.whatIf.length ? `, ${after.whatIf.map(esc).join('; ')}` : ''}`;
  return `${b}\n${a}`;
}

function scenarioText(id: number, pr: PatchReview, i: number, s: ScenarioBehaviour): string {
  const diff = s.diff!;
  const k = pr.behaviour.scenarios.indexOf(s);
  const link = (side: Side, seq: number | null, label: string) =>
    seq === null ? '' : commandLink(`${label} (event #${seq})`, OPEN_IN_STEPPER_COMMAND, { review: id, patch: i, scenario: k, side } satisfies StepperLink,
      `Simulate ${s.name} as ${side} the patch in the stepper, at the first event that differs`);
  const links = [link('after', diff.firstDiff!.after, 'Open in stepper after the patch'), link('before', diff.firstDiff!.before, 'before')].filter(Boolean);
  return [
    `**${esc(s.name)}** (${code(path.basename(s.file))}), from step ${diff.firstDiff!.step}:`,
    `- before: ${esc(sequenceText(changedRegion(diff, 'before')))}${runNote(s.before)}`,
    `- after: ${esc(sequenceText(changedRegion(diff, 'after')))}${runNote(s.after)}`,
    ...(links.length ? [`- ${links.join(' · ')}`] : []),
  ].join('\n');
}

function runNote(r: ScenarioRun): string {
  const notes = [r.bugged && 'the VM ends bugged', r.failedExpectations && `${r.failedExpectations} expectation${r.failedExpectations > 1 ? 's' : ''} of the scenario fail${r.failedExpectations > 1 ? '' : 's'}`].filter(Boolean);
  return notes.length ? ` *(${notes.join('; ')})*` : '';
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** "1 patch: 5 hunks (2 did not apply), 6 remarks, 1 scenario behaves differently". */
export function reviewSummary(review: Review): string {
  const hunks = review.patches.flatMap((p) => p.files.flatMap((f) => f.hunks));
  const failed = hunks.filter((h) => h.status === 'failed').length;
  const changed = review.patches.flatMap((p) => changedScenarios(p)).length;
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  return `${n(review.patches.length, 'patch', 'patches')}: ${n(hunks.length, 'hunk')}${failed ? ` (${failed} did not apply)` : ''}, ` +
    `${n(review.remarks.length, 'remark')}, ${n(changed, 'scenario behaves', 'scenarios behave')} differently`;
}
