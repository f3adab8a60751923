import { strict as assert } from 'assert';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { spawnSync } from 'child_process';
import { runCli } from './io';
import { PROFILES } from '../../../src/sim';
import { loadScenarioFile } from '../../../src/sim/scenario';

const ROOT = join(__dirname, '..', '..', '..');
const SHIPPED = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.tdpsim.yaml')).sort();
const scenario = (f: string) => join('scenarios', f);

interface JsonEvent { seq: number; kind: string; fn: string; anchor: string | null; step: number; lock: string; root?: string; parent: number | null; new_spte?: string }

async function runJson(argv: string[]): Promise<{ code: number; doc: any; err: string }> {
  const r = await runCli([...argv, '--json'], ROOT);
  return { code: r.code, doc: JSON.parse(r.out), err: r.err };
}

let tmp: string;
function tempScenario(name: string, text: string): string {
  tmp ??= mkdtempSync(join(tmpdir(), 'tdp-sim-run-'));
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('tdp-sim run', () => {
  it('ships at least 10 scenarios', () => assert.ok(SHIPPED.length >= 10, SHIPPED.join(', ')));

  for (const f of SHIPPED) {
    it(`${f}: self-checking, exit 0 on its own profile`, async () => {
      const r = await runCli(['run', scenario(f), '--quiet'], ROOT);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /\nresult: PASS\n$/);
      assert.doesNotMatch(r.out, /FAIL/);
      const s = loadScenarioFile(join(ROOT, 'scenarios', f));
      assert.ok(s.steps.some((x) => x.op === 'expect'), 'no expect step');
      assert.match(readFileSync(join(ROOT, 'scenarios', f), 'utf8'), /^# \S/, 'starts with a description comment');
    });
  }

  it('split of a private 2M mapping: RFC v2 goes through split_external_spt (BLOCK, TRACK, DEMOTE); mainline bugs the VM in tdp_mmu_set_spte', async () => {
    const rfc = await runJson(['run', scenario('split-private-2m-rfc.tdpsim.yaml')]);
    const main = await runJson(['run', scenario('split-private-2m-mainline.tdpsim.yaml')]);
    assert.equal(rfc.code, 0);
    assert.equal(main.code, 0);
    const splitStep = (doc: any) => (doc.events as JsonEvent[]).filter((e) => e.step === doc.events.find((x: JsonEvent) => x.kind === 'step' && x.fn === 'split').step);

    const r = splitStep(rfc.doc);
    const hook = r.find((e) => e.kind === 'hook' && e.fn === 'split_external_spt')!;
    assert.ok(hook, 'RFC: no split_external_spt hook event');
    assert.equal(hook.lock, 'write');
    assert.equal(r.find((e) => e.fn === 'split_external_spt' && e.kind === 'call')!.anchor, 'tdp_mmu_set_spte.split_external_spt');
    const seamcalls = r.filter((e) => e.kind === 'seamcall').map((e) => e.fn);
    assert.deepEqual(seamcalls, ['TDH.MEM.RANGE.BLOCK', 'TDH.MEM.TRACK', 'TDH.MEM.PAGE.DEMOTE']);
    assert.ok(r.filter((e) => e.kind === 'seamcall').every((e) => e.lock === 'write'));
    assert.equal(rfc.doc.summary.kvm_bug, null);
    assert.deepEqual(rfc.doc.summary.invariant_violations, []);

    const m = splitStep(main.doc);
    assert.equal(m.filter((e) => e.fn === 'split_external_spt').length, 0, 'mainline has no split_external_spt');
    assert.equal(m.filter((e) => e.fn === 'TDH.MEM.PAGE.DEMOTE').length, 0);
    const bug = m.find((e) => e.kind === 'kvm_bug')!;
    assert.equal(bug.anchor, 'tdp_mmu_set_spte.bug_present');
    assert.equal(bug.root, 'mirror');
    assert.equal(main.doc.summary.kvm_bug.seq, bug.seq);
    assert.equal(main.doc.summary.kvm_bug.anchor, 'tdp_mmu_set_spte.bug_present');
    // The KVM_BUG_ON sits inside tdp_mmu_set_spte, reached from tdp_mmu_split_huge_page.
    const chain: string[] = [];
    for (let p: number | null = bug.parent; p !== null; p = main.doc.events[p].parent) chain.unshift(main.doc.events[p].fn);
    assert.deepEqual(chain.slice(-4), ['tdp_mmu_split_huge_page', 'tdp_mmu_link_sp', 'tdp_mmu_iter_set_spte', 'tdp_mmu_set_spte']);
    assert.ok(main.doc.summary.invariant_violations.length > 0, 'mirror and S-EPT disagree after the KVM_BUG_ON');
    // summary.calls counts what expect.calls counts: every event but steps, invariants included.
    const invNames = new Set<string>(main.doc.summary.invariant_violations.map((x: { fn: string }) => x.fn));
    for (const fn of invNames) assert.equal(main.doc.summary.calls[fn], main.doc.summary.invariant_violations.filter((x: { fn: string }) => x.fn === fn).length);
    assert.equal(main.doc.summary.calls.KVM_BUG_ON, 1);
    assert.equal(main.doc.summary.calls.split, undefined, 'step events are not calls');
    assert.deepEqual(main.doc.scenario.what_if, ['private mappings up to 2M (mainline allows 4K)']);
  });

  it('--json: stable documented shape, deterministic bytes, summary agrees with the events', async () => {
    const a = await runCli(['run', scenario('private-4k-fault.tdpsim.yaml'), '--json'], ROOT);
    const b = await runCli(['run', scenario('private-4k-fault.tdpsim.yaml'), '--json'], ROOT);
    assert.equal(a.out, b.out);
    const doc = JSON.parse(a.out);
    assert.deepEqual(Object.keys(doc), ['scenario', 'ok', 'summary', 'expectations', 'events']);
    assert.deepEqual(doc.scenario, { name: 'private 4K fault on mainline', file: 'scenarios/private-4k-fault.tdpsim.yaml', profile: 'mainline', profile_from: 'file', what_if: [] });
    assert.equal(doc.ok, true);
    assert.deepEqual(Object.keys(doc.summary), ['events', 'calls', 'seamcall_results', 'kvm_bug', 'warnings', 'invariant_violations']);
    assert.equal(doc.summary.events, doc.events.length);
    doc.events.forEach((e: JsonEvent, i: number) => assert.equal(e.seq, i));
    const count = (fn: string) => doc.events.filter((e: JsonEvent) => e.fn === fn && e.kind !== 'step').length;
    for (const [fn, n] of Object.entries(doc.summary.calls)) assert.equal(n, count(fn), fn);
    assert.deepEqual(doc.summary.seamcall_results['TDH.MEM.SEPT.ADD'], { TDX_SUCCESS: 3 });
    for (const x of doc.expectations) {
      assert.deepEqual(Object.keys(x), ['step', 'source', 'description', 'ok', 'actual']);
      assert.equal(x.source.file, 'scenarios/private-4k-fault.tdpsim.yaml');
    }
    const quiet = await runJson(['run', scenario('private-4k-fault.tdpsim.yaml'), '--quiet']);
    assert.equal(quiet.doc.events, undefined);
    assert.deepEqual(quiet.doc.summary, doc.summary);
  });

  it('the text table shows each event once with depth, vCPU, lock, root, GFN, level, SPTE change and result', async () => {
    const r = await runCli(['run', scenario('private-4k-fault.tdpsim.yaml')], ROOT);
    const { doc } = await runJson(['run', scenario('private-4k-fault.tdpsim.yaml')]);
    const rows = r.out.split('\n').filter((l) => /^ {0,5}\d+ {2}/.test(l));
    assert.equal(rows.length, doc.events.length);
    const aug = rows.find((l) => / TDH\.MEM\.PAGE\.AUG /.test(l))!;
    assert.match(aug, /^ +\d+ {2}( {2})+TDH\.MEM\.PAGE\.AUG +0 +read +0x200 +4K .* TDX_SUCCESS$/);
    const leaf = rows.find((l) => /tdp_mmu_set_spte_atomic/.test(l) && / 4K /.test(l))!;
    assert.match(leaf, /mirror 0x200 +4K +0x8000000000000000 → 0x[0-9a-f]{16}/);
    assert.match(r.out, /^scenario: private 4K fault on mainline\nfile: {5}scenarios\/private-4k-fault.tdpsim.yaml\nprofile: {2}mainline\nvm: {7}tdx, 64M \(16384 pages\), 1 vCPU\(s\), 4-level paging\n/);
    assert.match(r.out, /\n {2}hooks: +link_external_spt 3, set_external_spte 1\n/);
    assert.match(r.out, /\n {2}SEAMCALLs: +TDH\.MEM\.PAGE\.AUG 1 \(TDX_SUCCESS 1\), TDH\.MEM\.SEPT\.ADD 3 \(TDX_SUCCESS 3\)\n/);
    assert.match(r.out, /\n {2}KVM_BUG_ON: +none\n/);
    const quiet = await runCli(['run', scenario('private-4k-fault.tdpsim.yaml'), '--quiet'], ROOT);
    assert.equal(quiet.out.split('\n').filter((l) => /^ {0,5}\d+ {2}/.test(l)).length, 0);
  });

  it('--profile runs the same scenario on another kernel, and re-checks it there', async () => {
    const same = await runJson(['run', scenario('private-4k-fault.tdpsim.yaml'), '--profile', 'hugepage-rfc-v2']);
    assert.equal(same.code, 0);
    assert.equal(same.doc.scenario.profile, 'hugepage-rfc-v2');
    assert.equal(same.doc.scenario.profile_from, '--profile');
    // The RFC split scenario asks for a private 2M mapping, which mainline cannot make.
    const r = await runCli(['run', scenario('split-private-2m-rfc.tdpsim.yaml'), '--profile', 'mainline'], ROOT);
    assert.equal(r.code, 2);
    assert.match(r.err, /^scenarios\/split-private-2m-rfc\.tdpsim\.yaml:14:\d+: max_level 2M: profile 'mainline' \(given by --profile; the file says 'hugepage-rfc-v2'\) maps private memory at 4K at most\n/);
    const pre = await runCli(['run', scenario('td-teardown.tdpsim.yaml'), '--profile', 'pre-tdx'], ROOT);
    assert.equal(pre.code, 2);
    assert.match(pre.err, /td-teardown\.tdpsim\.yaml:\d+:\d+: profile 'pre-tdx' \(given by --profile.*predates TDX support/);
    const vmx = await runCli(['run', scenario('vmx-dirty-log-eager-split.tdpsim.yaml'), '--profile', 'pre-tdx', '--quiet'], ROOT);
    assert.equal(vmx.code, 0, vmx.out);
  });

  it('exit 1 when an expectation fails, naming it with its line', async () => {
    const text = readFileSync(join(ROOT, 'scenarios', 'private-4k-fault.tdpsim.yaml'), 'utf8').replace('TDH.MEM.SEPT.ADD: 3', 'TDH.MEM.SEPT.ADD: 4');
    const path = tempScenario('wrong.tdpsim.yaml', text);
    const r = await runCli(['run', path, '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`\\n {2}FAIL {2}${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: TDH\\.MEM\\.SEPT\\.ADD called 4 time\\(s\\) \\(actual: 3\\)\\n`));
    assert.match(r.out, /\nresult: FAIL \(1 expectation\(s\) failed\)\n$/);
    const j = await runCli(['run', path, '--json', '--quiet']);
    assert.equal(j.code, 1);
    assert.equal(JSON.parse(j.out).ok, false);
  });

  it('exit 1 on an invariant violation the scenario does not expect', async () => {
    const text = readFileSync(join(ROOT, 'scenarios', 'split-private-2m-mainline.tdpsim.yaml'), 'utf8').replace(/^ +invariants_ok: false\n/m, '');
    const r = await runCli(['run', tempScenario('unacknowledged.tdpsim.yaml', text), '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.out, /result: FAIL \(\d+ invariant violation\(s\)\)/);
    assert.match(r.out, /\.\.\. and \d+ more \(all are in the event table and in --json\)/);
  });

  it('exit 2 on bad input, with file:line:col on stderr (and as JSON with --json)', async () => {
    const bad = join('test', 'fixtures', 'scenarios', 'unknown-key.tdpsim.yaml');
    const r = await runCli(['run', bad], ROOT);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^test\/fixtures\/scenarios\/unknown-key\.tdpsim\.yaml:5:1: unknown key 'author'/);
    assert.equal(r.err.trim().split('\n').length, 3);
    const j = await runJson(['run', bad]);
    assert.equal(j.code, 2);
    assert.deepEqual(j.doc.errors[2], { file: bad, line: 7, column: 14, message: "unknown key 'gfnn' in fault step (expected one of: gfn, private, write, max_level, vcpu)" });
    const missing = await runCli(['run', 'nope.tdpsim.yaml'], ROOT);
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'nope.tdpsim.yaml: cannot read scenario: no such file\n');
    for (const argv of [['run'], ['run', 'a', 'b'], ['run', 'a', '--profile', 'v6.12'], ['run', 'a', '--bogus']]) {
      const u = await runCli(argv, ROOT);
      assert.equal(u.code, 2, argv.join(' '));
      assert.match(u.err, /^tdp-sim run: /);
    }
  });

  it('the scenario example in the README\'s "Command line" section loads and passes', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Command line'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section);
    assert.ok(example, 'no yaml example in the Command line section');
    const r = await runCli(['run', tempScenario('readme.tdpsim.yaml', example[1]), '--quiet']);
    assert.equal(r.code, 0, r.out + r.err);
  });

  it('runs through bin/tdp-sim.js as a child process, with the same exit codes', function () {
    const bin = join(ROOT, 'bin', 'tdp-sim.js');
    const ok = spawnSync(process.execPath, [bin, 'run', scenario('zap-private-leaves.tdpsim.yaml'), '--json', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).ok, true);
    const bad = spawnSync(process.execPath, [bin, 'run', 'test/fixtures/scenarios/bad-numbers.tdpsim.yaml'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^test\/fixtures\/scenarios\/bad-numbers\.tdpsim\.yaml:6:19: 'gfn' must be a GFN/);
  });
});

describe('tdp-sim profiles', () => {
  it('lists every profile with its differences and a comparison table', async () => {
    const r = await runCli(['profiles']);
    assert.equal(r.code, 0);
    for (const p of Object.values(PROFILES)) {
      assert.ok(r.out.includes(`${p.name} — ${p.title}`), p.name);
      for (const d of p.differences) assert.ok(r.out.includes(`  • ${d}`), d);
    }
    assert.match(r.out, /\nlargest private mapping +- +4K +2M\n/);
    assert.match(r.out, /\ntdp_mmu_set_spte: mirror SPTE made present +- +KVM_BUG_ON +leaf→non-leaf: split_external_spt\n/);
  });

  it('--json gives each profile\'s switches', async () => {
    const r = await runCli(['profiles', '--json']);
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.profiles.map((p: { name: string }) => p.name), ['pre-tdx', 'mainline', 'hugepage-rfc-v2']);
    const rfc = doc.profiles[2];
    assert.deepEqual(rfc, {
      name: 'hugepage-rfc-v2', title: PROFILES['hugepage-rfc-v2'].title, kernel: PROFILES['hugepage-rfc-v2'].kernel,
      description: PROFILES['hugepage-rfc-v2'].description, differences: PROFILES['hugepage-rfc-v2'].differences,
      tdx: true, private_max_level: '2M', set_spte_mirror_present: 'split', fault_path_mirror_split: 'split', split_on_conversion: true,
    });
    assert.equal(doc.profiles[0].private_max_level, null);
    assert.equal(doc.profiles[1].set_spte_mirror_present, 'bug');
  });

  it('bad options exit 2', async () => {
    const r = await runCli(['profiles', '--verbose']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^tdp-sim profiles: Unknown option '--verbose'/);
  });
});
