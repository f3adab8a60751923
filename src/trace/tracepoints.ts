// The KVM tracepoints the replay understands, each with its parser and its exact printer.
// Formats are the TP_printk strings of arch/x86/kvm/mmu/mmutrace.h (kvmmmu system) and
// arch/x86/kvm/trace.h (kvm system), checked against Debian's linux-source-6.12 and a mainline
// tree (the kvmmmu formats are unchanged between them). One table entry per event keeps the
// parser and the printer side by side, so that parse(format(x)) == x is testable.
import type { PgLevel, Spte } from '../sim/types';
import { isPgLevel } from '../sim/levels';
import { HEX_VALUE, u64 } from './u64';

/** Largest GFN we accept: keeps GFNs exact in a JS number and is far above any real GPA
 *  width (52-bit MAXPHYADDR gives GFNs below 2^40). */
export const MAX_TRACE_GFN = 2 ** 52 - 1;

/** kvm_tdp_mmu_spte_changed: handle_changed_spte() (and the aging / dirty-clearing paths). */
export interface SpteChanged { event: 'kvm_tdp_mmu_spte_changed'; as_id: number; gfn: number; level: PgLevel; old_spte: Spte; new_spte: Spte }
/** kvm_mmu_split_huge_page: end of tdp_mmu_split_huge_page() (errno = tdp_mmu_link_sp's result),
 *  or -ENOMEM from tdp_mmu_split_huge_pages_root(). `level` is the level of the huge SPTE. */
export interface SplitHugePage { event: 'kvm_mmu_split_huge_page'; gfn: number; spte: Spte; level: PgLevel; errno: number }
/** kvm_mmu_spte_requested: start of kvm_tdp_mmu_map() (level = fault->goal_level; pfn has the
 *  GFN's offset inside the goal-level page OR'ed in). The GFN never carries the TDX shared bit. */
export interface SpteRequested { event: 'kvm_mmu_spte_requested'; gfn: number; pfn: bigint; level: PgLevel }
/** kvm_mmu_set_spte: tdp_mmu_map_handle_target_level() after installing a non-MMIO leaf.
 *  `access` is the printed "(rwxu)" group: r/w/x each or '-', then u/'-', omitted only when
 *  shadow_user_mask is 0 (not with EPT, where it is the R bit); `sptep` is the physical
 *  address of the SPTE. */
export interface SetSpte { event: 'kvm_mmu_set_spte'; gfn: number; spte: Spte; access: string; level: PgLevel; sptep: bigint }
/** kvm_page_fault (kvm system): a guest fault/EPT violation before kvm_mmu_page_fault(). Since
 *  Linux 6.0 it carries vcpu and rip; older kernels print only address and error_code. For EPT
 *  the "error_code" is the exit qualification; for a TD the address keeps the shared bit. */
export interface PageFault { event: 'kvm_page_fault'; vcpu: number | null; rip: bigint | null; address: bigint; error_code: bigint }
/** kvm_mmu_get_page / kvm_mmu_prepare_zap_page: the KVM_MMU_PAGE_PRINTK page descriptor.
 *  Only the fields the replay uses are kept; `created` is get_page's new/existing. */
export interface MmuPage {
  event: 'kvm_mmu_get_page' | 'kvm_mmu_prepare_zap_page';
  gen: number; gfn: number; level: PgLevel; direct: boolean; access: string; invalid: boolean;
  /** The rest of the descriptor as printed ("8-byte q0 ... root 0 sync"), kept for printing back. */
  role: string;
  created: boolean | null;
}

export type TraceEventFields = SpteChanged | SplitHugePage | SpteRequested | SetSpte | PageFault | MmuPage;
export type TraceEventName = TraceEventFields['event'];

/** Common fields of every ftrace line. */
export interface TraceHeader {
  /** 1-based line in the input. */
  line: number;
  /** comm of the task (may contain spaces and dashes, e.g. "CPU 0/KVM"); "<idle>" for pid 0. */
  task: string;
  pid: number;
  /** TGID column (record-tgid option), when the trace has it. */
  tgid: number | null;
  cpu: number;
  /** The irqs-off/need-resched/hardirq/preempt(/migrate) flags column, when present. */
  flags: string | null;
  /** Seconds, as printed. */
  time: number;
}

export type TraceRecord = TraceHeader & TraceEventFields;

/** Why the fields of a known event could not be parsed; `offset` is 0-based in the field text. */
export class FieldError {
  /** `skip`: a known other layout of the event that the replay does not read (counted as
   *  skipped, not as malformed). */
  constructor(readonly problem: string, readonly offset = 0, readonly skip = false) {}
}

