// Fast path of the line parser, over the raw bytes of a chunk: for the well-formed records of
// the hot events that make up nearly all of a big trace, without decoding the line to a string
// (per-character string access dominated the import time). Anything else — other events,
// header lines, malformed lines, a non-ASCII task name, the older kvm_page_fault layout —
// returns null and goes through parseTraceLine() on the decoded text, which owns every
// message. The tests check that both paths read every line the same way.
import type { PgLevel } from '../sim/types';
import type { TraceRecord } from './tracepoints';
import * as tracepoints from './tracepoints';
import * as u64s from './u64';

// Bound once: module exports are property getters after compilation, too slow per byte.
const { MAX_TRACE_GFN } = tracepoints;
const { HEX_VALUE, u64 } = u64s;

const SP = 32, TAB = 9, CR = 13, LBRACK = 91, RBRACK = 93, LPAREN = 40, RPAREN = 41, DASH = 45, DOT = 46, COLON = 58;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Position after the last successful read. */
let pos = 0;
/** High and low 32 bits of the last hex64 read. */
let hexHi = 0, hexLo = 0;

/** Unsigned decimal at p (at most 15 digits); -1 when there is none. */
function dec(b: Uint8Array, p: number, e: number): number {
  let v = 0;
  const start = p;
  while (p < e && isDigit(b[p])) { v = v * 10 + (b[p] - 48); p++; }
  if (p === start || p - start > 15) return -1;
  pos = p;
  return v;
}

/** Signed decimal (errno); NaN when there is none. */
function sdec(b: Uint8Array, p: number, e: number): number {
  const neg = b[p] === DASH;
  const v = dec(b, neg ? p + 1 : p, e);
  return v < 0 ? NaN : neg ? -v : v;
}

/** Up to 16 hex digits at p into hexHi/hexLo; false when none or too many. One pass: each
 *  digit shifts the 64-bit value left by 4 across the two unsigned 32-bit halves. */
function hex(b: Uint8Array, p: number, e: number): boolean {
  let hi = 0, lo = 0, end = p, d: number;
  while (end < e && (d = HEX_VALUE[b[end]]) >= 0) {
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | d) >>> 0;
    end++;
  }
  const n = end - p;
  if (n === 0 || n > 16) return false;
  hexHi = hi;
  hexLo = lo;
  pos = end;
  return true;
}

/** A GFN: hex below 2^52, as a number; -1 otherwise. */
function gfn(b: Uint8Array, p: number, e: number): number {
  if (!hex(b, p, e) || pos - p > 13 || hexHi >= 0x100000) return -1;
  const v = hexHi * 4294967296 + hexLo;
  return v <= MAX_TRACE_GFN ? v : -1;
}

/** `lit` at p: the position after it, or -1. */
function lit(b: Uint8Array, p: number, e: number, l: Uint8Array): number {
  if (p + l.length > e) return -1;
  for (let i = 0; i < l.length; i++) if (b[p + i] !== l[i]) return -1;
  return p + l.length;
}

const level = (v: number): v is PgLevel => v >= 1 && v <= 5;

// ---- interning of per-line strings ----------------------------------------------------------
// comm strings repeat on every line of a task: one copy per pid, in a direct-mapped table
// (pid modulo its size: an array read instead of a Map lookup per line; a collision only
// costs building the string again).
const TASK_SLOTS = 1024;
const taskPid = new Int32Array(TASK_SLOTS).fill(-1);
const taskName: string[] = new Array<string>(TASK_SLOTS).fill('');
/** The bytes each cached name was made from: comparing bytes beats charCodeAt on the string. */
const taskBytes: Uint8Array[] = new Array<Uint8Array>(TASK_SLOTS).fill(new Uint8Array(0));

/** b[s, e) equals `known`. */
function sameBytes(b: Uint8Array, s: number, e: number, known: Uint8Array): boolean {
  if (known.length !== e - s) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== b[s + i]) return false;
  return true;
}

