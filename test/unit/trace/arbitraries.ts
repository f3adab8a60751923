// fast-check generators for trace records in the exact shapes the kernel prints.
import fc from 'fast-check';
import type { PgLevel } from '../../../src/sim/types';
import type { TraceHeader, TraceRecord } from '../../../src/trace/tracepoints';
import { MAX_TRACE_GFN } from '../../../src/trace/tracepoints';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const level = fc.constantFrom<PgLevel>(1, 2, 3, 4, 5);
const gfn = fc.oneof(fc.integer({ min: 0, max: 0xfffff }), fc.integer({ min: 0, max: MAX_TRACE_GFN }));

/** comm strings as the kernel keeps them: up to 15 printable characters, including spaces and
 *  dashes ("CPU 0/KVM", "qemu-system-x86"), never starting with '#' (a header line). */
const task = fc.oneof(
  fc.constantFrom('qemu-system-x86', 'CPU 0/KVM', 'CPU 12/KVM', '<idle>', 'kworker/u8:2', 'kvm-nx-lpage-re', 'a-1-2', 'trace-cmd'),
  fc.string({ unit: fc.constantFrom(...'abcxyz019 -/_.:<>'.split('')), minLength: 1, maxLength: 15 })
    .filter((s) => s.trim() === s && s.trim() !== '' && !s.startsWith('#')),
);

/** Times with microsecond resolution, as ftrace prints them. */
const time = fc.integer({ min: 0, max: 99_999_999_999 }).map((us) => Number((us / 1e6).toFixed(6)));

export function header(withTgid: boolean, withFlags: boolean): fc.Arbitrary<TraceHeader> {
  return fc.record({
    line: fc.constant(1),
    task,
    pid: fc.integer({ min: 0, max: 4_194_304 }),
    tgid: withTgid ? fc.oneof(fc.integer({ min: 0, max: 4_194_304 }), fc.constant(null)) : fc.constant(null),
    cpu: fc.integer({ min: 0, max: 511 }),
    flags: withFlags ? fc.constantFrom('.....', 'd..1.', 'dNh2.', 'D.s3.', '....', 'd.h1') : fc.constant(null),
    time,
  });
}

const accessText = fc.tuple(fc.constantFrom('r', '-'), fc.constantFrom('w', '-'), fc.constantFrom('x', '-'), fc.constantFrom('', 'u', '-'))
  .map((a) => a.join(''));
const role = fc.record({
  bytes: fc.constantFrom(4, 8), q: fc.integer({ min: 0, max: 3 }), direct: fc.boolean(),
  access: fc.constantFrom('---', '--x', 'w--', 'w-x', '-u-', '-ux', 'wu-', 'wux'), invalid: fc.boolean(),
  nxe: fc.boolean(), ad: fc.boolean(), root: fc.integer({ min: 0, max: 100 }), unsync: fc.boolean(),
});

export const fields: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ event: fc.constant('kvm_tdp_mmu_spte_changed'), as_id: fc.integer({ min: 0, max: 255 }), gfn, level, old_spte: u64, new_spte: u64 }),
  fc.record({ event: fc.constant('kvm_mmu_split_huge_page'), gfn, spte: u64, level, errno: fc.integer({ min: -2147483648, max: 2147483647 }) }),
  fc.record({ event: fc.constant('kvm_mmu_spte_requested'), gfn, pfn: u64, level }),
  fc.record({ event: fc.constant('kvm_mmu_set_spte'), gfn, spte: u64, access: accessText, level, sptep: u64 }),
  fc.oneof(
    fc.record({ event: fc.constant('kvm_page_fault'), vcpu: fc.integer({ min: 0, max: 4095 }), rip: u64, address: u64, error_code: u64 }),
    fc.record({ event: fc.constant('kvm_page_fault'), vcpu: fc.constant(null), rip: fc.constant(null), address: u64, error_code: u64 }),
  ),
  fc.record({ event: fc.constantFrom('kvm_mmu_get_page', 'kvm_mmu_prepare_zap_page'), gen: fc.integer({ min: 0, max: 255 }), gfn, level, role })
    .chain((r) => fc.constant(r.event === 'kvm_mmu_get_page').chain((get) => (get ? fc.boolean() : fc.constant(null))).map((created) => {
      const x = r.role;
      return {
        event: r.event, gen: r.gen, gfn: r.gfn, level: r.level, direct: x.direct, access: x.access, invalid: x.invalid,
        role: `${x.bytes}-byte q${x.q}${x.direct ? ' direct' : ''} ${x.access}${x.invalid ? ' invalid' : ''} ${x.nxe ? '' : '!'}nxe ${x.ad ? '' : '!'}ad root ${x.root} ${x.unsync ? 'unsync' : 'sync'}`,
        created,
      };
    })),
);

export function record(withTgid = false, withFlags = true): fc.Arbitrary<TraceRecord> {
  return fc.tuple(header(withTgid, withFlags), fields).map(([h, f]) => ({ ...h, ...f }) as unknown as TraceRecord);
}
