// Cross-check: replay the trace's inputs through the model and find the first place where the
// real kernel and the simulated one disagree.
//
// The inputs are read back from the replay (so roots are already inferred):
//  - a page fault: kvm_mmu_spte_requested (with the kvm_page_fault before it) → a fault step of
//    that vCPU at that GFN with the goal level as max_level; on a TD, private unless the fault's
//    GPA had the shared bit (a shared fault first converts its range to shared, which changes
//    nothing when the range held no private mapping);
//  - a huge → non-leaf change followed by kvm_mmu_split_huge_page, outside a fault → a split step;
//  - a present leaf zapped outside a fault → a zap step of that leaf.
// A fault that changed SPTEs of another address space (SMM, as id 1) is left out: the model has
// one address space.
// Anything else (write-protection, aging, page tables torn down) is not an input the scenario
// language has; those changes are left out of the comparison and counted.
//
// Comparison, per input step: the kvm_tdp_mmu_spte_changed the model emits for it against those
// the trace shows for it, each as (root, level, GFN, kind of old → kind of new); PFNs differ by
// construction (the model allocates its own). A trace starts mid-life: page tables it never
// shows being linked were already there, so the model's links of entries the trace never
// mentions are dropped before comparing.
import type { PgLevel, ProfileName, Recording, SimEvent, Spte } from '../sim/types';
import type { Scenario, ScenarioStep } from '../sim/scenario-types';
import * as sim from '../sim';
import type { TraceImport } from './import';
import type { VmReplay } from './replay';
import { isFrozen } from './rules';

const { simulate, is_last_spte, is_shadow_present_pte, pagesPerHpage, gfnRoundForLevel } = sim;

export interface CrossCheckOptions {
  /** Kernel profile of the model (default: the import's). */
  profile?: ProfileName;
  /** At most this many input steps are simulated (default 20000). */
  maxSteps?: number;
  signal?: AbortSignal;
}

export interface Disagreement {
  /** Index of the derived input step, and what it is. */
  step: number;
  op: string;
  /** Trace line where that input starts, and of the first differing change (if the trace has it). */
  line: number;
  changeLine: number | null;
  /** seq in the replay of the first differing trace change, else of the input's first record. */
  traceSeq: number;
  /** The first differing change: what the model did and what the trace shows (null: nothing). */
  expected: string | null;
  actual: string | null;
  /** The whole step on both sides. */
  expectedAll: string[];
  actualAll: string[];
  /** seq of the model's event in `model` (null when the model had no change there). */
  modelSeq: number | null;
}

export interface CrossCheckResult {
  vm: string;
  /** The scenario made from the trace's inputs, and the model's recording of it. */
  scenario: Scenario;
  model: Recording | null;
  steps: number;
  agreed: number;
  firstDisagreement: Disagreement | null;
  notes: string[];
}

interface Input {
  step: ScenarioStep;
  line: number;
  /** Replay seq of the record the input starts with. */
  seq: number;
  /** Replay seqs of the trace's SPTE changes belonging to this input. */
  changes: number[];
}

const kind = (v: Spte, level: PgLevel): string =>
  isFrozen(v) ? 'FROZEN' : !is_shadow_present_pte(v) ? 'non-present' : is_last_spte(v, level) ? 'leaf' : 'non-leaf';

function describe(e: SimEvent): string {
  return `${e.root} level ${e.level} gfn 0x${e.gfn!.toString(16)}: ${kind(e.old_spte!, e.level!)} → ${kind(e.new_spte!, e.level!)}`;
}

function stepText(s: ScenarioStep): string {
  switch (s.op) {
    case 'fault': return `fault vCPU ${s.vcpu} ${s.private ? 'private' : 'shared'} gfn 0x${s.gfn.toString(16)} (max level ${s.max_level})`;
    case 'split': return `split ${s.private ? 'private' : 'shared'} gfn 0x${s.gfn.toString(16)} level ${s.level}`;
    case 'zap': return `zap ${s.private ? 'private' : 'shared'} gfn 0x${s.gfn.toString(16)} (${s.npages} pages)`;
    case 'convert': return `convert gfn 0x${s.gfn.toString(16)} (${s.npages} pages) to ${s.to}`;
    default: return s.op;
  }
}

