// Semantic checks and conversion: a scenario that passed the schema becomes a Scenario
// (src/sim/scenario-types.ts) with defaults filled in, or gets errors for requests the
// kernel could never see (GFNs outside the memslot, private memory on a VMX VM, TDX on a
// pre-TDX kernel, ...). Every problem is reported, not just the first.
import type { PgLevel, ProfileName } from '../types';
import type {
  ConvertStep, DirtyLogStep, ExpectStep, FaultStep, InjectStep, RaceStep, Scenario, ScenarioStep,
  SplitStep, TeardownStep, VmConfig, ZapStep,
} from '../scenario-types';
import { levelName } from '../levels';
import { hex, parseLevel, parseMappedLevel, parseSize, parseUint } from './values';
import type { Parsed } from './values';
import type { Plain } from './yaml-source';
import { pointerChild } from './yaml-source';
import { effectiveProfile } from './profile';
import { editDistance, nearest } from './suggest';
import { ANCHORS } from '../anchors';
import { SEAMCALLS } from '../tdx-module';

type Obj = { [key: string]: Plain };

/** Records a problem at a JSON pointer (onKey: at the mapping key rather than its value). */
export type Report = (pointer: string, message: string, onKey?: boolean) => void;

export interface BuildInput {
  doc: Obj;
  /** Overrides the file's profile (tdp-sim run --profile). */
  profile?: ProfileName;
  /** Pointers whose subtree failed the schema: their content is not checked again. */
  broken: (pointer: string) => boolean;
  report: Report;
}

/** 4K pages per byte count. */
const PAGE_SIZE = 4096;

/** Highest guest physical address bit + 1 the VM may use for its memslot. A TD's memory must
 *  stay below the shared bit (tdx_td_init: GPA bit 47 with 4-level EPT, 51 with 5-level);
 *  a VMX guest is limited by the EPT's reach (48 bits, 4-level) or MAXPHYADDR (52, 5-level). */
function gpaBits(type: 'tdx' | 'vmx', levels: 4 | 5): number {
  if (type === 'tdx') return levels === 5 ? 51 : 47;
  return levels === 5 ? 52 : 48;
}

export function buildScenario(input: BuildInput): Scenario | undefined {
  const { doc, broken, report } = input;
  if (broken('/profile') || broken('/vm') || !Array.isArray(doc.steps)) return undefined;
  const profile = input.profile ?? (doc.profile as ProfileName);
  const profileNote = input.profile && input.profile !== doc.profile ? ` (given by --profile; the file says '${String(doc.profile)}')` : '';

  const vm = buildVm(doc.vm as Obj, report);
  if (!vm) return undefined;
  if (vm.type === 'tdx' && !effectiveProfile({ profile }).tdx) {
    report('/vm/type', `profile '${profile}'${profileNote} predates TDX support (no mirror roots): a tdx VM needs mainline or hugepage-rfc-v2`);
    return undefined;
  }
  if (broken('/what_if')) return undefined;
  // A bad what_if is reported; the steps are still checked (against the named profile).
  const what_if = buildWhatIf(doc.what_if as Obj | undefined, vm, report) ?? undefined;
  const limits = effectiveProfile({ profile, what_if });
  const whatIfNote = what_if?.private_max_level !== undefined ? ' with what_if' : '';

  const ctx: Ctx = { vm, profile, profileNote: profileNote + whatIfNote, privateMax: limits.privateMaxLevel, report };
  const steps: ScenarioStep[] = [];
  let teardownAt: number | undefined;
  (doc.steps as Obj[]).forEach((item, i) => {
    const pointer = `/steps/${i}`;
    if (broken(pointer)) return;
    const op = Object.keys(item)[0];
    const at = pointerChild(pointer, op);
    if (teardownAt !== undefined && op !== 'expect') {
      report(at, `'${op}' after the teardown at step ${teardownAt + 1}: the VM no longer exists (only expect steps may follow a teardown)`, true);
      return;
    }
    const step = buildStep(op, item[op], at, ctx);
    if (step) steps.push(step);
    if (op === 'teardown') teardownAt = i;
  });
  return {
    name: doc.name as string,
    ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
    profile,
    vm,
    steps,
    ...(what_if ? { what_if } : {}),
  };
}

