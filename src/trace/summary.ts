// What `tdp-sim trace` prints: events per type, per level, per root; how each VM was read;
// unknown and malformed lines with their first locations; the findings. One JSON-ready shape
// (bigints never appear) and its text rendering.
import type { TraceImport } from './import';
import type { RootInference } from './replay';
import type { FindingRule, Severity } from './rules';

export interface TraceSummary {
  file: string;
  format: string;
  tracer: string | null;
  lines: number;
  records: number;
  profile: string;
  perEvent: Record<string, number>;
  /** kvm_tdp_mmu_spte_changed per level / per root (all VMs). */
  perLevel: Record<string, number>;
  perRoot: Record<string, number>;
  vms: Array<{
    key: string;
    vmType: string;
    vmTypeReason: string;
    rootLevel: number;
    rootLevelReason: string;
    events: number;
    rootInference: Record<RootInference, number>;
  }>;
  unknown: { count: number; events: Array<{ name: string; count: number; firstLine: number }> };
  malformed: { count: number; first: Array<{ location: string; line: number; column: number; problem: string }> };
  lost: Array<{ cpu: number; count: number; line: number }>;
  findings: {
    count: number;
    bySeverity: Record<Severity, number>;
    byRule: Partial<Record<FindingRule, number>>;
    list: Array<{ location: string; line: number; vm: string; seq: number; rule: FindingRule; severity: Severity; message: string; anchor: string | null }>;
  };
  crossCheck?: unknown;
}

const add = (m: Record<string, number>, k: string, n: number): void => { m[k] = (m[k] ?? 0) + n; };

export function summarize(t: TraceImport): TraceSummary {
  const perLevel: Record<string, number> = {};
  const perRoot: Record<string, number> = {};
  for (const v of t.vms) {
    for (const [k, n] of Object.entries(v.counts.perLevel)) add(perLevel, k, n);
    for (const [k, n] of Object.entries(v.counts.perRoot)) add(perRoot, k, n);
  }
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const byRule: Partial<Record<FindingRule, number>> = {};
  for (const f of t.findings) {
    bySeverity[f.severity]++;
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  }
  return {
    file: t.file, format: t.parse.format, tracer: t.parse.tracer, lines: t.parse.lines, records: t.parse.records, profile: t.profile,
    perEvent: { ...t.parse.perEvent }, perLevel, perRoot,
    vms: t.vms.map((v) => ({
      key: v.key, vmType: v.plan.vmType, vmTypeReason: v.plan.vmTypeReason, rootLevel: v.plan.rootLevel,
      rootLevelReason: v.plan.rootLevelReason, events: v.recording.length, rootInference: { ...v.counts.rootInference },
    })),
    unknown: {
      count: t.parse.unknown.count,
      events: Object.entries(t.parse.unknown.events).map(([name, u]) => ({ name, count: u.count, firstLine: u.firstLine })).sort((a, b) => b.count - a.count || a.firstLine - b.firstLine),
    },
    malformed: { count: t.parse.malformed.count, first: t.parse.malformed.first.map((w) => ({ location: `${w.file}:${w.line}:${w.column}`, line: w.line, column: w.column, problem: w.problem })) },
    lost: t.parse.lost.map((l) => ({ ...l })),
    findings: {
      count: t.findings.length, bySeverity, byRule,
      list: t.findings.map((f) => ({ location: `${t.file}:${f.line}`, line: f.line, vm: f.vm, seq: f.seq, rule: f.rule, severity: f.severity, message: f.message, anchor: f.anchor })),
    },
  };
}

/** Findings that make `tdp-sim trace` exit 1 (info findings do not). */
export function hasProblems(s: TraceSummary): boolean {
  return s.findings.bySeverity.error + s.findings.bySeverity.warning > 0;
}

function table(rows: Array<[string, number]>, indent = '  '): string[] {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, n]) => `${indent}${k.padEnd(w)}  ${n}`);
}

/** The text report; `maxListed` bounds the findings and warnings printed (all are counted). */
export function formatSummary(s: TraceSummary, maxListed = 20): string {
  const out: string[] = [];
  out.push(`${s.file}: ${s.format === 'unknown' ? 'trace text' : s.format === 'ftrace' ? 'ftrace text' : 'trace-cmd report'}${s.tracer ? ` (tracer ${s.tracer})` : ''}, ${s.lines} lines, ${s.records} records, profile ${s.profile}`);
  out.push('', 'events:');
  out.push(...(Object.keys(s.perEvent).length ? table(Object.entries(s.perEvent).sort((a, b) => b[1] - a[1])) : ['  (none)']));
  if (Object.keys(s.perLevel).length) {
    out.push('', 'SPTE changes per level:', ...table(Object.entries(s.perLevel).sort().map(([k, n]) => [`level ${k}`, n] as [string, number])));
    out.push('', 'SPTE changes per root:', ...table(Object.entries(s.perRoot).sort()));
  }
  for (const v of s.vms) {
    out.push('', `${v.key}: ${v.vmType === 'tdx' ? 'TD' : 'non-TDX VM'}, ${v.rootLevel}-level roots, ${v.events} events`);
    out.push(`  vm type: ${v.vmTypeReason}`, `  paging: ${v.rootLevelReason}`);
    if (v.vmType === 'tdx') {
      const r = v.rootInference;
      out.push(`  root of each change decided by: shared bit ${r['shared-bit']}, consistency ${r.consistent}, fault ${r.fault}, parent ${r.parent}, assumed mirror ${r.assumed}`);
    }
  }
  if (s.unknown.count) {
    out.push('', `skipped ${s.unknown.count} records of other events:`);
    out.push(...s.unknown.events.slice(0, maxListed).map((u) => `  ${u.name}  ${u.count} (first at line ${u.firstLine})`));
  }
  if (s.malformed.count) {
    out.push('', `${s.malformed.count} malformed lines:`);
    out.push(...s.malformed.first.slice(0, maxListed).map((m) => `  ${m.location}: ${m.problem}`));
    if (s.malformed.count > Math.min(maxListed, s.malformed.first.length)) out.push(`  ... (${s.malformed.count - Math.min(maxListed, s.malformed.first.length)} more)`);
  }
  for (const l of s.lost) out.push(`lost ${l.count} events on CPU ${l.cpu} (line ${l.line}): later old_spte mismatches are reported as info`);
  out.push('');
  if (!s.findings.count) {
    out.push('findings: none');
  } else {
    const b = s.findings.bySeverity;
    out.push(`findings: ${s.findings.count} (${b.error} errors, ${b.warning} warnings, ${b.info} info)`);
    out.push(...table(Object.entries(s.findings.byRule).sort((a, b2) => (b2[1] as number) - (a[1] as number)) as Array<[string, number]>));
    out.push('');
    for (const f of s.findings.list.slice(0, maxListed)) {
      out.push(`${f.location}: ${f.severity}: [${f.rule}] ${f.message}${s.vms.length > 1 ? ` (${f.vm})` : ''}`);
    }
    if (s.findings.count > maxListed) out.push(`... (${s.findings.count - maxListed} more; --json lists them all)`);
  }
  return out.join('\n') + '\n';
}
