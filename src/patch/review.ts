// reviewPatch(): the review aid's one entry point for the CLI and the VS Code extension.
// Input text (patch, mbox, mail, quoting reply) → parsed series → applied in memory to the
// kernel tree → per hunk: placement and simulator anchors touched → per patch: kernel profile
// before/after and the behaviour diff of the scenarios → review remarks from the check registry.
// Pure: reads the tree, never writes; no `vscode` import.

import * as fs from 'fs';
import * as path from 'path';
import { ANCHORS, type KernelFile } from '../sim/anchors';
import type { ProfileName } from '../sim/types';
import { loadScenarioFile } from '../sim/scenario';
import { KernelLinker } from '../kernel/linker';
import { TREE_FILES, kernelFileOf } from '../kernel/tree-files';
import { loadCParser, type CParser } from '../kernel/parser';
import type { DetectedProfile } from '../kernel/profile';
import { SourceFile } from '../kernel/source-file';
import type { PlacementStatus } from './apply';
import { BehaviourDiff, ScenarioSource, SimulateFn, diffBehaviour } from './behaviour';
import type { CodeState, CodeSwitches } from './what-if';
import type { InputNote } from './errors';
import type { PatchMail } from './message';
import { ParsedInput, parsePatchInput } from './parse';
import { CHECKS, type CheckContext, type OtherFile, type ReviewCheck, type ReviewedFile } from './remarks';
import { AppliedFile, AppliedPatch, FileSource, applySeries, subjectStems } from './series';
import { seriesLabel } from './subject';
import { TouchedAnchor, anchorLocations, anchorsTouched } from './touched';
import { fragmentFramer } from './fragments';
import { KernelTreeReader, fsTree } from './tree';

export interface ReviewOptions {
  /** Kernel tree (its root or arch/x86/kvm). Without one only the hunks' content is analysed. */
  tree?: string | KernelTreeReader;
  /** Scenario files (*.tdpsim.yaml) for the behaviour diff; default: the shipped scenarios/. */
  scenarios?: readonly string[];
  /** Review checks to run (default: all of CHECKS). */
  checks?: readonly ReviewCheck[];
  /** Where tree-sitter's .wasm files are (the extension passes its dist/). */
  wasmDir?: string;
  /** Cancels the review: the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /** Progress for long runs, one short message per stage. */
  onProgress?: (message: string) => void;
  /** The simulator (default: simulateWithProfile from src/sim/simulate). */
  simulate?: SimulateFn;
}


export interface Remark {
  /** Id and title of the check that made it. */
  check: string;
  title: string;
  /** Index into Review.patches. */
  patch: number;
  /** Path (as in the patch) of the post-patch file; absent for remarks on the changelog/subject. */
  file?: string;
  /** 1-based line in that post-patch file, or in the input when `file` is absent. */
  line: number;
  /** 1-based line of the input (patch, mbox or mail) the remark is about. */
  inputLine: number;
  message: string;
  reason: string;
  /** Input line where a quote of this remark's context should start (the first line of the
   *  function around it, when the patch shows it); absent when unknown. */
  quoteFrom?: number;
}

export interface HunkReview {
  /** The @@ line, or a note for quoted fragments without one. */
  header: string;
  /** Input line of the @@ line (or of the fragment's first line). */
  inputLine: number;
  status: PlacementStatus;
  /** Why it failed, or how a headerless fragment was placed. */
  reason?: string;
  offset: number;
  fuzz: number;
  whitespace: boolean;
  ambiguous: boolean;
  /** Lines the hunk covers in the post-patch text (new side) and in the pre-patch text (old side). */
  post: { start: number; end: number } | null;
  pre: { start: number; end: number } | null;
  /** Post-patch lines the hunk added. */
  added: number[];
  anchors: TouchedAnchor[];
}

export interface FileReview {
  /** Path in the patch (found by content for quoted hunks without a file header; '' if not found). */
  path: string;
  source: FileSource;
  treePath?: string;
  /** Full pre- and post-patch text (for 'hunks-only', the hunks' sides laid end to end). */
  pre: string;
  post: string;
  notes: string[];
  hunks: HunkReview[];
}

export interface ProfileChange {
  before?: DetectedProfile;
  after?: DetectedProfile;
}

export interface PatchReview {
  patch: PatchMail;
  /** "[RFC PATCH v2 09/23] KVM: x86/tdp_mmu: ..." */
  label: string;
  files: FileReview[];
  profile: ProfileChange;
  behaviour: BehaviourDiff;
  remarks: Remark[];
}

