// `tdp-sim dap`: the debug adapter of the VS Code extension, served over stdin/stdout so any DAP
// client (nvim-dap, vimspector, Emacs dape, ...) can debug simulated scenarios and traces.
import * as fs from 'fs';
import * as path from 'path';
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';

const USAGE = `usage: tdp-sim dap

Speaks the Debug Adapter Protocol on stdin/stdout until the client disconnects.
Launch attributes (type "tdp-mmu-sim", request "launch"):
  scenario     a *.tdpsim.yaml scenario or an ftrace text file (required)
  profile      pre-tdx | mainline | hugepage-rfc-v2 (default: the scenario's)
  kernelTree   kernel tree for source locations (default: $TDP_KERNEL_TREE, or the
               tree of the first kernel file a breakpoint is set in)
  stopOnEntry  stop at the first event (default false)
  cwd          base for relative paths (default: the adapter's working directory)
Custom protocol for front ends: event "tdpPosition" {seq, length, reason, recording} on every
stop; request "tdpSeek" {seq} moves there (see src/debug/README.md).

Example (nvim-dap):
  dap.adapters['tdp-mmu-sim'] = { type = 'executable', command = 'tdp-sim', args = { 'dap' } }

exit status: 0 when the client disconnected
`;

/** tree-sitter's .wasm files sit next to the bundled CLI (dist/); from source, in node_modules. */
function wasmDir(): string | undefined {
  return fs.existsSync(path.join(__dirname, 'tree-sitter.wasm')) ? __dirname : undefined;
}

const dap: CliCommand = {
  name: 'dap',
  summary: 'serve the debug adapter (Debug Adapter Protocol) on stdin/stdout',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    if (args.length) throw new UsageError(`unexpected argument '${args[0]}'\n${USAGE.split('\n')[0]}`);
    // Loaded here, like every command's heavy parts (src/cli/main.ts).
    const { TdpDebugSession } = require('../../debug/session') as typeof import('../../debug/session');
    const { defaultSessionDeps } = require('../../debug/launch') as typeof import('../../debug/launch');
    const session = new TdpDebugSession(defaultSessionDeps({ wasmDir: wasmDir(), env: io.env, cwd: io.cwd }));
    await new Promise<void>((resolve) => {
      session.on('shutdown', resolve);
      process.stdin.on('end', resolve);
      session.start(process.stdin, process.stdout);
    });
    process.stdin.pause();
    return 0;
  },
};

export default dap;
