// `tdp-sim link <tree-root-or-file>`: resolve every simulator anchor to lines of a kernel tree
// (or one C file) and say which kernel generation the code is, and why.
import * as path from 'path';
import { parseArgs } from 'util';
import { anchorById } from '../../sim/anchors';
import { PROFILE_NAMES, type ProfileName } from '../../sim/types';
import { KernelTreeError } from '../../kernel/tree-files';
import { KernelLinker, type LinkReport } from '../../kernel/linker';
import type { Location, Resolution } from '../../kernel/resolve';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';

const USAGE = `usage: tdp-sim link [<tree-root-or-file>] [--profile P] [--json]

Resolves every simulator anchor (a kernel function and a decision point in it) to lines of a
kernel tree: its root, its arch/x86/kvm directory, or a single .c/.h file (the file name tells
its role: tdp_mmu.c, tdx.c, spte.h, ...; any other name is read as tdp_mmu.c). Without a path,
$TDP_KERNEL_TREE is used. Also prints the detected generation (pre-tdx, mainline,
hugepage-rfc-v2) and the code that decided it.

  --profile P   judge absences against profile P instead of the detected one
  --json        print the report as JSON

Each anchor is found (with its lines), absent (expected when the anchor does not exist in
the profile, or because its file is not loaded), or ambiguous (with every candidate).

exit status: 0 every anchor of the profile was found, 1 some are missing or ambiguous,
2 bad path or option
`;

function parse(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: { profile: { type: 'string' }, json: { type: 'boolean' } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE.split('\n')[0]}`);
  }
}

interface Summary { found: number; absentExpected: number; notLoaded: number; missing: number; ambiguous: number }

function summarize(rs: readonly Resolution[]): Summary {
  const s: Summary = { found: 0, absentExpected: 0, notLoaded: 0, missing: 0, ambiguous: 0 };
  for (const r of rs) {
    if (r.status === 'found') s.found++;
    else if (r.status === 'ambiguous') s.ambiguous++;
    else if (r.cause === 'profile') s.absentExpected++;
    else if (r.cause === 'file') s.notLoaded++;
    else s.missing++;
  }
  return s;
}

const lines = (l: Location): string => `${l.startLine}${l.endLine !== l.startLine ? `-${l.endLine}` : ''}`;

function textReport(report: LinkReport, target: string, forced: boolean, s: Summary): string {
  const out: string[] = [];
  const o = report.origin;
  if (o.kind === 'tree') {
    out.push(`${target}: kernel tree, ${report.files.length} files${o.missing.length ? ` (not in this tree: ${o.missing.join(', ')})` : ''}`);
  } else {
    out.push(`${target}: single file, read as ${o.kernelFile}${o.roleFromName ? '' : ' (its name does not say which kernel file it is)'}`);
  }
  const d = report.detected;
  out.push(`profile: ${d.profile ?? 'unknown'} (detected): ${d.reason}`);
  for (const w of d.warnings) out.push(`  warning: ${w}`);
  if (forced) out.push(`profile: ${report.profile} (--profile)`);
  out.push('');
  const width = Math.max(...report.resolutions.map((r) => r.anchor.length));
  for (const r of report.resolutions) {
    const id = r.anchor.padEnd(width);
    if (r.status === 'found') {
      const first = r.location.text.split('\n')[0].trim();
      out.push(`found      ${id}  ${r.location.kernelFile}:${lines(r.location)}  ${first}${r.note ? `  [${r.note}]` : ''}`);
    } else if (r.status === 'ambiguous') {
      out.push(`ambiguous  ${id}  ${r.reason}: ${r.candidates.map((c) => `${c.kernelFile}:${lines(c)}`).join(', ')}`);
    } else {
      const tag = r.cause === 'profile' ? 'absent     ' : r.cause === 'file' ? 'not loaded ' : 'MISSING    ';
      out.push(`${tag}${id}  ${r.reason}`);
    }
  }
  out.push('');
  out.push(`${s.found} found, ${s.absentExpected} absent as expected for ${report.profile ?? 'an unknown profile'}, ` +
    `${s.notLoaded} in files not loaded, ${s.missing} missing, ${s.ambiguous} ambiguous`);
  return out.join('\n') + '\n';
}

function jsonReport(report: LinkReport, target: string, forced: boolean, s: Summary): string {
  return JSON.stringify({
    target,
    origin: report.origin,
    files: report.files,
    profile: { used: report.profile ?? null, forced, detected: report.detected.profile ?? null, reason: report.detected.reason, warnings: report.detected.warnings },
    summary: s,
    anchors: report.resolutions.map((r) => {
      const a = anchorById(r.anchor)!;
      return { ...r, fn: a.fn, kernelFile: a.file, title: a.title, profiles: a.profiles };
    }),
  }, null, 2) + '\n';
}

async function link(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args);
  if (positionals.length > 1) throw new UsageError(`expected one tree root or C file, got ${positionals.length}\n${USAGE.split('\n')[0]}`);
  const given = positionals[0] ?? io.env.TDP_KERNEL_TREE;
  if (!given) throw new UsageError(`no kernel tree given and TDP_KERNEL_TREE is not set\n${USAGE.split('\n')[0]}`);
  let profile: ProfileName | undefined;
  if (values.profile !== undefined) {
    if (!(PROFILE_NAMES as readonly string[]).includes(values.profile)) {
      throw new UsageError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${values.profile}'`);
    }
    profile = values.profile as ProfileName;
  }
  let linker: KernelLinker;
  try {
    linker = await KernelLinker.open(path.resolve(io.cwd, given));
  } catch (e) {
    if (e instanceof KernelTreeError) throw new UsageError(`${e.message}${positionals.length ? '' : ' (from TDP_KERNEL_TREE)'}`);
    throw e;
  }
  try {
    const report = linker.resolveAll({ profile });
    const s = summarize(report.resolutions);
    io.out(values.json ? jsonReport(report, given, profile !== undefined, s) : textReport(report, given, profile !== undefined, s));
    return s.missing + s.ambiguous > 0 ? 1 : 0;
  } finally {
    linker.dispose();
  }
}

const command: CliCommand = { name: 'link', summary: 'resolve simulator anchors to lines of a kernel tree, detect its profile', usage: USAGE, run: link };
export default command;