export interface Review {
  /** The input's name as given. */
  file: string;
  input: ParsedInput;
  /** Notes about the input (tolerated problems, reconstruction limits), in input order. */
  notes: InputNote[];
  patches: PatchReview[];
  /** All remarks, in series and line order. */
  remarks: Remark[];
  /** True when a scenario behaves differently after the patch, or a hunk failed to apply. */
  findings: boolean;
}

const KVM_DIR = 'arch/x86/kvm';
const isC = (p: string) => /\.[ch]$/.test(p);

/** Names the simulator knows: modelled kernel functions and the hooks/callees of the anchors. */
const KNOWN_FUNCTIONS: ReadonlySet<string> = new Set([
  ...ANCHORS.map((a) => a.fn),
  ...ANCHORS.flatMap((a) => (a.pattern.kind === 'call' ? [a.pattern.callee] : [])),
]);

export async function reviewPatch(input: Uint8Array | string, file: string, opts: ReviewOptions = {}): Promise<Review> {
  const { signal } = opts;
  const progress = (m: string) => opts.onProgress?.(m);
  progress('parsing');
  const parsed = parsePatchInput(input, file);
  const tree = typeof opts.tree === 'string' ? fsTree(opts.tree) : opts.tree;
  const cparser = await loadCParser(opts.wasmDir);
  progress(`applying ${parsed.patches.length} patch(es)${tree ? ` to ${tree.root}` : ''}`);
  const applied = await applySeries(parsed.patches, { tree, signal, frame: fragmentFramer(cparser) });
  const checks = opts.checks ?? CHECKS;
  const scenarios = scenarioSources(opts.scenarios ?? shippedScenarios());
  const simulate = opts.simulate ?? defaultSimulate;

  const disposables: SourceFile[] = [];
  const parse = (name: string, kf: KernelFile | undefined, text: string) => {
    const f = new SourceFile(cparser, name, kf ?? 'mmu/tdp_mmu.c', text);
    disposables.push(f);
    return f;
  };
  try {
    // Kernel files as they are before the series: the profile needs tdp_mmu.c even when a patch
    // does not touch it.
    const state = new Map<KernelFile, string>();
    if (tree) {
      for (const kf of TREE_FILES) {
        const t = await tree.read(`${KVM_DIR}/${kf}`);
        if (t) state.set(kf, t.text);
      }
    }
    const patches: PatchReview[] = [];
    for (const [i, ap] of applied.entries()) {
      signal?.throwIfAborted();
      const label = `[${seriesLabel(ap.patch.parsedSubject.series)}] ${ap.patch.parsedSubject.title}`;
      progress(`reviewing ${label}`);
      const before = codeState(cparser, state);
      for (const f of ap.files) {
        const kf = kernelFileOf(f.path);
        if (!kf || f.source === 'hunks-only') continue;
        if (f.deleted) state.delete(kf);
        else state.set(kf, f.post);
      }
      const after = codeState(cparser, state);

      const reviewed = ap.files.map((f) => reviewedFile(f, parse, kernelFileFor(f, ap.patch)));
      const files = ap.files.map((f, k) => fileReview(f, reviewed[k].sources));
      const ctx: CheckContext = {
        patch: ap.patch,
        files: reviewed.map((r) => r.file),
        fileAfter: await preloadNeeds(checks, applied, i, tree, parse),
        knownFunctions: KNOWN_FUNCTIONS,
        hasTree: !!tree,
      };
      const remarks = runChecks(checks, ctx, i, ap);
      progress(`simulating scenarios for ${label}`);
      const behaviour = await diffBehaviour(before.code, after.code, scenarios, { signal, onProgress: progress, simulate });
      patches.push({ patch: ap.patch, label, files, profile: { before: before.detected, after: after.detected }, behaviour, remarks });
    }
    const remarks = patches.flatMap((p) => p.remarks);
    const findings = patches.some((p) => p.behaviour.scenarios.some((s) => s.diff?.firstDiff) || p.files.some((f) => f.hunks.some((h) => h.status === 'failed')));
    return { file, input: parsed, notes: [...parsed.notes].sort((a, b) => a.line - b.line), patches, remarks, findings };
  } finally {
    for (const f of disposables) f.dispose();
  }
}

