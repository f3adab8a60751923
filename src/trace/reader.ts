// Streaming trace reader: text arrives in chunks (a file read 1 MiB at a time, or a string),
// is cut into lines, parsed, and handed out in batches of records. Nothing but the current
// chunk and the counters is kept, so memory does not grow with the file. Progress is reported
// per chunk; an AbortSignal stops the read between chunks with the signal's AbortError.
import * as fs from 'fs';
import type { TraceEventName, TraceRecord } from './tracepoints';
import { TRACEPOINT_NAMES } from './tracepoints';
import type { TraceMeta } from './line';
import { isRecord, parseTraceLine } from './line';
import * as bytes from './bytes';

// Bound once: module exports are property getters after compilation, too slow per line.
const { parseRecordBytes } = bytes;

/** Where trace text comes from. `size` (bytes) makes progress a fraction. */
export interface TraceSource {
  /** Shown in warnings ("<name>:<line>: ..."), usually the file path. */
  name: string;
  size?: number;
  chunks(): AsyncIterable<string | Uint8Array>;
}

export const CHUNK_BYTES = 1 << 20;

export function fileSource(path: string): TraceSource {
  return {
    name: path,
    size: fs.statSync(path).size,
    chunks: () => fs.createReadStream(path, { highWaterMark: CHUNK_BYTES }),
  };
}

export function textSource(name: string, text: string, chunkChars = CHUNK_BYTES): TraceSource {
  return {
    name,
    size: Buffer.byteLength(text),
    async *chunks() {
      for (let i = 0; i < text.length; i += chunkChars) yield text.slice(i, i + chunkChars);
    },
  };
}

/** A problem with one line: always located, never thrown. */
export interface TraceWarning {
  file: string;
  line: number;
  column: number;
  problem: string;
}

export function formatWarning(w: TraceWarning): string {
  return `${w.file}:${w.line}:${w.column}: ${w.problem}`;
}

export interface ParseProgress {
  bytesRead: number;
  /** null when the source size is unknown. */
  totalBytes: number | null;
  lines: number;
  records: number;
}

export interface ParseStats {
  file: string;
  /** 'ftrace' for /sys/kernel/tracing/trace text, 'trace-cmd' for `trace-cmd report` output. */
  format: 'ftrace' | 'trace-cmd' | 'unknown';
  tracer: string | null;
  cpus: number | null;
  lines: number;
  records: number;
  perEvent: Record<string, number>;
  unknown: { count: number; events: Record<string, { count: number; firstLine: number }> };
  malformed: { count: number; first: TraceWarning[] };
  lost: Array<{ cpu: number; count: number; line: number }>;
  /** Lines that were trace-cmd header / ftrace comments. */
  headerLines: number;
}

export interface ParseOptions {
  signal?: AbortSignal;
  onProgress?: (p: ParseProgress) => void;
  /** How many malformed-line warnings to keep (all are counted). Default 100. */
  maxWarnings?: number;
  /** Called for each "CPU:N [LOST M EVENTS]" line, when it is read. */
  onLostEvents?: (lost: { cpu: number; count: number; line: number }) => void;
  /** Asked after each chunk: true stops reading there (the rest of the input is not read, and
   *  the line the chunk's end cut is dropped, not reported as malformed). */
  stopWhen?: () => boolean;
}

/** Where parsed records go: an array, or a consumer that takes each record as it is read
 *  (records that die at once cost the garbage collector nothing). */
export interface RecordSink {
  push(r: TraceRecord): void;
}

/** Incremental line parser: push() text, get records; end() flushes the last partial line. */
export class TraceLineParser {
  readonly stats: ParseStats;
  private carry = '';
  private carryBytes: Uint8Array | null = null;
  private readonly maxWarnings: number;
  /** Records per event by TRACEPOINT_NAMES index, in first-seen order; end() writes them to
   *  stats.perEvent (a keyed property update per line was a measurable part of parsing). */
  private readonly eventCounts = new Float64Array(TRACEPOINT_NAMES.length);
  private readonly eventOrder: number[] = [];

