// `tdp-sim run <scenario>`: simulate a *.tdpsim.yaml scenario and print what the kernel did,
// event by event, then a summary and the scenario's expectations. The exit status makes
// scenarios usable as regression tests in CI.
import { parseArgs } from 'util';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import { PROFILE_NAMES, SimInputError, eventToJSON, hex64, levelName, simulateWithProfile } from '../../sim';
import type { ProfileName, Recording, SourceLocation } from '../../sim';
import type { Scenario } from '../../sim/scenario-types';
import { describeWhatIf, effectiveProfile, formatIssue, loadScenarioFile, ScenarioError } from '../../sim/scenario';

const USAGE = `usage: tdp-sim run <scenario.tdpsim.yaml> [--profile P] [--json] [--quiet]

Simulates the scenario and prints every event (modelled kernel call, external hook, SEAMCALL,
KVM_BUG_ON, invariant violation) as a table, then a summary and the result of each expect step.

  --profile P   run on kernel profile P instead of the scenario's (${PROFILE_NAMES.join(', ')})
  --json        print one JSON document instead (see README, "Command line")
  --quiet       leave out the event table (and "events" in --json)

exit status: 0 every expectation held and no invariant broke, 1 otherwise,
             2 bad scenario or usage (errors name file:line:column)
`;

interface Options { file: string; profile?: ProfileName; json: boolean; quiet: boolean }

