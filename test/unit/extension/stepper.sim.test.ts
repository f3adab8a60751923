// The stepper over real recordings: the shipped scenarios simulated by the core.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadScenarioFile } from '../../../src/sim/scenario';
import { simulate } from '../../../src/sim/simulate';
import { StepperSession } from '../../../src/extension/stepper/session';
import { symbolicLocation } from '../../../src/extension/stepper/positionView';
import { decorationText } from '../../../src/extension/editor/eventText';
import { importTraceFile } from '../../../src/trace';

const SCENARIOS = path.join(__dirname, '../../../scenarios');

function run(file: string): StepperSession {
  const sc = loadScenarioFile(file);
  return new StepperSession(simulate(sc), { kind: 'scenario', path: file }, sc.vm.type);
}

const at = (s: StepperSession) => s.rec.event(s.position);

describe('stepper over simulated scenarios', () => {
  it('RFC split: run to split_external_spt(), see the split, the hook and DEMOTE', () => {
    const s = run(path.join(SCENARIOS, 'split-private-2m-rfc.tdpsim.yaml'));
    while (at(s).fn !== 'split_external_spt' || at(s).kind !== 'hook') assert.ok(s.navigate('nextHook', 'command'), 'no split_external_spt hook');
    assert.match(decorationText(s.rec, s.position, s.vm), /^old 0x[0-9a-f]+\(leaf 2M\) → new 0x[0-9a-f]+\(non-leaf\) {2}split_external_spt → TDH\.MEM\.PAGE\.DEMOTE: TDX_SUCCESS$/);
    const v = s.positionView(symbolicLocation);
    assert.strictEqual(v.lock, 'write');
    assert.ok(v.stack.some((f) => f.fn === 'tdp_mmu_set_spte' && f.anchor === 'tdp_mmu_set_spte.split_external_spt'), JSON.stringify(v.stack));
    const mirror2M = v.trees.find((t) => t.table === 'mirror')!.entries.find((e) => e.onPath && e.levelName === '2M')!;
    assert.deepStrictEqual([mirror2M.summary, mirror2M.changed], ['non-leaf', 'step']);

    while (at(s).fn !== 'TDH.MEM.PAGE.DEMOTE') assert.ok(s.navigate('stepInto', 'command'));
    const d = s.positionView(symbolicLocation);
    const sept2M = d.trees.find((t) => t.table === 'sept')!.entries.find((e) => e.onPath && e.levelName === '2M')!;
    assert.deepStrictEqual([sept2M.summary, sept2M.changed], ['NL_MAPPED', 'event']);
    assert.deepStrictEqual(d.banners, []);
  });

  it('mainline: a failing TDH.MEM.PAGE.REMOVE bugs the VM; banner and decoration say so', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stepper-')), 'remove-fails.tdpsim.yaml');
    fs.writeFileSync(file, [
      'name: PAGE.REMOVE fails on mainline', 'profile: mainline', 'vm: { type: tdx, memory: 64M }', 'steps:',
      '  - fault: { gfn: 0x200 }',
      '  - inject: { seamcall: TDH.MEM.PAGE.REMOVE, error: TDX_OPERAND_INVALID, times: 1 }',
      '  - zap: { gfn: 0x200, npages: 1 }', '',
    ].join('\n'));
    const s = run(file);
    s.setFilter({ categories: ['kvm_bug'], gfn: '' });
    assert.ok(s.timeline.length >= 1);
    const first = s.timeline.seqAt(0);
    assert.strictEqual(s.rec.event(first).kind, 'kvm_bug');
    assert.ok(s.navigate('stepForward', 'command'));
    assert.strictEqual(s.position, first);
    assert.match(decorationText(s.rec, s.position, s.vm), /^KVM_BUG_ON: .*TDX_OPERAND_INVALID/);
    s.navigate('last', 'command');
    const banners = s.positionView(symbolicLocation).banners;
    assert.strictEqual(banners[0].kind, 'kvm_bug');
    assert.strictEqual(banners[0].seq, first);
  });

  it('a replayed trace: SPTE changes filter as set_spte, rows carry timestamps and CPUs', async () => {
    const file = path.join(__dirname, '../../fixtures/trace/td-conversion.trace-cmd.txt');
    const t = await importTraceFile(file);
    const vm = t.vms[0];
    const s = new StepperSession(vm.recording, { kind: 'trace', path: file }, vm.plan.vmType);
    s.setFilter({ categories: ['set_spte'], gfn: '' });
    const rows = s.timeline.rows(0, s.timeline.length);
    assert.ok(rows.length > 0);
    for (const r of rows) {
      assert.ok(['kvm_tdp_mmu_spte_changed', 'kvm_mmu_set_spte'].includes(r.fn), r.fn);
      assert.match(r.time ?? '', /^\d+\.\d{6}$/);
      assert.strictEqual(typeof r.cpu, 'number');
    }
    assert.ok(rows.some((r) => / → new 0x[0-9a-f]+\(/.test(r.summary)), rows.map((r) => r.summary).join('\n'));
    s.seek(rows[0].seq, 'command');
    const v = s.positionView(symbolicLocation);
    assert.strictEqual(v.event.time, rows[0].time);
    assert.ok(v.event.task);
  });

  for (const f of fs.readdirSync(SCENARIOS).filter((n) => n.endsWith('.tdpsim.yaml')).sort()) {
    it(`${f}: every position renders as plain JSON, and the timeline tiles the recording`, () => {
      const s = run(path.join(SCENARIOS, f));
      const rows = s.timeline.rows(0, s.rec.length);
      assert.deepStrictEqual(rows.map((r) => r.seq), Array.from({ length: s.rec.length }, (_, i) => i));
      for (let seq = 0; seq < s.rec.length; seq++) {
        s.seek(seq, 'command');
        const v = s.positionView(symbolicLocation);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), v);
        assert.ok(decorationText(s.rec, seq, s.vm).length > 0);
      }
    });
  }
});