/** `what_if`: undefined when absent, null (reported) when unusable. */
function buildWhatIf(o: Obj | undefined, vm: VmConfig, report: Report): Scenario['what_if'] | null | undefined {
  if (o === undefined) return undefined;
  const level = parseLevel(o.private_max_level);
  if (!level.ok) { report('/what_if/private_max_level', `'private_max_level': ${level.message}`); return null; }
  if (vm.type !== 'tdx') {
    report('/what_if', `what_if.private_max_level is about private memory: it needs a tdx VM`, true);
    return null;
  }
  return { private_max_level: level.value };
}

interface Ctx {
  vm: VmConfig;
  profile: ProfileName;
  profileNote: string;
  privateMax: PgLevel;
  report: Report;
}

function buildVm(vm: Obj, report: Report): VmConfig | undefined {
  const type = vm.type as 'tdx' | 'vmx';
  const paging_levels = (vm.paging_levels ?? 4) as 4 | 5;
  const vcpus = (vm.vcpus ?? 1) as number;
  const size = parseSize(vm.memory);
  if (!size.ok) { report('/vm/memory', `'memory': ${size.message}`); return undefined; }
  const bytes = size.value;
  if (bytes === 0) { report('/vm/memory', `'memory' must not be 0`); return undefined; }
  if (bytes % PAGE_SIZE !== 0) { report('/vm/memory', `'memory' ${bytes} bytes is not a multiple of 4K`); return undefined; }
  const bits = gpaBits(type, paging_levels);
  if (bytes > 2 ** bits) {
    const why = type === 'tdx' ? `must stay below the TDX shared bit (GPA bit ${bits})` : `exceeds what ${paging_levels}-level EPT maps (${bits} bits)`;
    report('/vm/memory', `'memory' of a ${type} VM with ${paging_levels}-level paging ${why}`);
    return undefined;
  }
  return { type, pages: bytes / PAGE_SIZE, paging_levels, vcpus };
}

function buildStep(op: string, body: Plain, at: string, ctx: Ctx): ScenarioStep | undefined {
  const o = (body ?? {}) as Obj;
  switch (op) {
    case 'fault': return buildFault(o, at, ctx, 0);
    case 'split': return buildSplit(o, at, ctx);
    case 'convert': return buildConvert(o, at, ctx);
    case 'zap': return buildZap(o, at, ctx);
    case 'inject': return buildInject(o, at, ctx);
    case 'dirty_log': return buildDirtyLog(o, at, ctx);
    case 'race': return buildRace(o, at, ctx);
    case 'teardown': return { op: 'teardown' } satisfies TeardownStep;
    case 'expect': return buildExpect(o, at, ctx);
    default: return undefined; // the schema already refused it
  }
}

/** Runs the parsers of a step's fields; undefined (with reports) when any failed. */
function fields<T extends Record<string, unknown>>(at: string, report: Report, parsed: { [K in keyof T]: Parsed<T[K]> }): T | undefined {
  const out: Record<string, unknown> = {};
  let good = true;
  for (const [key, p] of Object.entries(parsed) as [string, Parsed<unknown>][]) {
    if (p.ok) out[key] = p.value;
    else { report(pointerChild(at, key), `'${key}': ${p.message}`); good = false; }
  }
  return good ? (out as T) : undefined;
}

const given = <T>(v: T): Parsed<T> => ({ ok: true, value: v });

/** The TDX-only steps; reports and returns false on a VMX VM. */
function needsTdx(what: string, at: string, ctx: Ctx): boolean {
  if (ctx.vm.type === 'tdx') return true;
  ctx.report(at, `${what} needs a tdx VM: a vmx VM has no private memory, mirror root or TDX module`, true);
  return false;
}

function gfnInside(gfn: number, npages: number, pointer: string, ctx: Ctx): boolean {
  if (gfn + npages <= ctx.vm.pages) return true;
  const mem = `the VM has ${hex(ctx.vm.pages)} pages (GFNs 0x0-${hex(ctx.vm.pages - 1)})`;
  const shared = ctx.vm.type === 'tdx' ? '; write GFNs without the TDX shared bit' : '';
  ctx.report(pointer, npages === 1
    ? `gfn ${hex(gfn)} is beyond the VM's memory: ${mem}${shared}`
    : `range ${hex(gfn)}-${hex(gfn + npages - 1)} goes beyond the VM's memory: ${mem}${shared}`);
  return false;
}

function privateFlag(o: Obj, at: string, ctx: Ctx, what: string): boolean | undefined {
  const isPrivate = (o.private ?? ctx.vm.type === 'tdx') as boolean;
  if (isPrivate && ctx.vm.type !== 'tdx') {
    ctx.report(pointerChild(at, 'private'), `a private ${what} needs a tdx VM: a vmx VM has no private memory (no mirror root)`);
    return undefined;
  }
  return isPrivate;
}