function parse(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { profile: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE.split('\n')[0]}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected one scenario file, got ${positionals.length}\n${USAGE.split('\n')[0]}`);
  const profile = values.profile;
  if (profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(profile)) {
    throw new UsageError(`unknown profile '${profile}' (expected one of: ${PROFILE_NAMES.join(', ')})`);
  }
  return { file: positionals[0], profile: profile as ProfileName | undefined, json: !!values.json, quiet: !!values.quiet };
}

// ---- summary ------------------------------------------------------------------------------

interface Notice { seq: number; fn: string; anchor: string | null; message: string }

export interface RunSummary {
  events: number;
  /** Events per name, every kind but 'step' (functions, hooks, SEAMCALLs, KVM_BUG_ON, WARN_ON_ONCE,
   *  invariant names): what `expect.calls` counts. */
  calls: Record<string, number>;
  /** Per SEAMCALL, how often each result came back. */
  seamcall_results: Record<string, Record<string, number>>;
  kvm_bug: Notice | null;
  warnings: Notice[];
  invariant_violations: Notice[];
}


/** Events per kind and name, for the grouped text summary (a name can be both a tdp_mmu.c
 *  helper and the kvm_x86_ops hook it calls, e.g. split_external_spt). */
type ByKind = Map<string, Map<string, number>>;

function summarize(rec: Recording): { summary: RunSummary; byKind: ByKind } {
  const calls = new Map<string, number>();
  const byKind: ByKind = new Map();
  const results = new Map<string, Map<string, number>>();
  const summary: RunSummary = { events: rec.length, calls: {}, seamcall_results: {}, kvm_bug: null, warnings: [], invariant_violations: [] };
  for (let seq = 0; seq < rec.length; seq++) {
    const e = rec.event(seq);
    if (e.kind !== 'step') {
      calls.set(e.fn, (calls.get(e.fn) ?? 0) + 1);
      const k = byKind.get(e.kind) ?? new Map<string, number>();
      k.set(e.fn, (k.get(e.fn) ?? 0) + 1);
      byKind.set(e.kind, k);
    }
    if (e.kind === 'seamcall') {
      const r = results.get(e.fn) ?? new Map<string, number>();
      const result = e.result ?? '?';
      r.set(result, (r.get(result) ?? 0) + 1);
      results.set(e.fn, r);
    }
    const notice = { seq, fn: e.fn, anchor: e.anchor, message: e.message ?? '' };
    if (e.kind === 'kvm_bug' && !summary.kvm_bug) summary.kvm_bug = notice;
    if (e.kind === 'warn') summary.warnings.push(notice);
    if (e.kind === 'invariant') summary.invariant_violations.push(notice);
  }
  // Sorted by name: the JSON must not depend on anything but the recording's content.
  for (const name of [...calls.keys()].sort()) summary.calls[name] = calls.get(name)!;
  for (const name of [...results.keys()].sort()) {
    const r = results.get(name)!;
    summary.seamcall_results[name] = Object.fromEntries([...r.keys()].sort().map((k) => [k, r.get(k)!]));
  }
  return { summary, byKind };
}

/** Exit status: expectations decide; invariant violations fail the run unless an expect step
 *  says `invariants_ok: false` (a scenario that demonstrates a broken invariant). */
function verdict(scenario: Scenario, rec: Recording, summary: RunSummary): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const failed = rec.expectations.filter((x) => !x.ok).length;
  if (failed) reasons.push(`${failed} expectation(s) failed`);
  const acknowledged = scenario.steps.some((s) => s.op === 'expect' && s.invariants_ok === false);
  if (summary.invariant_violations.length && !acknowledged) reasons.push(`${summary.invariant_violations.length} invariant violation(s)`);
  return { ok: reasons.length === 0, reasons };
}

// ---- text output ----------------------------------------------------------------------------

/** Writes long output in pieces instead of one huge string. */
class Chunked {
  private lines: string[] = [];
  constructor(private io: CliIO) {}
  line(s = ''): void {
    this.lines.push(s);
    if (this.lines.length >= 2000) this.flush();
  }
  flush(): void {
    if (this.lines.length) this.io.out(this.lines.join('\n') + '\n');
    this.lines = [];
  }
}

/** 16384 pages → "64M". */
function memorySize(pages: number): string {
  let n = pages * 4;
  for (const unit of ['K', 'M', 'G']) {
    if (n % 1024 !== 0) return `${n}${unit}`;
    n /= 1024;
  }
  return `${n}T`;
}

function where(src: SourceLocation | undefined): string {
  return src ? `${src.file}:${src.line}` : '';
}

function printTable(rec: Recording, out: Chunked): void {
  const depth = new Int32Array(rec.length);
  out.line(`${'seq'.padStart(6)}  ${'function'.padEnd(44)} ${'vcpu'.padEnd(4)} ${'lock'.padEnd(5)} ${'root'.padEnd(6)} ${'gfn'.padEnd(10)} ${'lvl'.padEnd(4)} ${'old → new spte'.padEnd(41)} result`);
  for (let seq = 0; seq < rec.length; seq++) {
    const e = rec.event(seq);
    depth[seq] = e.parent === null ? 0 : depth[e.parent] + 1;
    if (e.kind === 'step') {
      const step = rec.steps[e.step];
      out.line(`${String(seq).padStart(6)}  ── step ${e.step + 1}: ${step?.op ?? e.fn} ${where(step?.source)}`.trimEnd());
      continue;
    }
    const mark = e.kind === 'kvm_bug' ? '!! ' : e.kind === 'invariant' ? '✗ ' : e.kind === 'warn' ? '! ' : '';
    const fn = ('  '.repeat(depth[seq]) + mark + e.fn).padEnd(44);
    const change = e.old_spte !== undefined || e.new_spte !== undefined
      ? `${e.old_spte === undefined ? '' : hex64(e.old_spte)} → ${e.new_spte === undefined ? '' : hex64(e.new_spte)}` : '';
    const result = e.kind === 'kvm_bug' || e.kind === 'warn' || e.kind === 'invariant' ? e.message ?? '' : e.result ?? '';
    out.line([
      String(seq).padStart(6) + ' ', fn, (e.vcpu === null ? '' : String(e.vcpu)).padEnd(4), (e.lock === 'none' ? '' : e.lock).padEnd(5), (e.root ?? '').padEnd(6),
      (e.gfn === undefined ? '' : '0x' + e.gfn.toString(16)).padEnd(10), (e.level === undefined ? '' : levelName(e.level)).padEnd(4),
      change.padEnd(41), result,
    ].join(' ').trimEnd());
  }
}

/** Longest list of warnings or invariant violations the text summary prints in full. */
const SUMMARY_LIST_MAX = 10;

function printSummary(scenario: Scenario, rec: Recording, summary: RunSummary, byKind: ByKind, v: { ok: boolean; reasons: string[] }, out: Chunked): void {
  const group = (kind: string): Array<[string, number]> => [...(byKind.get(kind) ?? new Map<string, number>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const more = (n: number) => { if (n > SUMMARY_LIST_MAX) out.line(`    ... and ${n - SUMMARY_LIST_MAX} more (all are in the event table and in --json)`); };
  // "name count" items, wrapped under their label.
  const list = (label: string, entries: Array<[string, number | string]>) => {
    const items = entries.map(([fn, n]) => `${fn} ${n}`);
    if (!items.length) { out.line(`  ${label.padEnd(13)} none`); return; }
    let line = `  ${label.padEnd(13)} `;
    items.forEach((item, i) => {
      const piece = item + (i + 1 < items.length ? ',' : '');
      if (line.trim().length > label.length && line.length + piece.length > 110) { out.line(line.trimEnd()); line = ' '.repeat(16); }
      line += piece + ' ';
    });
    out.line(line.trimEnd());
  };
  out.line();
  out.line('summary:');
  out.line(`  events:       ${summary.events}`);
  list('functions:', group('call'));
  list('hooks:', group('hook'));
  list('SEAMCALLs:', group('seamcall').map(([fn, n]): [string, string] => {
    const results = Object.entries(summary.seamcall_results[fn] ?? {}).map(([r, k]) => `${r} ${k}`).join(', ');
    return [fn, `${n} (${results})`];
  }));
  const bug = summary.kvm_bug;
  out.line(`  KVM_BUG_ON:   ${bug ? `at seq ${bug.seq}${bug.anchor ? ` (${bug.anchor})` : ''}: ${bug.message}` : 'none'}`);
  out.line(`  warnings:     ${summary.warnings.length === 0 ? 'none' : summary.warnings.length}`);
  for (const w of summary.warnings.slice(0, SUMMARY_LIST_MAX)) out.line(`    seq ${w.seq}: ${w.fn}${w.anchor ? ` (${w.anchor})` : ''}: ${w.message}`);
  more(summary.warnings.length);
  out.line(`  invariants:   ${summary.invariant_violations.length === 0 ? 'ok' : `${summary.invariant_violations.length} violation(s)`}`);
  for (const x of summary.invariant_violations.slice(0, SUMMARY_LIST_MAX)) out.line(`    seq ${x.seq}: ${x.fn}: ${x.message}`);
  more(summary.invariant_violations.length);
  out.line();
  out.line(rec.expectations.length ? 'expectations:' : 'expectations: none (add expect steps to make the scenario self-checking)');
  for (const x of rec.expectations) {
    const src = scenario.sources?.[x.step];
    const at = src ? `${src.file}:${src.line}` : `step ${x.step + 1}`;
    out.line(`  ${x.ok ? 'ok  ' : 'FAIL'}  ${at}: ${x.description}${x.ok ? '' : ` (actual: ${x.actual})`}`);
  }
  out.line();
  out.line(v.ok ? 'result: PASS' : `result: FAIL (${v.reasons.join('; ')})`);
}

// ---- JSON output ----------------------------------------------------------------------------

function printJson(scenario: Scenario, opts: Options, rec: Recording, summary: RunSummary, v: { ok: boolean }, io: CliIO): void {
  const head = {
    scenario: { name: scenario.name, file: opts.file, profile: rec.profile, profile_from: opts.profile ? '--profile' : 'file', what_if: describeWhatIf(scenario) },
    ok: v.ok,
    summary,
    expectations: rec.expectations.map((x) => ({
      step: x.step, source: scenario.sources?.[x.step] ?? null, description: x.description, ok: x.ok, actual: x.actual,
    })),
  };
  const text = JSON.stringify(head, null, 2);
  if (opts.quiet) { io.out(text + '\n'); return; }
  // Events are streamed, one per line, so a million-event recording never becomes one string.
  io.out(text.slice(0, text.lastIndexOf('}')).trimEnd() + ',\n  "events": [\n');
  let buf: string[] = [];
  for (let seq = 0; seq < rec.length; seq++) {
    buf.push('    ' + JSON.stringify(eventToJSON(rec.event(seq))) + (seq + 1 < rec.length ? ',' : ''));
    if (buf.length >= 2000) { io.out(buf.join('\n') + '\n'); buf = []; }
  }
  if (buf.length) io.out(buf.join('\n') + '\n');
  io.out('  ]\n}\n');
}

// ---- the command ------------------------------------------------------------------------------

async function run(args: string[], io: CliIO): Promise<number> {
  const opts = parse(args);
  let scenario: Scenario;
  try {
    scenario = loadScenarioFile(opts.file, { profile: opts.profile, cwd: io.cwd });
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    io.err(e.issues.map((i) => formatIssue(i) + '\n').join(''));
    if (opts.json) io.out(JSON.stringify({ errors: e.issues }, null, 2) + '\n');
    return 2;
  }
  let rec: Recording;
  try {
    rec = simulateWithProfile(scenario, effectiveProfile(scenario));
  } catch (e) {
    // The loader refuses what it can see statically; the model refuses the rest the same way.
    if (!(e instanceof SimInputError)) throw e;
    io.err(`${e.source ? '' : `${opts.file}: `}${e.message}\n`);
    if (opts.json) io.out(JSON.stringify({ errors: [{ file: e.source?.file ?? opts.file, line: e.source?.line ?? 0, column: e.source?.column ?? 0, message: e.message }] }, null, 2) + '\n');
    return 2;
  }
  const { summary, byKind } = summarize(rec);
  const v = verdict(scenario, rec, summary);
  if (opts.json) {
    printJson(scenario, opts, rec, summary, v, io);
  } else {
    const out = new Chunked(io);
    const vm = scenario.vm;
    out.line(`scenario: ${scenario.name}`);
    out.line(`file:     ${opts.file}`);
    out.line(`profile:  ${rec.profile}${opts.profile ? ' (--profile)' : ''}${describeWhatIf(scenario).map((w) => `, what-if: ${w}`).join('')}`);
    out.line(`vm:       ${vm.type}, ${memorySize(vm.pages)} (${vm.pages} pages), ${vm.vcpus} vCPU(s), ${vm.paging_levels}-level paging`);
    if (!opts.quiet) { out.line(); printTable(rec, out); }
    printSummary(scenario, rec, summary, byKind, v, out);
    out.flush();
  }
  return v.ok ? 0 : 1;
}

const command: CliCommand = {
  name: 'run',
  summary: 'run a *.tdpsim.yaml scenario; exit 1 if an expectation or invariant fails',
  usage: USAGE,
  run,
};

export default command;