  constructor(file: string, maxWarnings = 100, private readonly onLost?: ParseOptions['onLostEvents']) {
    this.maxWarnings = maxWarnings;
    this.stats = {
      file, format: 'unknown', tracer: null, cpus: null, lines: 0, records: 0, perEvent: {},
      unknown: { count: 0, events: {} }, malformed: { count: 0, first: [] }, lost: [], headerLines: 0,
    };
  }

  push(text: string, out: RecordSink): void {
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl < 0) { this.carry += text; return; }
    if (this.carry !== '') {
      this.line(this.carry + text.slice(0, nl), out);
      this.carry = '';
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    while (nl >= 0) {
      this.line(text.slice(start, nl), out);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.carry = text.slice(start);
  }

  /** Bytes of UTF-8 text: lines of the hot events are parsed in place (bytes.ts), the rest
   *  decoded and parsed as text. A partial last line is kept for the next chunk. */
  pushBytes(buf: Uint8Array, out: RecordSink): void {
    let start = 0;
    let nl = buf.indexOf(10);
    if (this.carryBytes) {
      // Only the line cut by the chunk boundary is joined: the chunk itself stays the stream's
      // Buffer, whose indexOf (memchr) is several times faster than a plain Uint8Array's.
      const head = nl < 0 ? buf : buf.subarray(0, nl);
      // A Buffer like the chunks, so the byte parser only ever sees one array type.
      const line = Buffer.allocUnsafe(this.carryBytes.length + head.length);
      line.set(this.carryBytes);
      line.set(head, this.carryBytes.length);
      this.carryBytes = null;
      if (nl < 0) { this.carryBytes = line; return; }
      this.lineBytes(line, 0, line.length, out);
      start = nl + 1;
    }
    start = this.completeLines(buf, start, out);
    // A copy: the partial line must not keep the whole chunk alive.
    if (start < buf.length) this.carryBytes = Buffer.from(buf.subarray(start));
  }

  /** Parses the complete lines of buf from `start`; returns where its partial last line starts.
   *  A function of its own: the loop is optimized while it runs (on-stack replacement), and
   *  code after it in the same function, not yet run, sent that optimized code back to the
   *  interpreter at the end of every early chunk. */
  private completeLines(buf: Uint8Array, start: number, out: RecordSink): number {
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      this.lineBytes(buf, start, nl, out);
      start = nl + 1;
    }
    return start;
  }

  end(out: RecordSink): void {
    if (this.carryBytes) this.lineBytes(this.carryBytes, 0, this.carryBytes.length, out);
    if (this.carry !== '') this.line(this.carry, out);
    this.close();
  }

  /** The input ends here without its partial last line (end() without the flush). */
  close(): void {
    this.carryBytes = null;
    this.carry = '';
    for (const k of this.eventOrder) this.stats.perEvent[TRACEPOINT_NAMES[k]] = this.eventCounts[k];
  }

  private countEvent(event: TraceEventName): void {
    const k = TRACEPOINT_NAMES.indexOf(event);
    if (this.eventCounts[k]++ === 0) this.eventOrder.push(k);
  }

  private lineBytes(b: Uint8Array, s: number, e: number, out: RecordSink): void {
    const r = parseRecordBytes(b, s, e, this.stats.lines + 1);
    if (r === null) {
      this.line(DECODER.decode(b.subarray(s, e)), out);
      return;
    }
    const st = this.stats;
    st.lines++;
    st.records++;
    this.countEvent(r.event);
    out.push(r);
  }

  private line(text: string, out: RecordSink): void {
    const s = this.stats;
    const n = ++s.lines;
    const r = parseTraceLine(text, n);
    if (isRecord(r)) {
      s.records++;
      this.countEvent(r.event);
      out.push(r);
      return;
    }
    switch (r.kind) {
      case 'unknown': {
        s.unknown.count++;
        const u = s.unknown.events[r.name];
        if (u) u.count++; else s.unknown.events[r.name] = { count: 1, firstLine: n };
        return;
      }
      case 'meta':
        s.headerLines++;
        this.meta(r.meta, n);
        return;
      case 'blank':
        return;
      case 'malformed':
        s.malformed.count++;
        if (s.malformed.first.length < this.maxWarnings) {
          s.malformed.first.push({ file: s.file, line: n, column: r.column, problem: r.problem });
        }
    }
  }

