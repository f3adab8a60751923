import { strict as assert } from 'assert';
import fc from 'fast-check';
import { isRecord, parseTraceLine } from '../../../src/trace/line';
import type { LineResult } from '../../../src/trace/line';
import { formatTraceLine } from '../../../src/trace/format';
import type { TraceRecord } from '../../../src/trace/tracepoints';
import { record } from './arbitraries';
import { parseRecordBytes } from '../../../src/trace/bytes';

function rec(line: string): TraceRecord {
  const r = parseTraceLine(line, 7);
  if (!isRecord(r)) assert.fail(`expected a record from ${JSON.stringify(line)}, got ${JSON.stringify(r)}`);
  return r;
}
function other(line: string): Exclude<LineResult, TraceRecord> {
  const r = parseTraceLine(line, 7);
  assert.ok(!isRecord(r), `expected no record for ${line}`);
  return r;
}

describe('trace line parser', () => {
  describe('ftrace (/sys/kernel/tracing/trace) lines', () => {
    it('reads task, pid, cpu, flags, timestamp and the spte_changed fields', () => {
      const r = rec(' qemu-system-x86-1234    [003] d..1. 12345.678901: kvm_tdp_mmu_spte_changed: as id 0 gfn 1000 level 1 old_spte 8000000000000000 new_spte 6000001234b77');
      assert.deepEqual(
        { ...r },
        { line: 7, task: 'qemu-system-x86', pid: 1234, tgid: null, cpu: 3, flags: 'd..1.', time: 12345.678901, event: 'kvm_tdp_mmu_spte_changed', as_id: 0, gfn: 0x1000, level: 1, old_spte: 0x8000000000000000n, new_spte: 0x6000001234b77n },
      );
    });

    it('keeps task names with spaces and dashes, and <idle>-0', () => {
      assert.equal(rec('       CPU 0/KVM-2001    [000] .....   100.000001: kvm_mmu_spte_requested: gfn 1000 pfn 1234 level 1').task, 'CPU 0/KVM');
      const dashes = rec('          a-1-2-33      [001] .....   100.000001: kvm_mmu_spte_requested: gfn 1 pfn 2 level 1');
      assert.equal(dashes.task, 'a-1-2');
      assert.equal(dashes.pid, 33);
      const idle = rec('          <idle>-0       [001] d.h1.   100.500000: kvm_mmu_spte_requested: gfn 1 pfn 2 level 1');
      assert.equal(idle.task, '<idle>');
      assert.equal(idle.pid, 0);
    });

    it('accepts the TGID column (record-tgid) and the old 4-column flags', () => {
      const r = rec('   bash-1977    (   1970) [000] ...1    95.100000: kvm_mmu_spte_requested: gfn 1 pfn 2 level 2');
      assert.equal(r.tgid, 1970);
      assert.equal(r.flags, '...1');
      assert.equal(rec('   bash-1977    (-------) [000] ...1    95.100000: kvm_mmu_spte_requested: gfn 1 pfn 2 level 2').tgid, null);
    });

    it('accepts lines without the flags column (irq-info off)', () => {
      const r = rec('   qemu-1  [002]   7.000001: kvm_mmu_split_huge_page: gfn 200 spte 6000012345ef7 level 2 errno -12');
      assert.equal(r.flags, null);
      assert.equal(r.cpu, 2);
      assert.equal(r.event === 'kvm_mmu_split_huge_page' && r.errno, -12);
    });

    it('tolerates CRLF line ends and trailing blanks', () => {
      const r = rec('   qemu-1  [002] ..... 7.000001: kvm_mmu_spte_requested: gfn 1 pfn 2 level 1  \r');
      assert.equal(r.event === 'kvm_mmu_spte_requested' && r.level, 1);
    });

    it('parses both kvm_page_fault layouts (before and since 6.0)', () => {
      const modern = rec('  CPU 1/KVM-55 [001] ..... 1.0: kvm_page_fault: vcpu 1 rip 0xffffffff81000000 address 0x0000800000001000 error_code 0x182');
      assert.ok(modern.event === 'kvm_page_fault');
      assert.equal(modern.vcpu, 1);
      assert.equal(modern.address, 0x800000001000n);
      const old = rec('  qemu-55 [001] ..... 1.0: kvm_page_fault: address fee00000 error_code 6');
      assert.ok(old.event === 'kvm_page_fault');
      assert.equal(old.vcpu, null);
      assert.equal(old.error_code, 6n);
    });

    it('parses kvm_mmu_set_spte with and without the u flag', () => {
      const r = rec('  qemu-5 [000] ..... 1.0: kvm_mmu_set_spte: gfn 1234 spte 600000abcdb77 (rwx) level 1 at 10a3f5020');
      assert.ok(r.event === 'kvm_mmu_set_spte');
      assert.equal(r.access, 'rwx');
      assert.equal(r.sptep, 0x10a3f5020n);
      const u = rec('  qemu-5 [000] ..... 1.0: kvm_mmu_set_spte: gfn 1234 spte 600000abcdb77 (r-xu) level 2 at 10a3f5020');
      assert.ok(u.event === 'kvm_mmu_set_spte' && u.access === 'r-xu');
    });

    it('parses the KVM_MMU_PAGE_PRINTK descriptor of kvm_mmu_get_page / prepare_zap_page', () => {
      const g = rec('  qemu-5 [000] ..... 1.0: kvm_mmu_get_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux !nxe !ad root 0 sync new');
      assert.ok(g.event === 'kvm_mmu_get_page');
      assert.equal(g.level, 4);
      assert.equal(g.direct, true);
      assert.equal(g.created, true);
      const z = rec('  qemu-5 [000] ..... 1.0: kvm_mmu_prepare_zap_page: sp gen 0 gfn 200 l1 8-byte q0 direct wux invalid nxe ad root 0 sync');
      assert.ok(z.event === 'kvm_mmu_prepare_zap_page');
      assert.equal(z.invalid, true);
      assert.equal(z.created, null);
    });
  });

  describe('trace-cmd report lines', () => {
    it('reads the header lines and the padded event column', () => {
      assert.deepEqual(other('version = 6'), { kind: 'meta', meta: { type: 'version', version: 6 } });
      assert.deepEqual(other('CPU 3 is empty'), { kind: 'meta', meta: { type: 'cpu-empty', cpu: 3 } });
      assert.deepEqual(other('cpus=8'), { kind: 'meta', meta: { type: 'cpus', cpus: 8 } });
      const r = rec('       CPU 0/KVM-2001  [000]  1234.567890: kvm_mmu_spte_requested: gfn 1000 pfn 1234 level 1');
      assert.equal(r.time, 1234.56789);
      const padded = rec('       CPU 0/KVM-2001  [000]  1234.567890: kvm_page_fault:       vcpu 0 rip 0x1 address 0x0000000000001000 error_code 0x182');
      assert.equal(padded.event, 'kvm_page_fault');
    });
  });

  describe('header, unknown and malformed lines', () => {
    it('skips (without a warning) the layout trace-cmd\'s kvm plugin prints for the page events', () => {
      assert.deepEqual(other('  qemu-5 [000] 1.000000: kvm_mmu_get_page:     new sp gfn 0 4 q0 direct wux !pae nxe wp root 0 sync'),
        { kind: 'unknown', name: 'kvm_mmu_get_page (trace-cmd kvm plugin layout)' });
    });

    it('reports the tracer and the lost-events note', () => {
      assert.deepEqual(other('# tracer: nop'), { kind: 'meta', meta: { type: 'tracer', name: 'nop' } });
      assert.deepEqual(other('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION'), { kind: 'meta', meta: { type: 'comment' } });
      assert.deepEqual(other('CPU:2 [LOST 1234 EVENTS]'), { kind: 'meta', meta: { type: 'lost', cpu: 2, count: 1234 } });
      assert.deepEqual(other('   \r'), { kind: 'blank' });
    });

    it('skips other events and other tracers\' lines as unknown', () => {
      assert.deepEqual(other('  bash-1 [000] ..... 1.0: sched_switch: prev_comm=bash prev_pid=1'), { kind: 'unknown', name: 'sched_switch' });
      assert.deepEqual(other('  bash-1 [000] ..... 1.0: do_sys_open <-__x64_sys_openat'), { kind: 'unknown', name: '(non-event line)' });
    });

    // [line, problem, the text the reported column points at ('' = end of line)]
    const malformed: Array<[string, RegExp, string]> = [
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 1', /line ends where "level" was expected \(truncated\?\)/, ''],
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 1 level 1 old_spte 0 new_spte 1 trailing', /unexpected text after the last field: " trailing"/, ' trailing'],
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 10000000000000 level 1 old_spte 0 new_spte 1', /gfn 10000000000000 is out of range/, '10000000000000 '],
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 1 level 9 old_spte 0 new_spte 1', /level 9 is not a page level/, '9 old'],
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 1 level 1 old_spte 10000000000000000 new_spte 1', /old_spte 10000000000000000 is wider than 64 bits/, '10000000000000000 new'],
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn 1 level one old_spte 0 new_spte 1', /expected a decimal number at "one old_spte"/, 'one'],
      ['  qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed:', /the fields are missing/, ''],
      ['  qemu-1 [000] .....', /no "<seconds>\.<microseconds>:" timestamp/, 'qemu'],
      ['  qemu-1 [000', /no \[CPU\] column/, 'qemu'],
      ['hello world', /not a trace event line/, 'hello'],
    ];
    for (const [line, problem, at] of malformed) {
      it(`locates the problem in ${JSON.stringify(line.slice(26, 90))}`, () => {
        const r = other(line);
        assert.ok(r.kind === 'malformed', JSON.stringify(r));
        assert.match(r.problem, problem);
        if (at === '') assert.equal(r.column, line.length + 1);
        else assert.ok(line.slice(r.column - 1).startsWith(at), `column ${r.column} points at ${JSON.stringify(line.slice(r.column - 1))}`);
      });
    }
  });

  describe('properties', () => {
    it('parse(format(x)) == x for every event, ftrace layout with and without TGID/flags', () => {
      fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.context(), (tgid, flags, ctx) => {
        fc.assert(fc.property(record(tgid, flags), (r) => {
          const text = formatTraceLine(r, 'ftrace');
          ctx.log(text);
          assert.deepEqual({ ...rec(text), line: 1 }, r);
        }), { numRuns: 50 });
      }), { numRuns: 8 });
    });

    it('parse(format(x)) == x in the trace-cmd report layout', () => {
      fc.assert(fc.property(record(false, false), (r) => {
        assert.deepEqual({ ...rec(formatTraceLine(r, 'trace-cmd')), line: 1 }, r);
      }), { numRuns: 300 });
    });

    it('never throws on arbitrary text and always locates a malformed line inside it', () => {
      fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseTraceLine(s, 1);
        if (!isRecord(r) && r.kind === 'malformed') assert.ok(r.column >= 1 && r.column <= s.length + 1, `column ${r.column} of ${s.length}`);
      }), { numRuns: 2000 });
    });

    it('never throws on truncated or corrupted real lines', () => {
      const corrupt = fc.tuple(record(true, true), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }));
      fc.assert(fc.property(corrupt, ([r, cut, at, junk]) => {
        const text = formatTraceLine(r);
        const truncated = text.slice(0, cut % (text.length + 1));
        const p = at % (text.length + 1);
        for (const s of [truncated, text.slice(0, p) + junk + text.slice(p), text + junk]) {
          const out = parseTraceLine(s, 1);
          if (!isRecord(out) && out.kind === 'malformed') assert.ok(out.column >= 1 && out.column <= s.length + 1);
        }
      }), { numRuns: 1000 });
    });

    it('the byte fast path reads every line it accepts exactly as the text parser, and accepts all well-formed hot events', () => {
      const HOT = new Set(['kvm_tdp_mmu_spte_changed', 'kvm_mmu_spte_requested', 'kvm_mmu_set_spte', 'kvm_mmu_split_huge_page']);
      const check = (s: string): void => {
        const bytes = Buffer.from(s);
        const fast = parseRecordBytes(bytes, 0, bytes.length, 1);
        if (fast !== null) assert.deepEqual(fast, parseTraceLine(s, 1), s);
      };
      fc.assert(fc.property(record(true, true), fc.boolean(), fc.nat(), fc.nat(), fc.string({ maxLength: 6 }), (r, tc, cut, at, junk) => {
        const text = formatTraceLine(r, tc ? 'trace-cmd' : 'ftrace');
        const bytes = Buffer.from(text);
        const fast = parseRecordBytes(bytes, 0, bytes.length, 1);
        if (HOT.has(r.event) && /^[\x20-\x7e]*$/.test(r.task)) assert.notEqual(fast, null, `fast path refused ${text}`);
        check(text);
        check(text + '\r');
        check(text.slice(0, cut % (text.length + 1)));
        const p = at % (text.length + 1);
        check(text.slice(0, p) + junk + text.slice(p));
      }), { numRuns: 2000 });
    });

    it('stays linear on pathological input (no regex backtracking blow-up)', () => {
      const long = ' qemu-1 [000] ..... 1.0: kvm_tdp_mmu_spte_changed: as id 0 gfn ' + '1'.repeat(50_000) + ' level';
      const spaces = 'a-1 ' + ' ['.repeat(50_000);
      for (const s of [long, spaces, '-1 '.repeat(50_000), '1'.repeat(100_000)]) {
        const t0 = process.hrtime.bigint();
        parseTraceLine(s, 1);
        assert.ok(process.hrtime.bigint() - t0 < 2_000_000_000n, 'a single line took more than 2 s');
      }
    });
  });
});
