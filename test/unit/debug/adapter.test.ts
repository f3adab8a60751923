// The debug adapter over DAP (in-process, a real DAP client), on real simulations of shipped
// scenarios and the fixture kernel trees. Expected stops are computed independently: by scanning
// the simulated recording's events and by searching the fixture C text for the lines.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { defaultSessionDeps } from '../../../src/debug/launch';
import { isScenarioFile } from '../../../src/debug/inputs';
import { loadScenarioFile } from '../../../src/sim/scenario';
import { simulate } from '../../../src/sim/simulate';
import { importTraceFile } from '../../../src/trace';
import { is_last_spte, is_shadow_present_pte } from '../../../src/sim/spte';
import type { ProfileName, Recording, SimEvent } from '../../../src/sim/types';
import { launchWith, scopeVars, startAdapter, stopAfter, topFrame, type Adapter } from './harness';

const REPO = path.resolve(__dirname, '../../..');
const SPLIT = path.join(REPO, 'scenarios/split-private-2m-rfc.tdpsim.yaml');
const SPLIT_MAINLINE = path.join(REPO, 'scenarios/split-private-2m-mainline.tdpsim.yaml');
const tree = (profile: string): string => path.join(REPO, 'test/fixtures/kernel', profile);
const tdpMmuC = (profile: string): string => path.join(tree(profile), 'arch/x86/kvm/mmu/tdp_mmu.c');

/** The recording the adapter will debug, simulated here too, for the expected answers. */
function simulated(file: string, profile?: ProfileName): Recording {
  return simulate(loadScenarioFile(file, { profile }), {});
}
function events(rec: Recording): SimEvent[] {
  return Array.from({ length: rec.length }, (_, s) => rec.event(s));
}

