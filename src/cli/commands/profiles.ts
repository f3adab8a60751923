// `tdp-sim profiles`: the kernel generations the simulator models and where they differ.
import { parseArgs } from 'util';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import { PROFILE_NAMES, PROFILES, levelName } from '../../sim';
import type { Profile } from '../../sim';

const USAGE = `usage: tdp-sim profiles [--json]

Lists the kernel profiles (pass one to \`tdp-sim run --profile\`) and what differs between them.

  --json   print the profiles as JSON (see README, "Command line")

exit status: 0, or 2 on a bad option
`;

/** The switches of a profile, as rows of the comparison table (no TDX: the row does not apply). */
const ROWS: Array<{ title: string; value: (p: Profile) => string }> = [
  { title: 'TDX VMs (mirror roots)', value: (p) => (p.tdx ? 'yes' : 'no') },
  { title: 'largest private mapping', value: (p) => (p.tdx ? levelName(p.privateMaxLevel) : '-') },
  {
    title: 'tdp_mmu_set_spte: mirror SPTE made present',
    value: (p) => (!p.tdx ? '-' : p.setSpteMirrorPresent === 'bug' ? 'KVM_BUG_ON' : 'leaf→non-leaf: split_external_spt'),
  },
  {
    title: 'kvm_tdp_mmu_map: huge mirror SPTE in the way',
    value: (p) => (!p.tdx ? '-' : p.faultPathMirrorSplit === 'bug' ? 'KVM_BUG_ON' : 'split under shared lock (TDX refuses)'),
  },
  { title: 'private→shared conversion splits', value: (p) => (!p.tdx ? '-' : p.splitOnConversion ? 'yes' : 'no') },
];

function profileToJSON(p: Profile): Record<string, unknown> {
  return {
    name: p.name,
    title: p.title,
    kernel: p.kernel,
    description: p.description,
    differences: p.differences,
    tdx: p.tdx,
    private_max_level: p.tdx ? levelName(p.privateMaxLevel) : null,
    set_spte_mirror_present: p.tdx ? p.setSpteMirrorPresent : null,
    fault_path_mirror_split: p.tdx ? p.faultPathMirrorSplit : null,
    split_on_conversion: p.tdx ? p.splitOnConversion : null,
  };
}

function profiles(args: string[], io: CliIO): number {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { json: { type: 'boolean' } } }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE.split('\n')[0]}`);
  }
  const list = PROFILE_NAMES.map((n) => PROFILES[n]);
  if (values.json) {
    io.out(JSON.stringify({ profiles: list.map(profileToJSON) }, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const p of list) {
    lines.push(`${p.name} — ${p.title}`, `  kernel: ${p.kernel}`, `  ${p.description}`);
    for (const d of p.differences) lines.push(`  • ${d}`);
    lines.push('');
  }
  const first = Math.max(...ROWS.map((r) => r.title.length));
  const widths = list.map((p) => Math.max(p.name.length, ...ROWS.map((r) => r.value(p).length)));
  lines.push(['where they differ'.padEnd(first), ...list.map((p, i) => p.name.padEnd(widths[i]))].join('  ').trimEnd());
  for (const r of ROWS) lines.push([r.title.padEnd(first), ...list.map((p, i) => r.value(p).padEnd(widths[i]))].join('  ').trimEnd());
  io.out(lines.join('\n') + '\n');
  return 0;
}

const command: CliCommand = {
  name: 'profiles',
  summary: 'list the kernel profiles and what differs between them',
  usage: USAGE,
  run: async (args, io) => profiles(args, io),
};

export default command;
