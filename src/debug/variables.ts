// The Variables view of a stopped simulated kernel: scopes of a frame (the function's arguments
// and locals as the kernel names them, and the simulation around it: mmu_lock, the VM's bugged
// status, the page-table walks and the S-EPT entry for the GFN), as a lazily expanded tree.
import type { PgLevel, SimEvent } from '../sim/types';
import { isPgLevel, levelName } from '../sim/levels';
import { Fields, format, type Value } from './expr';
import { describeEntry, eventValues, fieldIdent, SeptFields, SpteFields, SptepFields, tableEntryValue, type EntryRef, type TableName, type ValueContext } from './values';

/** One row of the Variables view. `children` are built on expansion. */
export interface VarNode {
  name: string;
  value: string;
  type?: string;
  /** What to evaluate to get this value again (watch, "copy as expression"). */
  evaluateName?: string;
  children?: () => VarNode[];
  /** The page-table entry this row shows: a data breakpoint can watch it. */
  entry?: EntryRef;
}

export interface Scope {
  name: string;
  /** 'arguments' | 'locals' | 'registers' as DAP presentation hints. */
  hint?: 'arguments' | 'locals' | 'registers';
  expensive: boolean;
  children: () => VarNode[];
}

const LOCAL_NAMES = new Set(['root', 'is_mirror', 'ret', 'status']);
/** Ints the kernel prints in decimal (%d): everything else (gfn, SPTEs, pfns) is hex. */
const DECIMAL = new Set(['level', 'as_id', 'vcpu', 'seq', 'step', 'nr_pages', 'errno']);

/** How a named value reads: like the kernel prints it (levels and ids in decimal, the rest hex). */
export function displayValue(name: string, v: Value): string {
  if (typeof v === 'bigint' && DECIMAL.has(name)) return name === 'level' && isPgLevel(Number(v)) ? `${v} (${levelName(Number(v) as PgLevel)})` : String(v);
  return format(v);
}

/** A value as a row; structured values expand into their decoded fields. */
export function valueNode(name: string, v: Value, evaluateName?: string): VarNode {
  if (v instanceof SpteFields) return spteNode(name, v, evaluateName);
  if (v instanceof SeptFields) {
    const d = v.decoded;
    return {
      name, value: format(v), type: 'S-EPT entry', evaluateName, entry: v.entry,
      children: () => [
        { name: 'state', value: d.state, evaluateName: evaluateName && `${evaluateName}.state` },
        { name: 'level', value: d.level === null ? '-' : `${d.level} (${levelName(d.level)})`, evaluateName: evaluateName && `${evaluateName}.level` },
        { name: 'pfn', value: format(d.pfn), evaluateName: evaluateName && `${evaluateName}.pfn` },
        { name: 'leaf', value: String(d.leaf) },
        { name: 'blocked', value: String(d.blocked) },
      ],
    };
  }
  if (v instanceof Fields) {
    return {
      name, value: format(v), evaluateName, entry: v instanceof SptepFields ? v.entry : undefined,
      type: v instanceof SptepFields ? 'tdp_ptep_t' : undefined,
      children: () => [...v.fields].map(([k, x]) => valueNode(k, x, evaluateName && `${evaluateName}.${k}`)),
    };
  }
  return { name, value: displayValue(name, v), evaluateName, type: typeof v === 'bigint' ? (DECIMAL.has(name) ? 'int' : 'u64') : typeof v === 'boolean' ? 'bool' : undefined };
}

function spteNode(name: string, v: SpteFields, evaluateName?: string): VarNode {
  const d = v.decoded;
  const sub = (field: string): string | undefined => evaluateName && `${evaluateName}.${field}`;
  return {
    name, value: format(v), type: 'u64 (SPTE)', evaluateName, entry: v.entry,
    children: () => [
      { name: 'summary', value: d.summary },
      ...d.fields.map((f) => ({ name: `${f.name} [${f.bits}]`, value: `${format(f.raw)}  ${f.meaning}`, evaluateName: sub(fieldIdent(f.name)) })),
      {
        name: 'predicates', value: Object.entries(d.predicates).filter(([, x]) => x === true).map(([k]) => k).join(', ') || 'none true',
        children: () => Object.entries(d.predicates).map(([k, x]) => ({
          name: k, value: x === null ? 'needs a level' : String(x), type: 'bool',
          evaluateName: evaluateName && (k === 'is_last_spte' ? (v.level ? `is_last_spte(${evaluateName}, ${v.level})` : undefined) : `${k}(${evaluateName})`),
        })),
      },
      ...d.warnings.map((w, i) => ({ name: `warning ${i + 1}`, value: w })),
    ],
  };
}

/** Rows of a table walk for `gfn`, root level first; each entry is watchable. */
function walkNode(ctx: ValueContext, seq: number, table: TableName, gfn: number): VarNode {
  const walk = ctx.rec.stateAt(seq).walk(table, gfn);
  const label = table === 'sept' ? 'S-EPT' : `${table} root`;
  const leaf = walk[walk.length - 1];
  return {
    name: `${label} walk (gfn 0x${gfn.toString(16)})`,
    value: walk.length === 0 ? 'no such table' : `${walk.length} level${walk.length > 1 ? 's' : ''}, ends at ${levelName(leaf.level)}: ${tableEntryValue(table, leaf.gfn, leaf.level, leaf.spte, ctx.vm).text}`,
    children: walk.length === 0 ? undefined : () => walk.map((w) => valueNode(
      `level ${w.level} (${levelName(w.level)}) gfn 0x${w.gfn.toString(16)}`,
      tableEntryValue(table, w.gfn, w.level, w.spte, ctx.vm),
      `spte(${table}, 0x${w.gfn.toString(16)}, ${w.level})`,
    )),
  };
}

