// Behaviour diff: the same scenarios simulated on the kernel profile before and after a patch,
// and the externally visible sequence (kvm_x86_ops hooks, SEAMCALLs, KVM_BUG_ONs) compared with
// a Myers diff (jsdiff's diffArrays) over event signatures.
//
// The simulator models kernel generations (profiles), not arbitrary C: a patch changes simulated
// behaviour exactly when it changes code a profile switch stands for (e.g. RFC v2 09/23 turns
// tdp_mmu_set_spte()'s KVM_BUG_ON into split_external_spt(); see what-if.ts). Otherwise we say
// so rather than pretend to have simulated the patch.

import { diffArrays } from 'diff';
import { levelName } from '../sim/levels';
import type { Scenario } from '../sim/scenario-types';
import type { Profile } from '../sim/profiles';
import type { ProfileName, Recording, SimEvent } from '../sim/types';
import { type CodeState, type SimSide, simulatedSides } from './what-if';

/** An event of the externally visible sequence. */
export interface SignatureEvent {
  seq: number;
  /** Scenario step that produced it. */
  step: number;
  kind: 'hook' | 'seamcall' | 'kvm_bug';
  /** What is compared: name and the arguments that matter, e.g.
   *  "hook split_external_spt(gfn 0x200, 2M)", "TDH.MEM.PAGE.DEMOTE(gfn 0x200, 2M) = TDX_SUCCESS",
   *  "KVM_BUG_ON at tdp_mmu_set_spte.bug_present". */
  text: string;
}

export type DiffOp = { op: 'same' | 'removed' | 'added'; events: SignatureEvent[] };

export interface RecordingDiff {
  ops: DiffOp[];
  /** First event that differs, as a seq of each side's recording: null when that side has none
   *  there (e.g. only additions at the end). Null as a whole when the sequences are equal. */
  firstDiff: { before: number | null; after: number | null; step: number } | null;
}

export interface ScenarioRun {
  /** Named profile (a what-if variant of it when BehaviourDiff says so). */
  profile: ProfileName;
  events: number;
  /** Set when a KVM_BUG_ON fired. */
  bugged: boolean;
  /** Expectations of the scenario that failed on this profile. */
  failedExpectations: number;
  /** The scenario cannot run on this profile (e.g. TDX steps on pre-tdx): the loader's message. */
  error?: string;
}

export interface ScenarioBehaviour {
  name: string;
  file: string;
  before: ScenarioRun;
  after: ScenarioRun;
  diff: RecordingDiff | null;
  /** One line: "step 2: KVM_BUG_ON at ... → hook split_external_spt(...) → ...", or why not. */
  summary: string;
}

export interface BehaviourDiff {
  /** Kernel profiles detected in the code before and after the patch. */
  detected: { before: ProfileName | undefined; after: ProfileName | undefined };
  /** What was simulated on each side (absent with a note when nothing was). */
  before?: SimSide;
  after?: SimSide;
  /** Why there is no diff (profile unknown or no simulated decision changed), when there is none. */
  note?: string;
  scenarios: ScenarioBehaviour[];
}

const LEVEL = (l: SimEvent['level']) => (l ? levelName(l) : '?');
const GFN = (g: number | undefined) => (g === undefined ? '' : `gfn 0x${g.toString(16)}`);

export function signatureOf(ev: SimEvent): SignatureEvent | null {
  const where = [GFN(ev.gfn), ev.level ? LEVEL(ev.level) : ''].filter(Boolean).join(', ');
  let text: string;
  switch (ev.kind) {
    case 'hook':
      text = `hook ${ev.fn}(${where})`;
      break;
    case 'seamcall':
      text = `${ev.fn}(${where})${ev.result ? ` = ${ev.result}` : ''}`;
      break;
    case 'kvm_bug':
      text = `${ev.fn} at ${ev.anchor ?? ev.stack[ev.stack.length - 2] ?? 'top level'}`;
      break;
    default:
      return null;
  }
  return { seq: ev.seq, step: ev.step, kind: ev.kind, text };
}

export function signatures(rec: Recording, signal?: AbortSignal): SignatureEvent[] {
  const out: SignatureEvent[] = [];
  for (let seq = 0; seq < rec.length; seq++) {
    if ((seq & 0xfff) === 0) signal?.throwIfAborted();
    const s = signatureOf(rec.event(seq));
    if (s) out.push(s);
  }
  return out;
}

/** Myers diff of two signature sequences. 'same' runs hold the before side's events. */
export function diffSignatures(before: SignatureEvent[], after: SignatureEvent[]): RecordingDiff {
  const changes = diffArrays(before, after, { comparator: (a, b) => a.text === b.text });
  const ops: DiffOp[] = [];
  let bi = 0;
  let ai = 0;
  let firstDiff: RecordingDiff['firstDiff'] = null;
  for (const c of changes) {
    const n = c.count ?? c.value.length;
    if (!c.added && !c.removed) {
      ops.push({ op: 'same', events: before.slice(bi, bi + n) });
      bi += n;
      ai += n;
      continue;
    }
    // The first differing event on each side: inside this change, or the next one of that side.
    firstDiff ??= { before: before[bi]?.seq ?? null, after: after[ai]?.seq ?? null, step: (c.removed ? before[bi] : after[ai]).step };
    if (c.removed) { ops.push({ op: 'removed', events: before.slice(bi, bi + n) }); bi += n; }
    else { ops.push({ op: 'added', events: after.slice(ai, ai + n) }); ai += n; }
  }
  return { ops, firstDiff };
}