/** The inputs of one replayed VM, in trace order, and the SPTE changes each one caused. */
function deriveInputs(v: VmReplay, maxSteps: number, notes: string[]): Input[] {
  const rec = v.recording;
  const td = v.plan.vmType === 'tdx';
  const shared = td && v.plan.sharedBit !== null ? 2 ** v.plan.sharedBit : 0;
  const strip = (gfn: number): number => (shared && gfn >= shared ? gfn - shared : gfn);
  const inputs: Input[] = [];
  const converted = new Set<number>();
  /** The input each CPU is in the middle of (a fault until kvm_mmu_set_spte, a split until its tracepoint). */
  const open = new Map<number, Input>();
  let skipped = 0, elsewhere = 0;
  let cut = false;
  const add = (i: Input): boolean => {
    if (inputs.length >= maxSteps) { cut = true; return false; }
    inputs.push(i);
    return true;
  };
  for (let seq = 0; seq < rec.length && !cut; seq++) {
    const e = rec.event(seq);
    if (e.kind !== 'trace') continue;
    const cpu = e.cpu ?? 0;
    const line = rec.lineOf(seq);
    switch (e.fn) {
      case 'kvm_mmu_spte_requested': {
        // A fault whose changes went to another address space (SMM): the model has none.
        if (e.args?.address_space !== undefined) { elsewhere++; open.delete(cpu); break; }
        const priv = td ? e.root !== 'direct' : false;
        const gfn = strip(e.gfn!);
        const level = Math.min(e.level!, 3) as PgLevel;
        if (td && !priv) {
          const start = gfnRoundForLevel(gfn, level);
          if (!converted.has(start * 8 + level)) {
            converted.add(start * 8 + level);
            add({ step: { op: 'convert', gfn: start, npages: pagesPerHpage(level), to: 'shared' }, line, seq, changes: [] });
          }
        }
        const input: Input = { step: { op: 'fault', gfn, private: priv, write: true, max_level: level, vcpu: e.vcpu ?? 0 }, line, seq, changes: [] };
        if (add(input)) open.set(cpu, input);
        break;
      }
      case 'kvm_mmu_set_spte':
        open.delete(cpu);
        break;
      case 'kvm_mmu_split_huge_page': {
        const o = open.get(cpu);
        if (o && o.step.op === 'split') open.delete(cpu);
        break;
      }
      case 'kvm_tdp_mmu_spte_changed': {
        const o = open.get(cpu);
        const level = e.level!, old = e.old_spte!, nu = e.new_spte!;
        const wasLeaf = is_shadow_present_pte(old) && is_last_spte(old, level);
        if (o && o.step.op === 'fault') { o.changes.push(seq); break; }
        if (o && o.step.op === 'split') { o.changes.push(seq); break; }
        if (wasLeaf && is_shadow_present_pte(nu) && !is_last_spte(nu, level) && (level === 2 || level === 3)) {
          const input: Input = { step: { op: 'split', gfn: strip(e.gfn!), level, private: e.root === 'mirror', shared: false }, line, seq, changes: [seq] };
          if (add(input)) open.set(cpu, input);
        } else if (wasLeaf && !is_shadow_present_pte(nu) && !isFrozen(nu)) {
          add({ step: { op: 'zap', gfn: strip(e.gfn!), npages: pagesPerHpage(level), private: e.root === 'mirror' }, line, seq, changes: [seq] });
        } else {
          skipped++;
        }
        break;
      }
    }
  }
  if (elsewhere) notes.push(`${elsewhere} faults installed their SPTEs in another address space (SMM) and were left out`);
  if (skipped) notes.push(`${skipped} SPTE changes are not inputs the model can replay (write-protection, aging, page-table teardown) and were left out`);
  if (cut) notes.push(`only the first ${maxSteps} inputs were cross-checked`);
  return inputs;
}

function scenarioOf(v: VmReplay, inputs: Input[], profile: ProfileName): Scenario {
  let pages = 512, vcpus = 1;
  for (const i of inputs) {
    const s = i.step;
    if (s.op === 'fault') {
      pages = Math.max(pages, gfnRoundForLevel(s.gfn, s.max_level) + pagesPerHpage(s.max_level));
      vcpus = Math.max(vcpus, s.vcpu + 1);
    } else if (s.op === 'split') pages = Math.max(pages, gfnRoundForLevel(s.gfn, s.level) + pagesPerHpage(s.level));
    else if (s.op === 'zap' || s.op === 'convert') pages = Math.max(pages, s.gfn + s.npages);
  }
  return {
    name: `cross-check of ${v.recording.name}`, profile,
    vm: { type: v.plan.vmType, pages: Math.ceil(pages / 512) * 512, paging_levels: v.plan.rootLevel, vcpus },
    steps: inputs.map((i) => i.step),
  };
}

