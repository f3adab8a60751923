// Runs the extension-host suite: every test/e2e/suite/**/*.test.ts, bundled, inside code-server's
// Node extension host with the real `vscode` API, against the unpacked .vsix (exactly what ships).
// Usage: node --require tsx/cjs test/e2e/harness/run-exthost.ts [--grep <regexp>]
//
// How: code-server runs with --vscode-option enable-smoke-test-driver; the workbench URL's payload
// names the extension (extensionDevelopmentPath) and the suite (extensionTestsPath) as
// vscode-remote:// URIs; a headless Chromium must be connected as the client; the workbench calls
// window.codeAutomationExit(code) when the suite's run() settles.
import { execFileSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import { launchBrowser } from './browser';
import { startCodeServer } from './code-server';
import { copyLogs } from './fixture';
import { ARTIFACTS, REPO, VSIX, freshDir } from './paths';
import { testFiles } from './run-ui';
import { emptyFolder } from './workspaces';
import { SUITE_END, SUITE_START } from '../suite/markers';

const SUITE_SRC = path.join(REPO, 'test/e2e/suite');
// Inside the repo so the bundles find mocha in the repo's node_modules at run time.
const SUITE_OUT = path.join(REPO, 'out/e2e/suite');
const TIMEOUT_MS = Number(process.env.E2E_EXTHOST_TIMEOUT_MS ?? 300_000);

export interface SuiteResult { passes: number; failures: number; pending: number; failed: string[] }

async function main(): Promise<number> {
  const grepAt = process.argv.indexOf('--grep');
  const files = testFiles(SUITE_SRC);
  fs.rmSync(SUITE_OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(SUITE_SRC, 'index.ts'), ...files],
    outbase: SUITE_SRC, outdir: SUITE_OUT, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning',
  });

  const dir = freshDir('exthost');
  const extension = path.join(dir, 'extension');
  execFileSync('unzip', ['-q', VSIX, 'extension/*', '-d', dir]);
  const resultFile = path.join(dir, 'result.json');
  const server = await startCodeServer({
    dir, workspace: emptyFolder(dir), smokeTestDriver: true,
    env: { E2E_RESULT_FILE: resultFile, E2E_GREP: grepAt > 0 ? process.argv[grepAt + 1] : '', E2E_RUN_DIR: dir },
  });
  // The suite's console reaches the page console as ('%c INFO', css, format, ...args); print what
  // it logs between its start and end markers (see suite/index.ts), in order.
  let printing = false, printed = Promise.resolve();
  const browser = await launchBrowser(path.join(dir, 'chromium'), (m) => {
    printed = printed.then(async () => {
      const args = await Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?')));
      const text = format(...(typeof args[0] === 'string' && args[0].startsWith('%c') ? args.slice(2) : args));
      if (text.includes(SUITE_END)) printing = false;
      if (printing) console.log(text);
      if (text.includes(SUITE_START)) printing = true;
    });
  });
  const started = Date.now();
  let exitCode = 1;
  try {
    let exit!: (code: number | string) => void;
    const exited = new Promise<number | string>((r) => (exit = r));
    await browser.page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://${server.authority}${extension}`],
      ['extensionTestsPath', `vscode-remote://${server.authority}${path.join(SUITE_OUT, 'index.js')}`],
    ]);
    await browser.page.goto(server.url({ payload }));
    const timer = setTimeout(() => exit('timeout'), TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    await printed;
    const result: SuiteResult | undefined = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined;
    console.log(`exthost suite: ${files.length} files, exit ${code}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const ok = code === 0 && result !== undefined && result.failures === 0 && result.passes > 0;
    if (!ok) {
      const out = path.join(ARTIFACTS, 'e2e-exthost');
      fs.mkdirSync(out, { recursive: true });
      await browser.page.screenshot({ path: path.join(out, 'screenshot.png') }).catch(() => undefined);
      fs.writeFileSync(path.join(out, 'console.log'), browser.console.join('\n') + '\n');
      copyLogs(server, out);
      console.log(`artifacts: ${path.relative(process.cwd(), out)}`);
      if (!result) console.log(`no result from the suite (${code === 'timeout' ? `no exit after ${TIMEOUT_MS / 1000} s` : `exit ${code}`})`);
    }
    const r = result ?? { passes: 0, failures: 1, pending: 0 };
    console.log(`${r.passes} passed, ${r.failures} failed${r.pending ? `, ${r.pending} skipped` : ''}`);
    exitCode = ok ? 0 : 1;
  } finally {
    await browser.close();
    await server.stop();
  }
  return cleanUp(dir, exitCode);
}

/** Deletes a run folder unless the run failed (then it stays for a closer look). */
function cleanUp(dir: string, code: number): number {
  if (code === 0) fs.rmSync(dir, { recursive: true, force: true });
  return code;
}

main().then((code) => process.exit(code), (e) => { console.error(e); console.log('0 passed, 1 failed'); process.exit(1); });