interface Tracepoint<T extends TraceEventFields> {
  name: T['event'];
  system: 'kvmmmu' | 'kvm';
  /** The kernel's TP_printk format, for messages. */
  printk: string;
  /** Parse the fields starting at `start` of `text` (the whole line: no slicing per line) into
   *  a record carrying the line's header `h` (built in one object literal: this is hot). */
  parse(text: string, start: number, h: TraceHeader): (TraceHeader & T) | FieldError;
  format(f: T): string;
}

const HEX = '([0-9a-fA-F]+)';
const INT = '(-?\\d+)';

/** Hex text as printed by %llx (at most 16 digits; the regex has checked the characters). */
function hex64(text: string): bigint | null {
  const n = text.length;
  if (n > 16) return null;
  const mid = n > 8 ? n - 8 : 0;
  let hi = 0, lo = 0;
  for (let i = 0; i < mid; i++) hi = hi * 16 + HEX_VALUE[text.charCodeAt(i)];
  for (let i = mid; i < n; i++) lo = lo * 16 + HEX_VALUE[text.charCodeAt(i)];
  return u64(hi, lo);
}

function gfnOf(text: string): number | null {
  if (text.length > 13) return null;
  const v = parseInt(text, 16);
  return v <= MAX_TRACE_GFN ? v : null;
}

const bad = (problem: string, offset = 0): FieldError => new FieldError(problem, offset);

/** Shared checks of captured groups; a failing check names its field and points at it. */
function fieldAt(m: RegExpExecArray, group: number, label: string): number {
  const i = m.input.indexOf(`${label}${m[group]}`, m.index);
  return i < 0 ? 0 : i + label.length - m.index;
}
function checkGfn(m: RegExpExecArray, group: number): number | FieldError {
  const g = gfnOf(m[group]);
  return g === null ? bad(`gfn ${m[group]} is out of range (above 2^52)`, fieldAt(m, group, 'gfn ')) : g;
}
function checkLevel(m: RegExpExecArray, group: number, label = 'level '): PgLevel | FieldError {
  const l = Number(m[group]);
  return isPgLevel(l) ? l : bad(`level ${m[group]} is not a page level (1..5)`, fieldAt(m, group, label));
}
function checkHex(m: RegExpExecArray, group: number, what: string, label = `${what} `): bigint | FieldError {
  const v = hex64(m[group]);
  return v === null ? bad(`${what} ${m[group]} is wider than 64 bits`, fieldAt(m, group, label)) : v;
}

/**
 * Why `text` does not match `printk`: walks the format's literal words and %d/%u/%x/%llx
 * conversions and reports the first place they part, e.g. "expected 'level' at offset 12".
 * (Formats with %s groups are only matched up to their first %s.)
 */
