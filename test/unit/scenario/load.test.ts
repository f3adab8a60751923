import { strict as assert } from 'assert';
import { loadScenario, loadScenarioFile, ScenarioError, effectiveProfile } from '../../../src/sim/scenario';
import { PROFILES } from '../../../src/sim';
import { nearest } from '../../../src/sim/scenario/suggest';

const ISSUE_EXAMPLE = `name: split a private 2M mapping under write mmu_lock
profile: hugepage-rfc-v2          # pre-tdx | mainline | hugepage-rfc-v2
vm: { type: tdx, memory: 64M }     # type: tdx | vmx
steps:
  - fault:   { gfn: 0x200, private: true, write: true, max_level: 2M }
  - split:   { gfn: 0x200, level: 2M }            # under write mmu_lock
  - convert: { gfn: 0x210, npages: 1, to: shared }
  - zap:     { gfn: 0x0, npages: 0x400, private: true }
  - inject:  { seamcall: TDH.MEM.PAGE.DEMOTE, error: TDX_OPERAND_BUSY, times: 1 }
  - teardown: {}
  - expect:  { calls: { split_external_spt: 1 }, kvm_bug: false }
`;

function errorsOf(text: string): string[] {
  try {
    loadScenario(text, 's.tdpsim.yaml');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `threw ${String(e)}`);
    return e.issues.map((i) => `${i.line}:${i.column}: ${i.message}`);
  }
  return [];
}

const head = (vm = '{ type: tdx, memory: 64M }', profile = 'hugepage-rfc-v2') => `name: t\nprofile: ${profile}\nvm: ${vm}\nsteps:\n`;