/**
 * "at step 2 (split, file:12): before: KVM_BUG_ON at … → hook remove_external_spte(…) → …;
 * after: hook split_external_spt(…) → TDH.MEM.RANGE.BLOCK(…) → …": the changed window on each
 * side, from the first to the last differing event (events common to both inside it included,
 * so each side reads as the sequence the kernel runs).
 */
export function summarise(diff: RecordingDiff, step?: { op: string; source?: { file: string; line: number } }): string {
  if (!diff.firstDiff) return 'same hooks, SEAMCALLs and KVM_BUG_ONs';
  const changed = diff.ops.map((o, i) => (o.op === 'same' ? -1 : i)).filter((i) => i >= 0);
  const window = diff.ops.slice(changed[0], changed[changed.length - 1] + 1);
  const side = (keep: 'removed' | 'added') => {
    const texts = window.filter((o) => o.op === 'same' || o.op === keep).flatMap((o) => o.events.map((e) => e.text));
    if (texts.length === 0) return '(nothing)';
    return texts.length > 8 ? [...texts.slice(0, 7), `… (${texts.length} events)`].join(' → ') : texts.join(' → ');
  };
  const where = step ? ` (${step.op}${step.source ? `, ${step.source.file}:${step.source.line}` : ''})` : '';
  return `at step ${diff.firstDiff.step + 1}${where}: before: ${side('removed')}; after: ${side('added')}`;
}

export interface ScenarioSource {
  file: string;
  /** Loads the scenario for a profile; throws the loader's error when it cannot run there. */
  load(profile: ProfileName): Scenario;
}

/** Runs a scenario on a profile (simulateWithProfile by default). */
export type SimulateFn = (scenario: Scenario, profile: Profile) => Recording;

export interface BehaviourOptions {
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  simulate: SimulateFn;
}

/** Simulation is synchronous: between scenarios this yields to the event loop so that a
 *  cancellation (the UI's cancel button aborting `signal`) and progress reports get through. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function diffBehaviour(
  before: CodeState,
  after: CodeState,
  scenarios: readonly ScenarioSource[],
  opts: BehaviourOptions,
): Promise<BehaviourDiff> {
  const detected = { before: before.profile, after: after.profile };
  const sides = simulatedSides(before, after);
  if ('note' in sides) return { detected, note: sides.note, scenarios: [] };
  const out: ScenarioBehaviour[] = [];
  for (const [i, src] of scenarios.entries()) {
    await yieldToEventLoop();
    opts.signal?.throwIfAborted();
    opts.onProgress?.(`simulating ${src.file} (${i + 1}/${scenarios.length})`);
    const b = run(src, sides.before, opts);
    const a = run(src, sides.after, opts);
    const name = b.scenario?.name ?? a.scenario?.name ?? src.file;
    if (!b.rec || !a.rec) {
      const why = [b.run.error && `${sides.before.name}: ${b.run.error}`, a.run.error && `${sides.after.name}: ${a.run.error}`].filter(Boolean).join('; ');
      out.push({ name, file: src.file, before: b.run, after: a.run, diff: null, summary: `not comparable: ${why}` });
      continue;
    }
    const diff = diffSignatures(signatures(b.rec, opts.signal), signatures(a.rec, opts.signal));
    const step = diff.firstDiff ? b.rec.steps[diff.firstDiff.step] : undefined;
    out.push({ name, file: src.file, before: b.run, after: a.run, diff, summary: summarise(diff, step) });
  }
  return { detected, before: sides.before, after: sides.after, scenarios: out };
}

function run(src: ScenarioSource, side: SimSide, opts: BehaviourOptions): { run: ScenarioRun; rec?: Recording; scenario?: Scenario } {
  const profile = side.name;
  let scenario: Scenario;
  try {
    scenario = src.load(side.loadAs);
  } catch (e) {
    return { run: { profile, events: 0, bugged: false, failedExpectations: 0, error: firstLine(e) } };
  }
  if (scenario.vm.type === 'tdx' && !side.profile.tdx) {
    return { run: { profile, events: 0, bugged: false, failedExpectations: 0, error: `${profile} has no TDX VMs` }, scenario };
  }
  let rec: Recording;
  try {
    rec = opts.simulate(scenario, side.profile);
  } catch (e) {
    return { run: { profile, events: 0, bugged: false, failedExpectations: 0, error: `the simulator failed: ${firstLine(e)}` }, scenario };
  }
  const bugged = rec.length > 0 && rec.stateAt(rec.length - 1).bugged !== null;
  return { run: { profile, events: rec.length, bugged, failedExpectations: rec.expectations.filter((x) => !x.ok).length }, rec, scenario };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
