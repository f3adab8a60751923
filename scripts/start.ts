// Second half of `npm start` (scripts/start.sh builds and packages first): code-server on
// 127.0.0.1 with the .vsix installed and the default workspace open, until Ctrl-C. Its state
// (user settings, workspace copy) lives in <e2e cache>/start/ and survives restarts.
import * as path from 'path';
import { isPortFree, startCodeServer, freePort } from '../test/e2e/harness/code-server';
import { CACHE, VSIX } from '../test/e2e/harness/paths';
import { shuttingDown } from '../test/e2e/harness/processes';
import { defaultWorkspace } from '../test/e2e/harness/workspaces';

async function main(): Promise<void> {
  const dir = path.join(CACHE, 'start');
  const workspace = defaultWorkspace(path.join(dir, 'workspace'));
  const wanted = Number(process.env.TDP_PORT ?? 8080);
  const port = (await isPortFree(wanted)) ? wanted : await freePort();
  const server = await startCodeServer({ dir, workspace, vsix: VSIX, port, keepUserSettings: true });
  console.log([
    '',
    `TDP MMU Simulator is running in VS Code (code-server) at:`,
    '',
    `    ${server.url()}`,
    '',
    `Workspace: ${workspace}`,
    `Server log: ${server.logFile}`,
    'Press Ctrl-C to stop.',
  ].join('\n'));
  const code = await server.exited;
  if (shuttingDown()) return; // Ctrl-C: processes.ts stops code-server and exits
  console.error(`code-server stopped (exit ${code}); see ${server.logFile}`);
  process.exit(1);
}

main().catch((e) => { console.error(`npm start: ${e instanceof Error ? e.message : e}`); process.exit(1); });
