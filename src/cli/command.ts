// The shape of one `tdp-sim` subcommand. Each lives in src/cli/commands/<name>.ts and is
// registered in src/cli/main.ts. Commands never call process.exit themselves: they return the
// exit code (0 ok, 1 a check failed, 2 bad input/usage) so tests can run them in-process.

export interface CliIO {
  out(text: string): void;   // stdout, text is written as is (add your own '\n')
  err(text: string): void;   // stderr
  /** Working directory for relative paths. */
  cwd: string;
  /** Environment (TDP_KERNEL_TREE, ...). */
  env: Record<string, string | undefined>;
}

export interface CliCommand {
  name: string;
  /** One line for `tdp-sim --help`. */
  summary: string;
  /** Full usage text for `tdp-sim <name> --help`. */
  usage: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** Thrown for bad usage or bad input; main prints `tdp-sim <cmd>: <message>` and exits 2. */
export class UsageError extends Error {}
