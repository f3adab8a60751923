import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../cli/io';

const FIX = path.join(__dirname, '../../fixtures/trace');
const fx = (name: string): string => path.relative(process.cwd(), path.join(FIX, name));

describe('tdp-sim trace', () => {
  it('summarises a clean ftrace trace and exits 0', async () => {
    const r = await runCli(['trace', fx('vmx-dirty-log.ftrace.txt')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ftrace text \(tracer nop\), 40 lines, 26 records, profile mainline/);
    assert.match(r.out, /events:\n {2}kvm_tdp_mmu_spte_changed +13\n/);
    assert.match(r.out, /SPTE changes per root:\n {2}direct +13/);
    assert.match(r.out, /sched_switch +1 \(first at line 20\)/);
    assert.match(r.out, /1 malformed lines:\n {2}test\/fixtures\/trace\/vmx-dirty-log\.ftrace\.txt:35:122: kvm_tdp_mmu_spte_changed: line ends where "new_spte" was expected/);
    assert.match(r.out, /findings: none/);
  });

  it('reports a TD trace-cmd report with its finding and exits 1', async () => {
    const r = await runCli(['trace', fx('td-conversion.trace-cmd.txt')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /trace-cmd report, 25 lines, 21 records/);
    assert.match(r.out, /vm: TD, 4-level roots/);
    assert.match(r.out, /SPTE changes per root:\n {2}direct +5\n {2}mirror +7/);
    assert.match(r.out, /td-conversion\.trace-cmd\.txt:24: error: \[mirror-present-to-present\]/);
  });

  it('--json gives every count and finding, with the exit code of the findings', async () => {
    const r = await runCli(['trace', fx('td-conversion.trace-cmd.txt'), '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.format, 'trace-cmd');
    assert.deepEqual(j.perEvent, { kvm_page_fault: 3, kvm_mmu_spte_requested: 3, kvm_tdp_mmu_spte_changed: 12, kvm_mmu_set_spte: 3 });
    assert.deepEqual(j.perLevel, { 1: 6, 2: 2, 3: 2, 4: 2 });
    assert.equal(j.vms[0].vmType, 'tdx');
    assert.equal(j.findings.count, 1);
    assert.deepEqual(Object.keys(j.findings.list[0]).sort(), ['anchor', 'line', 'location', 'message', 'rule', 'seq', 'severity', 'vm']);
    assert.equal(j.findings.list[0].anchor, 'tdp_mmu_set_spte.bug_present');
  });

  it('--cross-check runs the trace\'s inputs through the model (text and JSON)', async () => {
    const r = await runCli(['trace', fx('vmx-dirty-log.ftrace.txt'), '--cross-check']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /cross-check \(vm\): 7 of 7 inputs replayed identically by the model \(profile mainline\)/);
    const j = JSON.parse((await runCli(['trace', fx('vmx-dirty-log.ftrace.txt'), '--cross-check', '--json'])).out);
    assert.equal(j.crossCheck[0].agreed, 7);
    assert.equal(j.crossCheck[0].firstDisagreement, null);
    assert.deepEqual(j.crossCheck[0].scenario.steps.map((s: { op: string }) => s.op), ['fault', 'fault', 'fault', 'fault', 'split', 'zap', 'zap']);
  });

  it('--profile changes the rules; bad options are usage errors (exit 2)', async () => {
    assert.equal((await runCli(['trace', fx('vmx-dirty-log.ftrace.txt'), '--profile', 'pre-tdx'])).code, 0);
    const bad = await runCli(['trace', fx('vmx-dirty-log.ftrace.txt'), '--vm-type', 'sev']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--vm-type must be one of auto, tdx, vmx, got 'sev'/);
    assert.equal((await runCli(['trace'])).code, 2);
  });

  it('exits 2 for a missing file, a directory and a text that is not a trace', async () => {
    const missing = await runCli(['trace', 'no/such/file.txt']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read no\/such\/file\.txt: no such file/);
    assert.equal((await runCli(['trace', fx('')])).code, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdp-trace-cli-'));
    try {
      fs.writeFileSync(path.join(dir, 'empty.trace'), '');
      const empty = await runCli(['trace', path.join(dir, 'empty.trace')]);
      assert.equal(empty.code, 2);
      assert.match(empty.err, /empty\.trace is empty/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const prose = await runCli(['trace', fx('not-a-trace.txt')]);
    assert.equal(prose.code, 2);
    assert.match(prose.err, /not-a-trace\.txt is not a trace: .*not-a-trace\.txt:1:1: not a trace event line/);
  });
});