function buildFault(o: Obj, at: string, ctx: Ctx, defaultVcpu: number): FaultStep | undefined {
  const f = fields<{ gfn: number; max_level: PgLevel }>(at, ctx.report, {
    gfn: parseUint(o.gfn),
    max_level: o.max_level === undefined ? given<PgLevel>(1) : parseLevel(o.max_level),
  });
  const isPrivate = privateFlag(o, at, ctx, 'fault');
  if (!f || isPrivate === undefined) return undefined;
  let good = gfnInside(f.gfn, 1, pointerChild(at, 'gfn'), ctx);
  const vcpu = (o.vcpu ?? defaultVcpu) as number;
  if (vcpu >= ctx.vm.vcpus) {
    ctx.report(pointerChild(at, o.vcpu === undefined ? 'gfn' : 'vcpu'), `vcpu ${vcpu} does not exist: the VM has ${ctx.vm.vcpus} vCPU(s) (set vm.vcpus)`);
    good = false;
  }
  // The private mapping level is capped per kernel (kvm_x86_ops.private_max_mapping_level).
  if (isPrivate && f.max_level > ctx.privateMax) {
    ctx.report(pointerChild(at, 'max_level'), `max_level ${levelName(f.max_level)}: profile '${ctx.profile}'${ctx.profileNote} maps private memory at ${levelName(ctx.privateMax)} at most`);
    good = false;
  }
  if (!good) return undefined;
  return { op: 'fault', gfn: f.gfn, private: isPrivate, write: (o.write ?? true) as boolean, max_level: f.max_level, vcpu };
}

function buildSplit(o: Obj, at: string, ctx: Ctx): SplitStep | undefined {
  const f = fields<{ gfn: number; level: PgLevel }>(at, ctx.report, { gfn: parseUint(o.gfn), level: parseLevel(o.level) });
  const isPrivate = privateFlag(o, at, ctx, 'split');
  if (!f || isPrivate === undefined) return undefined;
  let good = gfnInside(f.gfn, 1, pointerChild(at, 'gfn'), ctx);
  if (f.level === 1) {
    ctx.report(pointerChild(at, 'level'), `level 4K: only a huge mapping (2M or 1G) can be split; 'level' names the level of the huge leaf`);
    good = false;
  }
  if (!good) return undefined;
  return { op: 'split', gfn: f.gfn, level: f.level, private: isPrivate, shared: (o.shared ?? false) as boolean };
}

function range(o: Obj, at: string, ctx: Ctx): { gfn: number; npages: number } | undefined {
  const f = fields<{ gfn: number; npages: number }>(at, ctx.report, { gfn: parseUint(o.gfn), npages: parseUint(o.npages) });
  if (!f) return undefined;
  if (f.npages === 0) { ctx.report(pointerChild(at, 'npages'), `'npages' must be at least 1`); return undefined; }
  return gfnInside(f.gfn, f.npages, pointerChild(at, 'gfn'), ctx) ? f : undefined;
}

function buildConvert(o: Obj, at: string, ctx: Ctx): ConvertStep | undefined {
  // KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) is only supported by VMs with private memory.
  if (!needsTdx('a memory attribute conversion', at, ctx)) return undefined;
  const r = range(o, at, ctx);
  return r && { op: 'convert', ...r, to: o.to as 'shared' | 'private' };
}

function buildZap(o: Obj, at: string, ctx: Ctx): ZapStep | undefined {
  const isPrivate = privateFlag(o, at, ctx, 'zap');
  const r = range(o, at, ctx);
  return r && isPrivate !== undefined ? { op: 'zap', ...r, private: isPrivate } : undefined;
}

function buildInject(o: Obj, at: string, ctx: Ctx): InjectStep | undefined {
  if (!needsTdx('an injected SEAMCALL error', at, ctx)) return undefined;
  return { op: 'inject', seamcall: o.seamcall as string, error: o.error as string, times: (o.times ?? 1) as number };
}

