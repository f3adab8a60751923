// fast-check generators shared by the scenario tests.
import fc from 'fast-check';

/** Scenario-shaped documents, mostly valid, with the mistakes people make mixed in. */
export function scenarioDoc(): fc.Arbitrary<Record<string, unknown>> {
  const num = fc.oneof(
    fc.integer({ min: 0, max: 0x5000 }), fc.constantFrom('0x200', '0x4000', '512', '-1', '0x', 1.5, -3, 2 ** 60, '1e3'),
  );
  const level = fc.constantFrom('4K', '2M', '1G', 1, 2, 3, 0, 4, '3M', 'none');
  const bool = fc.oneof(fc.boolean(), fc.constantFrom('yes', 1));
  const extra = fc.option(fc.constantFrom('gfnn', 'level', 'npages', 'foo'), { nil: undefined });
  const obj = (shape: Record<string, fc.Arbitrary<unknown>>) =>
    fc.tuple(fc.record(shape, { requiredKeys: [] }), extra, num).map(([o, k, v]) => (k ? { ...o, [k]: v } : o));
  const fault = obj({ gfn: num, private: bool, write: bool, max_level: level, vcpu: fc.integer({ min: -1, max: 3 }) });
  const step = fc.oneof(
    fault.map((fault) => ({ fault })),
    obj({ gfn: num, level, private: bool, shared: bool }).map((split) => ({ split })),
    obj({ gfn: num, npages: num, to: fc.constantFrom('shared', 'private', 'both') }).map((convert) => ({ convert })),
    obj({ gfn: num, npages: num, private: bool }).map((zap) => ({ zap })),
    obj({ seamcall: fc.constantFrom('TDH.MEM.PAGE.AUG', 'TDH.MEM.PAGE.DEMOTE', 'TDH.FOO'), error: fc.constantFrom('TDX_OPERAND_BUSY', 'TDX_SUCCESS', 'EBUSY'), times: fc.integer({ min: 0, max: 3 }) }).map((inject) => ({ inject })),
    obj({ gfn: num, npages: num, enable: bool, eager_split: bool }).map((dirty_log) => ({ dirty_log })),
    fc.record({ faults: fc.array(fault, { maxLength: 3 }), interleave: fc.constantFrom('lockstep', 'sequential', 'random') }, { requiredKeys: ['faults'] }).map((race) => ({ race })),
    fc.constantFrom({ teardown: {} }, { teardown: null }, { teardown: { now: true } }, 'teardown', {}),
    obj({
      calls: fc.dictionary(fc.constantFrom('split_external_spt', 'TDH.MEM.PAGE.AUG', 'KVM_BUG_ON', 'bad name'), num),
      kvm_bug: bool, invariants_ok: bool,
      seamcall_results: fc.dictionary(fc.constantFrom('TDH.MEM.PAGE.DEMOTE', 'TDH.X'), fc.constantFrom('TDX_SUCCESS', 'OK')),
      mapped: fc.array(obj({ table: fc.constantFrom('direct', 'mirror', 'sept', 'npt'), gfn: num, level }), { maxLength: 2 }),
    }).map((expect) => ({ expect })),
  );
  return fc.record({
    name: fc.oneof(fc.string({ minLength: 1 }), fc.constant(7)),
    description: fc.string(),
    profile: fc.constantFrom('pre-tdx', 'mainline', 'hugepage-rfc-v2', 'v6.12'),
    vm: obj({ type: fc.constantFrom('tdx', 'vmx', 'sev'), memory: fc.constantFrom('64M', '4K', '1G', 8192, 6000, '1.5G', 0, '64MB'), vcpus: fc.integer({ min: 0, max: 4 }), paging_levels: fc.constantFrom(4, 5, 6) }),
    steps: fc.array(step, { maxLength: 6 }),
  }, { requiredKeys: ['name', 'profile', 'vm', 'steps'] });
}