  private meta(m: TraceMeta, line: number): void {
    const s = this.stats;
    switch (m.type) {
      case 'tracer': s.tracer = m.name; if (s.format === 'unknown') s.format = 'ftrace'; break;
      case 'version': s.format = 'trace-cmd'; break;
      case 'cpus': s.cpus = m.cpus; s.format = 'trace-cmd'; break;
      case 'cpu-empty': s.format = 'trace-cmd'; break;
      case 'lost': s.lost.push({ cpu: m.cpu, count: m.count, line }); this.onLost?.({ cpu: m.cpu, count: m.count, line }); break;
      case 'comment': break;
    }
  }
}

/** The "trace.dat" magic: trace-cmd's binary file, which must go through `trace-cmd report`. */
const TRACE_DAT_MAGIC = [0x17, 0x08, 0x44];

const DECODER = new TextDecoder('utf-8');

/** The input is not trace text at all (binary, or no line looks like a trace): exit code 2. */
export class NotATraceError extends Error {
  override name = 'NotATraceError';
}

/** Feeds one chunk to the parser; rejects a binary trace.dat at the first chunk. */
function feedChunk(parser: TraceLineParser, source: TraceSource, chunk: string | Uint8Array, first: boolean, sink: RecordSink): number {
  if (typeof chunk === 'string') {
    parser.push(chunk, sink);
    return Buffer.byteLength(chunk);
  }
  if (first && TRACE_DAT_MAGIC.every((b, i) => chunk[i] === b)) {
    throw new NotATraceError(`${source.name}: this is a binary trace-cmd trace.dat file; convert it with \`trace-cmd report -i ${source.name} > trace.txt\` and open the text`);
  }
  parser.pushBytes(chunk, sink);
  return chunk.length;
}

/**
 * The chunk loop both readers share: feeds every chunk to the parser, sending its records to
 * `sinkFor()`, yields after each chunk and once more after the end of input (so a consumer can
 * take the records of that chunk), then reports progress. Checks the signal between chunks.
 */
async function* feedAll(parser: TraceLineParser, source: TraceSource, opts: ParseOptions, sinkFor: () => RecordSink): AsyncGenerator<void, void> {
  let bytesRead = 0;
  let first = true;
  const progress = () => opts.onProgress?.({ bytesRead, totalBytes: source.size ?? null, lines: parser.stats.lines, records: parser.stats.records });
  opts.signal?.throwIfAborted();
  for await (const chunk of source.chunks()) {
    opts.signal?.throwIfAborted();
    bytesRead += feedChunk(parser, source, chunk, first, sinkFor());
    first = false;
    yield;
    progress();
    if (opts.stopWhen?.()) {
      parser.close();
      return;
    }
  }
  parser.end(sinkFor());
  yield;
  progress();
}

/**
 * Read a trace, handing every record to `sink` as soon as it is parsed (the import's path: no
 * record outlives its line). Resolves to the parse statistics. Rejects with the signal's reason
 * when aborted (checked between chunks), and with NotATraceError for a binary trace.dat.
 */
export async function parseTrace(source: TraceSource, sink: RecordSink, opts: ParseOptions = {}): Promise<ParseStats> {
  const parser = new TraceLineParser(source.name, opts.maxWarnings, opts.onLostEvents);
  for await (const _ of feedAll(parser, source, opts, () => sink)) { /* records went to sink */ }
  return parser.stats;
}

/** The same as an async generator of record batches (one per chunk, pulled by the consumer),
 *  returning the parse statistics. */
export async function* readTrace(source: TraceSource, opts: ParseOptions = {}): AsyncGenerator<TraceRecord[], ParseStats> {
  const parser = new TraceLineParser(source.name, opts.maxWarnings, opts.onLostEvents);
  let batch: TraceRecord[] = [];
  for await (const _ of feedAll(parser, source, opts, () => (batch = []))) {
    if (batch.length) yield batch;
  }
  return parser.stats;
}

/** True when nothing in the input looked like trace text (no record, no header, no known
 *  or unknown event line) although it had lines: the caller reports "not a trace". */
export function looksLikeNoTrace(s: ParseStats): boolean {
  return s.records === 0 && s.unknown.count === 0 && s.headerLines === 0 && s.malformed.count > 0;
}