function task(b: Uint8Array, s: number, e: number, pid: number): string | null {
  const slot = pid & (TASK_SLOTS - 1);
  if (taskPid[slot] === pid && sameBytes(b, s, e, taskBytes[slot])) return taskName[slot];
  let t = '';
  for (let i = s; i < e; i++) {
    if (b[i] >= 0x80) return null; // UTF-8 task name: the string path decodes it
    t += String.fromCharCode(b[i]);
  }
  taskPid[slot] = pid;
  taskName[slot] = t;
  taskBytes[slot] = b.slice(s, e);
  return t;
}

/** The last few flags columns seen, most recent first, with the bytes each was made from. */
const recentFlags: Array<{ text: string; bytes: Uint8Array }> = [];
function flags(b: Uint8Array, s: number, e: number): string {
  for (const f of recentFlags) if (sameBytes(b, s, e, f.bytes)) return f.text;
  let text = '';
  for (let i = s; i < e; i++) text += String.fromCharCode(b[i]);
  recentFlags.unshift({ text, bytes: b.slice(s, e) });
  if (recentFlags.length > 8) recentFlags.pop();
  return text;
}

// ---- the events --------------------------------------------------------------------------------
const L = {
  spteChanged: ascii('kvm_tdp_mmu_spte_changed:'), requested: ascii('kvm_mmu_spte_requested:'),
  setSpte: ascii('kvm_mmu_set_spte:'), pageFault: ascii('kvm_page_fault:'), split: ascii('kvm_mmu_split_huge_page:'),
  asId: ascii('as id '), gfn: ascii(' gfn '), gfn0: ascii('gfn '), level: ascii(' level '), old: ascii(' old_spte '),
  nu: ascii(' new_spte '), pfn: ascii(' pfn '), spte: ascii(' spte '), at: ascii(' at '), errno: ascii(' errno '),
  vcpu: ascii('vcpu '), rip: ascii(' rip 0x'), address: ascii(' address 0x'), errorCode: ascii(' error_code 0x'),
  open: ascii(' ('), close: ascii(') level '),
};

/**
 * One line [s, e) of `b` (no newline) as a record, or null for the string path. `line` is the
 * 1-based line number.
 */