/** Cross-check the address space 0 of every replayed VM. */
export function crossCheck(t: TraceImport, opts: CrossCheckOptions = {}): CrossCheckResult[] {
  const profile = opts.profile ?? t.profile;
  return t.vms.filter((v) => v.asId === 0).map((v) => crossCheckReplay(v, profile, opts));
}

/** Cross-check one replayed address space (the stepper's) with the model of `profile`. */
export function crossCheckReplay(v: VmReplay, profile: ProfileName, opts: Omit<CrossCheckOptions, 'profile'> = {}): CrossCheckResult {
  const notes: string[] = [];
  const inputs = deriveInputs(v, opts.maxSteps ?? 20000, notes);
  const scenario = scenarioOf(v, inputs, profile);
  const result: CrossCheckResult = { vm: v.key, scenario, model: null, steps: inputs.length, agreed: 0, firstDisagreement: null, notes };
  if (inputs.length === 0) {
    notes.push('the trace has no page fault, split or zap to replay through the model');
    return result;
  }
  let model: Recording;
  try {
    model = simulate(scenario, { signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    notes.push(`the model cannot run the trace's inputs: ${(e as Error).message}`);
    return result;
  }
  result.model = model;

  // The model's traced changes per step.
  const modelChanges: number[][] = inputs.map(() => []);
  for (let seq = 0; seq < model.length; seq++) {
    const e = model.event(seq);
    if (e.fn === 'handle_changed_spte' && e.anchor === 'handle_changed_spte.trace' && e.step >= 0 && e.step < inputs.length) modelChanges[e.step].push(seq);
  }
  // Entries the trace mentions at all; the model's links of other entries predate the trace.
  const seen = new Set<string>();
  const rec = v.recording;
  for (let seq = 0; seq < rec.length; seq++) {
    const e = rec.event(seq);
    if (e.fn === 'kvm_tdp_mmu_spte_changed') seen.add(`${e.root}:${e.level}:${e.gfn}`);
  }
  let droppedLinks = 0;
  for (let k = 0; k < inputs.length; k++) {
    const expectedEvents = modelChanges[k].map((s) => model.event(s)).filter((e) => {
      const link = !is_shadow_present_pte(e.old_spte!) && is_shadow_present_pte(e.new_spte!) && !is_last_spte(e.new_spte!, e.level!);
      if (link && !seen.has(`${e.root}:${e.level}:${e.gfn}`)) { droppedLinks++; return false; }
      return true;
    });
    const actualEvents = inputs[k].changes.map((s) => rec.event(s));
    const expected = expectedEvents.map(describe);
    const actual = actualEvents.map(describe);
    const n = Math.max(expected.length, actual.length);
    let at = -1;
    for (let j = 0; j < n; j++) if (expected[j] !== actual[j]) { at = j; break; }
    if (at < 0) { result.agreed++; continue; }
    result.firstDisagreement = {
      step: k, op: stepText(inputs[k].step), line: inputs[k].line,
      changeLine: at < actualEvents.length ? rec.lineOf(actualEvents[at].seq) : null,
      traceSeq: at < actualEvents.length ? actualEvents[at].seq : inputs[k].seq,
      expected: expected[at] ?? null, actual: actual[at] ?? null, expectedAll: expected, actualAll: actual,
      modelSeq: at < expectedEvents.length ? expectedEvents[at].seq : null,
    };
    break;
  }
  if (droppedLinks) notes.push(`${droppedLinks} page-table links of the model are not in the trace (the tables existed before it started) and were not compared`);
  return result;
}

/** Text for the CLI. */
export function formatCrossCheck(results: CrossCheckResult[], file: string): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`cross-check (${r.vm}): ${r.agreed} of ${r.steps} inputs replayed identically by the model (profile ${r.scenario.profile})`);
    const d = r.firstDisagreement;
    if (d) {
      out.push(`  first disagreement at ${file}:${d.changeLine ?? d.line} in input ${d.step + 1}, ${d.op} (from line ${d.line}):`);
      out.push(`    model: ${d.expected ?? '(no further change)'}`);
      out.push(`    trace: ${d.actual ?? '(no further change)'}`);
    }
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  return out.join('\n') + '\n';
}

/** JSON for the CLI (the scenario steps included, the model recording left out). */
export function crossCheckToJSON(results: CrossCheckResult[]): unknown {
  return results.map((r) => ({ vm: r.vm, steps: r.steps, agreed: r.agreed, firstDisagreement: r.firstDisagreement, notes: r.notes, scenario: r.scenario }));
}

