// One line of trace text → a record, a header line, or a located problem. Two producers write
// this text:
//  - the kernel's /sys/kernel/tracing/trace (print_trace_fmt in kernel/trace/trace.c):
//      "<task>-<pid> [(<tgid>)] [<cpu>] [<flags>] <secs>.<usecs>: <event>: <fields>"
//    with optional "# ..." header lines, the TGID column when options/record-tgid is set and
//    the flags column (irqs-off, need-resched, hardirq/softirq, preempt depth, migrate-disable)
//    unless options/irq-info is cleared;
//  - `trace-cmd report` (tracecmd/trace-read.c): a "version = N" line, "CPU N is empty",
//    "cpus=N", then "%16s-%-5d [%03d] %secs.usecs: <event>: " with the event name padded to
//    20 columns.
// Task names are comm strings: they may contain spaces and dashes ("CPU 0/KVM"); the PID is
// the digits after the last '-' that is followed by digits and the column separator.
import type { TraceHeader, TraceRecord } from './tracepoints';
import { FieldError, TRACEPOINTS } from './tracepoints';

export type TraceMeta =
  | { type: 'tracer'; name: string }
  | { type: 'version'; version: number }
  | { type: 'cpus'; cpus: number }
  | { type: 'cpu-empty'; cpu: number }
  /** "CPU:N [LOST M EVENTS]": the ring buffer overwrote events before they were read. */
  | { type: 'lost'; cpu: number; count: number }
  | { type: 'comment' };

/** Anything that is not a parsed record of a known event. */
export type NonRecord =
  /** A well-formed event line of an event the replay does not model (or a non-event line of
   *  another tracer, e.g. the function tracer's "func <-parent"). */
  | { kind: 'unknown'; name: string }
  | { kind: 'meta'; meta: TraceMeta }
  | { kind: 'blank' }
  /** `column` is 1-based. */
  | { kind: 'malformed'; problem: string; column: number };

/** A record (the hot, common case, returned without a wrapper object) or something else. */
export type LineResult = TraceRecord | NonRecord;

export function isRecord(r: LineResult): r is TraceRecord {
  return (r as NonRecord).kind === undefined;
}

const LOST_RE = /^CPU:(\d+) \[LOST (\d+) EVENTS\]\s*$/;
const TRACECMD_META_RE = /^(?:version = (\d+)|cpus=(\d+)|CPU (\d+) is empty)\s*$/;
const TRACER_RE = /^#\s*tracer:\s*(\S+)/;

const MAX_CPU = 65535;

/** Parse one line (without its line terminator; a trailing '\r' is tolerated). */
export function parseTraceLine(raw: string, line: number): LineResult {
  const text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
  const first = text.charCodeAt(0);
  if (first === 35 /* # */) {
    const t = TRACER_RE.exec(text);
    return { kind: 'meta', meta: t ? { type: 'tracer', name: t[1] } : { type: 'comment' } };
  }
  if (isBlank(text)) return { kind: 'blank' };

  const h = scanPrefix(text, line);
  if (h === null) return nonRecord(text);
  if (h.cpu > MAX_CPU) return { kind: 'malformed', problem: `CPU [${h.cpu}] is out of range`, column: text.indexOf('[') + 1 };

  // "<event>:" then the fields (trace-cmd pads with spaces after the colon).
  const bodyStart = scratchBodyStart;
  let tp = knownAt(text, bodyStart);
  let i: number;
  if (tp) {
    i = bodyStart + tp.name.length + 1;
  } else {
    i = bodyStart;
    while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
    if (i === bodyStart || text.charCodeAt(i) !== 58 /* : */) return { kind: 'unknown', name: '(non-event line)' };
    const name = text.slice(bodyStart, i);
    tp = TRACEPOINTS.get(name);
    if (!tp) return { kind: 'unknown', name };
    i++;
  }
  const name = tp.name;
  while (text.charCodeAt(i) === 32) i++;
  if (i >= text.length) return { kind: 'malformed', problem: `${name}: the fields are missing (line truncated?)`, column: i + 1 };
  const r = tp.parse(text, i, h);
  if (r instanceof FieldError) {
    return r.skip ? { kind: 'unknown', name: `${name} (${r.problem})` } : { kind: 'malformed', problem: `${name}: ${r.problem}`, column: i + r.offset + 1 };
  }
  return r;
}

const KNOWN = [...TRACEPOINTS.values()];

/** The tracepoint whose "<name>:" starts at `at`, compared in place (no string is made). */
function knownAt(text: string, at: number): (typeof KNOWN)[number] | undefined {
  for (const tp of KNOWN) {
    if (text.charCodeAt(at + tp.name.length) === 58 /* : */ && text.startsWith(tp.name, at)) return tp;
  }
  return undefined;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** Lines without the task-pid [cpu] timestamp prefix: trace-cmd's header, lost-event notes,
 *  or something that is not trace text at all. */
function nonRecord(text: string): LineResult {
  const t = text.trim();
  const lost = LOST_RE.exec(t);
  if (lost) return { kind: 'meta', meta: { type: 'lost', cpu: Number(lost[1]), count: Number(lost[2]) } };
  const tc = TRACECMD_META_RE.exec(t);
  if (tc) {
    if (tc[1] !== undefined) return { kind: 'meta', meta: { type: 'version', version: Number(tc[1]) } };
    if (tc[2] !== undefined) return { kind: 'meta', meta: { type: 'cpus', cpus: Number(tc[2]) } };
    return { kind: 'meta', meta: { type: 'cpu-empty', cpu: Number(tc[3]) } };
  }
  return { kind: 'malformed', problem: describeMissingPrefix(text), column: firstNonSpace(text) + 1 };
}

function firstNonSpace(s: string): number {
  const i = s.search(/\S/);
  return i < 0 ? 0 : i;
}

/** Say which part of "task-pid [cpu] timestamp: event:" is missing, for the warning. */
function describeMissingPrefix(text: string): string {
  if (!/-\d+\s/.test(text)) return 'not a trace event line: expected "<task>-<pid> [<cpu>] <timestamp>: <event>: <fields>"';
  if (!/\[\d+\]/.test(text)) return 'no [CPU] column after <task>-<pid>';
  if (!/\]\s+(?:\S{4,6}\s+)?\d+(?:\.\d+)?:/.test(text)) return 'no "<seconds>.<microseconds>:" timestamp after the [CPU] column (line truncated?)';
  return 'unrecognised trace line layout';
}

