// The review's ids (commands, context key, document scheme) and the arguments its command links
// carry. A command link's arguments come back from the renderer as parsed JSON, so each is
// validated before use. Pure, so that the manifest tests can check package.json against it.

export const REVIEW_PATCH_COMMAND = 'tdpMmuSim.reviewPatch';
/** "Review Patch with Scenarios…": the same, with the scenarios picked in a QuickPick. */
export const REVIEW_WITH_SCENARIOS_COMMAND = 'tdpMmuSim.reviewPatchWithScenarios';
/** Scheme of the read-only post-patch documents (documents.ts). */
export const REVIEW_SCHEME = 'tdp-review';
/** Context key: some review is open (enables Export Review in the palette). */
export const REVIEWING_CONTEXT = 'tdpMmuSim.reviewing';
/** File names "Review Patch…" is offered for (explorer/editor menus, the active editor). */
export const REVIEWABLE = /\.(patch|diff|mbx|mbox|eml)$/i;
export const EXPORT_REVIEW_COMMAND = 'tdpMmuSim.exportReview';
/** Opens one side of a scenario's behaviour diff in the stepper, at its first differing event. */
export const OPEN_IN_STEPPER_COMMAND = 'tdpMmuSim.review.openInStepper';
/** Shows a line of a post-patch document, or of the reviewed input. */
export const REVEAL_COMMAND = 'tdpMmuSim.review.reveal';

/** Commands that comment bodies may run (MarkdownString.isTrusted.enabledCommands). */
export const LINK_COMMANDS = [OPEN_IN_STEPPER_COMMAND, REVEAL_COMMAND, EXPORT_REVIEW_COMMAND];

export type Side = 'before' | 'after';

export interface StepperLink {
  review: number;
  patch: number;
  /** Index into the patch's behaviour.scenarios. */
  scenario: number;
  side: Side;
}

export interface RevealLink {
  review: number;
  /** 1-based line. */
  line: number;
  /** The post-patch document of `file` after patch `patch`; both absent: the reviewed input. */
  patch?: number;
  file?: string;
}

export interface ExportLink {
  review: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

type Fields = Record<string, 'index' | 'string' | 'side'>;

/** Checks that `arg` is an object whose listed fields have the listed types (optional ones may be absent). */
function parse<T>(what: string, arg: unknown, required: Fields, optional: Fields = {}): Parsed<T> {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return { ok: false, error: `${what}: expected an object, got ${JSON.stringify(arg)}` };
  const o = arg as Record<string, unknown>;
  for (const [k, type] of Object.entries({ ...required, ...optional })) {
    const v = o[k];
    if (v === undefined && k in optional) continue;
    const fits = type === 'index' ? Number.isSafeInteger(v) && (v as number) >= 0
      : type === 'side' ? v === 'before' || v === 'after'
        : typeof v === 'string';
    if (!fits) return { ok: false, error: `${what}: ${k} must be ${type === 'index' ? 'a whole number ≥ 0' : type === 'side' ? '"before" or "after"' : 'a string'}, got ${JSON.stringify(v)}` };
  }
  const unknown = Object.keys(o).filter((k) => !(k in required) && !(k in optional));
  if (unknown.length) return { ok: false, error: `${what}: unknown field ${unknown[0]}` };
  return { ok: true, value: o as T };
}

export const parseStepperLink = (arg: unknown) =>
  parse<StepperLink>('open in stepper', arg, { review: 'index', patch: 'index', scenario: 'index', side: 'side' });

export function parseRevealLink(arg: unknown): Parsed<RevealLink> {
  const r = parse<RevealLink>('reveal', arg, { review: 'index', line: 'index' }, { patch: 'index', file: 'string' });
  if (r.ok && (r.value.patch === undefined) !== (r.value.file === undefined)) return { ok: false, error: 'reveal: patch and file go together' };
  return r;
}

export const parseExportLink = (arg: unknown) => parse<ExportLink>('export review', arg, { review: 'index' });