/** The kernel profile of a set of kernel files and the simulator switches their code shows
 *  (nothing when tdp_mmu.c is not among them). */
function codeState(cparser: CParser, state: Map<KernelFile, string>): { detected?: DetectedProfile; code: CodeState } {
  if (state.size === 0) return { code: { profile: undefined, switches: {} } };
  const linker = KernelLinker.fromTexts(cparser, [...state].map(([kernelFile, text]) => ({ kernelFile, text, name: kernelFile })));
  try {
    const detected = linker.detectProfile();
    const found = (id: string) => linker.resolve(id).status === 'found';
    const switches: CodeSwitches = {};
    // tdp_mmu_set_spte(): a present new mirror SPTE goes to split_external_spt() (RFC v2 09/23)
    // or hits KVM_BUG_ON(is_shadow_present_pte(new_spte)) (mainline).
    if (found('tdp_mmu_set_spte.split_external_spt')) switches.setSpteMirrorPresent = 'split';
    else if (found('tdp_mmu_set_spte.bug_present')) switches.setSpteMirrorPresent = 'bug';
    // kvm_tdp_mmu_map(): KVM_BUG_ON(is_mirror_sptep()) before splitting in the fault path
    // (mainline), dropped by RFC v2 11/23.
    if (found('kvm_tdp_mmu_map')) switches.faultPathMirrorSplit = found('kvm_tdp_mmu_map.bug_mirror_huge') ? 'bug' : 'split';
    return { detected, code: { profile: detected.profile, switches } };
  } finally {
    linker.dispose();
  }
}

interface Sources { pre?: SourceFile; post?: SourceFile; kf?: KernelFile }

/** The kernel file a patched file plays; for quoted hunks of unknown file with no tree to find
 *  it in, the one the subject's area names ("KVM: x86/tdp_mmu:" → mmu/tdp_mmu.c). */
function kernelFileFor(f: AppliedFile, patch: PatchMail): KernelFile | undefined {
  if (f.path !== '') return kernelFileOf(f.path);
  const stems = subjectStems(patch.parsedSubject.title);
  const named = TREE_FILES.filter((kf) => stems.includes(path.basename(kf).replace(/\.[ch]$/, '')));
  const kf = named.find((k) => k.endsWith('.c')) ?? named[0];
  if (kf) f.notes.push(`simulator anchors are looked up as in ${kf}, the file the subject's area names`);
  return kf;
}

function reviewedFile(f: AppliedFile, parse: (name: string, kf: KernelFile | undefined, text: string) => SourceFile, kf: KernelFile | undefined): { file: ReviewedFile; sources: Sources } {
  const added = new Set<number>();
  const removed = new Set<number>();
  for (const p of f.placements) {
    p.hunk.lines.forEach((l, k) => {
      if (l.kind === '+' && p.post[k]) added.add(p.post[k]);
      if (l.kind === '-' && p.pre[k]) removed.add(p.pre[k]);
    });
  }
  const sources: Sources = { kf };
  const c = isC(f.path) || (f.path === '' && f.placements.length > 0);
  const post = () => (c && f.post ? (sources.post ??= parse(`${f.path} (after the patch)`, kf, f.post)) : undefined);
  const pre = () => (c && f.pre ? (sources.pre ??= parse(`${f.path} (before the patch)`, kf, f.pre)) : undefined);
  // Parse now: anchors need both sides, and the checks will.
  post();
  pre();
  return { file: { applied: f, added, removed, post: () => post()?.structure, pre: () => pre()?.structure }, sources };
}

function fileReview(f: AppliedFile, sources: Sources): FileReview {
  const preAnchors = sources.kf ? anchorLocations(sources.kf, sources.pre) : new Map();
  const postAnchors = sources.kf ? anchorLocations(sources.kf, sources.post) : new Map();
  const hunks = f.placements.map((p): HunkReview => {
    const h = p.hunk.header;
    const range = (xs: number[], kinds: string) => {
      const ls = xs.filter((x, k) => x > 0 && kinds.includes(p.hunk.lines[k].kind));
      return ls.length ? { start: Math.min(...ls), end: Math.max(...ls) } : null;
    };
    return {
      header: h ? `@@ -${h.oldStart},${h.oldCount} +${h.newStart},${h.newCount} @@${h.section ? ' ' + h.section : ''}` : '(quoted fragment without its @@ line)',
      inputLine: p.hunk.src,
      status: p.status,
      reason: p.reason,
      offset: p.offset,
      fuzz: p.fuzz,
      whitespace: p.whitespace,
      ambiguous: p.ambiguous,
      post: p.status === 'failed' ? null : range(p.post, ' +'),
      pre: p.status === 'failed' ? null : range(p.pre, ' -'),
      added: p.hunk.lines.flatMap((l, k) => (l.kind === '+' && p.post[k] ? [p.post[k]] : [])),
      anchors: anchorsTouched(p, preAnchors, postAnchors),
    };
  });
  return { path: f.path, source: f.source, treePath: f.treePath, pre: f.pre, post: f.post, notes: f.notes, hunks };
}

