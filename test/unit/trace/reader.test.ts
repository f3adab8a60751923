import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { NotATraceError, fileSource, formatWarning, looksLikeNoTrace, parseTrace, readTrace, textSource } from '../../../src/trace/reader';
import type { ParseProgress, ParseStats, TraceSource } from '../../../src/trace/reader';
import type { TraceRecord } from '../../../src/trace/tracepoints';
import { formatTraceLine } from '../../../src/trace/format';
import { record } from './arbitraries';

async function readAll(src: TraceSource, opts: Parameters<typeof readTrace>[1] = {}): Promise<{ records: TraceRecord[]; stats: ParseStats }> {
  const records: TraceRecord[] = [];
  const gen = readTrace(src, opts);
  for (;;) {
    const r = await gen.next();
    if (r.done) return { records, stats: r.value };
    records.push(...r.value);
  }
}

/** A source that hands out the bytes of `text` in pieces of the given sizes. */
function byteSource(text: string, sizes: number[]): TraceSource {
  const bytes = Buffer.from(text);
  return {
    name: 'bytes.trace', size: bytes.length,
    async *chunks() {
      let at = 0, i = 0;
      while (at < bytes.length) {
        const n = Math.max(1, sizes[i++ % sizes.length]);
        yield bytes.subarray(at, at + n);
        at += n;
      }
    },
  };
}

const SAMPLE = [
  '# tracer: nop',
  '#',
  '       CPU 0/KVM-2001    [000] .....   100.000001: kvm_mmu_spte_requested: gfn 1000 pfn 1234 level 1',
  '        qému-kvm-2002    [001] d..1.   100.000002: kvm_tdp_mmu_spte_changed: as id 0 gfn 1000 level 1 old_spte 8000000000000000 new_spte 600000123477\r',
  '            bash-1       [001] .....   100.000003: sched_switch: prev_comm=bash',
  '       CPU 0/KVM-2001    [000] .....   100.000004: kvm_tdp_mmu_spte_changed: as id 0 gfn 1',
  'CPU:1 [LOST 12 EVENTS]',
  '       CPU 0/KVM-2001    [000] .....   100.000005: kvm_mmu_set_spte: gfn 1000 spte 600000123477 (rwx) level 1 at 1234000',
].join('\n');

describe('trace reader (streaming)', () => {
  it('counts records per event, unknown events with their first line, malformed lines with locations, lost events', async () => {
    const { records, stats } = await readAll(textSource('t.trace', SAMPLE));
    assert.deepEqual(records.map((r) => [r.line, r.event]), [[3, 'kvm_mmu_spte_requested'], [4, 'kvm_tdp_mmu_spte_changed'], [8, 'kvm_mmu_set_spte']]);
    assert.equal(records[1].task, 'qému-kvm');
    assert.deepEqual(stats.perEvent, { kvm_mmu_spte_requested: 1, kvm_tdp_mmu_spte_changed: 1, kvm_mmu_set_spte: 1 });
    assert.deepEqual(stats.unknown, { count: 1, events: { sched_switch: { count: 1, firstLine: 5 } } });
    assert.equal(stats.malformed.count, 1);
    assert.match(formatWarning(stats.malformed.first[0]), /^t\.trace:6:\d+: kvm_tdp_mmu_spte_changed: line ends where "level" was expected/);
    assert.deepEqual(stats.lost, [{ cpu: 1, count: 12, line: 7 }]);
    assert.equal(stats.format, 'ftrace');
    assert.equal(stats.tracer, 'nop');
    assert.equal(stats.lines, 8);
  });

  it('gives the same records whatever the chunk boundaries (bytes split inside lines, CRLF and UTF-8)', async () => {
    const whole = await readAll(textSource('t', SAMPLE));
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
      const split = await readAll(byteSource(SAMPLE, sizes));
      assert.deepEqual(split.records, whole.records);
      assert.deepEqual(split.stats.malformed, { ...whole.stats.malformed, first: whole.stats.malformed.first.map((w) => ({ ...w, file: 'bytes.trace' })) });
    }), { numRuns: 60 });
  });

  it('reads interleaved CPUs in file order and keeps a last line without newline', async () => {
    const recs = await fc.sample(record(false, true), 40);
    const text = recs.map((r, i) => formatTraceLine({ ...r, cpu: i % 3 })).join('\n');
    const { records } = await readAll(textSource('t', text, 97));
    assert.equal(records.length, 40);
    assert.deepEqual(records.map((r) => r.cpu), recs.map((_r, i) => i % 3));
    assert.deepEqual(records.map((r) => r.line), recs.map((_r, i) => i + 1));
  });

  it('parseTrace hands the same records to a sink as readTrace yields, with the same statistics', async () => {
    const got: TraceRecord[] = [];
    const stats = await parseTrace(byteSource(SAMPLE, [7, 100]), got);
    const whole = await readAll(byteSource(SAMPLE, [7, 100]));
    assert.deepEqual(got, whole.records);
    assert.deepEqual(stats, whole.stats);
  });

  it('reports progress per chunk up to the total size', async () => {
    const seen: ParseProgress[] = [];
    await readAll(textSource('t', SAMPLE, 50), { onProgress: (p) => seen.push(p) });
    assert.ok(seen.length >= 5);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytesRead >= seen[i - 1].bytesRead);
    assert.equal(seen[seen.length - 1].bytesRead, Buffer.byteLength(SAMPLE));
    assert.equal(seen[seen.length - 1].totalBytes, Buffer.byteLength(SAMPLE));
    assert.equal(seen[seen.length - 1].records, 3);
  });

  it('stops with the AbortError when cancelled between chunks', async () => {
    const ac = new AbortController();
    let chunks = 0;
    await assert.rejects(
      readAll(textSource('t', SAMPLE, 10), { signal: ac.signal, onProgress: () => { if (++chunks === 3) ac.abort(); } }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(chunks, 3);
  });

  it('stops reading after the chunk where stopWhen turns true, dropping the line that chunk cut', async () => {
    const whole = await readAll(textSource('t', SAMPLE));
    let chunks = 0;
    // 220 bytes: the header, the requested record and the start of the changed one.
    const part = await readAll(byteSource(SAMPLE, [220]), { stopWhen: () => ++chunks === 1 });
    assert.equal(chunks, 1);
    assert.deepEqual(part.records.map((r) => r.line), [3]);
    assert.equal(part.stats.records, 1);
    assert.deepEqual(part.stats.perEvent, { kvm_mmu_spte_requested: 1 });
    assert.equal(part.stats.malformed.count, 0);
    assert.ok(part.stats.lines < whole.stats.lines);
  });

  it('reads files from disk and rejects a binary trace.dat with the command to convert it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdp-trace-'));
    try {
      const txt = path.join(dir, 'a.txt');
      fs.writeFileSync(txt, SAMPLE);
      assert.equal((await readAll(fileSource(txt))).records.length, 3);
      const dat = path.join(dir, 'trace.dat');
      fs.writeFileSync(dat, Buffer.from([0x17, 0x08, 0x44, ...Buffer.from('tracing6\0\0\0')]));
      await assert.rejects(readAll(fileSource(dat)), (e: Error) => e instanceof NotATraceError && /trace-cmd report -i/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells a text that is not a trace from an empty trace', async () => {
    assert.equal(looksLikeNoTrace((await readAll(textSource('x', 'hello\nworld\n'))).stats), true);
    assert.equal(looksLikeNoTrace((await readAll(textSource('x', '# tracer: nop\n#\n'))).stats), false);
    assert.equal(looksLikeNoTrace((await readAll(textSource('x', ''))).stats), false);
  });
});
