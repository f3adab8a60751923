// `tdp-sim` entry point: dispatches to the subcommands in ./commands.
import type { CliCommand, CliIO } from './command';
import { UsageError } from './command';

// Loaded lazily so `tdp-sim decode` does not pay for tree-sitter or the DAP packages.
const COMMANDS: Record<string, () => CliCommand> = {
  run: () => require('./commands/run').default,
  decode: () => require('./commands/decode').default,
  profiles: () => require('./commands/profiles').default,
  link: () => require('./commands/link').default,
  review: () => require('./commands/review').default,
  trace: () => require('./commands/trace').default,
  dap: () => require('./commands/dap').default,
};

function help(): string {
  const lines = ['usage: tdp-sim <command> [options]', '', 'commands:'];
  for (const name of Object.keys(COMMANDS)) {
    let summary: string;
    try { summary = COMMANDS[name]().summary; } catch { continue; }
    lines.push(`  ${name.padEnd(10)} ${summary}`);
  }
  lines.push('', 'Run `tdp-sim <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') { io.out(help()); return name ? 0 : 2; }
  const load = COMMANDS[name];
  if (!load) { io.err(`tdp-sim: unknown command '${name}'\n\n${help()}`); return 2; }
  const cmd = load();
  if (rest.includes('--help') || rest.includes('-h')) { io.out(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n'); return 0; }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) { io.err(`tdp-sim ${name}: ${e.message}\n`); return 2; }
    throw e;
  }
}

/** Runs the CLI on this process's argv and streams; used by bin/tdp-sim.js. */
export function runFromProcess(): void {
  const io: CliIO = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e) => { process.stderr.write(`tdp-sim: internal error: ${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 70; },
  );
}
