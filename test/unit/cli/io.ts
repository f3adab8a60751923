// Runs the CLI in-process through main(argv, io), capturing what it prints.
import { main } from '../../../src/cli/main';

export interface CliResult { code: number; out: string; err: string }

export async function runCli(argv: string[], cwd = process.cwd()): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd, env: {} });
  return { code, out, err };
}