export function parseRecordBytes(b: Uint8Array, s: number, e: number, line: number): TraceRecord | null {
  // Line ends as parseTraceLine sees them: one CR, then trailing blanks before the fields' end.
  if (e > s && b[e - 1] === CR) e--;
  while (e > s && (b[e - 1] === SP || b[e - 1] === TAB)) e--;
  if (b[s] === 35 /* # */) return null;
  // The CPU column " [<digits>] ".
  let br = s;
  let close = -1;
  for (;;) {
    // A plain loop: the '[' is a few dozen bytes in, closer than Buffer#indexOf's call cost.
    br++;
    while (br < e && b[br] !== LBRACK) br++;
    if (br >= e) return null;
    if (b[br - 1] !== SP) continue;
    let i = br + 1;
    while (i < e && isDigit(b[i])) i++;
    if (i > br + 1 && i - br < 9 && b[i] === RBRACK && (i + 1 === e || b[i + 1] === SP)) { close = i; break; }
  }
  const cpu = dec(b, br + 1, close);
  if (cpu < 0 || cpu > 65535) return null;

  // "<task>-<pid>" and an optional "(<tgid>)" to its left.
  let end = br - 1;
  while (end > s && b[end - 1] === SP) end--;
  let tgid: number | null = null;
  if (b[end - 1] === RPAREN) {
    let open = end - 1;
    while (open > s && b[open] !== LPAREN) open--;
    if (b[open] !== LPAREN) return null;
    let p = open + 1;
    while (b[p] === SP) p++;
    if (b[p] === DASH) {
      while (b[p] === DASH) p++;
      if (p !== end - 1) return null;
    } else {
      tgid = dec(b, p, end - 1);
      if (tgid < 0 || pos !== end - 1) return null;
    }
    end = open;
    while (end > s && b[end - 1] === SP) end--;
  }
  let dash = end - 1;
  while (dash >= s && isDigit(b[dash])) dash--;
  if (dash < s || dash === end - 1 || b[dash] !== DASH || end - dash > 16) return null;
  const pid = dec(b, dash + 1, end);
  let ts = s;
  while (ts < dash && b[ts] === SP) ts++;
  let te = dash;
  while (te > ts && b[te - 1] === SP) te--;
  const comm = task(b, ts, te, pid);
  if (comm === null || te !== dash) return null;

  // Optional flags, then "<secs>[.<frac>]:".
  let p = close + 1;
  let fl: string | null = null;
  let time = NaN;
  for (let field = 0; field < 2; field++) {
    while (b[p] === SP) p++;
    const start = p;
    while (p < e && b[p] !== SP) p++;
    if (b[p - 1] === COLON && isDigit(b[start])) {
      let v = 0, scale = 1, frac = false, ok = true;
      for (let i = start; i < p - 1; i++) {
        const c = b[i];
        if (c === DOT && !frac) frac = true;
        else if (isDigit(c)) { v = v * 10 + (c - 48); if (frac) scale *= 10; }
        else { ok = false; break; }
      }
      if (!ok || b[p - 2] === DOT || v > Number.MAX_SAFE_INTEGER) return null;
      time = v / scale;
      break;
    }
    if (field === 1 || p - start < 4 || p - start > 6) return null;
    fl = flags(b, start, p);
  }
  if (Number.isNaN(time)) return null;
  while (b[p] === SP) p++;

  // One header object for every line: the event readers copy it into the record they build.
  const h = scratch;
  h.line = line; h.task = comm; h.pid = pid; h.tgid = tgid; h.cpu = cpu; h.flags = fl; h.time = time;
  let q: number;
  if ((q = lit(b, p, e, L.spteChanged)) >= 0) return spteChanged(b, skip(b, q, e), e, h);
  if ((q = lit(b, p, e, L.setSpte)) >= 0) return setSpte(b, skip(b, q, e), e, h);
  if ((q = lit(b, p, e, L.requested)) >= 0) return requested(b, skip(b, q, e), e, h);
  if ((q = lit(b, p, e, L.pageFault)) >= 0) return pageFault(b, skip(b, q, e), e, h);
  if ((q = lit(b, p, e, L.split)) >= 0) return split(b, skip(b, q, e), e, h);
  return null;
}

function skip(b: Uint8Array, p: number, e: number): number {
  while (p < e && b[p] === SP) p++;
  return p;
}

interface H { line: number; task: string; pid: number; tgid: number | null; cpu: number; flags: string | null; time: number }
// time starts as a double (NaN): a field that turns from integer to double changes the object's
// map, which deoptimizes the code that had seen the old one.
const scratch: H = { line: 0, task: '', pid: 0, tgid: null, cpu: 0, flags: null, time: NaN };

// Each reader below follows its TP_printk format token by token; any deviation returns null.
function spteChanged(b: Uint8Array, p: number, e: number, h: H): TraceRecord | null {
  if ((p = lit(b, p, e, L.asId)) < 0) return null;
  const as_id = dec(b, p, e); if (as_id < 0 || as_id > 255) return null;
  if ((p = lit(b, pos, e, L.gfn)) < 0) return null;
  const g = gfn(b, p, e); if (g < 0) return null;
  if ((p = lit(b, pos, e, L.level)) < 0) return null;
  const lv = dec(b, p, e); if (!level(lv)) return null;
  if ((p = lit(b, pos, e, L.old)) < 0 || !hex(b, p, e)) return null;
  const old_spte = u64(hexHi, hexLo);
  if ((p = lit(b, pos, e, L.nu)) < 0 || !hex(b, p, e) || pos !== e) return null;
  return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_tdp_mmu_spte_changed', as_id, gfn: g, level: lv, old_spte, new_spte: u64(hexHi, hexLo) };
}

