// Behaviour diff: the same scenarios simulated on the kernel profile before and after a patch,
// and the externally visible sequence (kvm_x86_ops hooks, SEAMCALLs, KVM_BUG_ONs) compared with
// a Myers diff (jsdiff's diffArrays) over event signatures.
//
// The simulator models kernel generations (profiles), not arbitrary C: a patch changes
// simulated behaviour exactly when it moves the tree from one profile to another (e.g. RFC v2
// 09/23 moves mainline → hugepage-rfc-v2). When the profile does not change we say so rather
// than pretend to have simulated the patch.

import { diffArrays } from 'diff';
import { levelName } from '../sim/levels';
import type { Scenario } from '../sim/scenario-types';
import type { ProfileName, Recording, SimEvent } from '../sim/types';

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
  before: ProfileName | undefined;
  after: ProfileName | undefined;
  /** Why there is no diff (profile unknown or unchanged), when there is none. */
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

/** Myers diff of two signature sequences. */
export function diffSignatures(before: SignatureEvent[], after: SignatureEvent[]): RecordingDiff {
  const changes = diffArrays(before, after, { comparator: (a, b) => a.text === b.text });
  const ops: DiffOp[] = changes.map((c) => ({ op: c.added ? 'added' : c.removed ? 'removed' : 'same', events: c.value }));
  const firstChange = ops.findIndex((o) => o.op !== 'same');
  if (firstChange < 0) return { ops, firstDiff: null };
  // The first differing event on each side: inside the change, or the next event of that side.
  const sideAfter = (from: number, side: 'removed' | 'added'): SignatureEvent | undefined => {
    for (let i = from; i < ops.length; i++) if (ops[i].op === side || ops[i].op === 'same') return ops[i].events[0];
    return undefined;
  };
  const b = sideAfter(firstChange, 'removed');
  const a = sideAfter(firstChange, 'added');
  const step = ops[firstChange].events[0].step;
  return { ops, firstDiff: { before: b?.seq ?? null, after: a?.seq ?? null, step } };
}

/** "step 2: − KVM_BUG_ON at …; + hook split_external_spt(…) → TDH.MEM.RANGE.BLOCK(…) …". */
export function summarise(diff: RecordingDiff): string {
  if (!diff.firstDiff) return 'same hooks, SEAMCALLs and KVM_BUG_ONs';
  const parts: string[] = [];
  for (let i = 0; i < diff.ops.length; i++) {
    const o = diff.ops[i];
    if (o.op === 'same') continue;
    const texts = o.events.map((e) => e.text);
    parts.push(`${o.op === 'removed' ? '−' : '+'} ${texts.length > 6 ? [...texts.slice(0, 5), `… (${texts.length} events)`].join(' → ') : texts.join(' → ')}`);
  }
  return `from step ${diff.firstDiff.step}: ${parts.join('; ')}`;
}

export interface ScenarioSource {
  file: string;
  /** Loads the scenario for a profile; throws the loader's error when it cannot run there. */
  load(profile: ProfileName): Scenario;
}

export interface BehaviourOptions {
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  simulate: (scenario: Scenario, opts: { profile: ProfileName }) => Recording;
}

export function diffBehaviour(
  before: ProfileName | undefined,
  after: ProfileName | undefined,
  scenarios: readonly ScenarioSource[],
  opts: BehaviourOptions,
): BehaviourDiff {
  if (!before || !after) {
    return { before, after, scenarios: [], note: `the kernel profile ${!before ? 'before' : 'after'} the patch is unknown, so nothing can be simulated` };
  }
  if (before === after) {
    return { before, after, scenarios: [], note: `the patch keeps the tree at profile ${before}: the simulator models kernel generations, so it has no behaviour change to show` };
  }
  const out: ScenarioBehaviour[] = [];
  for (const [i, src] of scenarios.entries()) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.(`simulating ${src.file} (${i + 1}/${scenarios.length}) on ${before} and ${after}`);
    const b = run(src, before, opts);
    const a = run(src, after, opts);
    const name = b.scenario?.name ?? a.scenario?.name ?? src.file;
    if (!b.rec || !a.rec) {
      out.push({ name, file: src.file, before: b.run, after: a.run, diff: null, summary: `not comparable: ${[b.run.error && `${before}: ${b.run.error}`, a.run.error && `${after}: ${a.run.error}`].filter(Boolean).join('; ')}` });
      continue;
    }
    const diff = diffSignatures(signatures(b.rec, opts.signal), signatures(a.rec, opts.signal));
    out.push({ name, file: src.file, before: b.run, after: a.run, diff, summary: summarise(diff) });
  }
  return { before, after, scenarios: out };
}

function run(src: ScenarioSource, profile: ProfileName, opts: BehaviourOptions): { run: ScenarioRun; rec?: Recording; scenario?: Scenario } {
  let scenario: Scenario;
  try {
    scenario = src.load(profile);
  } catch (e) {
    return { run: { profile, events: 0, bugged: false, failedExpectations: 0, error: firstLine(e) } };
  }
  let rec: Recording;
  try {
    rec = opts.simulate(scenario, { profile });
  } catch (e) {
    return { run: { profile, events: 0, bugged: false, failedExpectations: 0, error: `the simulator failed: ${firstLine(e)}` }, scenario };
  }
  const bugged = rec.length > 0 && rec.stateAt(rec.length - 1).bugged !== null;
  return { run: { profile, events: rec.length, bugged, failedExpectations: rec.expectations.filter((x) => !x.ok).length }, rec, scenario };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
