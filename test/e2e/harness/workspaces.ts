// Workspace folders the tests and `npm start` open. Everything is copied into a folder of the
// run, so nothing a test or a user does there touches the repo.
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from './paths';

export const TDP_MMU_C = 'arch/x86/kvm/mmu/tdp_mmu.c';

/** An empty folder: nothing in it activates the extension. */
export function emptyFolder(dir: string): string {
  const ws = path.join(dir, 'empty');
  fs.mkdirSync(ws, { recursive: true });
  return ws;
}

/** A folder with files given by relative path → content. */
export function folderWith(dir: string, name: string, files: Record<string, string>): string {
  const ws = path.join(dir, name);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), text);
  }
  fs.mkdirSync(ws, { recursive: true });
  return ws;
}

/**
 * Kernel trees shipped as test fixtures: each test/fixtures/kernel/<name>/ holding tdp_mmu.c,
 * mainline first (the first one is the default tree of a workspace).
 */
export function fixtureKernelTrees(): string[] {
  const base = path.join(REPO, 'test/fixtures/kernel');
  if (!fs.existsSync(base)) return [];
  return fs.readdirSync(base).sort((a, b) => Number(b === 'mainline') - Number(a === 'mainline') || a.localeCompare(b))
    .map((name) => path.join(base, name))
    .filter((tree) => fs.existsSync(path.join(tree, TDP_MMU_C)));
}

/**
 * The default workspace (what `npm start` opens, and scenario tests use): a copy of the shipped
 * scenarios/, plus the kernel tree of TDP_KERNEL_TREE (used in place: it is the user's) or copies
 * of the fixture kernel trees. Files already in `dir` are kept, so edits survive a restart.
 * Returns the .code-workspace file.
 */
export function defaultWorkspace(dir: string, kernelTree = process.env.TDP_KERNEL_TREE): string {
  const folders: { name: string; path: string }[] = [];
  const scenarios = path.join(dir, 'scenarios');
  copyMissing(path.join(REPO, 'scenarios'), scenarios);
  folders.push({ name: 'scenarios', path: scenarios });
  if (kernelTree) {
    const tree = path.resolve(kernelTree);
    if (!fs.existsSync(path.join(tree, TDP_MMU_C))) throw new Error(`TDP_KERNEL_TREE=${kernelTree} has no ${TDP_MMU_C}`);
    folders.push({ name: `kernel (${path.basename(tree)})`, path: tree });
  } else {
    for (const fixture of fixtureKernelTrees()) {
      const copy = path.join(dir, 'kernel', path.basename(fixture));
      copyMissing(fixture, copy);
      folders.push({ name: `kernel fixture (${path.basename(fixture)})`, path: copy });
    }
  }
  const file = path.join(dir, 'tdp-mmu-sim.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders, settings: {} }, null, 2) + '\n');
  return file;
}

/** Copies `from` into `to`, leaving files that already exist in `to` as they are. */
function copyMissing(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name), dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyMissing(src, dst);
    else if (!fs.existsSync(dst)) fs.copyFileSync(src, dst);
  }
}
