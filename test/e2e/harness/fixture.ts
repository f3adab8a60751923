// Mocha fixture for browser-driven tests (test/e2e/ui/*.test.ts): one code-server with the
// packaged .vsix installed, opened in a fresh headless Chromium, per describe() block.
//
//   describe('my feature', () => {
//     const wb = useWorkbench({ workspace: (dir) => folderWith(dir, 'ws', { 'a.c': '...' }) });
//     it('does X', async () => { await runCommand(wb.page, 'TDP MMU: ...'); await wb.shot('after X'); });
//   });
//
// A failing test leaves a screenshot, the page console, code-server's log and the extension host
// logs in test-artifacts/e2e-ui/<describe>/.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { Browser, launchBrowser } from './browser';
import { CodeServer, startCodeServer } from './code-server';
import { ARTIFACTS, VSIX, freshDir, slug } from './paths';
import { waitForWorkbench } from './workbench';
import { emptyFolder } from './workspaces';

export interface WorkbenchOptions {
  /** Builds the folder (or .code-workspace) to open inside the run folder; default: an empty folder. */
  workspace?: (dir: string) => string;
  userSettings?: Record<string, unknown>;
  /** Keep workspace trust on (the folder then opens in Restricted Mode). */
  workspaceTrust?: boolean;
}

export interface Workbench {
  page: Page;
  server: CodeServer;
  browser: Browser;
  /** The folder or .code-workspace that is open. */
  workspace: string;
  /** Saves a screenshot of the current state as an artifact. */
  shot(name: string): Promise<void>;
}

export function useWorkbench(opts: WorkbenchOptions = {}): Workbench {
  let state: Omit<Workbench, 'shot'> | undefined;
  let artifacts = '';
  let runDir = '';
  let failed = false;
  const need = () => {
    if (!state) throw new Error('the workbench did not start (see the before all hook)');
    return state;
  };
  const wb: Workbench = {
    get page() { return need().page; },
    get server() { return need().server; },
    get browser() { return need().browser; },
    get workspace() { return need().workspace; },
    async shot(name) {
      fs.mkdirSync(artifacts, { recursive: true });
      await need().page.screenshot({ path: path.join(artifacts, `${slug(name)}.png`) });
    },
  };

  before(async function () {
    this.timeout(120_000);
    artifacts = path.join(ARTIFACTS, 'e2e-ui', slug(this.test?.parent?.fullTitle() ?? 'workbench'));
    const dir = runDir = freshDir('ui');
    const workspace = (opts.workspace ?? emptyFolder)(dir);
    const server = await startCodeServer({
      dir, workspace, vsix: VSIX, userSettings: opts.userSettings, workspaceTrust: opts.workspaceTrust,
    });
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser(path.join(dir, 'chromium'));
      state = { page: browser.page, server, browser, workspace };
      await browser.page.goto(server.url());
      await waitForWorkbench(browser.page);
    } catch (e) {
      if (state) await saveFailure(state, artifacts, 'startup');
      await browser?.close();
      await server.stop();
      state = undefined;
      throw e;
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    failed = true;
    if (state) await saveFailure(state, artifacts, this.currentTest.title);
  });

  after(async function () {
    this.timeout(30_000);
    if (state) {
      await state.browser.close();
      await state.server.stop();
      state = undefined;
    }
    // Run folders are throw-away; a failed one stays for a closer look.
    if (runDir && !failed) fs.rmSync(runDir, { recursive: true, force: true });
  });

  return wb;
}

/** Screenshot, page console, server log and extension host logs of a failed test. */
async function saveFailure(s: Omit<Workbench, 'shot'>, dir: string, title: string): Promise<void> {
  const base = path.join(dir, `FAILED-${slug(title)}`);
  fs.mkdirSync(base, { recursive: true });
  await s.page.screenshot({ path: path.join(base, 'screenshot.png') }).catch(() => undefined);
  fs.writeFileSync(path.join(base, 'console.log'), s.browser.console.join('\n') + '\n');
  copyLogs(s.server, base);
  console.log(`    artifacts: ${path.relative(process.cwd(), base)}`);
}

/** code-server's log and the logs folder of its user data (extension host, output channels). */
export function copyLogs(server: CodeServer, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  if (fs.existsSync(server.logFile)) fs.copyFileSync(server.logFile, path.join(to, 'server.log'));
  const logs = path.join(server.userDataDir, 'logs');
  if (fs.existsSync(logs)) fs.cpSync(logs, path.join(to, 'logs'), { recursive: true });
}