describe('scenario loader', () => {
  it('loads the example of the issue into the contract types, with each step\'s source', () => {
    const s = loadScenario(ISSUE_EXAMPLE, 'ex.tdpsim.yaml');
    assert.equal(s.profile, 'hugepage-rfc-v2');
    assert.deepEqual(s.vm, { type: 'tdx', pages: 64 * 256, paging_levels: 4, vcpus: 1 });
    assert.deepEqual(s.steps, [
      { op: 'fault', gfn: 0x200, private: true, write: true, max_level: 2, vcpu: 0 },
      { op: 'split', gfn: 0x200, level: 2, private: true, shared: false },
      { op: 'convert', gfn: 0x210, npages: 1, to: 'shared' },
      { op: 'zap', gfn: 0, npages: 0x400, private: true },
      { op: 'inject', seamcall: 'TDH.MEM.PAGE.DEMOTE', error: 'TDX_OPERAND_BUSY', times: 1 },
      { op: 'teardown' },
      { op: 'expect', calls: { split_external_spt: 1 }, kvm_bug: false },
    ]);
    assert.equal(s.file, 'ex.tdpsim.yaml');
    assert.deepEqual(s.sources?.map((l) => [l.file, l.line, l.column]), [5, 6, 7, 8, 9, 10, 11].map((line) => ['ex.tdpsim.yaml', line, 5]));
  });

  it('fills defaults: private follows the VM type, write, 4K, vCPU 0, write mmu_lock, dirty-log eager split', () => {
    const tdx = loadScenario(head() + '  - fault: { gfn: 1 }\n  - split: { gfn: 0, level: 2M }\n  - zap: { gfn: 0, npages: 1 }\n  - inject: { seamcall: TDH.MEM.PAGE.AUG, error: TDX_OPERAND_BUSY }\n', 'f');
    assert.deepEqual(tdx.steps, [
      { op: 'fault', gfn: 1, private: true, write: true, max_level: 1, vcpu: 0 },
      { op: 'split', gfn: 0, level: 2, private: true, shared: false },
      { op: 'zap', gfn: 0, npages: 1, private: true },
      { op: 'inject', seamcall: 'TDH.MEM.PAGE.AUG', error: 'TDX_OPERAND_BUSY', times: 1 },
    ]);
    const vmx = loadScenario(head('{ type: vmx, memory: 1G, vcpus: 3, paging_levels: 5 }', 'pre-tdx') +
      '  - fault: { gfn: 1, max_level: 1G }\n  - dirty_log: { gfn: 0, npages: 512 }\n  - race: { faults: [ { gfn: 7 }, { gfn: 7 }, { gfn: 8, vcpu: 2, write: false } ] }\n  - teardown:\n', 'f');
    assert.deepEqual(vmx.vm, { type: 'vmx', pages: 1 << 18, paging_levels: 5, vcpus: 3 });
    assert.deepEqual(vmx.steps, [
      { op: 'fault', gfn: 1, private: false, write: true, max_level: 3, vcpu: 0 },
      { op: 'dirty_log', gfn: 0, npages: 512, enable: true, eager_split: true },
      { op: 'race', interleave: 'lockstep', faults: [
        { op: 'fault', gfn: 7, private: false, write: true, max_level: 1, vcpu: 0 },
        { op: 'fault', gfn: 7, private: false, write: true, max_level: 1, vcpu: 1 },
        { op: 'fault', gfn: 8, private: false, write: false, max_level: 1, vcpu: 2 },
      ] },
      { op: 'teardown' },
    ]);
  });

  it('accepts numbers as decimal, YAML hex, quoted hex or decimal, and levels by name or pg_level', () => {
    const s = loadScenario(head() + '  - fault: { gfn: 512, max_level: 2 }\n  - fault: { gfn: 0x200, max_level: "2M" }\n  - fault: { gfn: "0x200", max_level: 1 }\n  - fault: { gfn: "512" }\n', 'f');
    assert.deepEqual(s.steps.map((x) => (x as { gfn: number }).gfn), [512, 512, 512, 512]);
    assert.deepEqual(s.steps.map((x) => (x as { max_level: number }).max_level), [2, 2, 1, 1]);
  });

  it('parses memory sizes in bytes or with K/M/G/T', () => {
    for (const [mem, pages] of [['4K', 1], ['2M', 512], ['64M', 16384], ['4G', 1 << 20], ['1T', 2 ** 28], ['8192', 2], ['0x2000', 2]] as const) {
      assert.equal(loadScenario(head(`{ type: vmx, memory: ${mem} }`) + '  - teardown:\n', 'f').vm.pages, pages, mem);
    }
  });

  it('reports every problem of a file together, in file order', () => {
    const errs = errorsOf(head('{ type: tdx, memory: 64M }', 'mainline') +
      '  - fault: { gfn: 0x4000 }\n  - fault: { gfn: 1, max_level: 2M }\n  - zap: { gfn: 0, npages: 0 }\n');
    assert.deepEqual(errs, [
      "5:19: gfn 0x4000 is beyond the VM's memory: the VM has 0x4000 pages (GFNs 0x0-0x3fff); write GFNs without the TDX shared bit",
      "6:33: max_level 2M: profile 'mainline' maps private memory at 4K at most",
      "7:28: 'npages' must be at least 1",
    ]);
  });

  it('applies a profile override before checking, and says where the profile came from', () => {
    const text = head() + '  - fault: { gfn: 0x200, max_level: 2M }\n';
    assert.equal(loadScenario(text, 'f').profile, 'hugepage-rfc-v2');
    assert.throws(() => loadScenario(text, 'f', { profile: 'mainline' }),
      /5:37: max_level 2M: profile 'mainline' \(given by --profile; the file says 'hugepage-rfc-v2'\) maps private memory at 4K at most/);
    assert.throws(() => loadScenario(text, 'f', { profile: 'pre-tdx' }), /3:13: profile 'pre-tdx' \(given by --profile.*predates TDX support/);
    const vmx = head('{ type: vmx, memory: 64M }') + '  - fault: { gfn: 0x200, max_level: 1G }\n';
    assert.equal(loadScenario(vmx, 'f', { profile: 'pre-tdx' }).profile, 'pre-tdx');
  });

  it('limits TD memory to below the shared bit of its paging mode', () => {
    assert.equal(loadScenario(head('{ type: tdx, memory: 128T, paging_levels: 4 }', 'mainline') + '  - teardown:\n', 'f').vm.pages, 2 ** 35);
    assert.ok(errorsOf(head('{ type: tdx, memory: 129T, paging_levels: 4 }', 'mainline') + '  - teardown:\n')[0].includes('GPA bit 47'));
    assert.equal(loadScenario(head('{ type: tdx, memory: 129T, paging_levels: 5 }', 'mainline') + '  - teardown:\n', 'f').vm.paging_levels, 5);
  });

  it('follows YAML anchors and aliases, and refuses alias bombs quickly', () => {
    const s = loadScenario(head() + '  - fault: &f { gfn: 3 }\n  - fault: *f\n', 'f');
    assert.deepEqual(s.steps.map((x) => (x as { gfn: number }).gfn), [3, 3]);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill('*' + String.fromCharCode(97 + i)).join(', ')}]`);
    const errs = errorsOf(bomb.join('\n') + '\n');
    assert.equal(errs.length, 1);
    assert.match(errs[0], /too large or too deeply nested/);
  });

  it('reports a broken construct once, and caps the number of YAML errors', () => {
    const deep = errorsOf('a: ' + '['.repeat(5000));
    assert.ok(deep.length <= 21, `${deep.length} errors`);
    assert.ok(deep.some((e) => e.endsWith('nested too deeply for the YAML parser')), deep.join('\n'));
    assert.equal(new Set(deep).size, deep.length, 'duplicates');
    const many = errorsOf(Array.from({ length: 50 }, (_, i) => `k${i}: [\n`).join(''));
    assert.equal(many.length, 21);
    assert.match(many[20], /more YAML errors follow; fix the ones above first$/);
  });

  it('treats a key named __proto__ as an unknown key, not as a prototype', () => {
    assert.deepEqual(errorsOf(head() + '  - fault: { gfn: 1, __proto__: { private: false } }\n'),
      ["5:22: unknown key '__proto__' in fault step (expected one of: gfn, private, write, max_level, vcpu)"]);
  });

  it('what_if.private_max_level gives a what-if variant of the profile and lifts the loader\'s cap', () => {
    const text = `${head('{ type: tdx, memory: 64M }', 'mainline').replace('steps:', 'what_if: { private_max_level: 2M }\nsteps:')}  - fault: { gfn: 0x200, max_level: 2M }\n`;
    const s = loadScenario(text, 'f');
    assert.deepEqual(s.what_if, { private_max_level: 2 });
    assert.deepEqual(effectiveProfile(s), { ...PROFILES.mainline, privateMaxLevel: 2 });
    assert.equal(effectiveProfile({ profile: 'mainline' }), PROFILES.mainline);
    assert.equal(loadScenario(head() + '  - teardown:\n', 'f').what_if, undefined);
  });

  it('suggests the meant name for misspelt enum values and event names', () => {
    assert.equal(nearest('TDX_BUSY', Object.keys({ TDX_SUCCESS: 0, TDX_OPERAND_BUSY: 0, TDX_PREVIOUS_TLB_EPOCH_BUSY: 0 })), 'TDX_OPERAND_BUSY');
    assert.equal(nearest('split_external_sptt', ['split_external_spt', 'link_external_spt']), 'split_external_spt');
    assert.equal(nearest('zzz', ['split_external_spt', 'link_external_spt']), undefined);
    assert.deepEqual(errorsOf(head() + '  - expect: { calls: { TDH.MEM.PAGE.DEMOT: 1, tdp_mmu_set_spte: 1, my_helper: 0 } }\n'),
      ["5:24: 'TDH.MEM.PAGE.DEMOT' is not a name the simulator records: did you mean TDH.MEM.PAGE.DEMOTE?"]);
  });

  it('reports an unreadable file as a ScenarioError naming it', () => {
    assert.throws(() => loadScenarioFile('/nonexistent/x.tdpsim.yaml'),
      (e: unknown) => e instanceof ScenarioError && e.message === '/nonexistent/x.tdpsim.yaml: cannot read scenario: no such file' && e.line === 0);
  });
});