// The header of the line being parsed, reused for every line (the tracepoint parser copies it
// into the record it builds), and where the event name starts.
const scratch: TraceHeader = { line: 0, task: '', pid: 0, tgid: null, cpu: 0, flags: null, time: 0 };
let scratchBodyStart = 0;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * The "<task>-<pid> [(<tgid>)] [<cpu>] [<flags>] <time>:" prefix, scanned by hand (this runs
 * once per line of files with millions of lines). Returns null when the line has no such prefix.
 */
function scanPrefix(text: string, line: number): TraceHeader | null {
  // The CPU column: the first " [<digits>]" followed by a blank.
  let b = text.indexOf(' [');
  let close = -1;
  while (b >= 0) {
    let i = b + 2;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i > b + 2 && i - b < 9 && text.charCodeAt(i) === 93 /* ] */ && (i + 1 === text.length || text.charCodeAt(i + 1) === 32)) { close = i; break; }
    b = text.indexOf(' [', b + 1);
  }
  if (close < 0) return null;
  const cpu = digitsValue(text, b + 2, close);

  // Left of the CPU: "<task>-<pid>" and an optional "(<tgid>)" (index arithmetic: no copies).
  let end = b;
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  let tgid: number | null = null;
  if (text.charCodeAt(end - 1) === 41 /* ) */) {
    const open = text.lastIndexOf('(', end);
    if (open < 0) return null;
    const t = text.slice(open + 1, end - 1).trim();
    if (/^\d{1,15}$/.test(t)) tgid = Number(t); else if (!/^-+$/.test(t)) return null;
    end = open;
    while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  }
  let dash = end - 1;
  while (dash >= 0 && isDigit(text.charCodeAt(dash))) dash--;
  if (dash < 0 || dash === end - 1 || text.charCodeAt(dash) !== 45 /* - */ || end - dash > 16) return null;
  const pid = digitsValue(text, dash + 1, end);
  let start = 0;
  while (start < dash && text.charCodeAt(start) === 32) start++;
  const task = internTask(text, start, dash, pid);

  // Right of the CPU: optional flags, then "<secs>[.<frac>]:".
  let i = close + 1;
  let flags: string | null = null;
  for (let field = 0; field < 2; field++) {
    while (text.charCodeAt(i) === 32) i++;
    const tokStart = i;
    while (i < text.length && text.charCodeAt(i) !== 32) i++;
    if (text.charCodeAt(i - 1) === 58 /* : */ && isTimestamp(text, tokStart, i - 1)) {
      const time = timestampValue(text, tokStart, i - 1);
      while (text.charCodeAt(i) === 32) i++;
      scratchBodyStart = i;
      const h = scratch;
      h.line = line; h.task = task; h.pid = pid; h.tgid = tgid; h.cpu = cpu; h.flags = flags; h.time = time;
      return h;
    }
    if (field === 1 || i - tokStart < 4 || i - tokStart > 6) return null;
    flags = internFlags(text, tokStart, i);
  }
  return null;
}

function digitsValue(s: string, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

/** "<secs>[.<frac>]" as Number() would read it: one exact integer divided by a power of ten is
 *  correctly rounded, like the decimal conversion; beyond 2^53 fall back to Number(). */
function timestampValue(s: string, start: number, end: number): number {
  let v = 0;
  let scale = 1;
  let frac = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) { frac = true; continue; }
    v = v * 10 + (c - 48);
    if (frac) scale *= 10;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v / scale : Number(s.slice(start, end));
}

function isTimestamp(s: string, start: number, end: number): boolean {
  let dot = false;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) digits++;
    else if (c === 46 /* . */ && !dot && digits > 0) dot = true;
    else return false;
  }
  return digits > 0 && s.charCodeAt(end - 1) !== 46;
}

// comm strings repeat on every line of a task: keep one copy per pid instead of a slice of
// each line (a slice would also keep the whole line alive).
const taskByPid = new Map<number, string>();
function internTask(text: string, start: number, end: number, pid: number): string {
  const known = taskByPid.get(pid);
  if (known !== undefined && known.length === end - start && text.startsWith(known, start)) return known;
  if (taskByPid.size > 4096) taskByPid.clear();
  const task = text.slice(start, end).trimEnd();
  taskByPid.set(pid, task);
  return task;
}

// The flags column takes few distinct values ("d..1.", "....."): share the strings, found by
// comparing in place against the ones seen last.
const recentFlags: string[] = [];
function internFlags(text: string, start: number, end: number): string {
  const n = end - start;
  for (const f of recentFlags) if (f.length === n && text.startsWith(f, start)) return f;
  const f = text.slice(start, end);
  recentFlags.unshift(f);
  if (recentFlags.length > 8) recentFlags.pop();
  return f;
}