function mismatch(printk: string, text: string): FieldError {
  const tokens = printk.split(/(%-?0?\d*(?:ll|l)?[dux]|%#?llx|%s)/).filter((t) => t !== '');
  let pos = 0;
  for (const tok of tokens) {
    if (tok === '%s') break;
    if (tok.startsWith('%')) {
      const re = /[dui]$/.test(tok) ? /^-?\d+/ : /^(?:0x)?[0-9a-fA-F]+/;
      const m = re.exec(text.slice(pos));
      if (!m) {
        const what = /[dui]$/.test(tok) ? 'a decimal number' : 'a hex number';
        return bad(pos >= text.length ? `line ends where ${what} was expected (truncated?)` : `expected ${what} at "${text.slice(pos, pos + 12)}"`, pos);
      }
      pos += m[0].length;
    } else {
      if (!text.startsWith(tok, pos)) {
        return bad(pos >= text.length ? `line ends where "${tok.trim()}" was expected (truncated?)` : `expected "${tok.trim()}" at "${text.slice(pos, pos + 12)}"`, pos);
      }
      pos += tok.length;
    }
  }
  if (pos < text.length && !printk.includes('%s')) return bad(`unexpected text after the last field: "${text.slice(pos, pos + 24)}"`, pos);
  return bad(`fields do not match the format "${printk}"`);
}

const SPTE_CHANGED_RE = new RegExp(`as id (\\d+) gfn ${HEX} level ${INT} old_spte ${HEX} new_spte ${HEX}[ \\t]*$`, 'y');
const spteChanged: Tracepoint<SpteChanged> = {
  name: 'kvm_tdp_mmu_spte_changed',
  system: 'kvmmmu',
  printk: 'as id %d gfn %llx level %d old_spte %llx new_spte %llx',
  parse(text, start, h) {
    SPTE_CHANGED_RE.lastIndex = start;
    const m = SPTE_CHANGED_RE.exec(text);
    if (!m) return mismatch(this.printk, text.slice(start));
    const as_id = Number(m[1]);
    if (as_id > 255) return bad(`as id ${m[1]} does not fit the u8 field`, 6);
    const gfn = checkGfn(m, 2); if (gfn instanceof FieldError) return gfn;
    const level = checkLevel(m, 3); if (level instanceof FieldError) return level;
    const old_spte = checkHex(m, 4, 'old_spte'); if (old_spte instanceof FieldError) return old_spte;
    const new_spte = checkHex(m, 5, 'new_spte'); if (new_spte instanceof FieldError) return new_spte;
    return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_tdp_mmu_spte_changed', as_id, gfn, level, old_spte, new_spte };
  },
  format: (f) => `as id ${f.as_id} gfn ${f.gfn.toString(16)} level ${f.level} old_spte ${f.old_spte.toString(16)} new_spte ${f.new_spte.toString(16)}`,
};

const SPLIT_RE = new RegExp(`gfn ${HEX} spte ${HEX} level ${INT} errno ${INT}[ \\t]*$`, 'y');
const splitHugePage: Tracepoint<SplitHugePage> = {
  name: 'kvm_mmu_split_huge_page',
  system: 'kvmmmu',
  printk: 'gfn %llx spte %llx level %d errno %d',
  parse(text, start, h) {
    SPLIT_RE.lastIndex = start;
    const m = SPLIT_RE.exec(text);
    if (!m) return mismatch(this.printk, text.slice(start));
    const gfn = checkGfn(m, 1); if (gfn instanceof FieldError) return gfn;
    const spte = checkHex(m, 2, 'spte'); if (spte instanceof FieldError) return spte;
    const level = checkLevel(m, 3); if (level instanceof FieldError) return level;
    const errno = Number(m[4]);
    if (!Number.isSafeInteger(errno) || errno > 2 ** 31 - 1 || errno < -(2 ** 31)) return bad(`errno ${m[4]} does not fit an int`, fieldAt(m, 4, 'errno '));
    return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_mmu_split_huge_page', gfn, spte, level, errno };
  },
  format: (f) => `gfn ${f.gfn.toString(16)} spte ${f.spte.toString(16)} level ${f.level} errno ${f.errno}`,
};

const REQUESTED_RE = new RegExp(`gfn ${HEX} pfn ${HEX} level ${INT}[ \\t]*$`, 'y');
const spteRequested: Tracepoint<SpteRequested> = {
  name: 'kvm_mmu_spte_requested',
  system: 'kvmmmu',
  printk: 'gfn %llx pfn %llx level %d',
  parse(text, start, h) {
    REQUESTED_RE.lastIndex = start;
    const m = REQUESTED_RE.exec(text);
    if (!m) return mismatch(this.printk, text.slice(start));
    const gfn = checkGfn(m, 1); if (gfn instanceof FieldError) return gfn;
    const pfn = checkHex(m, 2, 'pfn'); if (pfn instanceof FieldError) return pfn;
    const level = checkLevel(m, 3); if (level instanceof FieldError) return level;
    return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_mmu_spte_requested', gfn, pfn, level };
  },
  format: (f) => `gfn ${f.gfn.toString(16)} pfn ${f.pfn.toString(16)} level ${f.level}`,
};

const SET_SPTE_RE = new RegExp(`gfn ${HEX} spte ${HEX} \\(([r-][w-][x-][u-]?)\\) level ${INT} at ${HEX}[ \\t]*$`, 'y');
const setSpte: Tracepoint<SetSpte> = {
  name: 'kvm_mmu_set_spte',
  system: 'kvmmmu',
  printk: 'gfn %llx spte %llx (%s%s%s%s) level %d at %llx',
  parse(text, start, h) {
    SET_SPTE_RE.lastIndex = start;
    const m = SET_SPTE_RE.exec(text);
    if (!m) return mismatch(this.printk, text.slice(start));
    const gfn = checkGfn(m, 1); if (gfn instanceof FieldError) return gfn;
    const spte = checkHex(m, 2, 'spte'); if (spte instanceof FieldError) return spte;
    const level = checkLevel(m, 4); if (level instanceof FieldError) return level;
    const sptep = checkHex(m, 5, 'sptep'); if (sptep instanceof FieldError) return sptep;
    return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_mmu_set_spte', gfn, spte, access: m[3], level, sptep };
  },
  format: (f) => `gfn ${f.gfn.toString(16)} spte ${f.spte.toString(16)} (${f.access}) level ${f.level} at ${f.sptep.toString(16)}`,
};

// 6.0+: "vcpu %u rip 0x%lx address 0x%016llx error_code 0x%llx"; before: "address %lx error_code %x"
// (later %llx). Both are accepted; the printer writes the modern form when vcpu is known.
const PAGE_FAULT_RE = new RegExp(`(?:vcpu (\\d+) rip 0x${HEX} )?address (?:0x)?${HEX} error_code (?:0x)?${HEX}[ \\t]*$`, 'y');
const pageFault: Tracepoint<PageFault> = {
  name: 'kvm_page_fault',
  system: 'kvm',
  printk: 'vcpu %u rip 0x%lx address 0x%016llx error_code 0x%llx',
  parse(text, start, h) {
    PAGE_FAULT_RE.lastIndex = start;
    const m = PAGE_FAULT_RE.exec(text);
    if (!m) return mismatch(this.printk, text.slice(start));
    const vcpu = m[1] === undefined ? null : Number(m[1]);
    if (vcpu !== null && vcpu > 2 ** 32 - 1) return bad(`vcpu ${m[1]} does not fit an unsigned int`, 5);
    const rip = m[2] === undefined ? null : checkHex(m, 2, 'rip', 'rip 0x'); if (rip instanceof FieldError) return rip;
    const address = checkHex(m, 3, 'address', m[0].includes('address 0x') ? 'address 0x' : 'address '); if (address instanceof FieldError) return address;
    const error_code = checkHex(m, 4, 'error_code', m[0].includes('error_code 0x') ? 'error_code 0x' : 'error_code '); if (error_code instanceof FieldError) return error_code;
    return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_page_fault', vcpu, rip, address, error_code };
  },
  format: (f) => (f.vcpu === null || f.rip === null
    ? `address ${f.address.toString(16)} error_code ${f.error_code.toString(16)}`
    : `vcpu ${f.vcpu} rip 0x${f.rip.toString(16)} address 0x${f.address.toString(16).padStart(16, '0')} error_code 0x${f.error_code.toString(16)}`),
};

// KVM_MMU_PAGE_PRINTK: "sp gen %u gfn %llx l%u %u-byte q%u%s %s%s %snxe %sad root %u %s",
// then " new"/" existing" for kvm_mmu_get_page.
const MMU_PAGE_RE = new RegExp(`sp gen (\\d+) gfn ${HEX} l(\\d+) ((\\d+)-byte q\\d+( direct)? ([w-][u-][x-])( invalid)? !?nxe !?ad root \\d+ (?:un)?sync)(?: (new|existing))?[ \\t]*$`, 'y');
const PLUGIN_LAYOUT_RE = /^(?:(?:new|existing) )?sp gfn [0-9a-f]+ \d/;
function mmuPage(name: MmuPage['event']): Tracepoint<MmuPage> {
  return {
    name,
    system: 'kvmmmu',
    printk: 'sp gen %u gfn %llx l%u %u-byte q%u%s %s%s %snxe %sad root %u %s' + (name === 'kvm_mmu_get_page' ? ' %s' : ''),
    parse(text, start, h) {
      MMU_PAGE_RE.lastIndex = start;
      const m = MMU_PAGE_RE.exec(text);
      if (!m || (name === 'kvm_mmu_get_page') !== (m[9] !== undefined)) {
        // trace-cmd's kvm plugin prints these events itself ("new sp gfn 0 4 q0 direct ..."),
        // decoding the role word with an old bit layout: not worth reading, but not broken.
        if (PLUGIN_LAYOUT_RE.test(text.slice(start))) return new FieldError('trace-cmd kvm plugin layout', 0, true);
        return mismatch(this.printk, text.slice(start));
      }
      const gen = Number(m[1]);
      const gfn = checkGfn(m, 2); if (gfn instanceof FieldError) return gfn;
      const level = checkLevel(m, 3, ' l'); if (level instanceof FieldError) return level;
      return {
        line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: name,
        gen, gfn, level, role: m[4], direct: m[6] !== undefined, access: m[7], invalid: m[8] !== undefined,
        created: m[9] === undefined ? null : m[9] === 'new',
      };
    },
    format: (f) => `sp gen ${f.gen} gfn ${f.gfn.toString(16)} l${f.level} ${f.role}${f.created === null ? '' : f.created ? ' new' : ' existing'}`,
  };
}

type AnyTracepoint = Tracepoint<TraceEventFields>;
const TABLE = [spteChanged, splitHugePage, spteRequested, setSpte, pageFault, mmuPage('kvm_mmu_get_page'), mmuPage('kvm_mmu_prepare_zap_page')] as unknown as AnyTracepoint[];

export const TRACEPOINTS: ReadonlyMap<string, AnyTracepoint> = new Map(TABLE.map((t) => [t.name, t]));
export const TRACEPOINT_NAMES: readonly TraceEventName[] = TABLE.map((t) => t.name as TraceEventName);

/** The field text of an event exactly as the kernel's TP_printk would print it. */
export function formatFields(f: TraceEventFields): string {
  return TRACEPOINTS.get(f.event)!.format(f);
}