/** Files the checks need that the patch may not touch, as they are after patch `i`. */
async function preloadNeeds(
  checks: readonly ReviewCheck[], applied: AppliedPatch[], i: number, tree: KernelTreeReader | undefined,
  parse: (name: string, kf: KernelFile | undefined, text: string) => SourceFile,
): Promise<(path: string) => OtherFile | undefined> {
  const loaded = new Map<string, OtherFile | undefined>();
  for (const p of new Set(checks.flatMap((c) => c.needs ?? []))) {
    let text: string | undefined;
    for (let j = i; j >= 0 && text === undefined; j--) {
      const f = applied[j].files.find((x) => x.path === p && x.source !== 'hunks-only');
      if (f) text = f.post;
    }
    text ??= (await tree?.read(p))?.text;
    loaded.set(p, text === undefined ? undefined : { path: p, text, structure: parse(p, kernelFileOf(p), text).structure });
  }
  return (p) => loaded.get(p);
}

function runChecks(checks: readonly ReviewCheck[], ctx: CheckContext, index: number, ap: AppliedPatch): Remark[] {
  const remarks: Remark[] = [];
  for (const check of checks) {
    for (const d of check.run(ctx)) {
      const r: Remark = { check: check.id, title: check.title, patch: index, file: d.file, line: d.line, inputLine: d.line, message: d.message, reason: d.reason };
      if (d.file !== undefined) {
        r.inputLine = inputLineOf(ap, d.file, d.line) ?? nearestHunk(ap, d.file, d.line);
        const fn = ctx.files.find((f) => f.applied.path === d.file)?.post()?.functionAt(d.line);
        r.quoteFrom = fn && inputLineOf(ap, d.file, fn.span.startLine);
      }
      remarks.push(r);
    }
  }
  return remarks.sort((a, b) => a.inputLine - b.inputLine || a.line - b.line);
}

/** The input line showing post-patch line `line` of `file`, if a hunk shows it. */
function inputLineOf(ap: AppliedPatch, file: string, line: number): number | undefined {
  for (const p of ap.files.find((x) => x.path === file)?.placements ?? []) {
    for (const [k, l] of p.hunk.lines.entries()) if (l.kind !== '-' && p.post[k] === line) return l.src;
  }
  return undefined;
}

/** The @@ line of the hunk nearest to post-patch line `line` (a remark on a line no hunk shows). */
function nearestHunk(ap: AppliedPatch, file: string, line: number): number {
  const f = ap.files.find((x) => x.path === file);
  let best: { d: number; src: number } | null = null;
  for (const p of f?.placements ?? []) {
    if (p.status === 'failed') continue;
    const d = Math.abs(p.postLine - line);
    if (!best || d < best.d) best = { d, src: p.hunk.src };
  }
  return best?.src ?? f?.file.src ?? ap.patch.firstLine;
}

// ---- scenarios ----------------------------------------------------------------------------------

/** The scenarios/ directory shipped with the project (or the extension), if it can be found. */
export function shippedScenarios(): string[] {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const s = path.join(dir, 'scenarios');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(s)) return scenarioFiles(s);
    if (path.dirname(dir) === dir) return [];
  }
}

/** The *.tdpsim.yaml files of a directory, sorted. */
export function scenarioFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.tdpsim.yaml')).sort().map((n) => path.join(dir, n));
}

function scenarioSources(files: readonly string[]): ScenarioSource[] {
  return files.map((file) => ({ file, load: (profile: ProfileName) => loadScenarioFile(file, { profile }) }));
}

const defaultSimulate: SimulateFn = (scenario, profile) => {
  // Loaded on first use: a review without a tree never needs the simulator.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sim = require('../sim/simulate') as typeof import('../sim/simulate');
  return sim.simulateWithProfile(scenario, profile);
};
