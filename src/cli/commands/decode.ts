// `tdp-sim decode <spte>`: an SPTE value (as printed by the kvm_tdp_mmu_spte_changed
// tracepoint or a crash dump) into named EPT fields and the kernel's predicates.
import { parseArgs } from 'util';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import type { PgLevel } from '../../sim';
import { decodeSeptEntry, decodeSpte, decodedSpteToJSON, hex64, parsePgLevel, parseSpte } from '../../sim';

const USAGE = `usage: tdp-sim decode <spte> [--level N] [--vm tdx|vmx] [--sept] [--json]

Decodes a 64-bit SPTE (hex, with or without 0x, '_' separators allowed) into its EPT fields
and the kernel's predicates (is_shadow_present_pte, is_last_spte, is_frozen_spte, ...).

  --level N   level containing the SPTE: 1..5 or 4K/2M/1G (the SPTE does not encode it;
              without it is_last_spte is unknown)
  --vm T      tdx or vmx (default): the per-VM MMIO SPTE value differs
  --sept      decode a simulated S-EPT entry (the simulator's encoding) instead
  --json      print the decoded value as JSON (see README, "Command line")

exit status: 0 decoded, 2 bad value or option
`;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { level: { type: 'string' }, vm: { type: 'string' }, sept: { type: 'boolean' }, json: { type: 'boolean' } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE.split('\n')[0]}`);
  }
}

function decode(args: string[], io: CliIO): number {
  const { values, positionals } = parse(args);
  if (positionals.length !== 1) throw new UsageError(`expected one SPTE value, got ${positionals.length}\n${USAGE.split('\n')[0]}`);
  let value: bigint;
  let level: PgLevel | undefined;
  try {
    value = parseSpte(positionals[0]);
    level = values.level === undefined ? undefined : parsePgLevel(values.level);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const vm = values.vm ?? 'vmx';
  if (vm !== 'tdx' && vm !== 'vmx') throw new UsageError(`--vm must be tdx or vmx, got '${vm}'`);

  if (values.sept) {
    if (values.level !== undefined) throw new UsageError('--level does not apply to --sept: an S-EPT entry of the simulator records its level');
    let d;
    try { d = decodeSeptEntry(value); } catch (e) { throw new UsageError((e as Error).message); }
    if (values.json) {
      io.out(JSON.stringify({ value: hex64(d.value), state: d.state, level: d.level, pfn: hex64(d.pfn), leaf: d.leaf, present: d.present, blocked: d.blocked, summary: d.summary }, null, 2) + '\n');
    } else {
      io.out(`${hex64(d.value)}: S-EPT ${d.summary}\n  state ${d.state}, level ${d.level ?? '-'}, pfn ${hex64(d.pfn)}, leaf ${d.leaf}, blocked ${d.blocked}\n`);
    }
    return 0;
  }

  const d = decodeSpte(value, level, vm);
  if (values.json) {
    io.out(JSON.stringify(decodedSpteToJSON(d), null, 2) + '\n');
    return 0;
  }
  const lines = [`${hex64(d.value)}: ${d.summary}`, ''];
  const nameWidth = Math.max(...d.fields.map((f) => f.name.length), 5);
  lines.push(`  ${'bits'.padEnd(7)} ${'field'.padEnd(nameWidth)} ${'raw'.padEnd(10)} meaning`);
  for (const f of d.fields) lines.push(`  ${f.bits.padEnd(7)} ${f.name.padEnd(nameWidth)} ${hex64(f.raw).padEnd(10)} ${f.meaning}`);
  lines.push('', 'predicates:');
  for (const [name, v] of Object.entries(d.predicates)) {
    lines.push(`  ${name.padEnd(22)} ${v === null ? 'unknown (give --level)' : v}`);
  }
  if (d.warnings.length) lines.push('', 'warnings:', ...d.warnings.map((w) => `  ! ${w}`));
  io.out(lines.join('\n') + '\n');
  return 0;
}

const command: CliCommand = {
  name: 'decode',
  summary: 'decode an SPTE value into EPT fields and the kernel predicates',
  usage: USAGE,
  run: async (args, io) => decode(args, io),
};

export default command;