function requested(b: Uint8Array, p: number, e: number, h: H): TraceRecord | null {
  if ((p = lit(b, p, e, L.gfn0)) < 0) return null;
  const g = gfn(b, p, e); if (g < 0) return null;
  if ((p = lit(b, pos, e, L.pfn)) < 0 || !hex(b, p, e)) return null;
  const pfn = u64(hexHi, hexLo);
  if ((p = lit(b, pos, e, L.level)) < 0) return null;
  const lv = dec(b, p, e); if (!level(lv) || pos !== e) return null;
  return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_mmu_spte_requested', gfn: g, pfn, level: lv };
}

const ACCESS_CHARS = [[114, 45], [119, 45], [120, 45], [117, 45]]; // r/-, w/-, x/-, u/-
/** Every access text, indexed by its letter bits (+16 when the u/- column is printed). */
const ACCESS_TEXT = Array.from({ length: 32 }, (_, code) => {
  const n = code & 16 ? 4 : 3;
  let t = '';
  for (let i = 0; i < n; i++) t += String.fromCharCode(ACCESS_CHARS[i][code & (1 << i) ? 0 : 1]);
  return t;
});

function setSpte(b: Uint8Array, p: number, e: number, h: H): TraceRecord | null {
  if ((p = lit(b, p, e, L.gfn0)) < 0) return null;
  const g = gfn(b, p, e); if (g < 0) return null;
  if ((p = lit(b, pos, e, L.spte)) < 0 || !hex(b, p, e)) return null;
  const spte = u64(hexHi, hexLo);
  if ((p = lit(b, pos, e, L.open)) < 0) return null;
  // The flags as a bit per letter (r w x u) plus the count, to look up a shared string.
  let bits = 0, n = 0;
  for (; n < 4 && p < e; n++, p++) {
    const c = b[p];
    if (c === ACCESS_CHARS[n][0]) bits |= 1 << n;
    else if (c !== ACCESS_CHARS[n][1]) { if (n === 3) break; return null; }
  }
  if (n < 3 || (p = lit(b, p, e, L.close)) < 0) return null;
  const access = ACCESS_TEXT[n === 4 ? 16 | bits : bits];
  const lv = dec(b, p, e); if (!level(lv)) return null;
  if ((p = lit(b, pos, e, L.at)) < 0 || !hex(b, p, e) || pos !== e) return null;
  return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_mmu_set_spte', gfn: g, spte, access, level: lv, sptep: u64(hexHi, hexLo) };
}

function pageFault(b: Uint8Array, p: number, e: number, h: H): TraceRecord | null {
  // Only the 6.0+ layout; the older "address %lx error_code %x" takes the string path.
  if ((p = lit(b, p, e, L.vcpu)) < 0) return null;
  const vcpu = dec(b, p, e); if (vcpu < 0 || vcpu > 4294967295) return null;
  if ((p = lit(b, pos, e, L.rip)) < 0 || !hex(b, p, e)) return null;
  const rip = u64(hexHi, hexLo);
  if ((p = lit(b, pos, e, L.address)) < 0 || !hex(b, p, e)) return null;
  const address = u64(hexHi, hexLo);
  if ((p = lit(b, pos, e, L.errorCode)) < 0 || !hex(b, p, e) || pos !== e) return null;
  return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_page_fault', vcpu, rip, address, error_code: u64(hexHi, hexLo) };
}

function split(b: Uint8Array, p: number, e: number, h: H): TraceRecord | null {
  if ((p = lit(b, p, e, L.gfn0)) < 0) return null;
  const g = gfn(b, p, e); if (g < 0) return null;
  if ((p = lit(b, pos, e, L.spte)) < 0 || !hex(b, p, e)) return null;
  const spte = u64(hexHi, hexLo);
  if ((p = lit(b, pos, e, L.level)) < 0) return null;
  const lv = dec(b, p, e); if (!level(lv)) return null;
  if ((p = lit(b, pos, e, L.errno)) < 0) return null;
  const errno = sdec(b, p, e); if (Number.isNaN(errno) || pos !== e || errno > 2147483647 || errno < -2147483648) return null;
  return { line: h.line, task: h.task, pid: h.pid, tgid: h.tgid, cpu: h.cpu, flags: h.flags, time: h.time, event: 'kvm_mmu_split_huge_page', gfn: g, spte, level: lv, errno };
}
