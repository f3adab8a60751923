// Breakpoints over a recording: where each one is (anchors of a kernel line, a function name, a
// scenario step, a page-table entry, an exception filter), whether an event triggers it, and its
// hit count. Hit counts are positions in the recording ("the 3rd time this line ran"), so they
// are the same whether the user got there forward or in reverse.
import * as path from 'path';
import { ANCHORS, type Anchor } from '../sim/anchors';
import type { Recording, SimEvent } from '../sim/types';
import { compile, format, truthy, type Compiled } from './expr';
import { displayValue } from './variables';
import { anchorsInFile, type AnchorLocator, type PlacedAnchor } from './locator';
import { describeEntry, eventEnv, FUNCTIONS, knownNames, type EntryRef, type RecordLines, type ValueContext } from './values';

/** What the DAP client sent for one breakpoint, minus the location. */
export interface BreakpointOptions {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

/** What we answer for one breakpoint (maps onto DebugProtocol.Breakpoint). */
export interface BreakpointStatus {
  id: number;
  verified: boolean;
  line?: number;
  message?: string;
  reason?: 'failed';
}

/** Why the session should stop (or log) at an event. */
export interface Hit {
  reason: 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'exception';
  ids: number[];
  description: string;
  /** Exception stops: which filter and what happened. */
  exception?: { filter: ExceptionFilterId; message: string };
  /** Logpoint output produced at this event (logpoints never stop). */
  logs: string[];
}

export type ExceptionFilterId = 'kvm_bug' | 'invariant' | 'seamcall_error' | 'warn';

/** Exception breakpoint filters (DebugProtocol.ExceptionBreakpointsFilter). */
export const EXCEPTION_FILTERS: ReadonlyArray<{ filter: ExceptionFilterId; label: string; description: string; default: boolean }> = [
  { filter: 'kvm_bug', label: 'KVM_BUG_ON', description: 'Stop when a KVM_BUG_ON fires (the VM is bugged from then on).', default: true },
  { filter: 'invariant', label: 'invariant violation', description: 'Stop when a simulator invariant (mirror vs S-EPT consistency, lock rules, ...) breaks.', default: true },
  { filter: 'seamcall_error', label: 'SEAMCALL error', description: 'Stop when a SEAMCALL returns anything but TDX_SUCCESS (including TDX_OPERAND_BUSY).', default: false },
  { filter: 'warn', label: 'WARN_ON', description: 'Stop when a WARN_ON / WARN_ON_ONCE fires.', default: false },
];

const EXCEPTION_TEST: Record<ExceptionFilterId, (e: SimEvent) => boolean> = {
  kvm_bug: (e) => e.kind === 'kvm_bug',
  invariant: (e) => e.kind === 'invariant',
  warn: (e) => e.kind === 'warn',
  seamcall_error: (e) => e.kind === 'seamcall' && (e.status !== undefined ? e.status !== 0n : e.result !== undefined && e.result !== 'TDX_SUCCESS'),
};

/** The kvm_x86_ops external page-table hooks a function breakpoint may name. */
const HOOKS = ['link_external_spt', 'set_external_spte', 'free_external_spt', 'remove_external_spte', 'split_external_spt'];

type Where =
  | { kind: 'anchors'; ids: ReadonlySet<string>; entryOf: ReadonlySet<string> }
  | { kind: 'function'; name: string }
  | { kind: 'seq'; seq: number }
  | { kind: 'entry'; entry: EntryRef };

interface Bp {
  id: number;
  where: Where;
  condition?: Compiled;
  hit?: (count: number) => boolean;
  log?: Array<string | Compiled>;
  /** Seqs where location and condition hold, computed on first use (for hit counts). */
  matches?: number[];
}


/** Parse a hit condition: `N` or `>= N` (from the Nth hit on), `== N`, `> N`, `< N`, `<= N`, `% N`. */
export function parseHitCondition(text: string): (count: number) => boolean {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`hit condition '${text}' is not a number optionally preceded by ==, >, >=, <, <= or %`);
  const n = Number(m[2]);
  switch (m[1] ?? '>=') {
    case '==': case '=': return (c) => c === n;
    case '>': return (c) => c > n;
    case '<': return (c) => c < n;
    case '<=': return (c) => c <= n;
    case '%':
      if (n === 0) throw new Error(`hit condition '${text}': % 0 is undefined`);
      return (c) => c % n === 0;
    default: return (c) => c >= n;
  }
}