function buildDirtyLog(o: Obj, at: string, ctx: Ctx): DirtyLogStep | undefined {
  // check_memory_region_flags() (virt/kvm/kvm_main.c) refuses KVM_MEM_LOG_DIRTY_PAGES on
  // guest_memfd memslots, which every TD memslot is.
  if (ctx.vm.type === 'tdx') {
    ctx.report(at, `dirty logging is not supported on a tdx VM: KVM refuses KVM_MEM_LOG_DIRTY_PAGES on guest_memfd memslots`, true);
    return undefined;
  }
  const r = range(o, at, ctx);
  return r && { op: 'dirty_log', ...r, enable: (o.enable ?? true) as boolean, eager_split: (o.eager_split ?? true) as boolean };
}

function buildRace(o: Obj, at: string, ctx: Ctx): RaceStep | undefined {
  const list = o.faults as Obj[];
  const faults: FaultStep[] = [];
  const seen = new Map<number, number>();
  let good = true;
  list.forEach((f, i) => {
    const fat = pointerChild(pointerChild(at, 'faults'), i);
    const fault = buildFault(f, fat, ctx, i);
    if (!fault) { good = false; return; }
    const other = seen.get(fault.vcpu);
    if (other !== undefined) {
      ctx.report(fat, `vcpu ${fault.vcpu} already faults in this race (item ${other}): each racing fault needs its own vCPU`);
      good = false;
    }
    seen.set(fault.vcpu, i);
    faults.push(fault);
  });
  return good ? { op: 'race', faults, interleave: (o.interleave ?? 'lockstep') as RaceStep['interleave'] } : undefined;
}

function buildExpect(o: Obj, at: string, ctx: Ctx): ExpectStep | undefined {
  const step: ExpectStep = { op: 'expect' };
  let good = true;
  if (o.calls !== undefined) {
    const calls: Record<string, number> = {};
    for (const [name, v] of Object.entries(o.calls as Obj)) {
      const typo = misspeltEventName(name);
      if (typo) { ctx.report(pointerChild(pointerChild(at, 'calls'), name), `'${name}' is not a name the simulator records: did you mean ${typo}?`, true); good = false; continue; }
      const n = parseUint(v);
      if (n.ok) calls[name] = n.value;
      else { ctx.report(pointerChild(pointerChild(at, 'calls'), name), `'${name}': ${n.message}`); good = false; }
    }
    step.calls = calls;
  }
  if (o.kvm_bug !== undefined) step.kvm_bug = o.kvm_bug as boolean;
  if (o.invariants_ok !== undefined) step.invariants_ok = o.invariants_ok as boolean;
  if (o.seamcall_results !== undefined) {
    if (needsTdx('expecting SEAMCALL results', pointerChild(at, 'seamcall_results'), ctx)) step.seamcall_results = { ...(o.seamcall_results as Record<string, string>) };
    else good = false;
  }
  if (o.mapped !== undefined) {
    const mapped: NonNullable<ExpectStep['mapped']> = [];
    (o.mapped as Obj[]).forEach((m, i) => {
      const mat = pointerChild(pointerChild(at, 'mapped'), i);
      const f = fields<{ gfn: number; level: PgLevel | 0 }>(mat, ctx.report, { gfn: parseUint(m.gfn), level: parseMappedLevel(m.level) });
      const table = m.table as 'direct' | 'mirror' | 'sept';
      if (!f) { good = false; return; }
      if (table !== 'direct' && ctx.vm.type !== 'tdx') {
        ctx.report(pointerChild(mat, 'table'), `table '${table}' exists only for a tdx VM (a vmx VM has only the direct root)`);
        good = false;
        return;
      }
      if (!gfnInside(f.gfn, 1, pointerChild(mat, 'gfn'), ctx)) { good = false; return; }
      mapped.push({ table, gfn: f.gfn, level: f.level });
    });
    step.mapped = mapped;
  }
  return good ? step : undefined;
}

/** Names events are recorded under that the anchor table and the TDX model know of. The list is
 *  not exhaustive (the model records a few helpers without anchors), so only a near miss of a
 *  known name is refused: an expectation on a typo would silently count zero. */
let knownNames: string[] | undefined;
function misspeltEventName(name: string): string | undefined {
  knownNames ??= [...new Set([
    ...ANCHORS.map((a) => a.fn),
    ...ANCHORS.flatMap((a) => (a.pattern.kind === 'call' ? [a.pattern.callee] : [])),
    ...SEAMCALLS, 'KVM_BUG_ON', 'BUG', 'WARN_ON', 'WARN_ON_ONCE',
  ])];
  if (knownNames.includes(name)) return undefined;
  const guess = nearest(name, knownNames);
  return guess !== undefined && editDistance(name, guess) <= 2 ? guess : undefined;
}
