// `tdp-sim trace <file>`: replay an ftrace / trace-cmd report of the KVM MMU tracepoints and
// report what the trace contains and what the modelled kernel could not have done.
import * as path from 'path';
import { parseArgs } from 'util';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import { PROFILE_NAMES } from '../../sim';
import type { ProfileName } from '../../sim';
import { importTrace } from '../../trace/import';
import { NotATraceError, fileSource, formatWarning, looksLikeNoTrace } from '../../trace/reader';
import { formatSummary, hasProblems, summarize } from '../../trace/summary';
import { crossCheck, crossCheckToJSON, formatCrossCheck } from '../../trace/crosscheck';

const USAGE = `usage: tdp-sim trace <file> [--json] [--cross-check] [--profile P] [--vm-type auto|tdx|vmx] [--vm-identity single|tgid] [--max-listed N]

Replays the text of /sys/kernel/tracing/trace or of \`trace-cmd report\` with the kvmmmu
tracepoints (kvm_tdp_mmu_spte_changed, kvm_mmu_split_huge_page, kvm_mmu_spte_requested,
kvm_mmu_set_spte, kvm_mmu_get_page, kvm_mmu_prepare_zap_page) and kvm:kvm_page_fault:
rebuilds each VM's page tables and checks every change against the modelled kernel.

  --json            the summary as JSON (every finding and warning listed)
  --cross-check     also run the trace's faults, splits and zaps through the model and report
                    the first change where the model and the trace disagree
  --profile P       kernel the trace came from: ${PROFILE_NAMES.join(', ')} (default mainline)
  --vm-type T       auto (default: a TD when a GFN or fault GPA has the TDX shared bit), tdx, vmx
  --vm-identity I   single (default: one VM) or tgid (one VM per TGID column value)
  --max-listed N    findings and warnings printed in the text report (default 20)

exit status: 0 replayed without findings, 1 findings (errors or warnings) or a cross-check disagreement,
             2 unreadable or not a trace
`;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' }, 'cross-check': { type: 'boolean' }, profile: { type: 'string' }, 'vm-type': { type: 'string' },
        'vm-identity': { type: 'string' }, 'max-listed': { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE.split('\n')[0]}`);
  }
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args);
  if (positionals.length !== 1) throw new UsageError(`expected one trace file, got ${positionals.length}\n${USAGE.split('\n')[0]}`);
  const profile = oneOf<ProfileName>('profile', values.profile, PROFILE_NAMES, 'mainline');
  const vmType = oneOf('vm-type', values['vm-type'], ['auto', 'tdx', 'vmx'] as const, 'auto');
  const vmIdentity = oneOf('vm-identity', values['vm-identity'], ['single', 'tgid'] as const, 'single');
  const maxListed = values['max-listed'] === undefined ? 20 : Number(values['max-listed']);
  if (!Number.isInteger(maxListed) || maxListed < 0) throw new UsageError(`--max-listed must be a non-negative integer, got '${values['max-listed']}'`);

  const file = positionals[0];
  const full = path.resolve(io.cwd, file);
  let t;
  try {
    // Warnings name the file as the user wrote it.
    t = await importTrace({ ...fileSource(full), name: file }, { profile, vmType, vmIdentity });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof NotATraceError) { io.err(`tdp-sim trace: ${err.message}\n`); return 2; }
    if (err.code) { io.err(`tdp-sim trace: cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}\n`); return 2; }
    throw e;
  }
  if (t.parse.lines === 0) {
    io.err(`tdp-sim trace: ${file} is empty\n`);
    return 2;
  }
  if (looksLikeNoTrace(t.parse)) {
    const first = t.parse.malformed.first[0];
    io.err(`tdp-sim trace: ${file} is not a trace: no line looks like ftrace or trace-cmd report output${first ? ` (${formatWarning(first)})` : ''}\n`);
    return 2;
  }
  const s = summarize(t);
  const cc = values['cross-check'] ? crossCheck(t) : null;
  if (values.json) {
    if (cc) s.crossCheck = crossCheckToJSON(cc);
    io.out(JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2) + '\n');
  } else {
    io.out(formatSummary(s, maxListed) + (cc ? `\n${formatCrossCheck(cc, file)}` : ''));
  }
  return hasProblems(s) || cc?.some((r) => r.firstDisagreement !== null) ? 1 : 0;
}

const command: CliCommand = {
  name: 'trace',
  summary: 'replay an ftrace/trace-cmd trace of the KVM MMU tracepoints and check it',
  usage: USAGE,
  run,
};

export default command;