/** Split a logpoint message into text and {expression} parts. */
function splitLogMessage(text: string): Array<string | { expr: string }> {
  const parts: Array<string | { expr: string }> = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ expr: m[1] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** One breakpoint as the client asked for it, with the id we gave it and how it resolved. */
interface Entry<S> { spec: S; id: number; bp?: Bp; status: BreakpointStatus }
type LineSpec = { line: number } & BreakpointOptions;
type FunctionSpec = { name: string } & BreakpointOptions;
type DataSpec = { entry: EntryRef } & BreakpointOptions;

export class BreakpointSet {
  private nextId = 1;
  private readonly files = new Map<string, Entry<LineSpec>[]>();
  private functions: Entry<FunctionSpec>[] = [];
  private data: Entry<DataSpec>[] = [];
  private filters = new Set<ExceptionFilterId>();
  private names?: Set<string>;
  private fns?: Set<string>;

  constructor(private ctx: ValueContext, private locator: AnchorLocator) {}

  get rec(): Recording {
    return this.ctx.rec;
  }

  /**
   * Re-resolve every breakpoint against a new recording (restart) or kernel tree (found from a
   * breakpoint's path), keeping ids so the client can update them in place.
   */
  rebind(ctx: ValueContext, locator: AnchorLocator): void {
    this.ctx = ctx;
    this.locator = locator;
    this.names = undefined;
    this.fns = undefined;
    this.lineIndex = undefined;
    for (const [file, list] of this.files) this.resolveLines(file, list);
    this.functions.forEach((e) => Object.assign(e, this.resolveFunction(e.spec, e.id)));
    this.data.forEach((e) => Object.assign(e, this.resolveData(e.spec, e.id)));
  }

  /** The current status of every breakpoint (after rebind: to send as 'changed'). */
  statuses(): BreakpointStatus[] {
    return [...[...this.files.values()].flat(), ...this.functions, ...this.data].map((e) => e.status);
  }

  // ---- names the recording knows (for validating conditions and function names) ----------------

  private argNames(): Set<string> {
    if (!this.names) this.scan();
    return this.names!;
  }
  private recordedFunctions(): Set<string> {
    if (!this.fns) this.scan();
    return this.fns!;
  }
  private scan(): void {
    this.names = new Set();
    this.fns = new Set();
    for (let s = 0; s < this.rec.length; s++) {
      const e = this.rec.event(s);
      this.fns.add(e.fn);
      for (const k of Object.keys(e.args ?? {})) this.names.add(k);
    }
  }

  /** Compile and check the condition, hit condition and log message; throws with the reason. */
  private options(o: BreakpointOptions): Pick<Bp, 'condition' | 'hit' | 'log'> {
    const known = knownNames(this.argNames());
    const checked = (what: string, text: string): Compiled => {
      let c: Compiled;
      try { c = compile(text); } catch (e) { throw new Error(`${what}: ${(e as Error).message}`); }
      const bad = [...c.names].filter((n) => !known.has(n));
      if (bad.length) throw new Error(`${what}: unknown name${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')}`);
      const badFn = [...c.functions].filter((f) => !(f in FUNCTIONS));
      if (badFn.length) throw new Error(`${what}: unknown function ${badFn.map((b) => `'${b}'`).join(', ')} (known: ${Object.keys(FUNCTIONS).join(', ')})`);
      return c;
    };
    const out: Pick<Bp, 'condition' | 'hit' | 'log'> = {};
    if (o.condition?.trim()) out.condition = checked('condition', o.condition);
    if (o.logMessage) out.log = splitLogMessage(o.logMessage).map((p) => (typeof p === 'string' ? p : checked('log message', p.expr)));
    if (o.hitCondition?.trim()) out.hit = parseHitCondition(o.hitCondition);
    return out;
  }

  /** A resolved location plus the options: a breakpoint, or a failed status saying why. */
  private make(id: number, where: Where, o: BreakpointOptions, line?: number, note?: string): Pick<Entry<unknown>, 'bp' | 'status'> {
    try {
      return { bp: { id, where, ...this.options(o) }, status: { id, verified: true, line, message: note } };
    } catch (e) {
      return { status: { id, verified: false, reason: 'failed', line, message: (e as Error).message } };
    }
  }

  // ---- line breakpoints --------------------------------------------------------------------------

  /** Replace the breakpoints of one file: a scenario file of this recording, or a kernel file. */
  setLineBreakpoints(file: string, lines: LineSpec[]): BreakpointStatus[] {
    const key = path.resolve(file);
    const list: Entry<LineSpec>[] = lines.map((spec) => ({ spec, id: this.nextId++, status: { id: 0, verified: false } }));
    this.resolveLines(key, list);
    if (list.length) this.files.set(key, list); else this.files.delete(key);
    return list.map((e) => e.status);
  }

  private resolveLines(file: string, list: Entry<LineSpec>[]): void {
    const records = this.ctx.records && path.resolve(this.ctx.records.file) === file ? this.ctx.records : undefined;
    const steps = records ? [] : this.rec.steps.filter((s) => s.source && path.resolve(s.source.file) === file);
    const placed = records || steps.length ? [] : anchorsInFile(this.locator, file);
    for (const e of list) {
      const loc = records ? this.resolveRecordLine(records, e.spec.line)
        : steps.length ? this.resolveStepLine(steps, e.spec.line) : this.resolveKernelLine(file, placed, e.spec.line);
      const r = 'error' in loc
        ? { bp: undefined, status: { id: e.id, verified: false, line: e.spec.line, message: loc.error } }
        : this.make(e.id, loc.where, e.spec, loc.line, loc.note);
      e.bp = r.bp;
      e.status = r.status;
    }
  }

  /** First event of each trace line that has one (built on the first trace-file breakpoint). */
  private lineIndex?: Map<number, number>;

  /** A line of the replayed trace: its first event, or the next replayed line's. */
  private resolveRecordLine(records: RecordLines, line: number): { where: Where; line: number; note?: string } | { error: string } {
    if (!this.lineIndex) {
      this.lineIndex = new Map();
      for (let s = 0; s < this.rec.length; s++) {
        const l = records.lineOf(s);
        if (!this.lineIndex.has(l)) this.lineIndex.set(l, s);
      }
    }
    let at = line;
    while (!this.lineIndex.has(at) && at <= line + 1000) at++;
    const seq = this.lineIndex.get(at);
    if (seq === undefined) return { error: `line ${line}: no replayed trace record on it or in the 1000 lines after it` };
    return { where: { kind: 'seq', seq }, line: at, note: at !== line ? `moved to the next replayed record (line ${at})` : undefined };
  }

  private resolveStepLine(steps: Recording['steps'], line: number): { where: Where; line: number; note?: string } | { error: string } {
    // A step's YAML runs from its own line to the line before the next step.
    let pick: (typeof steps)[number] | undefined;
    for (const s of steps) if (s.source!.line <= line) pick = s;
    if (!pick) return { error: `line ${line} is before the first step of the scenario` };
    if (pick.firstSeq < 0 || pick.firstSeq >= this.rec.length) return { error: `step ${pick.index} (${pick.op}) produced no events` };
    return {
      where: { kind: 'seq', seq: pick.firstSeq }, line: pick.source!.line,
      note: pick.source!.line !== line ? `moved to the start of step ${pick.index} (${pick.op})` : undefined,
    };
  }

  private resolveKernelLine(file: string, placed: PlacedAnchor[], line: number): { where: Where; line: number; note?: string } | { error: string } {
    const base = path.basename(file);
    if (placed.length === 0) {
      if (!this.locator.tree) {
        const probe = this.locator.locate(ANCHORS[0].id);
        return { error: `${base}: ${probe.status === 'missing' ? probe.reason : 'no kernel tree'}` };
      }
      const known = [...new Set(ANCHORS.map((a) => `arch/x86/kvm/${a.file}`))];
      return { error: `${base}: not a file of the kernel tree ${this.locator.tree} with simulated code (simulated files: ${known.join(', ')})` };
    }
    const fnDefs = placed.filter((p) => p.anchor.pattern.kind === 'function');
    const enclosing = fnDefs
      .filter((p) => p.location.startLine <= line && line <= p.location.endLine)
      .sort((a, b) => (a.location.endLine - a.location.startLine) - (b.location.endLine - b.location.startLine))[0];
    if (!enclosing) {
      const list = fnDefs.slice(0, 8).map((p) => `${p.anchor.fn} (${p.location.startLine}-${p.location.endLine})`).join(', ');
      return { error: `line ${line} is not inside a function the simulator models; modelled here: ${list}${fnDefs.length > 8 ? ', ...' : ''}` };
    }
    const fn = enclosing.anchor.fn;
    // A line carries a decision point when the anchor's construct starts there: the function's
    // first line, a call, a KVM_BUG_ON, an `if` condition (not the whole then-branch, whose own
    // lines are decision points of their own or nothing).
    const carries = (p: PlacedAnchor, l: number): boolean => p.location.startLine === l;
    const inFn = placed.filter((p) => p.anchor.fn === fn);
    let at = line;
    let note: string | undefined;
    let here = inFn.filter((p) => carries(p, line));
    if (here.length === 0) {
      // Nearest decision point; on a tie the later line (the code that runs next).
      at = inFn.map((p) => p.location.startLine).sort((a, b) => Math.abs(a - line) - Math.abs(b - line) || b - a)[0];
      here = inFn.filter((p) => carries(p, at));
      note = `moved from line ${line}: nothing is simulated there; nearest decision point in ${fn}(): ${here.map((p) => p.anchor.title).join('; ')}`;
    }
    const anchors: Anchor[] = here.map((p) => p.anchor);
    if (anchors.every((a) => !a.profiles.includes(this.rec.profile))) {
      note = `${note ? note + '. ' : ''}never reached with profile ${this.rec.profile} (exists in: ${[...new Set(anchors.flatMap((a) => a.profiles))].join(', ')})`;
    }
    return {
      where: {
        kind: 'anchors', ids: new Set(anchors.map((a) => a.id)),
        entryOf: new Set(anchors.filter((a) => a.pattern.kind === 'function').map((a) => a.fn)),
      },
      line: at, note,
    };
  }

  // ---- function breakpoints ------------------------------------------------------------------------

  setFunctionBreakpoints(list: FunctionSpec[]): BreakpointStatus[] {
    this.functions = list.map((spec) => {
      const id = this.nextId++;
      return { spec, id, ...this.resolveFunction(spec, id) };
    });
    return this.functions.map((e) => e.status);
  }

  private resolveFunction(spec: FunctionSpec, id: number): Pick<Entry<unknown>, 'bp' | 'status'> {
    const name = spec.name.trim();
    const recorded = this.recordedFunctions().has(name);
    if (!recorded && !HOOKS.includes(name) && !ANCHORS.some((a) => a.fn === name)) {
      const stem = name.toLowerCase().slice(0, 6);
      const near = [...new Set([...this.recordedFunctions(), ...HOOKS])].filter((n) => stem && n.toLowerCase().includes(stem)).slice(0, 5);
      return { status: { id, verified: false, reason: 'failed', message: `'${name}' is not a function, hook or SEAMCALL the simulator models${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}` } };
    }
    return this.make(id, { kind: 'function', name }, spec, undefined, recorded ? undefined : `${name} is never called in this simulation (${this.rec.name})`);
  }

  // ---- data breakpoints ----------------------------------------------------------------------------

  setDataBreakpoints(list: DataSpec[]): BreakpointStatus[] {
    this.data = list.map((spec) => {
      const id = this.nextId++;
      return { spec, id, ...this.resolveData(spec, id) };
    });
    return this.data.map((e) => e.status);
  }

  private resolveData(spec: DataSpec, id: number): Pick<Entry<unknown>, 'bp' | 'status'> {
    return this.make(id, { kind: 'entry', entry: spec.entry }, spec, undefined, `break when the ${describeEntry(spec.entry)} changes`);
  }

  setExceptionFilters(filters: string[]): void {
    this.filters = new Set(filters.filter((f): f is ExceptionFilterId => EXCEPTION_FILTERS.some((x) => x.filter === f)));
  }

  // ---- matching ---------------------------------------------------------------------------------------

  private located(bp: Bp, e: SimEvent): boolean {
    const w = bp.where;
    switch (w.kind) {
      // A breakpoint on a function's first line: every call of that function (not a hook of
      // the same name: kvm_x86_ops.split_external_spt is not the tdp_mmu.c wrapper).
      case 'anchors': return (e.anchor !== null && w.ids.has(e.anchor)) || (e.kind === 'call' && w.entryOf.has(e.fn));
      case 'function': return e.kind !== 'step' && e.fn === w.name;
      case 'seq': return e.seq === w.seq;
      case 'entry': return (e.writes ?? []).some((x) => x.table === w.entry.table && x.level === w.entry.level && x.gfn === w.entry.gfn && x.old !== x.new);
    }
  }

  /** Location and condition (not the hit count). A condition that fails to evaluate counts as
   *  true, so that the user sees the error at the first place it happens. */
  private holds(bp: Bp, e: SimEvent): { ok: boolean; error?: string } {
    if (!this.located(bp, e)) return { ok: false };
    if (!bp.condition) return { ok: true };
    try {
      return { ok: truthy(bp.condition.evaluate(eventEnv(this.ctx, e, e.seq, this.argNames()))) };
    } catch (err) {
      return { ok: true, error: `condition '${bp.condition.source}' failed: ${(err as Error).message}` };
    }
  }

  /** 1-based hit count of `bp` at event `seq` (which holds), from the start of the recording. */
  private hitCount(bp: Bp, seq: number): number {
    if (!bp.matches) {
      bp.matches = [];
      for (let s = 0; s < this.rec.length; s++) if (this.holds(bp, this.rec.event(s)).ok) bp.matches.push(s);
    }
    let lo = 0;
    let hi = bp.matches.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (bp.matches[mid] <= seq) lo = mid + 1; else hi = mid; }
    return lo;
  }

  private all(): Bp[] {
    return [...[...this.files.values()].flat(), ...this.functions, ...this.data].flatMap((e) => (e.bp ? [e.bp] : []));
  }

  /** Does event `e` stop the session (or produce logpoint output)? */
  check(e: SimEvent): Hit | null {
    const stops: Bp[] = [];
    const logs: string[] = [];
    const errors: string[] = [];
    for (const bp of this.all()) {
      const h = this.holds(bp, e);
      if (!h.ok) continue;
      if (h.error) { errors.push(h.error); stops.push(bp); continue; }
      if (bp.hit && !bp.hit(this.hitCount(bp, e.seq))) continue;
      if (bp.log) logs.push(this.renderLog(bp.log, e));
      else stops.push(bp);
    }
    const filter = [...this.filters].find((f) => EXCEPTION_TEST[f](e));
    if (filter) {
      const label = EXCEPTION_FILTERS.find((f) => f.filter === filter)!.label;
      const message = e.message ?? (e.kind === 'seamcall' ? `${e.fn} returned ${e.result ?? format(e.status ?? null)}` : e.fn);
      return { reason: 'exception', ids: stops.map((b) => b.id), description: `${label}: ${message}`, exception: { filter, message }, logs };
    }
    if (stops.length === 0) return logs.length ? { reason: 'breakpoint', ids: [], description: '', logs } : null;
    const kind = stops.some((b) => b.where.kind === 'entry') ? 'data breakpoint'
      : stops.some((b) => b.where.kind === 'anchors' || b.where.kind === 'seq') ? 'breakpoint' : 'function breakpoint';
    const data = stops.find((b) => b.where.kind === 'entry');
    const description = errors.length ? errors.join('; ')
      : data ? `${e.fn} wrote the ${describeEntry((data.where as { entry: EntryRef }).entry)}` : `${kind} at ${e.fn}`;
    return { reason: kind, ids: stops.map((b) => b.id), description, logs };
  }

  private renderLog(parts: Array<string | Compiled>, e: SimEvent): string {
    const env = eventEnv(this.ctx, e, e.seq, this.argNames());
    return parts.map((p) => {
      if (typeof p === 'string') return p;
      try { return displayValue(p.source.trim(), p.evaluate(env)); } catch (err) { return `<${(err as Error).message}>`; }
    }).join('');
  }

  /** Names usable in expressions for this recording (event args included). */
  expressionNames(): ReadonlySet<string> {
    return this.argNames();
  }
}