/**
 * Scopes of a frame whose call event is `frameEvent` (undefined: not recorded), stopped at `seq`.
 * `calling`: the call this frame is making right now (the current event, a callee not entered
 * yet), shown with its arguments as a scope of its own.
 */
export function scopesOf(ctx: ValueContext, seq: number, frameEvent: SimEvent | undefined, calling?: SimEvent): Scope[] {
  const scopes: Scope[] = [];
  if (calling) {
    const values = eventValues(ctx, calling, seq);
    values.delete('kvm');
    const what = calling.kind === 'hook' ? `kvm_x86_ops.${calling.fn}` : calling.kind === 'seamcall' ? `SEAMCALL ${calling.fn}` : calling.fn;
    scopes.push({ name: `Calling ${what}()`, expensive: false, children: () => [...values].map(([k, v]) => valueNode(k, v)) });
  }
  if (frameEvent) {
    const values = eventValues(ctx, frameEvent, seq);
    const rows = (keep: (k: string) => boolean): VarNode[] => [...values].filter(([k]) => keep(k)).map(([k, v]) => valueNode(k, v, k));
    scopes.push({ name: 'Arguments', hint: 'arguments', expensive: false, children: () => rows((k) => !LOCAL_NAMES.has(k)) });
    scopes.push({
      name: 'Locals', hint: 'locals', expensive: false,
      children: () => [...rows((k) => LOCAL_NAMES.has(k)), ...(frameEvent.message ? [{ name: 'message', value: frameEvent.message }] : [])],
    });
  }
  scopes.push({ name: 'Simulation', hint: 'registers', expensive: false, children: () => simulationRows(ctx, seq) });
  return scopes;
}

function simulationRows(ctx: ValueContext, seq: number): VarNode[] {
  const { rec } = ctx;
  const ev = rec.event(seq);
  const state = rec.stateAt(seq);
  const step = rec.steps[ev.step];
  const rows: VarNode[] = [
    { name: 'mmu_lock', value: state.lock === 'none' ? 'not held' : `held for ${state.lock}`, evaluateName: 'mmu_lock' },
    {
      name: 'kvm', value: state.bugged ? `VM bugged (KVM_BUG_ON at #${state.bugged.seq})` : 'VM running',
      children: () => [
        { name: 'vm_bugged', value: String(state.bugged !== null), type: 'bool', evaluateName: 'vm_bugged' },
        ...(state.bugged ? [{ name: 'bug', value: `#${state.bugged.seq}: ${state.bugged.reason}` }] : []),
        { name: 'profile', value: rec.profile, evaluateName: 'profile' },
      ],
    },
    {
      name: 'event', value: `#${ev.seq} of ${rec.length}: ${ev.kind} ${ev.fn}`,
      children: () => [
        { name: 'seq', value: String(ev.seq), evaluateName: 'seq' },
        { name: 'kind', value: ev.kind, evaluateName: 'kind' },
        { name: 'fn', value: ev.fn, evaluateName: 'fn' },
        { name: 'stack', value: ev.stack.join(' → ') || '(top level)' },
        { name: 'anchor', value: ev.anchor ?? '(none)' },
        { name: 'step', value: step ? `${step.index}: ${step.op}` : String(ev.step), evaluateName: 'step' },
        { name: 'vcpu', value: ev.vcpu === null ? '(none)' : String(ev.vcpu), evaluateName: 'vcpu' },
        ...(ev.writes ?? []).map((w, i) => ({
          name: `write ${i + 1}`, value: `${describeEntry(w)}: ${format(w.old)} → ${format(w.new)}`,
          entry: { table: w.table, gfn: w.gfn, level: w.level },
        })),
      ],
    },
  ];
  if (ev.gfn !== undefined) {
    const sept = ctx.rec.stateAt(seq).walk('sept', ev.gfn);
    if (sept.length) {
      const leaf = sept[sept.length - 1];
      rows.push(valueNode(`S-EPT entry (gfn 0x${ev.gfn.toString(16)})`, tableEntryValue('sept', leaf.gfn, leaf.level, leaf.spte, ctx.vm), `sept(0x${ev.gfn.toString(16)})`));
    }
    for (const t of ['mirror', 'direct', 'sept'] as const) rows.push(walkNode(ctx, seq, t, ev.gfn));
  }
  if (rec.expectations.length) {
    const failed = rec.expectations.filter((x) => !x.ok);
    rows.push({
      name: 'expectations', value: failed.length ? `${failed.length} of ${rec.expectations.length} failed` : `all ${rec.expectations.length} passed`,
      children: () => rec.expectations.map((x) => ({ name: `step ${x.step}`, value: `${x.ok ? 'ok' : 'FAILED'}: ${x.description}${x.ok ? '' : ` (actual: ${x.actual})`}` })),
    });
  }
  return rows;
}

