// Headless Debian Chromium driven by playwright-core (installed by setup.sh into the e2e cache,
// never downloading a browser of its own), with a fresh profile per launch.
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { CACHE, CHROMIUM } from './paths';

type Playwright = typeof import('playwright-core');
const playwright = (): Playwright => createRequire(path.join(CACHE, 'tools', 'package.json'))('playwright-core');

const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
  // The machine has no network beyond the registries: keep Chromium from trying.
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every console message of the page so far ("type: text"), extension host output included. */
  console: string[];
  close(): Promise<void>;
}

export async function launchBrowser(profileDir: string, onConsole?: (m: ConsoleMessage) => void): Promise<Browser> {
  fs.mkdirSync(profileDir, { recursive: true });
  const context = await playwright().chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30_000);
  const lines: string[] = [];
  page.on('console', (m) => { lines.push(`${m.type()}: ${m.text()}`); onConsole?.(m); });
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return { context, page, console: lines, close: () => context.close().catch(() => undefined) };
}