/** 1-based line of the first line matching `re` inside the C function `fn` of `file`. */
function lineIn(file: string, fn: string, re: RegExp): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^[a-z_].*\\b${fn}\\(`).test(l) && !l.trimEnd().endsWith(';'));
  assert.ok(start >= 0, `${fn} not defined in ${file}`);
  for (let i = start; i < lines.length && !/^}/.test(lines[i]); i++) if (re.test(lines[i])) return i + 1;
  assert.fail(`${re} not found in ${fn}`);
}
function yamlLine(file: string, re: RegExp): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => re.test(l)) + 1;
}

async function evaluate(a: Adapter, expression: string, frameId = 1): Promise<string> {
  return (await a.dc.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;
}
async function seqNow(a: Adapter): Promise<number> {
  return Number(await evaluate(a, 'seq'));
}

describe('debug adapter over DAP', function () {
  this.timeout(30000);
  let a: Adapter;
  beforeEach(async () => { a = await startAdapter(defaultSessionDeps({ env: {} })); });
  afterEach(async () => { await a.close(); });

  it('launches a scenario and stops on entry at its first step', async () => {
    const st = await launchWith(a.dc, { scenario: SPLIT, kernelTree: tree('hugepage-rfc-v2'), stopOnEntry: true });
    assert.equal(st.body.reason, 'entry');
    // One vCPU: one thread (several vCPUs: one per kernel context, see the race test).
    const threads = await a.dc.threadsRequest();
    assert.deepEqual(threads.body.threads.map((t) => [t.id, t.name]), [[1, 'split a private 2M mapping under write mmu_lock (RFC v2) (simulated kernel)']]);
    assert.equal(st.body.threadId, 1);
    const top = await topFrame(a);
    assert.equal(top.name, 'step 0: fault');
    assert.equal(top.source?.path, SPLIT);
    assert.equal(top.line, yamlLine(SPLIT, /- fault:/));
  });

  it('stops at a tdp_mmu.c line breakpoint with the kernel call stack at fixture lines', async () => {
    const file = tdpMmuC('hugepage-rfc-v2');
    const callLine = lineIn(file, 'tdp_mmu_set_spte', /split_external_spt\(/);
    let bps: DebugProtocol.Breakpoint[] = [];
    const st = await launchWith(a.dc, { scenario: SPLIT, kernelTree: tree('hugepage-rfc-v2') }, async () => {
      bps = (await a.dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: callLine }] })).body.breakpoints;
    });
    assert.deepEqual([bps[0].verified, bps[0].line], [true, callLine]);
    assert.equal(st.body.reason, 'breakpoint');
    assert.deepEqual(st.body.hitBreakpointIds, [bps[0].id]);
    // Stopped on the call line: the callee is not a frame yet (as in any debugger), its
    // arguments are the top frame's "Calling split_external_spt()" scope.
    const frames = (await a.dc.stackTraceRequest({ threadId: a.thread() })).body.stackFrames;
    assert.deepEqual(frames.map((f) => f.name).slice(0, 5),
      ['tdp_mmu_set_spte', 'tdp_mmu_iter_set_spte', 'tdp_mmu_link_sp', 'tdp_mmu_split_huge_page', 'tdp_mmu_split_huge_pages_root']);
    assert.deepEqual([frames[0].source?.path, frames[0].line], [file, callLine]);
    assert.equal(frames[1].line, lineIn(file, 'tdp_mmu_iter_set_spte', /tdp_mmu_iter_set_spte\(/));
    assert.equal(frames[frames.length - 1].name, 'step 1: split');
    assert.equal(frames[frames.length - 1].line, yamlLine(SPLIT, /- split:/));
    const calling = await scopeVars(a.dc, frames[0].id, 'Calling split_external_spt()');
    assert.deepEqual([...calling.keys()].filter((k) => ['gfn', 'level', 'old_spte', 'new_spte', 'shared'].includes(k)), ['gfn', 'level', 'old_spte', 'new_spte', 'shared']);
    assert.equal(calling.get('shared')!.value, 'false');
    // One step in: inside split_external_spt(), at its kvm_x86_ops call.
    await stopAfter(a.dc, () => a.dc.stepInRequest({ threadId: 1 }));
    const inside = (await a.dc.stackTraceRequest({ threadId: a.thread() })).body.stackFrames;
    assert.deepEqual(inside.slice(0, 2).map((f) => [f.name, f.line]), [
      ['split_external_spt', lineIn(file, 'split_external_spt', /kvm_x86_call\(split_external_spt\)/)], ['tdp_mmu_set_spte', callLine]]);
  });

  it('moves a breakpoint on an unsimulated line to the nearest decision point, and explains the rest', async () => {
    const file = tdpMmuC('hugepage-rfc-v2');
    const fnLine = lineIn(file, 'tdp_mmu_set_spte', /tdp_mmu_set_spte\(/);
    const hcs = lineIn(file, 'tdp_mmu_set_spte', /handle_changed_spte\(/);
    const blank = hcs + 1;
    assert.equal(fs.readFileSync(file, 'utf8').split('\n')[blank - 1].trim(), '', 'the fixture has a blank line right after the handle_changed_spte() call');
    await launchWith(a.dc, { scenario: SPLIT, kernelTree: tree('hugepage-rfc-v2'), stopOnEntry: true });
    const r = await a.dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: blank }, { line: 1 }, { line: fnLine }] });
    const [moved, outside, entry] = r.body.breakpoints;
    assert.deepEqual([moved.verified, moved.line], [true, hcs]);
    assert.equal(moved.message, `moved from line ${blank}: nothing is simulated there; nearest decision point in tdp_mmu_set_spte(): bookkeeping for the change (exclusive)`);
    assert.deepEqual([outside.verified, outside.message?.startsWith('line 1 is not inside a function the simulator models')], [false, true]);
    assert.deepEqual([entry.verified, entry.line], [true, fnLine]);
    // The function's first line stops on the call of tdp_mmu_set_spte itself.
    const st = await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    assert.equal(st.body.reason, 'breakpoint');
    assert.equal((await topFrame(a)).name, 'tdp_mmu_set_spte');
    assert.equal((await topFrame(a)).line, fnLine);
  });

  it('without a kernel tree, frames are symbolic listings and kernel lines cannot be verified', async () => {
    await launchWith(a.dc, { scenario: SPLIT, stopOnEntry: true }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tdp_mmu_set_spte' }] });
    });
    await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    const top = await topFrame(a);
    assert.equal(top.name, 'tdp_mmu_set_spte');
    assert.equal(top.source?.path, undefined);
    assert.equal(top.source?.name, 'tdp_mmu.c (not in this tree)');
    const src = await a.dc.sourceRequest({ sourceReference: top.source!.sourceReference!, source: top.source });
    const listing = src.body.content.split('\n');
    assert.match(listing[top.line - 1], /^tdp_mmu_set_spte: set an SPTE under write mmu_lock/);
    assert.ok(listing.some((l) => l.startsWith('tdp_mmu_set_spte.split_external_spt: ')));
  });

  it('function breakpoints by kernel, hook and SEAMCALL name; unknown names are refused', async () => {
    const rec = simulated(SPLIT);
    let bps: DebugProtocol.Breakpoint[] = [];
    const st = await launchWith(a.dc, { scenario: SPLIT }, async () => {
      bps = (await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'TDH.MEM.PAGE.DEMOTE' }, { name: 'tdp_mmu_set_spte_atomik' }] })).body.breakpoints;
    });
    assert.equal(bps[0].verified, true);
    assert.equal(bps[1].verified, false);
    assert.match(bps[1].message!, /'tdp_mmu_set_spte_atomik' is not a function, hook or SEAMCALL the simulator models \(did you mean .*tdp_mmu_set_spte_atomic/);
    assert.equal(st.body.reason, 'function breakpoint');
    const demote = events(rec).find((e) => e.fn === 'TDH.MEM.PAGE.DEMOTE')!;
    assert.equal(await seqNow(a), demote.seq);
    // Stopped on the SEAMCALL: its caller is the top frame, the SEAMCALL and its result are the
    // "Calling" scope; a condition on the breakpoint would see the SEAMCALL's own values.
    const top = await topFrame(a);
    assert.equal(top.name, demote.stack[demote.stack.length - 2]);
    const calling = await scopeVars(a.dc, top.id, 'Calling SEAMCALL TDH.MEM.PAGE.DEMOTE()');
    assert.equal(calling.get('ret')!.value, JSON.stringify(demote.result));
  });

  it('conditional and hit-count breakpoints stop where the simulated values say', async () => {
    const evs = events(simulated(SPLIT));
    const firstL2 = evs.find((e) => e.fn === 'handle_changed_spte' && e.gfn === 0x200 && e.level === 2)!;
    const third = evs.filter((e) => e.fn === 'handle_changed_spte')[2];
    await launchWith(a.dc, { scenario: SPLIT }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle_changed_spte', condition: 'gfn == 0x200 && level == 2 && is_mirror' }] });
    });
    assert.equal(await seqNow(a), firstL2.seq);
    const args = await scopeVars(a.dc, 1, 'Arguments');
    assert.equal(args.get('level')!.value, '2 (2M)');
    await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle_changed_spte', hitCondition: '== 3' }] });
    const back = await stopAfter(a.dc, () => a.dc.reverseContinueRequest({ threadId: 1 }));
    if (third.seq < firstL2.seq) assert.equal(await seqNow(a), third.seq);
    else assert.equal(back.body.reason, 'start');
    await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle_changed_spte', condition: 'nope == 1' }] }).then((r) => {
      assert.equal(r.body.breakpoints[0].verified, false);
      assert.equal(r.body.breakpoints[0].message, "condition: unknown name 'nope'");
    });
  });

  it('a data breakpoint on a mirror SPTE stops at every event that writes it ("who wrote this SPTE?")', async () => {
    const writers = events(simulated(SPLIT)).filter((e) => (e.writes ?? []).some((w) => w.table === 'mirror' && w.gfn === 0x200 && w.level === 2 && w.old !== w.new));
    assert.ok(writers.length >= 2, 'the scenario maps then splits gfn 0x200');
    await launchWith(a.dc, { scenario: SPLIT, stopOnEntry: true });
    const info = await a.dc.dataBreakpointInfoRequest({ name: 'spte(mirror, 0x200, 2)' });
    assert.equal(info.body.dataId, 'mirror:0x200:2');
    const set = await a.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    for (const w of writers) {
      const st = await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
      assert.equal(st.body.reason, 'data breakpoint');
      assert.match(st.body.description!, /wrote the mirror entry for gfn 0x200 at level 2 \(2M\)/);
      assert.equal(await seqNow(a), w.seq);
    }
    const end = await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    assert.equal(end.body.reason, 'end');
    // The same entry offered from the Variables view.
    await stopAfter(a.dc, () => a.dc.reverseContinueRequest({ threadId: 1 }));
    const scopes = await a.dc.scopesRequest({ frameId: 1 });
    const argsRef = scopes.body.scopes.find((s) => s.name === 'Arguments')!.variablesReference;
    const fromVar = await a.dc.dataBreakpointInfoRequest({ variablesReference: argsRef, name: 'sptep' });
    assert.equal(fromVar.body.dataId, 'mirror:0x200:2');
  });

  it('variables: kernel-named arguments with decoded SPTEs, mmu_lock, the S-EPT entry and the VM status', async () => {
    const rec = simulated(SPLIT);
    const ev = events(rec).find((e) => e.fn === 'tdp_mmu_set_spte')!;
    await launchWith(a.dc, { scenario: SPLIT }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tdp_mmu_set_spte' }] });
    });
    const args = await scopeVars(a.dc, 1, 'Arguments');
    assert.deepEqual([...args.keys()].slice(0, 6), ['kvm', 'sptep', 'gfn', 'level', 'old_spte', 'new_spte']);
    assert.equal(args.get('gfn')!.value, '0x200');
    assert.match(args.get('old_spte')!.value, new RegExp(`^0x${ev.old_spte!.toString(16)} \\(leaf at 2M`));
    assert.match(args.get('new_spte')!.value, /\(non-leaf at 2M → page table at pfn 0x[0-9a-f]+\)$/);
    const fields = await a.dc.variablesRequest({ variablesReference: args.get('new_spte')!.variablesReference });
    const byName = new Map(fields.body.variables.map((v) => [v.name, v]));
    assert.match(byName.get('SPTE_MMU_PRESENT [11]')!.value, /^0x1 /);
    assert.match(byName.get('large [7]')!.value, /^0x0 +points to a page table/);
    assert.equal(byName.get('large [7]')!.evaluateName, 'new_spte.large');
    const sim = await scopeVars(a.dc, 1, 'Simulation');
    assert.equal(sim.get('mmu_lock')!.value, 'held for write');
    assert.equal(sim.get('kvm')!.value, 'VM running');
    const sept = events(rec).slice(0, ev.seq + 1).reverse().find((e) => e.fn === 'TDH.MEM.PAGE.AUG');
    assert.ok(sept, 'the 2M page was added to the S-EPT before the split');
    assert.match(sim.get('S-EPT entry (gfn 0x200)')!.value, /\((PENDING|MAPPED) 2M page pfn 0x[0-9a-f]+\)$/);
  });

  it('evaluates SPTE predicates and GFN/SPTE lookups (watch, hover, console)', async () => {
    const ev = events(simulated(SPLIT)).find((e) => e.fn === 'tdp_mmu_set_spte')!;
    await launchWith(a.dc, { scenario: SPLIT }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tdp_mmu_set_spte' }] });
    });
    assert.equal(await evaluate(a, 'is_shadow_present_pte(new_spte)'), String(is_shadow_present_pte(ev.new_spte!)));
    assert.equal(await evaluate(a, 'is_last_spte(old_spte, level)'), String(is_last_spte(ev.old_spte!, 2)));
    assert.equal(await evaluate(a, 'is_last_spte(new_spte, level)'), String(is_last_spte(ev.new_spte!, 2)));
    assert.match(await evaluate(a, 'spte(mirror, 0x200, 2)'), new RegExp(`^0x${ev.new_spte!.toString(16)} `));
    const hover = await a.dc.evaluateRequest({ expression: 'old_spte', frameId: 1, context: 'hover' });
    assert.ok(hover.body.variablesReference > 0, 'an SPTE hover expands into fields');
    await assert.rejects(a.dc.evaluateRequest({ expression: 'gfn ==', frameId: 1, context: 'repl' }), /unexpected end of expression \(column 7\)/);
  });

  it('steps back and reverse-continues to the previous breakpoint, restoring the simulated state', async () => {
    const hcs = events(simulated(SPLIT)).filter((e) => e.fn === 'handle_changed_spte');
    await launchWith(a.dc, { scenario: SPLIT }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle_changed_spte' }] });
    });
    assert.equal(await seqNow(a), hcs[0].seq);
    const walkAt1 = await evaluate(a, 'spte(mirror, 0x200, 3)');
    await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    assert.equal(await seqNow(a), hcs[1].seq);
    assert.notEqual(await evaluate(a, 'spte(mirror, 0x200, 3)'), walkAt1, 'the 1G-level entry was linked in between');
    const back = await stopAfter(a.dc, () => a.dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(back.body.reason, 'function breakpoint');
    assert.equal(await seqNow(a), hcs[0].seq);
    assert.equal(await evaluate(a, 'spte(mirror, 0x200, 3)'), walkAt1);
    // Step back = reverse step over: to the previous event of the same call, or the caller.
    const stepped = await stopAfter(a.dc, () => a.dc.stepBackRequest({ threadId: 1 }));
    assert.equal(stepped.body.reason, 'step');
    const now = await seqNow(a);
    const rec = simulated(SPLIT);
    const parent = rec.event(hcs[0].seq).parent;
    assert.ok(now < hcs[0].seq && (rec.event(now).parent === parent || now === parent), `stepped back to #${now}`);
  });

  it('next, stepIn and stepOut follow the modelled call stack', async () => {
    const rec = simulated(SPLIT);
    await launchWith(a.dc, { scenario: SPLIT }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tdp_mmu_set_spte' }] });
    });
    const at = await seqNow(a);
    await a.dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await stopAfter(a.dc, () => a.dc.stepInRequest({ threadId: 1 }));
    assert.equal(await seqNow(a), at + 1);
    assert.equal(rec.event(at + 1).parent, at);
    await stopAfter(a.dc, () => a.dc.stepOutRequest({ threadId: 1 }));
    const out = await seqNow(a);
    for (let s = at + 1; s < out; s++) {
      let p = rec.event(s).parent;
      while (p !== null && p !== at) p = rec.event(p).parent;
      assert.equal(p, at, `#${s} skipped by step out is inside tdp_mmu_set_spte`);
    }
    assert.ok(out > at);
  });

  it('stops on KVM_BUG_ON when the mainline profile meets the split (exception filter)', async () => {
    const bug = events(simulated(SPLIT_MAINLINE)).find((e) => e.kind === 'kvm_bug')!;
    assert.ok(bug, 'mainline bugs the VM on a mirror split');
    const filters = (await a.dc.initializeRequest()).body?.exceptionBreakpointFilters ?? [];
    assert.deepEqual(filters.map((f) => f.label), ['KVM_BUG_ON', 'invariant violation', 'SEAMCALL error', 'WARN_ON']);
    const st = await launchWith(a.dc, { scenario: SPLIT_MAINLINE, kernelTree: tree('mainline') }, async () => {
      await a.dc.setExceptionBreakpointsRequest({ filters: ['kvm_bug'] });
    });
    assert.equal(st.body.reason, 'exception');
    assert.equal(await seqNow(a), bug.seq);
    const info = await a.dc.exceptionInfoRequest({ threadId: a.thread() });
    assert.equal(info.body.exceptionId, 'KVM_BUG_ON');
    assert.equal(info.body.description, bug.message);
    const top = await topFrame(a);
    assert.equal(top.name, 'tdp_mmu_set_spte');
    assert.deepEqual([top.source?.path, top.line], [tdpMmuC('mainline'), lineIn(tdpMmuC('mainline'), 'tdp_mmu_set_spte', /KVM_BUG_ON\(is_shadow_present_pte\(new_spte\)/)]);
    assert.equal(await evaluate(a, 'vm_bugged'), 'true');
  });

  it('a breakpoint in the scenario file stops at the first event of that step', async () => {
    const rec = simulated(SPLIT);
    const line = yamlLine(SPLIT, /- split:/);
    let bp: DebugProtocol.Breakpoint | undefined;
    const st = await launchWith(a.dc, { scenario: SPLIT }, async () => {
      bp = (await a.dc.setBreakpointsRequest({ source: { path: SPLIT }, breakpoints: [{ line }] })).body.breakpoints[0];
    });
    assert.deepEqual([bp!.verified, bp!.line], [true, line]);
    assert.equal(st.body.reason, 'breakpoint');
    assert.equal(await seqNow(a), rec.steps[1].firstSeq);
  });

  it('logpoints print simulated values without stopping', async () => {
    const file = tdpMmuC('hugepage-rfc-v2');
    const callLine = lineIn(file, 'tdp_mmu_set_spte', /split_external_spt\(/);
    const output: string[] = [];
    a.dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const st = await launchWith(a.dc, { scenario: SPLIT, kernelTree: tree('hugepage-rfc-v2') }, async () => {
      await a.dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: callLine, logMessage: 'split at gfn {gfn} level {level}: {is_last_spte(old_spte, level)}' }] });
    });
    assert.equal(st.body.reason, 'end', 'a logpoint never stops');
    assert.ok(output.includes('split at gfn 0x200 level 2 (2M): true\n'), output.join(''));
  });

  it('tdpSeek moves the session and tdpPosition reports every stop (the stepper bridge)', async () => {
    const positions: number[] = [];
    a.dc.on('tdpPosition', (e: DebugProtocol.Event) => positions.push(e.body.seq));
    await launchWith(a.dc, { scenario: SPLIT, stopOnEntry: true });
    const stopped = a.dc.waitForEvent('stopped');
    const r = await a.dc.customRequest('tdpSeek', { seq: 45 });
    assert.deepEqual(r.body, { seq: 45 });
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'goto');
    assert.equal(await seqNow(a), 45);
    assert.deepEqual(positions, [0, 45]);
    const clamped = await a.dc.customRequest('tdpSeek', { seq: 10 ** 9 });
    assert.equal(clamped.body.seq, simulated(SPLIT).length - 1);
    await assert.rejects(a.dc.customRequest('tdpSeek', { seq: 'x' }), /'seq' must be an integer/);
  });

  it('pause while stopped reports a pause stop where it is; continue at the end stays at the end', async () => {
    await launchWith(a.dc, { scenario: SPLIT, stopOnEntry: true });
    await stopAfter(a.dc, () => a.dc.nextRequest({ threadId: 1 }));
    const at = await seqNow(a);
    const paused = await stopAfter(a.dc, () => a.dc.pauseRequest({ threadId: 1 }));
    assert.equal(paused.body.reason, 'pause');
    assert.equal(await seqNow(a), at);
    const end = await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    assert.equal(end.body.reason, 'end');
    const last = simulated(SPLIT).length - 1;
    assert.equal(await seqNow(a), last);
    const again = await stopAfter(a.dc, () => a.dc.nextRequest({ threadId: 1 }));
    assert.deepEqual([again.body.reason, await seqNow(a)], ['end', last]);
  });

  it('pause interrupts a run in progress', async () => {
    // A run yields to other requests every `runSlice` events; one event per slice here.
    const slow = await startAdapter({ ...defaultSessionDeps({ env: {} }), runSlice: 1 });
    try {
      const td = path.join(REPO, 'scenarios/td-teardown.tdpsim.yaml');
      await launchWith(slow.dc, { scenario: td, stopOnEntry: true });
      const stopped = slow.dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await slow.dc.continueRequest({ threadId: 1 });
      await slow.dc.pauseRequest({ threadId: 1 });
      const st = await stopped;
      assert.equal(st.body.reason, 'pause');
      const at = Number((await slow.dc.evaluateRequest({ expression: 'seq', frameId: 1, context: 'watch' })).body.result);
      assert.ok(at > 0 && at < simulated(td).length - 1, `paused mid-run at #${at}`);
    } finally {
      await slow.close();
    }
  });

  it('restart re-simulates and keeps the breakpoints', async () => {
    await launchWith(a.dc, { scenario: SPLIT }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'split_external_spt' }] });
    });
    const first = await seqNow(a);
    await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    const st = await stopAfter(a.dc, () => a.dc.restartRequest({}));
    assert.equal(st.body.reason, 'function breakpoint');
    assert.equal(await seqNow(a), first);
  });

  it('replays an ftrace/trace-cmd file: frames at the trace line, findings stop on "invariant violation"', async () => {
    const trace = path.join(REPO, 'test/fixtures/trace/td-conversion.trace-cmd.txt');
    const t = await importTraceFile(trace);
    const rec = t.vms[0].recording;
    const finding = t.findings[0];
    assert.ok(finding, 'the fixture has a mirror present → present change');
    const inv = events(rec).find((e) => e.kind === 'invariant')!;
    const st = await launchWith(a.dc, { scenario: trace, kernelTree: tree('mainline') }, async () => {
      await a.dc.setExceptionBreakpointsRequest({ filters: ['invariant'] });
    });
    assert.equal(st.body.reason, 'exception');
    assert.equal(await seqNow(a), inv.seq);
    const info = await a.dc.exceptionInfoRequest({ threadId: a.thread() });
    assert.deepEqual([info.body.exceptionId, info.body.description], ['invariant violation', finding.message]);
    const frames = (await a.dc.stackTraceRequest({ threadId: a.thread() })).body.stackFrames;
    const bottom = frames[frames.length - 1];
    assert.deepEqual([bottom.source?.path, bottom.line], [trace, finding.line]);
    assert.ok(frames.some((f) => f.name === 'handle_changed_spte' && f.source?.path === tdpMmuC('mainline')), frames.map((f) => f.name).join(' < '));
    // A breakpoint on a trace line stops at that record's first event.
    const firstLine = rec.lineOf(0);
    const bp = await a.dc.setBreakpointsRequest({ source: { path: trace }, breakpoints: [{ line: firstLine }] });
    assert.deepEqual([bp.body.breakpoints[0].verified, bp.body.breakpoints[0].line], [true, firstLine]);
    await stopAfter(a.dc, () => a.dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(await seqNow(a), 0);
  });

  it('a trace of several address spaces: the one with the most events, or the one "addressSpace" names', async () => {
    const trace = path.join(REPO, 'test/fixtures/trace/vmx-smm.ftrace.txt');
    const smmLine = fs.readFileSync(trace, 'utf8').split('\n').findIndex((l) => l.includes('as id 1')) + 1;
    const output: string[] = [];
    a.dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    await launchWith(a.dc, { scenario: trace, stopOnEntry: true });
    assert.ok(output.some((o) => o.includes('records as vm (vmx:')), output.join(''));
    assert.ok(output.some((o) => o.includes('also has vm/as1 (5 events), not debugged in this session (launch attribute "addressSpace": "vm/as1")')), output.join(''));
    await a.dc.disconnectRequest({});

    const b = await startAdapter(defaultSessionDeps({ env: {} }));
    try {
      await launchWith(b.dc, { scenario: trace, addressSpace: 'vm/as1', stopOnEntry: true });
      const frames = (await b.dc.stackTraceRequest({ threadId: b.thread() })).body.stackFrames;
      assert.deepEqual([frames[frames.length - 1].source?.path, frames[frames.length - 1].line], [trace, smmLine], 'stopped on the first SMM record');
      await b.dc.disconnectRequest({});
    } finally {
      await b.close();
    }
    const c = await startAdapter(defaultSessionDeps({ env: {} }));
    try {
      await c.dc.initializeRequest();
      await assert.rejects(c.dc.launchRequest({ scenario: trace, addressSpace: 'tgid:7' } as DebugProtocol.LaunchRequestArguments),
        /vmx-smm\.ftrace\.txt has no address space 'tgid:7'; it has vm \(17 events\), vm\/as1 \(5 events\)/);
      const fault = path.join(REPO, 'scenarios/private-4k-fault.tdpsim.yaml');
      await assert.rejects(c.dc.launchRequest({ scenario: fault, addressSpace: 'vm' } as DebugProtocol.LaunchRequestArguments), /'addressSpace' is for traces; .*private-4k-fault\.tdpsim\.yaml is a scenario/);
      await assert.rejects(c.dc.launchRequest({ scenario: trace, addressSpace: 5 } as unknown as DebugProtocol.LaunchRequestArguments), /'addressSpace' must name an address space of the trace, e\.g\. "vm\/as1" \(got 5\)/);
    } finally {
      await c.close();
    }
  });

  it('"vmIdentity": "tgid" replays each VMM process of a host trace as its own VM', async () => {
    const trace = path.join(REPO, 'test/fixtures/trace/two-vms-tgid.ftrace.txt');
    const output: string[] = [];
    a.dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    await launchWith(a.dc, { scenario: trace, vmIdentity: 'tgid', stopOnEntry: true });
    assert.ok(output.some((o) => o.includes('records as tgid:3100 (vmx:')), output.join(''));
    assert.ok(output.some((o) => o.includes('also has tgid:4100 (7 events)')), output.join(''));
    assert.ok(!output.some((o) => o.includes('old-spte') || o.includes('warning:')), 'no findings once the VMs are apart');
    await a.dc.disconnectRequest({});
    const b = await startAdapter(defaultSessionDeps({ env: {} }));
    try {
      await b.dc.initializeRequest();
      await assert.rejects(b.dc.launchRequest({ scenario: trace, vmIdentity: 'pid' } as unknown as DebugProtocol.LaunchRequestArguments), /'vmIdentity' must be "single" or "tgid" \(got "pid"\)/);
      const fault = path.join(REPO, 'scenarios/private-4k-fault.tdpsim.yaml');
      await assert.rejects(b.dc.launchRequest({ scenario: fault, vmIdentity: 'tgid' } as DebugProtocol.LaunchRequestArguments), /'vmIdentity' is for traces/);
    } finally {
      await b.close();
    }
  });

  it('a launch of something that is neither a scenario nor a trace says so', async () => {
    await a.dc.initializeRequest();
    const junk = path.join(REPO, 'test/fixtures/trace/not-a-trace.txt');
    await assert.rejects(a.dc.launchRequest({ scenario: junk } as DebugProtocol.LaunchRequestArguments), /is neither a \*\.tdpsim\.yaml scenario nor a trace/);
  });

  it('the launch profile overrides the scenario\'s; an unusable kernel tree leaves frames symbolic, with the reason', async () => {
    const output: string[] = [];
    a.dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const fault = path.join(REPO, 'scenarios/private-4k-fault.tdpsim.yaml');
    await launchWith(a.dc, { scenario: fault, profile: 'hugepage-rfc-v2', kernelTree: path.join(REPO, 'no/such/tree'), stopOnEntry: true }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tdp_mmu_set_spte_atomic' }] });
    });
    assert.ok(output.some((o) => /: \d+ events, profile hugepage-rfc-v2, no kernel tree/.test(o)), output.join(''));
    assert.ok(output.some((o) => o.includes(`kernel tree ${path.join(REPO, 'no/such/tree')} cannot be used: `)), output.join(''));
    await stopAfter(a.dc, () => a.dc.continueRequest({ threadId: 1 }));
    const top = await topFrame(a);
    assert.equal(top.source?.path, undefined);
    assert.equal(top.source?.name, 'tdp_mmu.c (not in this tree)');
  });

  it('a condition can use the SPTE predicates', async () => {
    const zap = path.join(REPO, 'scenarios/zap-private-leaves.tdpsim.yaml');
    const want = events(simulated(zap)).find((e) => e.fn === 'tdp_mmu_set_spte' && e.new_spte !== undefined && !is_shadow_present_pte(e.new_spte) && e.old_spte !== undefined && is_last_spte(e.old_spte, e.level!))!;
    await launchWith(a.dc, { scenario: zap }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tdp_mmu_set_spte', condition: '!is_shadow_present_pte(new_spte) && is_last_spte(old_spte, level)' }] });
    });
    assert.equal(await seqNow(a), want.seq);
  });

  it('maxEvents ends the recording there and says so, for a scenario and for a trace', async () => {
    const output: string[] = [];
    a.dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const fault = path.join(REPO, 'scenarios/private-4k-fault.tdpsim.yaml');
    await launchWith(a.dc, { scenario: fault, maxEvents: 12, stopOnEntry: true });
    assert.ok(output.some((o) => o.includes(`${fault}: the simulation stopped after 12 events (maxEvents)`)), output.join(''));
    assert.ok(output.some((o) => /: 12 events, profile mainline/.test(o)), output.join(''));
    await a.dc.disconnectRequest({});

    const b = await startAdapter(defaultSessionDeps({ env: {} }));
    try {
      const lines: string[] = [];
      b.dc.on('output', (e: DebugProtocol.OutputEvent) => lines.push(e.body.output));
      const trace = path.join(REPO, 'test/fixtures/trace/vmx-dirty-log.ftrace.txt');
      await launchWith(b.dc, { scenario: trace, maxEvents: 5, stopOnEntry: true });
      assert.ok(lines.some((o) => o.startsWith(`${trace}:`) && o.includes(': the replay stopped here after 5 events (maxEvents)')), lines.join(''));
    } finally {
      await b.close();
    }
  });

  it('a maxEvents that is not a positive integer fails the launch', async () => {
    await a.dc.initializeRequest();
    const fault = path.join(REPO, 'scenarios/private-4k-fault.tdpsim.yaml');
    await assert.rejects(a.dc.launchRequest({ scenario: fault, maxEvents: 0 } as DebugProtocol.LaunchRequestArguments), /'maxEvents' must be a positive integer \(got 0\)/);
  });

  it('a race: one thread per vCPU; the other vCPU shows where it last ran, with its own values', async () => {
    const race = path.join(REPO, 'scenarios/race-frozen-spte.tdpsim.yaml');
    const evs = events(simulated(race));
    // The losing vCPU's failed freeze, and vCPU 0's latest event before it.
    const lost = evs.find((e) => e.vcpu === 1 && e.fn === 'try_cmpxchg64' && e.result === 'false')
      ?? evs.find((e) => e.vcpu === 1 && e.kind === 'call' && e.fn === 'tdp_mmu_set_spte_atomic')!;
    const other = [...evs.slice(0, lost.seq)].reverse().find((e) => e.vcpu === 0)!;
    const st = await launchWith(a.dc, { scenario: race }, async () => {
      await a.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: lost.fn, condition: `vcpu == 1 && seq == ${lost.seq}` }] });
    });
    assert.equal(await seqNow(a), lost.seq);
    const threads = (await a.dc.threadsRequest()).body.threads;
    assert.deepEqual(threads.map((t) => t.name), ['VM (ioctls, MMU notifiers, teardown)', 'vCPU 0', 'vCPU 1']);
    assert.equal(st.body.threadId, 3, 'stopped on vCPU 1');
    assert.equal(st.body.allThreadsStopped, true);
    const mine = (await a.dc.stackTraceRequest({ threadId: 3 })).body.stackFrames;
    const theirs = (await a.dc.stackTraceRequest({ threadId: 2 })).body.stackFrames;
    assert.ok(theirs.length > 1, 'vCPU 0 has a stack');
    assert.ok(theirs.every((f) => f.id > 20000) && mine.every((f) => f.id < 10000), 'frame ids are per thread');
    assert.equal(theirs[theirs.length - 1].name, mine[mine.length - 1].name, 'both run in the race step');
    // vCPU 0's top frame is its latest event (or, for a call not entered yet, the caller).
    assert.ok([other.stack[other.stack.length - 1], other.stack[other.stack.length - 2]].includes(theirs[0].name), `${theirs[0].name} vs ${other.stack.join(' > ')}`);
    assert.ok((await a.dc.scopesRequest({ frameId: theirs[0].id })).body.scopes.length > 0, 'its frames have scopes');
    // Session-wide names stay the position's, whichever frame asks.
    assert.equal(await evaluate(a, 'vcpu', theirs[0].id), '1');
    // The VM-wide thread has not run anything yet in this scenario.
    assert.deepEqual((await a.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames, []);
  });

  it('a scenario with errors fails the launch with file:line:column', async () => {
    await a.dc.initializeRequest();
    const bad = path.join(REPO, 'test/fixtures/scenarios/bad-levels.tdpsim.yaml');
    await assert.rejects(a.dc.launchRequest({ scenario: bad } as DebugProtocol.LaunchRequestArguments), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
  });
});

describe('debug/inputs: what a launch\'s scenario attribute names', () => {
  it('a YAML file is a scenario, anything else a trace (adapter, configuration provider and stepper bridge alike)', () => {
    for (const f of ['a.tdpsim.yaml', 'dir/b.tdpsim.yml', 'C.YAML', 'plain.yaml']) assert.equal(isScenarioFile(f), true, f);
    for (const f of ['trace.txt', 'report.dat', 'x.yaml.txt', 'yaml']) assert.equal(isScenarioFile(f), false, f);
  });
});
